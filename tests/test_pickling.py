"""Records, ledgers, catalogs and engines survive pickle and deepcopy (SPEC 3.5)."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
from collections.abc import Hashable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import consentkit as ck
from consentkit import testing
from consentkit.rules import DEFAULT_RULES, RuleContext

T = TypeVar("T")

#: Every protocol SPEC 3.5 names: 2 to 5.
PROTOCOLS = tuple(range(2, pickle.HIGHEST_PROTOCOL + 1))
AT = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)


def copies(value: T) -> list[T]:
    """`value` through pickle by each protocol, and through deepcopy."""
    found: list[T] = [
        pickle.loads(pickle.dumps(value, protocol=protocol))  # noqa: S301  # our own bytes
        for protocol in PROTOCOLS
    ]
    found.append(copy.deepcopy(value))
    return found


class LateNights:
    """A custom rule, defined at module level so that it pickles."""

    code = "HOUSE1"
    name = "late-nights"

    def __call__(self, step: ck.Step, context: RuleContext) -> Iterable[ck.Finding]:
        """Ask to renegotiate an intense step after 22:00."""
        if step.at.hour >= 22 and step.intensity >= 5:
            yield ck.Finding(
                code=self.code,
                rule=self.name,
                verdict=ck.Verdict.RENEGOTIATE,
                message="intense steps after 22:00 need a word first",
            )


def test_protocols_are_two_to_five() -> None:
    """The tests below cover every protocol SPEC 3.5 names."""
    assert PROTOCOLS == (2, 3, 4, 5)


@pytest.mark.parametrize("name", testing.__all__)
@given(data=st.data())
def test_every_strategy_round_trips_through_pickle_and_deepcopy(
    name: str, data: st.DataObject
) -> None:
    """Each value `consentkit.testing` draws comes back equal, of the same type.

    A signing key is the one exception (SPEC 8.1): it refuses to be pickled.
    """
    if name == "receipts":
        strategy = testing.ledgers(min_events=1, max_events=6).flatmap(testing.receipts)
    else:
        strategy = getattr(testing, name)()
    value = data.draw(strategy, label=name)
    if name == "signing_keys":
        with pytest.raises(TypeError):
            pickle.dumps(value)
        return
    for copied in copies(value):
        assert type(copied) is type(value)
        assert copied == value
        if isinstance(value, Hashable):
            assert hash(copied) == hash(value)


@given(testing.ledgers(min_events=1))
def test_a_ledger_comes_back_with_every_entry(ledger: ck.Ledger) -> None:
    """An unpickled ledger holds the same entries, agreements and negotiations."""
    for copied in copies(ledger):
        assert list(copied) == list(ledger)
        assert copied.agreements() == ledger.agreements()
        for entry in ledger:
            if isinstance(entry.event, ck.Proposed):
                proposal = entry.event.proposal_id
                assert copied.negotiation(proposal) == ledger.negotiation(proposal)
        copied.verify()


@given(testing.ledgers_and_steps(), st.data())
def test_warm_caches_are_never_pickled(
    case: tuple[ck.Ledger, ck.Step], data: st.DataObject
) -> None:
    """Checks that warm a ledger's caches change nothing in what it pickles to."""
    ledger, step = case
    engine = ck.Engine()
    before = pickle.dumps(ledger)
    plan = data.draw(testing.plans(ledger=ledger))
    expected = (engine.check(step, ledger), engine.check_plan(plan, ledger))
    engine.envelope(ledger, step.actor, step.recipient, step.at)
    for agreement in ledger.agreements():
        hash(agreement)
    assert pickle.dumps(ledger) == before
    for copied in copies(ledger):
        assert copied == ledger
        assert (engine.check(step, copied), engine.check_plan(plan, copied)) == expected


def test_an_agreement_hashed_here_hashes_right_in_another_process(
    tmp_path: Path,
) -> None:
    """A hash cached in one process is not carried to another (string hashes differ)."""
    terms = ck.Terms(
        parties={"ann", "bo"},
        window=ck.Window(start=AT, end=AT + timedelta(hours=2)),
        grants=(),
        protocol=ck.Protocol(signals=()),
    )
    agreement = ck.Agreement(
        proposal_id="p1",
        terms=terms,
        formed_at=AT,
        accepted={"ann": AT, "bo": AT},
    )
    hash(agreement.accepted)  # cached here, under this process's string hashes
    path = tmp_path / "agreement.pickle"
    path.write_bytes(pickle.dumps(agreement))
    code = (
        "import attrs, pickle, sys; "
        "a = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "b = attrs.evolve(a, accepted=dict(a.accepted)); "
        "assert a == b and hash(a.accepted) == hash(b.accepted) and a in {b}"
    )
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(  # noqa: S603  # our own interpreter and code
            [sys.executable, "-c", code, str(path)], env=environment, check=False
        )
        assert done.returncode == 0


