"""The session report: a page that parses, one mark per record, nothing fetched."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import consentkit
from consentkit import (
    Grant,
    Ledger,
    Plan,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Step,
    Terms,
    Window,
    report,
    testing,
)
from consentkit._cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = sorted(path.parent.name for path in EXAMPLES.glob("*/plan.json"))
SVG = "{http://www.w3.org/2000/svg}"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}
START = datetime(2026, 3, 6, 19, tzinfo=timezone.utc)


def _example(name: str) -> tuple[Ledger, Plan]:
    ledger = consentkit.loads((EXAMPLES / name / "ledger.json").read_bytes())
    plan = consentkit.loads((EXAMPLES / name / "plan.json").read_bytes())
    assert isinstance(ledger, Ledger)
    assert isinstance(plan, Plan)
    return ledger, plan


class _Checker(HTMLParser):
    """Collects the problems of an HTML page: unbalanced tags, fetched resources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "link", "iframe", "img", "object", "embed", "image"}:
            self.problems.append(f"<{tag}> fetches or runs something")
        for name, value in attrs:
            if name in {"src", "href", "xlink:href"} and not (value or "").startswith(
                "#"
            ):
                self.problems.append(f"{name}={value!r} points outside the page")
            if name.startswith("on"):
                self.problems.append(f"{name} is a script")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1:]}>")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check_page(page: str) -> tuple[ET.Element, str]:
    """Parse `page` as HTML and its SVG as XML; return the SVG and the page text."""
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.problems == []
    assert checker.open == []
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")", page)
    assert "@import" not in page
    assert "url(" not in page.replace("url(#", "")
    found = re.search(r"<svg .*</svg>", page, re.DOTALL)
    assert found is not None
    return ET.fromstring(found.group()), " ".join(checker.text)  # noqa: S314  # ours


def _marks(svg: ET.Element, attribute: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if attribute in g.attrib]


@pytest.mark.parametrize("name", NAMES)
def test_every_example_renders_a_page_with_one_mark_per_record(name: str) -> None:
    """Each example's page parses; one titled mark per event and per step."""
    ledger, plan = _example(name)
    svg, _ = _check_page(report(ledger, plan))
    events = _marks(svg, "data-seq")
    assert sorted(int(g.attrib["data-seq"]) for g in events) == list(range(len(ledger)))
    steps = _marks(svg, "data-step")
    assert sorted(int(g.attrib["data-step"]) for g in steps) == list(
        range(1, len(plan.steps) + 1)
    )
    assert svg.attrib["role"] == "group"
    for mark in [*events, *steps]:
        # Each mark is an image for screen readers, named by its title.
        assert mark.attrib["role"] == "img"
        title = mark.find(f"{SVG}title")
        assert title is not None
        assert title.text


@pytest.mark.parametrize("name", NAMES)
def test_every_step_shows_its_verdict_and_codes_as_text(name: str) -> None:
    """Each step's verdict and codes are words in its title and in the table."""
    ledger, plan = _example(name)
    decision = consentkit.check_plan(plan, ledger)
    page = report(ledger, plan)
    svg, text = _check_page(page)
    steps = sorted(_marks(svg, "data-step"), key=lambda g: int(g.attrib["data-step"]))
    for number, (mark, step) in enumerate(
        zip(steps, decision.decisions, strict=True), start=1
    ):
        title = mark.findtext(f"{SVG}title") or ""
        assert title.startswith(f"step {number}: {step.verdict.name}: ")
        for code in step.codes:
            assert code in title
        assert mark.attrib["data-codes"].split() == list(step.codes)
    rows = re.findall(r"<tr class=\"row-\w+\">(.*?)</tr>", page, re.DOTALL)
    assert len(rows) == len(plan.steps)
    for row, step in zip(rows, decision.decisions, strict=True):
        assert f"{step.verdict.name}</span>" in row
        for code in step.codes:
            assert f"<code>{code}</code>" in row
    assert f"plan: {decision.verdict.name}" in text


def test_a_stop_visibly_ends_its_agreement() -> None:
    """A STOP draws a line, cuts the agreement's band and heads the summary."""
    ledger, plan = _example("signals")
    page = report(ledger, plan)
    svg, text = _check_page(page)
    lines = [g for g in svg.iter(f"{SVG}g") if g.attrib.get("class") == "stop-line"]
    assert len(lines) == 1
    assert "STOP at 2026-03-06 20:00:00 UTC: ended `evening`" in (
        lines[0].findtext(f"{SVG}title") or ""
    )
    assert "ended by STOP" in text
    assert "The scene stopped at 2026-03-06 20:00:00 UTC" in text
    assert "The last step refused: step 5, DENY" in text
    assert "CK108" in text
    stops = [
        g for g in _marks(svg, "data-seq") if "ev-stop" in g.attrib.get("class", "")
    ]
    assert len(stops) == 1


