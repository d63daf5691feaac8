"""The rough edges a new user hits: clear errors and conveniences (SPEC 7)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import attrs
import pytest

import consentkit as ck
from consentkit import (
    Accepted,
    Grant,
    LedgerError,
    Limit,
    LimitKind,
    Plan,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    TamperedLedger,
)
from consentkit._cli import main
from consentkit._events import _Event
from consentkit._history import History
from helpers import CLIENT, at, pair, scene, step

ROOT = Path(__file__).parent.parent
LEDGER = ROOT / "examples" / "first-session" / "ledger.json"


def test_enum_values_are_accepted_where_enums_are_expected() -> None:
    """`role="give"` and `roles=["give"]` mean the members, as lists mean sets."""
    grant = Grant(id="g", party="a", role="give", activity="impact")
    assert grant.role is Role.GIVE
    limit = Limit(party="a", kind="hard", tag="heat", roles=["witness"])
    assert limit.kind is LimitKind.HARD
    assert limit.roles == {Role.WITNESS}
    signal = Signal(cue="red", kind="verbal", meaning="stop")
    assert (signal.kind, signal.meaning) == (SignalKind.VERBAL, SignalMeaning.STOP)


def test_a_wrong_enum_value_names_the_enum() -> None:
    """A value that is no member says which enum was expected and its values."""
    with pytest.raises(ck.InvalidRecord) as error:
        Grant(id="g", party="a", role="gift", activity="impact")
    assert error.value.field == "role"
    assert "must be a `Role` (one of `give`, `receive`, `witness`)" in str(error.value)


_WRONG: dict[str, tuple[Callable[[Any, Any], object], str]] = {
    "plan to check": (
        lambda ledger, one: ck.check(cast("Any", Plan(steps=[one])), ledger),
        "check: expected a `Step`; use `check_plan`",
    ),
    "swapped": (
        ck.check,
        "check: expected a `Step`; got a `Ledger`",
    ),
    "no ledger": (
        lambda _, one: ck.check(one, one),
        "check: expected a `Ledger`, got a `Step`",
    ),
    "list to check_plan": (
        lambda ledger, one: ck.check_plan(cast("Any", [one]), ledger),
        "check_plan: expected a `Plan`; got a `list`: build one",
    ),
    "step to check_plan": (
        lambda ledger, one: ck.check_plan(one, ledger),
        "check_plan: expected a `Plan`; use `check` for a `Step`",
    ),
    "envelope": (
        lambda _, one: ck.envelope(one, "a", "b", at(0)),
        "envelope: expected a `Ledger`",
    ),
    "append": (
        lambda ledger, one: ledger.append(one),
        "append: expected an event, got a `Step`",
    ),
    "state_at": (
        lambda ledger, _: ledger.state_at("now"),
        "state_at: expected a datetime",
    ),
}


@pytest.mark.parametrize("case", sorted(_WRONG))
def test_wrong_kinds_of_argument_are_type_errors(case: str) -> None:
    """A public function given the wrong kind of argument says what it expected."""
    call, message = _WRONG[case]
    with pytest.raises(TypeError, match=re.escape(message)):
        call(scene(grants=pair("impact.crop")), step("impact.crop"))


def test_naive_times_are_refused_clearly() -> None:
    """A naive time given to `envelope` or `state_at` names the function."""
    naive = datetime(2026, 3, 6, 20, 0)  # noqa: DTZ001  # naive on purpose
    with pytest.raises(ValueError, match="envelope: at: must be timezone-aware"):
        ck.envelope(ck.Ledger(), "a", "b", naive)
    with pytest.raises(ValueError, match="state_at: at: must be timezone-aware"):
        ck.Ledger().state_at(naive)


def test_terms_digest_must_be_a_digest() -> None:
    """`Accepted.terms_digest` is `sha256:` and 64 lowercase hex digits."""
    with pytest.raises(ck.InvalidRecord) as error:
        Accepted(at=at(0), by="a", proposal_id="p1", terms_digest="abc")
    assert error.value.field == "terms_digest"
    schema = ck.json_schema("event")
    assert "sha256:[0-9a-f]{64}" in json.dumps(schema)


def test_ledger_errors_write_times_as_documents_do() -> None:
    """A time-order error writes both times ending in Z."""
    ledger = scene()
    with pytest.raises(LedgerError) as error:
        ledger.declare_impaired(by=CLIENT, party=CLIENT, at=at(-120))
    assert "`2026-03-06T18:00:00Z` is before the last event" in str(error.value)
    assert "+00:00" not in str(error.value)


def test_a_tampered_entry_is_named_by_its_json_path() -> None:
    """`loads` of a tampered ledger names the entry as `data.entries[N]`."""
    document = json.loads(LEDGER.read_text("utf-8"))
    document["data"]["entries"][0]["event"]["by"] = "mallory"
    with pytest.raises(TamperedLedger) as error:
        ck.loads(json.dumps(document))
    assert str(error.value).startswith("data.entries[0]: ")
    assert error.value.seq == 0
    assert error.value.path == "data.entries[0]"


def test_a_step_past_the_year_9999_names_duration_s() -> None:
    """The decoder names the key a document has: `duration_s`."""
    data = json.loads(ck.dumps(step("impact.crop")))
    data["data"]["at"] = "9999-12-31T23:00:00Z"
    data["data"]["duration_s"] = 7200
    with pytest.raises(ck.DecodeError) as error:
        ck.loads(json.dumps(data))
    assert error.value.problems == (
        ("data.duration_s", "must end before the year 10000"),
    )


def test_verify_head_catches_a_cut_off_tail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`verify --head` fails unless the ledger still holds the head last seen."""
    ledger = ck.loads(LEDGER.read_text("utf-8"), kind="ledger")
    assert main(["verify", str(LEDGER), "--head", str(ledger.head)]) == 0
    assert "ends at the expected head" in capsys.readouterr().out
    shorter = ck.Ledger().extend(ledger.events[:-1])
    cut = tmp_path / "cut.json"
    cut.write_text(ck.dumps(shorter), encoding="utf-8")
    assert main(["verify", str(cut), "--head", str(ledger.head)]) == 1
    assert "is not in this ledger" in capsys.readouterr().err
    assert main(["verify", str(LEDGER), "--head", str(shorter.head)]) == 0
    assert "1 entries after it" in capsys.readouterr().out