@given(testing.ledgers(min_events=1), st.data())
def test_an_unpickled_ledger_appends_and_is_checked_like_the_original(
    ledger: ck.Ledger, data: st.DataObject
) -> None:
    """A copy, whole or of an older prefix, grows alike and decides alike."""
    events = ledger.events
    cut = data.draw(st.integers(0, len(events)), label="cut")
    older = ck.Ledger().extend(events[:cut])
    newer = older.extend(events[cut:])  # `older` now sees part of a longer history
    step = data.draw(testing.steps(ledger=ledger), label="step")
    plan = data.draw(testing.plans(ledger=ledger), label="plan")
    engine = ck.Engine()
    expected = (engine.check(step, ledger), engine.check_plan(plan, ledger))
    for copied in copies(older):
        assert copied == older
        assert len(copied) == cut
        grown = copied.extend(events[cut:])
        assert list(grown) == list(ledger)
        assert (engine.check(step, grown), engine.check_plan(plan, grown)) == expected
    for copied in copies(newer):
        assert copied == ledger
        assert (engine.check(step, copied), engine.check_plan(plan, copied)) == expected


@given(testing.ledgers(), testing.events())
def test_an_unpickled_ledger_refuses_what_the_original_refuses(
    ledger: ck.Ledger, event: Any
) -> None:
    """An event is recorded, or refused by the same rule, by copy and original alike."""

    def outcome(target: ck.Ledger) -> tuple[str, object]:
        try:
            return ("recorded", list(target.append(event)))
        except ck.LedgerError as error:
            return ("refused", (error.rule, str(error)))

    expected = outcome(ledger)
    for copied in copies(ledger):
        assert outcome(copied) == expected
    assert outcome(ledger) == expected  # the copies changed nothing


def test_a_copy_and_its_original_grow_apart() -> None:
    """Appending to a copy leaves the original as it was, and the other way round."""
    original = ck.Ledger().confirm(by="ann", activity="impact", at=AT)
    copied = copy.deepcopy(original)
    mine = copied.confirm(by="bo", activity="impact", at=AT + timedelta(minutes=1))
    theirs = original.confirm(by="cy", activity="impact", at=AT + timedelta(minutes=2))
    assert len(original) == len(copied) == 1
    assert mine[1].event.by == "bo"
    assert theirs[1].event.by == "cy"
    assert mine != theirs


@given(testing.catalogs())
def test_an_unpickled_catalog_answers_every_lookup_alike(catalog: ck.Catalog) -> None:
    """A catalog's lookup tables are rebuilt where it lands, giving the same answers."""
    for copied in copies(catalog):
        assert copied == catalog
        assert copied.tags == catalog.tags
        for activity in catalog:
            key = activity.id
            assert copied[key] == activity
            assert copied.risk_tags(key) == catalog.risk_tags(key)
            assert copied.required_equipment(key) == catalog.required_equipment(key)
            assert copied.explicit_barrier(key) == catalog.explicit_barrier(key)
            assert copied.descendants(key) == catalog.descendants(key)


def test_the_default_catalog_pickles_by_reference() -> None:
    """The very default catalog comes back as itself; an equal copy of it by value."""
    default = ck.default_catalog()
    for copied in copies(default):
        assert copied is default
        assert copied == default
    assert len(pickle.dumps(default)) < 100
    twin = ck.Catalog(
        name=default.name, version=default.version, activities=default.activities
    )
    for copied in copies(twin):
        assert copied is not default
        assert copied == twin == default
        assert copied.risk_tags("impact") == default.risk_tags("impact")