def test_a_session_without_a_stop_draws_none() -> None:
    """With no STOP there is no STOP line; the plan's advice heads the page."""
    ledger, plan = _example("first-session")
    svg, text = _check_page(report(ledger, plan))
    assert not [g for g in svg.iter(f"{SVG}g") if g.attrib.get("class") == "stop-line"]
    assert "stopped" not in text
    assert "plan: ALLOW" in text
    assert "Advice on the plan" in text
    assert "CK302" in text


def test_a_ledger_alone_renders_without_a_plan() -> None:
    """Without a plan the page has the parties' lanes and no step bars."""
    ledger, _ = _example("signals")
    svg, text = _check_page(report(ledger))
    assert not _marks(svg, "data-step")
    assert len(_marks(svg, "data-seq")) == len(ledger)
    assert "plan:" not in text


def _terms() -> Terms:
    grants = [
        Grant(
            id=f"{party}-{role.value}",
            party=party,
            role=role,
            activity="impact",
            max_intensity=8,
        )
        for party, role in (("top", Role.GIVE), ("bottom", Role.RECEIVE))
    ]
    return Terms(
        parties={"top", "bottom"},
        window=Window(start=START, end=START + timedelta(hours=3)),
        grants=grants,
        protocol=Protocol(
            signals=[
                Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP),
                Signal(
                    cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW
                ),
                Signal(
                    cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME
                ),
            ]
        ),
    )


def _agreed() -> Ledger:
    before = START - timedelta(minutes=30)
    return (
        Ledger()
        .propose(by="top", terms=_terms(), proposal_id="p", at=before)
        .accept(by="top", proposal_id="p", at=before)
        .accept(by="bottom", proposal_id="p", at=before)
    )


HOSTILE = "</title><script>alert(1)</script>\n& \x07 \u2028 \ufffe \"'"


def test_record_text_is_escaped() -> None:
    """Record text cannot add markup, break a line or break the XML."""
    ledger = _agreed().revoke(
        by="bottom", activities={"impact.crop"}, reason=HOSTILE, at=START
    )
    plan = Plan(
        title=HOSTILE,
        steps=[
            Step(
                actor="top",
                recipient="bottom",
                activity="impact.crop",
                intensity=2,
                at=START + timedelta(minutes=5),
            )
        ],
    )
    page = report(ledger, plan)
    svg, text = _check_page(page)
    assert "<script>" not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\n&amp; \\u0007" in page
    assert "\\u2028" in page
    assert "\\ufffe" in page
    revoked = [g for g in _marks(svg, "data-seq") if g.attrib["data-seq"] == "3"]
    title = revoked[0].findtext(f"{SVG}title") or ""
    assert "\n" not in title
    assert "</title><script>alert(1)</script>\\n&" in title
    assert HOSTILE not in text


