"""`consentkit check-many MANIFEST [--jobs N]` (SPEC 3.5): output, exits, bad input."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sysconfig
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import consentkit as ck
from consentkit._cli import main
from consentkit.store import open_store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NAMES = sorted(path.parent.name for path in EXAMPLES.glob("*/plan.json"))
SCRIPT = Path(sysconfig.get_path("scripts")) / "consentkit"
EXIT = {"allow": 0, "deny": 1, "renegotiate": 3}
AT = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)


def verdict_of(name: str) -> str:
    """The verdict an example's plan gets, as its expected.json says."""
    expected = json.loads((EXAMPLES / name / "expected.json").read_text("utf-8"))
    return str(expected["verdict"])


def line(ledger: str, plan: str) -> str:
    """A manifest line naming two files."""
    return json.dumps({"ledger": ledger, "plan": plan})


def example_line(folder: Path, name: str) -> str:
    """A manifest line for an example, by paths relative to `folder`."""
    relative = os.path.relpath(EXAMPLES / name, folder)
    return line(f"{relative}/ledger.json", f"{relative}/plan.json")


def run(
    folder: Path, lines: list[str], *extra: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Write the manifest into `folder` and run the command in-process."""
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(text + "\n" for text in lines), "utf-8")
    code = main(["check-many", str(manifest), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_line_per_item_in_order_counting_blank_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every example, blank lines between: each item's line, verdict and decision."""
    lines: list[str] = []
    numbers: dict[str, int] = {}
    for name in NAMES:
        lines.extend([example_line(tmp_path, name), "  "])
        numbers[name] = len(lines) - 1
    code, out, err = run(tmp_path, lines, capsys=capsys)
    assert err == ""
    assert code == 1  # some examples are DENY
    printed = [json.loads(text) for text in out.splitlines()]
    assert [p["line"] for p in printed] == [numbers[name] for name in NAMES]
    for name, found in zip(NAMES, printed, strict=True):
        assert found["verdict"] == verdict_of(name)
        ledger = ck.loads((EXAMPLES / name / "ledger.json").read_text(), "ledger")
        plan = ck.loads((EXAMPLES / name / "plan.json").read_text(), "plan")
        assert found["decision"] == ck.to_dict(ck.check_plan(plan, ledger))
        assert set(found) == {"line", "verdict", "decision"}


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (["first-session"], 0),
        (["first-session", "soft-limit"], 3),
        (["soft-limit", "first-session", "expired"], 1),
        (["expired"], 1),
        ([], 0),
    ],
)
def test_exit_codes(
    names: list[str],
    code: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """0 when all are ALLOW, 1 when any is DENY, 3 for RENEGOTIATE without DENY."""
    got, out, err = run(
        tmp_path, [example_line(tmp_path, n) for n in names], capsys=capsys
    )
    assert got == code
    assert err == ""
    assert len(out.splitlines()) == len(names)


def test_a_step_document_stands_for_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `step` document is checked as a plan of that one step."""
    plan = ck.loads((EXAMPLES / "first-session" / "plan.json").read_text(), "plan")
    step = plan.steps[0]
    (tmp_path / "step.json").write_text(ck.dumps(step), "utf-8")
    ledger = os.path.relpath(EXAMPLES / "first-session" / "ledger.json", tmp_path)
    code, out, _ = run(tmp_path, [line(ledger, "step.json")], capsys=capsys)
    found = json.loads(out)
    real = ck.loads((EXAMPLES / "first-session" / "ledger.json").read_text(), "ledger")
    assert found["decision"] == ck.to_dict(ck.check_plan(ck.Plan(steps=[step]), real))
    assert code == EXIT[found["verdict"]]


def test_paths_are_relative_to_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from another folder, the manifest's paths still resolve beside it."""
    folder = tmp_path / "deep" / "er"
    folder.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(folder, [example_line(folder, "soft-limit")], capsys=capsys)
    assert (code, err) == (3, "")
    assert json.loads(out)["verdict"] == "renegotiate"


def test_one_line_per_item_even_with_line_separators_in_text() -> None:
    """Text with U+2028 or U+2029 in a decision is escaped: each item stays one line."""
    from consentkit._cli._many import _Item, _line  # noqa: PLC0415

    step = ck.Step(actor="ann", recipient="bo", activity="impact", intensity=2, at=AT)
    finding = ck.Finding(
        code="HOUSE1",
        rule="house",
        verdict=ck.Verdict.DENY,
        message="a cue \u2028 and \u2029 typed by someone",
    )
    decision = ck.Decision(
        verdict=ck.Verdict.DENY, step=step, findings=(finding,), basis=()
    )
    plan_decision = ck.PlanDecision(
        verdict=ck.Verdict.DENY, decisions=(decision,), findings=()
    )
    item = _Item(4, ck.Plan(steps=[step]), ck.Ledger())
    text = _line(item, plan_decision)
    assert len(text.splitlines()) == 1
    assert "\u2028" not in text
    assert "\u2029" not in text
    assert json.loads(text)["decision"] == ck.to_dict(plan_decision)


def test_jobs_give_the_same_output_as_one_process(tmp_path: Path) -> None:
    """``--jobs 2`` runs on two processes and prints exactly what one process prints."""
    lines = [example_line(tmp_path, name) for name in NAMES * 3]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("\n".join(lines) + "\n", "utf-8")

    def output(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  # our own console script
            [str(SCRIPT), "check-many", str(manifest), *extra],
            capture_output=True,
            text=True,
            check=False,
        )

    one, two = output(), output("--jobs", "2")
    assert one.returncode == two.returncode == 1
    assert one.stderr == two.stderr == ""
    assert one.stdout == two.stdout
    assert len(one.stdout.splitlines()) == len(lines)


def _write(folder: Path, name: str, text: str | bytes) -> None:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")


BAD_LINES: list[tuple[str, str, str]] = [
    ("not-json", "{ledger: 1}", "not JSON: "),
    ("not-an-object", '["ledger.json", "plan.json"]', "must be a JSON object"),
    (
        "unknown-key",
        '{"ledger": "ledger.json", "plan": "plan.json", "at": "now"}',
        "unknown key `at`",
    ),
    ("missing-key", '{"plan": "plan.json"}', "missing key `ledger`"),
    (
        "empty-path",
        '{"ledger": "", "plan": "plan.json"}',
        "ledger: must be a non-empty",
    ),
    (
        "number-path",
        '{"ledger": 3, "plan": "plan.json"}',
        "ledger: must be a non-empty",
    ),
    (
        "key-twice",
        '{"ledger": "ledger.json", "plan": "plan.json", "plan": "plan.json"}',
        "key `plan` appears twice",
    ),
    (
        "missing-file",
        '{"ledger": "nope.json", "plan": "plan.json"}',
        "nope.json: no such file or directory",
    ),
    (
        "tampered-ledger",
        '{"ledger": "tampered.json", "plan": "plan.json"}',
        "tampered.json: tampered ledger: ",
    ),
    (
        "plan-of-the-wrong-kind",
        '{"ledger": "ledger.json", "plan": "ledger.json"}',
        "ledger.json: kind: must be `plan` or `step`, got `ledger`",
    ),
    (
        "ledger-of-the-wrong-kind",
        '{"ledger": "plan.json", "plan": "plan.json"}',
        "plan.json: kind: ",
    ),
    (
        "missing-store",
        '{"store": "nope.db", "id": "ann-bo", "plan": "plan.json"}',
        "nope.db: no such store file",
    ),
    (
        "missing-store-url",
        '{"store": "sqlite:///nope.db", "id": "ann-bo", "plan": "plan.json"}',
        "nope.db: no such store file",
    ),
    (
        "unknown-id",
        '{"store": "store.db", "id": "cy-di", "plan": "plan.json"}',
        "`cy-di`",
    ),
    (
        "tampered-stored-ledger",
        '{"store": "store.db", "id": "tampered", "plan": "plan.json"}',
        "store.db `tampered`: tampered ledger: ",
    ),
    (
        "unknown-scheme",
        '{"store": "mysql://db/consent", "id": "ann-bo", "plan": "plan.json"}',
        "unknown scheme `mysql`",
    ),
    (
        "store-not-a-database",
        '{"store": "plan.json", "id": "ann-bo", "plan": "plan.json"}',
        "plan.json",
    ),
    (
        "store-and-ledger",
        '{"store": "store.db", "id": "ann-bo", "ledger": "ledger.json"}',
        "unknown key `ledger`",
    ),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding a good ledger and plan, and a tampered ledger."""
    source = EXAMPLES / "first-session"
    _write(tmp_path, "ledger.json", (source / "ledger.json").read_text("utf-8"))
    _write(tmp_path, "plan.json", (source / "plan.json").read_text("utf-8"))
    document = json.loads((source / "ledger.json").read_text("utf-8"))
    document["data"]["entries"][1]["event"]["at"] = "2026-03-06T18:00:01Z"
    _write(tmp_path, "tampered.json", json.dumps(document))
    ledger = ck.loads((source / "ledger.json").read_text("utf-8"), "ledger")
    with open_store(tmp_path / "store.db") as store:
        store.append("ann-bo", ledger, None)
        store.append("tampered", ledger, None)
    with sqlite3.connect(tmp_path / "store.db") as raw:
        raw.execute(
            "UPDATE consentkit_entries SET prev = NULL"
            " WHERE ledger_id = 'tampered' AND seq = 1"
        )
    raw.close()
    return tmp_path


@pytest.mark.parametrize(
    ("label", "bad", "problem"), BAD_LINES, ids=[b[0] for b in BAD_LINES]
)
def test_a_bad_line_is_named_and_nothing_is_printed(
    label: str,
    bad: str,
    problem: str,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bad line, among good ones, is exit 2 naming its line; stdout stays empty."""
    good = line("ledger.json", "plan.json")
    code, out, err = run(folder, [good, "", bad, good], capsys=capsys)
    assert (code, out) == (2, "")
    manifest = folder / "manifest.jsonl"
    lines = err.splitlines()
    assert lines
    assert all(text.startswith(f"{manifest}:3: ") for text in lines), err
    assert any(problem in text for text in lines), err


def test_every_bad_line_is_reported(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad line is reported, in order; a file bad for two lines, on both."""
    bad = [text for _, text, _ in BAD_LINES]
    code, out, err = run(folder, [*bad, bad[7]], capsys=capsys)
    assert (code, out) == (2, "")
    manifest = folder / "manifest.jsonl"
    numbers = [int(text.split(":")[1]) for text in err.splitlines()]
    assert sorted(set(numbers)) == list(range(1, len(bad) + 2))
    assert numbers == sorted(numbers)
    assert err.count("nope.json: no such file or directory") == 2
    assert all(text.startswith(f"{manifest}:") for text in err.splitlines())


def test_both_files_of_a_line_are_reported(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line whose ledger and plan both fail names both."""
    code, out, err = run(folder, [line("nope.json", "tampered.json")], capsys=capsys)
    assert (code, out) == (2, "")
    assert "nope.json: no such file" in err
    assert "tampered.json: kind: must be `plan` or `step`, got `ledger`" not in err
    assert "tampered.json: tampered ledger" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file or directory"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
)
def test_a_manifest_that_cannot_be_read(
    content: bytes | None,
    problem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing or undecodable manifest is exit 2 naming it."""
    manifest = tmp_path / "manifest.jsonl"
    if content is not None:
        manifest.write_bytes(content)
    code = main(["check-many", str(manifest)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith(f"{manifest}: ")
    assert problem in captured.err


@pytest.mark.parametrize(
    ("jobs", "problem"),
    [("0", "must be at least 1, got `0`"), ("-2", "at least 1"), ("two", "whole")],
)
def test_jobs_below_one_are_bad_input(
    jobs: str, problem: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--jobs`` below 1, or not a number, is exit 2 with nothing on stdout."""
    code, out, err = run(
        folder, [line("ledger.json", "plan.json")], "--jobs", jobs, capsys=capsys
    )
    assert (code, out) == (2, "")
    assert "--jobs" in err
    assert problem in err


def test_a_line_kind_is_a_row_of_the_table() -> None:
    """Each kind of line has its keys; a line is of the kind sharing most of them."""
    from consentkit._cli._many import LINE_KINDS, _kind_of  # noqa: PLC0415

    assert [sorted(kind.keys) for kind in LINE_KINDS] == [
        ["ledger", "plan"],
        ["id", "plan", "store"],
    ]
    fields: dict[str, Any] = {"store": "x", "id": "y", "plan": "z"}
    assert _kind_of(fields) is LINE_KINDS[1]
    assert _kind_of({"plan": "z"}) is LINE_KINDS[0]


def test_help_names_the_manifest_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``check-many --help`` shows the manifest's form, the exit codes, an example."""
    assert main(["check-many", "--help"]) == 0
    shown = capsys.readouterr().out
    assert '{"ledger": "ledger.json", "plan": "plan.json"}' in shown
    assert "3  no plan is DENY and some are RENEGOTIATE" in shown
    assert "consentkit check-many manifest.jsonl --jobs 4" in shown


def test_a_worker_that_dies_is_a_failure_with_nothing_printed(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the worker processes fail, exit 1 with one line on stderr, no verdicts."""
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    from consentkit._cli import _many  # noqa: PLC0415

    def broken(items: object, jobs: int) -> list[object]:
        raise BrokenProcessPool("a child process terminated abruptly")

    monkeypatch.setattr(_many, "_decide", broken)
    code, out, err = run(
        folder, [line("ledger.json", "plan.json")], "--jobs", "2", capsys=capsys
    )
    assert (code, out) == (1, "")
    assert err == (
        "consentkit check-many: a worker process failed (a child process "
        "terminated abruptly); nothing was decided\n"
    )


def test_jobs_start_that_many_processes_at_most(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--jobs 4`` asks for a pool of four processes, or fewer when fewer items."""
    import concurrent.futures  # noqa: PLC0415

    asked: list[int | None] = []

    class Recording(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, max_workers: int | None = None) -> None:
            asked.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    good = line("ledger.json", "plan.json")
    one = run(folder, [good] * 3, capsys=capsys)
    assert asked == []
    assert run(folder, [good] * 3, "--jobs", "4", capsys=capsys) == one
    assert run(folder, [good] * 6, "--jobs", "4", capsys=capsys)[0] == one[0]
    assert asked == [3, 4]


def stored(store: str, ledger_id: str, plan: str) -> str:
    """A manifest line reading its ledger from a store."""
    return json.dumps({"store": store, "id": ledger_id, "plan": plan})


def test_a_stored_ledger_is_checked_as_its_file_is(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store line gives the same decision as the line naming the ledger's file."""
    by_file = line("ledger.json", "plan.json")
    code, out, err = run(
        folder,
        [
            by_file,
            stored("store.db", "ann-bo", "plan.json"),
            stored("sqlite:///store.db", "ann-bo", "plan.json"),
            stored(f"sqlite:///{folder / 'store.db'}", "ann-bo", "plan.json"),
            stored(str(folder / "store.db"), "ann-bo", "plan.json"),
        ],
        capsys=capsys,
    )
    assert (code, err) == (EXIT[verdict_of("first-session")], "")
    printed = [json.loads(text) for text in out.splitlines()]
    assert [p["line"] for p in printed] == [1, 2, 3, 4, 5]
    assert all(p["decision"] == printed[0]["decision"] for p in printed)


def test_a_relative_store_is_found_from_the_manifest_not_the_working_folder(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite store's relative path is read from the manifest's folder."""
    inner = folder / "plans"
    inner.mkdir()
    _write(inner, "plan.json", (folder / "plan.json").read_text("utf-8"))
    monkeypatch.chdir(folder)  # where `plan.json` and `store.db` also are
    for store in ["../store.db", "sqlite:///../store.db"]:
        code, out, err = run(
            inner, [stored(store, "ann-bo", "plan.json")], capsys=capsys
        )
        assert (code, err) == (0, "")
        assert json.loads(out)["verdict"] == "allow"
    code, out, err = run(
        inner, [stored("store.db", "ann-bo", "plan.json")], capsys=capsys
    )
    assert (code, out) == (2, "")
    assert "no such store file" in err


def test_a_missing_store_is_not_created(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store line naming no file is bad input and leaves no empty store behind."""
    code, out, err = run(
        folder, [stored("new.db", "ann-bo", "plan.json")], capsys=capsys
    )
    assert (code, out) == (2, "")
    assert f"{folder / 'manifest.jsonl'}:1: " in err
    assert not (folder / "new.db").exists()


def test_store_lines_and_file_lines_mix_with_jobs(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Store lines and file lines together give the same output on two processes."""
    lines = [
        stored("store.db", "ann-bo", "plan.json"),
        line("ledger.json", "plan.json"),
    ] * 3
    one = run(folder, lines, capsys=capsys)
    two = run(folder, lines, "--jobs", "2", capsys=capsys)
    assert one == two
    assert one[0] == 0
    assert len(one[1].splitlines()) == len(lines)