def test_an_unpickled_default_catalog_is_the_default_of_another_process() -> None:
    """In a fresh process, the default catalog unpickles as that process's own."""
    code = (
        "import pickle, sys, consentkit as ck; "
        "found = pickle.loads(sys.stdin.buffer.read()); "
        "print(found is ck.default_catalog(), found.name, len(found))"
    )
    done = subprocess.run(  # noqa: S603  # this Python, our own code
        [sys.executable, "-c", code],
        input=pickle.dumps(ck.default_catalog()),
        capture_output=True,
        check=True,
    )
    default = ck.default_catalog()
    assert done.stdout.decode().split() == ["True", default.name, str(len(default))]


def test_the_default_engine_pickles_by_reference() -> None:
    """An engine like the default one comes back as the shared default engine."""
    from consentkit._engine import default_engine  # noqa: PLC0415

    step = ck.Step(actor="a", recipient="b", activity="impact", intensity=3, at=AT)
    for engine in (ck.Engine(), ck.Engine(catalog=ck.default_catalog())):
        for copied in copies(engine):
            assert copied is default_engine()
            assert copied.check(step, ck.Ledger()) == engine.check(step, ck.Ledger())
    own = ck.Engine(
        catalog=ck.Catalog(
            name="default", version=1, activities=ck.default_catalog().activities
        )
    )
    others = [ck.Engine(house=ck.HouseRules(banned_tags={"breath"})), own]
    for engine in others:
        for copied in copies(engine):
            assert copied is not default_engine()
            assert copied.catalog == engine.catalog
            assert copied.house == engine.house
    assert copies(others[0])[0].catalog is ck.default_catalog()


def test_built_in_rules_pickle_by_reference() -> None:
    """Each built-in rule comes back as the very same rule, by every protocol."""
    for rule in DEFAULT_RULES:
        for protocol in PROTOCOLS:
            assert pickle.loads(pickle.dumps(rule, protocol=protocol)) is rule  # noqa: S301
        assert copy.deepcopy(rule) is rule


def test_a_function_rule_of_ones_own_pickles_by_value() -> None:
    """A `FunctionRule` that is not a built-in one pickles as its fields."""
    own = ck.rules.FunctionRule("MINE1", "mine", _quiet)
    for copied in copies(own):
        assert copied == own
        assert copied is not own


def _quiet(step: ck.Step, context: RuleContext) -> Iterable[ck.Finding]:
    return ()


@given(st.data())
def test_an_unpickled_engine_gives_the_same_answers(data: st.DataObject) -> None:
    """An engine with its catalog, house rules and a custom rule decides alike."""
    catalog = data.draw(testing.catalogs(), label="catalog")
    house = data.draw(testing.house_rules(catalog=catalog), label="house")
    engine = ck.Engine(catalog=catalog, rules=[LateNights()], house=house)
    ledger, step = data.draw(testing.ledgers_and_steps(catalog=catalog), label="case")
    plan = data.draw(testing.plans(ledger=ledger, catalog=catalog), label="plan")
    late = attrs.evolve(step, at=step.at.replace(hour=23), intensity=9)
    expected = [engine.check(s, ledger) for s in (step, late)]
    expected_plan = engine.check_plan(plan, ledger)
    envelope = engine.envelope(ledger, step.actor, step.recipient, step.at)
    assert any(f.code == "HOUSE1" for f in expected[1].findings)
    for copied in copies(engine):
        assert copied.catalog == catalog
        assert copied.house == house
        assert [type(rule) for rule in copied.rules] == [LateNights]
        assert [copied.check(s, ledger) for s in (step, late)] == expected
        assert copied.check_plan(plan, ledger) == expected_plan
        assert copied.envelope(ledger, step.actor, step.recipient, step.at) == envelope


def test_an_engine_pickles_the_same_before_and_after_checks() -> None:
    """What an engine derives for speed is not part of what it pickles to."""
    engine = ck.Engine(house=ck.HouseRules(banned_tags={"breath"}))
    before = pickle.dumps(engine)
    step = ck.Step(actor="a", recipient="b", activity="impact", intensity=3, at=AT)
    engine.check(step, ck.Ledger())
    assert pickle.dumps(engine) == before


def test_an_engine_whose_rule_cannot_pickle_refuses_to_pickle() -> None:
    """A custom rule that cannot travel stops the engine from travelling without it."""

    class Local:
        code, name = "LOCAL1", "local"

        def __call__(self, step: ck.Step, context: RuleContext) -> Iterable[ck.Finding]:
            return ()

    engine = ck.Engine(rules=[Local()])
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(engine)