def test_version_is_public(capsys: pytest.CaptureFixture[str]) -> None:
    """`consentkit.__version__` and `consentkit --version` give the version."""
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", ck.__version__)
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"consentkit {ck.__version__}"


def test_dir_shows_only_public_names() -> None:
    """`dir(consentkit)` lists the public names, not the loader's machinery."""
    names = dir(ck)
    assert set(ck.__all__) <= set(names)
    assert not [n for n in names if n.startswith("_") and n != "__version__"]
    assert "importlib" not in names


def test_unknown_schema_kind_lists_the_kinds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`consentkit schema ledgers` says which kinds there are."""
    assert main(["schema", "ledgers"]) == 2
    err = capsys.readouterr().err
    assert "unknown kind `ledgers`; kinds: ledger, terms" in err


def test_readme_links_are_absolute_and_resolve() -> None:
    """README links work on the package index page: absolute, to files that exist."""
    text = (ROOT / "README.md").read_text("utf-8")
    links = re.findall(r"\]\(([^)]+)\)", text)
    base = "https://github.com/consentkit/consentkit/blob/main/"
    assert links
    for link in links:
        assert link.startswith("https://"), link
        if link.startswith(base):
            assert (ROOT / link.removeprefix(base).split("#")[0]).exists(), link


@attrs.frozen(kw_only=True)
class _Mystery(_Event):
    """An event type the history does not know."""


def test_an_unknown_event_type_is_never_applied_as_another() -> None:
    """An event type no branch names is refused, not treated as a known one."""
    mystery = _Mystery(at=datetime(2026, 1, 1, tzinfo=timezone.utc), by="a")
    with pytest.raises(TypeError, match="append: expected an event"):
        ck.Ledger().append(mystery)  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="unhandled event `_Mystery`"):
        History().apply(mystery)  # type: ignore[arg-type]


def test_default_durations_still_read() -> None:
    """A step without duration reads as an instant (no regression)."""
    assert step("impact.crop").duration == timedelta(0)