def _busy(events: int, steps: int) -> tuple[Ledger, Plan]:
    """A ledger of `events` events (some at the same time) and a plan of `steps`."""
    ledger = _agreed()
    cues = ("yellow", "green")
    for index in range(events - len(ledger)):
        # Pairs of events share a second; the rest are a second apart.
        moment = START + timedelta(seconds=index // 2)
        if index % 5 == 4:
            ledger = ledger.confirm(by="top", activity="impact.crop", at=moment)
        else:
            ledger = ledger.signal(by="bottom", cue=cues[index % 2], at=moment)
    plan = Plan(
        steps=[
            Step(
                actor="top",
                recipient="bottom",
                activity="impact.spanking",
                intensity=1 + index % 9,
                at=START + timedelta(seconds=3 * index),
                duration=timedelta(seconds=5 + index % 40),
            )
            for index in range(steps)
        ]
    )
    return ledger, plan


def _boxes(svg: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """Each mark's box (kind, left, top, right, bottom)."""
    boxes = []
    for g in svg.iter(f"{SVG}g"):
        if "data-seq" in g.attrib:
            text = g.find(f"{SVG}text")
            assert text is not None
            x, y = float(text.attrib["x"]), float(text.attrib["y"])
            boxes.append(("event", x - 10, y - 14, x + 10, y + 6))
        elif "data-step" in g.attrib:
            rect = g.find(f"{SVG}rect")
            label = g.find(f"{SVG}text")
            assert rect is not None
            assert label is not None
            left, top = float(rect.attrib["x"]), float(rect.attrib["y"])
            right = left + float(rect.attrib["width"])
            right = max(right, float(label.attrib["x"]) + 7.2 * len(label.text or ""))
            boxes.append(("step", left, top, right, top + float(rect.attrib["height"])))
    return boxes


def test_a_thousand_events_and_steps_never_overlap() -> None:
    """At 1,000 events and 1,000 steps every mark is there and none overlaps."""
    ledger, plan = _busy(1000, 1000)
    svg, _ = _check_page(report(ledger, plan))
    boxes = sorted(_boxes(svg), key=lambda box: box[1])
    assert len(boxes) == 2000
    for index, (_, left, top, right, bottom) in enumerate(boxes):
        for _, other_left, other_top, other_right, other_bottom in boxes[index + 1 :]:
            if other_left >= right:
                break
            assert other_top >= bottom or top >= other_bottom, (left, top)
            assert other_right > other_left


def test_at_shows_the_ledger_as_it_stood() -> None:
    """`at` keeps the events at or before it, and checks the plan against them."""
    ledger, plan = _example("signals")
    svg, text = _check_page(report(ledger, plan, at=START + timedelta(minutes=40)))
    assert len(_marks(svg, "data-seq")) == 5
    assert "as recorded at 2026-03-06 19:40:00 UTC" in text
    assert "stopped" not in text
    with pytest.raises(ValueError, match="timezone-aware"):
        report(ledger, plan, at=datetime(2026, 3, 6))  # noqa: DTZ001  # on purpose


def test_the_command_writes_the_page(tmp_path: Path) -> None:
    """`consentkit report` writes the same page as `report`, and exits 0."""
    out = tmp_path / "report.html"
    ledger, plan = _example("signals")
    code = main(
        [
            "report",
            "--ledger",
            str(EXAMPLES / "signals" / "ledger.json"),
            "--plan",
            str(EXAMPLES / "signals" / "plan.json"),
            "--at",
            "2026-03-06T21:00:00Z",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    expected = report(ledger, plan, at=START + timedelta(hours=2))
    assert out.read_text("utf-8") == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "LEDGER"], "kind: must be `plan`, got `ledger`"),
        (["--plan", "missing.json"], "missing.json: no such file or directory"),
        (["--out", "no/such/dir/report.html"], "no/such/dir/report.html: no such"),
    ],
)
def test_the_command_refuses_bad_input(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    """Bad input is one line on stderr and exit code 2, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    ledger = str(EXAMPLES / "signals" / "ledger.json")
    argv = ["report", "--ledger", ledger, "--out", "report.html"]
    argv += [ledger if a == "LEDGER" else a for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "report.html").exists()


def test_a_party_in_no_agreement_has_an_empty_lane() -> None:
    """Someone present in a step but in no agreement gets a lane that says so."""
    ledger, plan = _example("third-person")
    svg, text = _check_page(report(ledger, plan))
    names = [
        "".join(t.itertext())
        for t in svg.iter(f"{SVG}text")
        if t.attrib.get("class") == "lane-name"
    ]
    assert "party guestguest" in names
    assert text.count("in no agreement") == 1


@given(
    testing.ledgers(min_events=1, max_events=25),
    st.integers(min_value=0, max_value=3),
    st.data(),
)
@settings(max_examples=40)
def test_any_ledger_and_plan_render_one_mark_each(
    ledger: Ledger, steps: int, data: st.DataObject
) -> None:
    """Whatever the ledger and plan: the page parses, one titled mark per record."""
    plan = data.draw(testing.plans(ledger=ledger)) if steps else None
    svg, text = _check_page(report(ledger, plan))
    events = _marks(svg, "data-seq")
    assert sorted(int(g.attrib["data-seq"]) for g in events) == list(range(len(ledger)))
    for mark, entry in zip(
        sorted(events, key=lambda g: int(g.attrib["data-seq"])), ledger, strict=True
    ):
        title = mark.findtext(f"{SVG}title") or ""
        assert f"`{entry.event.by}`" in title
        assert "\n" not in title
    if plan is not None:
        assert len(_marks(svg, "data-step")) == len(plan.steps)
        assert "plan: " in text
    stops = [g for g in svg.iter(f"{SVG}g") if g.attrib.get("class") == "stop-line"]
    far = datetime.max.replace(tzinfo=timezone.utc)
    state = ledger.state_at(far)
    stopped = {state.stop(a) for a in ledger.agreements()} - {None}
    assert len(stops) == len({s.at for s in stopped if s is not None})


# -- receipts in the report ------------------------------------------------------

MISTRESS_KEY = bytes(range(32))
CLIENT_KEY = bytes(range(1, 33))
SIGNED_AT = datetime(2026, 3, 8, tzinfo=timezone.utc)


def _first() -> Ledger:
    ledger = consentkit.loads((EXAMPLES / "first-session" / "ledger.json").read_bytes())
    assert isinstance(ledger, Ledger)
    return ledger


def _sign(
    ledger: Ledger, party: str, seq: int, at: datetime = SIGNED_AT
) -> consentkit.Receipt:
    from consentkit.signing import SigningKey, sign_receipt  # noqa: PLC0415

    seed = MISTRESS_KEY if party == "mistress" else CLIENT_KEY
    key = SigningKey.from_seed(seed)
    return sign_receipt(ledger, party=party, key=key, at=at, seq=seq)


def _keys() -> dict[str, str]:
    from consentkit.signing import SigningKey  # noqa: PLC0415

    return {
        "mistress": SigningKey.from_seed(MISTRESS_KEY).public_key.multibase,
        "client": SigningKey.from_seed(CLIENT_KEY).public_key.multibase,
    }


def _expected(
    ledger: Ledger, receipts: list[consentkit.Receipt]
) -> tuple[dict[int, list[str]], list[int]]:
    """Who covers each entry, and the unsigned entries, from the definitions."""
    covering = {
        e.seq: sorted({r.party for r in receipts if r.seq >= e.seq}) for e in ledger
    }
    unsigned = [e.seq for e in ledger if e.event.by not in covering[e.seq]]
    return covering, unsigned


def test_receipts_mark_who_signed_each_entry_as_text() -> None:
    """Each mark names the parties whose receipts cover it; unsigned ones say so."""
    ledger = _first()
    receipts = [_sign(ledger, "mistress", 5), _sign(ledger, "client", 1)]
    covering, unsigned = _expected(ledger, receipts)
    assert unsigned == [3, 4]  # the client acknowledged entries 0 and 1 only
    svg, text = _check_page(report(ledger, receipts=receipts, keys=_keys()))
    marks = {int(g.attrib["data-seq"]): g for g in _marks(svg, "data-seq")}
    assert sorted(marks) == [e.seq for e in ledger]
    for seq, g in marks.items():
        assert g.attrib["data-signed-by"].split() == covering[seq]
        title = g.findtext(f"{SVG}title") or ""
        who = ", ".join(f"`{p}`" for p in covering[seq])
        assert f"signed by {who}" in title
        assert ("UNSIGNED" in title) is (seq in unsigned)
        assert (g.attrib.get("data-unsigned") == "true") is (seq in unsigned)
        rings = [r for r in g.iter(f"{SVG}rect") if r.get("class") == "unsigned-ring"]
        assert len(rings) == (seq in unsigned)
    assert "2 unsigned entries" in text
    for seq in unsigned:
        assert (
            f"entry {seq} by `client`: no valid receipt of its author at or after it"
        ) in text
    assert "acknowledged: `client` up to entry 1, `mistress` up to entry 5" in text
    assert "dashed outline: unsigned" in text
    assert "Entries and receipts" in text
    assert "do not verify" not in text


def test_a_fully_signed_ledger_says_so_and_no_receipts_draw_nothing() -> None:
    """Every author's receipt at the end: signed; no receipts: no receipt marks."""
    ledger = _first()
    receipts = [_sign(ledger, "mistress", 5), _sign(ledger, "client", 5)]
    svg, text = _check_page(report(ledger, receipts=receipts, keys=_keys()))
    assert "Every entry is signed" in text
    assert not [g for g in _marks(svg, "data-seq") if "data-unsigned" in g.attrib]
    plain, plain_text = _check_page(report(ledger))
    assert not [g for g in _marks(plain, "data-seq") if "data-signed-by" in g.attrib]
    assert "Receipts" not in plain_text
    assert "UNSIGNED" not in plain_text
    assert "dashed outline" not in plain_text


def test_receipt_problems_are_listed_plainly() -> None:
    """Receipts under another key or beyond the end are listed with their problem."""
    ledger = _first()
    longer = ledger.signal(by="client", cue="red", at=SIGNED_AT)
    receipts = [
        _sign(ledger, "mistress", 5),
        _sign(longer, "client", 6),
        _sign(ledger, "client", 5),
    ]
    keys = {**_keys(), "client": _keys()["mistress"]}
    _, text = _check_page(report(ledger, receipts=receipts, keys=keys))
    assert "2 receipts do not verify" in text
    assert (
        "receipt 1 (`client`, entry 6): wrong_key: receipt of `client` for entry 6"
        in text
    )
    assert "receipt 2 (`client`, entry 5): wrong_key" in text
    keys = _keys()
    _, text = _check_page(report(ledger, receipts=receipts, keys=keys))
    assert "1 receipts do not verify" in text
    assert (
        "receipt 1 (`client`, entry 6): beyond_end: receipt of `client` for entry 6"
        in text
    )
    assert "Every entry is signed" in text


def test_at_counts_only_the_receipts_signed_by_then() -> None:
    """With `at`, receipts signed later are left out, and the page says how many."""
    ledger = _first()
    then = datetime(2026, 3, 3, 19, tzinfo=timezone.utc)
    receipts = [
        _sign(ledger, "client", 4, at=then - timedelta(minutes=30)),
        _sign(ledger, "mistress", 5),
    ]
    svg, text = _check_page(report(ledger, at=then, receipts=receipts, keys=_keys()))
    marks = {int(g.attrib["data-seq"]): g for g in _marks(svg, "data-seq")}
    assert sorted(marks) == [0, 1, 2, 3, 4]
    assert [s for s, g in marks.items() if "data-unsigned" in g.attrib] == [2]
    assert "1 checked (1 signed after the time shown are not counted)" in text


def test_receipts_need_keys_and_the_sign_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Receipts without keys are refused; without the extra, an ImportError names it."""
    ledger = _first()
    receipt = _sign(ledger, "client", 5)
    with pytest.raises(ValueError, match="receipts: checking receipts needs keys"):
        report(ledger, receipts=[receipt])
    with pytest.raises(TypeError, match=r"receipts\[0\]: must be a Receipt"):
        report(ledger, receipts=[consentkit.to_dict(receipt)], keys=_keys())
    keys = _keys()
    monkeypatch.setitem(sys.modules, "consentkit.signing", None)
    monkeypatch.delattr(consentkit, "signing", raising=False)
    with pytest.raises(ImportError, match=r"needs the `sign` extra: pip install"):
        report(ledger, receipts=[receipt], keys=keys)
    assert report(ledger) == report(ledger)  # no receipts: no extra needed


def test_the_report_module_does_not_import_signing() -> None:
    """Drawing a report without receipts never imports `consentkit.signing`."""
    program = (
        "import sys, consentkit, pathlib\n"
        f"path = pathlib.Path({str(EXAMPLES / 'first-session' / 'ledger.json')!r})\n"
        "consentkit.report(consentkit.loads(path.read_bytes()))\n"
        "print('consentkit.signing' in sys.modules)\n"
    )
    done = subprocess.run(  # noqa: S603  # our own program
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_the_command_shows_receipts_from_files_and_a_store(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`report --receipts --keys` draws what `report` draws; a store adds its own."""
    from consentkit.store import open_store  # noqa: PLC0415

    monkeypatch.chdir(tmp_path)
    ledger = _first()
    mistress, client = _sign(ledger, "mistress", 5), _sign(ledger, "client", 1)
    Path("m.json").write_text(consentkit.dumps(mistress), encoding="utf-8")
    Path("keys.json").write_text(json.dumps(_keys()), encoding="utf-8")
    path = str(EXAMPLES / "first-session" / "ledger.json")
    argv = ["report", "--ledger", path, "--out", "r.html", "--receipts", "m.json"]
    assert main([*argv, "--keys", "keys.json"]) == 0
    page = Path("r.html").read_text("utf-8")
    assert page == report(ledger, receipts=[mistress], keys=_keys())
    with open_store("s.db") as store:
        store.append("s", ledger, None)
        store.add_receipt("s", client)
    stored = ["report", "--store", "s.db", "--id", "s", "--out", "s.html"]
    assert main([*stored, "--receipts", "m.json", "--keys", "keys.json"]) == 0
    page = Path("s.html").read_text("utf-8")
    assert page == report(ledger, receipts=[mistress, client], keys=_keys())
    assert main([*argv]) == 2
    err = capsys.readouterr().err
    assert err == "consentkit report: --receipts needs --keys KEYS\n"
    assert not Path("r2.html").exists()
