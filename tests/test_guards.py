"""Rules' guards (`FunctionRule.quiet`) skip rules only where they cannot report.

The engine asks each rule's guard once per situation (the agreement selected
for the step's parties, the state's position) and skips the rules whose
guards hold; ``Engine(_guarded=False)`` runs every rule on every step.  The
two must always agree, and each built-in guard must be sound on its own.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import testing
from consentkit._events import Event
from consentkit._state import situation
from consentkit.rules import DEFAULT_RULES, FunctionRule, RuleContext
from consentkit.rules._overlaps import PlanOverlaps
from helpers import (
    CLIENT,
    DROP,
    GREEN,
    MISTRESS,
    YELLOW,
    at,
    hard,
    pair,
    protocol,
    scene,
    soft,
    step,
)

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
#: Generated cases for the differential properties (thousands in CI).
GUARD_EXAMPLES = int(
    os.environ.get("CK_GUARD_EXAMPLES", "100000" if THOROUGH else "2000")
)
many = settings(
    max_examples=GUARD_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
some = settings(
    max_examples=max(1, GUARD_EXAMPLES // 8),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

CATALOG = ck.default_catalog()
#: One guarded engine shared by every example, so that what its guards said
#: is kept across ledgers, positions and ledgers grown after a check.
SHARED = ck.Engine(catalog=CATALOG)
GUARDED = tuple(r for r in DEFAULT_RULES if r.quiet is not None)


# -- generated cases (as law 9 draws them) -----------------------------------


@st.composite
def houses(draw: st.DrawFn, catalog: ck.Catalog) -> ck.HouseRules | None:
    """Mostly no house rules; sometimes empty ones, or a ban or two."""
    if draw(st.integers(0, 4)):
        return None
    ids = [a.id for a in catalog]
    tags = sorted({t for a in catalog for t in a.tags}) or ["explicit_only"]
    return ck.HouseRules(
        banned_activities=draw(st.sets(st.sampled_from(ids), max_size=2)),
        banned_tags=draw(st.sets(st.sampled_from(tags), max_size=1)),
    )


@st.composite
def narrowed(draw: st.DrawFn, catalog: ck.Catalog) -> ck.Catalog:
    """Mostly `catalog` itself; sometimes it without a few of its leaves."""
    if draw(st.integers(0, 3)):
        return catalog
    parents = {a.id.rpartition(".")[0] for a in catalog}
    leaves = [a.id for a in catalog if a.id not in parents]
    if len(leaves) < 2:
        return catalog
    most = min(3, len(leaves) - 1)
    dropped = draw(st.sets(st.sampled_from(leaves), min_size=1, max_size=most))
    return ck.Catalog(
        name=catalog.name,
        version=catalog.version,
        activities=[a for a in catalog if a.id not in dropped],
    )


@attrs.frozen
class Case:
    """A ledger, a plan that matters to it, and the engine's catalog and house."""

    ledger: ck.Ledger
    plan: ck.Plan
    catalog: ck.Catalog
    house: ck.HouseRules | None


@st.composite
def scene_events(draw: st.DrawFn, ledger: ck.Ledger, plan: ck.Plan) -> ck.Ledger:
    """`ledger` with, just before a step of `plan`, what its parties do in the scene.

    Signals of the protocol in force (a SLOW now and then with a cap, then a
    RESUME...), confirmations and impairments: the sequences a ledger drawn
    at random seldom puts right before a step.  They go in among the
    ledger's events, at the step's time or before it.
    """
    for planned in plan.steps:
        agreement = ledger.state_at(planned.at).in_force(planned.parties)
        if agreement is not None:
            break
    else:
        return ledger
    events = ledger.events
    before = [e for e in events if e.at <= planned.at]
    start = max(before[-1].at, agreement.terms.window.start)
    signals = agreement.terms.protocol.signals
    cues = {
        meaning: [s.cue for s in signals if s.meaning is meaning] or ["?"]
        for meaning in ck.SignalMeaning
    }
    every = [s.cue for s in signals] or ["?"]
    span = int((planned.at - start).total_seconds())
    offsets = draw(st.lists(st.integers(0, span), min_size=1, max_size=5))
    parties = sorted(planned.parties)
    scene: list[Event] = []
    for offset in sorted(offsets):
        when = start + timedelta(seconds=offset)
        by = draw(st.sampled_from(parties))
        kind = draw(st.integers(0, 7))
        if kind == 0:
            scene.append(ck.Confirmed(by=by, activity=planned.activity, at=when))
        elif kind == 1:
            party = draw(st.sampled_from(parties))
            scene.append(ck.ImpairmentDeclared(by=by, party=party, at=when))
        else:
            # Mostly a SLOW with a cap or a RESUME; now and then any cue.
            meaning = (ck.SignalMeaning.SLOW, ck.SignalMeaning.RESUME)[kind % 2]
            cue = draw(st.sampled_from(cues[meaning] if kind < 7 else every))
            intensity = draw(st.integers(1, 10) | st.none())
            scene.append(ck.SignalGiven(by=by, cue=cue, at=when, intensity=intensity))
    try:
        return ck.Ledger().extend([*before, *scene, *events[len(before) :]])
    except ck.LedgerError:  # a later event the scene made impossible
        return ledger


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Law 9's cases: catalog, ledger, plan, a narrowed catalog, house rules.

    In a third of the ledgers, the parties of a step act out the scene
    just before it (`scene_events`).
    """
    catalog = draw(
        st.one_of(st.just(CATALOG), testing.catalogs(min_size=3, max_size=10)),
        label="catalog",
    )
    ledger = draw(testing.ledgers(catalog=catalog), label="ledger")
    plan = draw(testing.plans(ledger=ledger, catalog=catalog, max_size=4))
    if not draw(st.integers(0, 2)):
        ledger = draw(scene_events(ledger, plan), label="with a scene")
    catalog = draw(narrowed(catalog), label="engine catalog")
    return Case(ledger, plan, catalog, draw(houses(catalog), label="house"))


def probes(plan: ck.Plan, catalog: ck.Catalog) -> Iterator[ck.Step]:
    """Each step of `plan`, and variants of it in the same situation or near it.

    The same parties and time on another activity, at another intensity and
    duration, and a second later (mostly the same position in the ledger).
    """
    ids = [a.id for a in catalog]
    for index, planned in enumerate(plan.steps):
        yield planned
        yield attrs.evolve(
            planned,
            activity=ids[index * 7 % len(ids)],
            intensity=11 - planned.intensity,
            duration=timedelta(minutes=90),
        )
        yield attrs.evolve(planned, at=planned.at + timedelta(seconds=1))


# -- 1, 2. the guarded engine agrees with the unguarded one; guards are sound --


def assert_same_answers(
    guarded: ck.Engine,
    unguarded: ck.Engine,
    plan: ck.Plan,
    ledger: ck.Ledger,
    *,
    envelopes: int = 1,
) -> None:
    """`check_plan`, `check` of each step and `envelope` agree, guarded or not.

    `check` also sees steps in the same situations as the plan's (`probes`),
    after them, as a guard's answer kept from one step serves the next.
    """
    assert guarded.check_plan(plan, ledger) == unguarded.check_plan(plan, ledger)
    for planned in probes(plan, guarded.catalog):
        assert guarded.check(planned, ledger) == unguarded.check(planned, ledger)
    for planned in plan.steps[:envelopes]:
        args = (ledger, planned.actor, planned.recipient, planned.at)
        assert guarded.envelope(*args) == unguarded.envelope(*args)


def contexts(
    engine: ck.Engine, plan: ck.Plan, ledger: ck.Ledger
) -> Iterator[tuple[ck.Step, RuleContext, tuple[object, ...]]]:
    """Each probe step with its context, built as `Engine._run` builds it in a plan.

    With each, the situation the engine keeps guard answers under.
    """
    steps = tuple(probes(plan, engine.catalog))
    steps = tuple(sorted(steps, key=lambda s: s.at))
    overlaps = PlanOverlaps(steps, engine.catalog)
    for position, probe in enumerate(steps):
        state = ledger.state_at(probe.at)
        history, fact = situation(state, probe.parties)
        context = RuleContext(
            state,
            None if fact is None else fact.agreement,
            engine.catalog,
            functools.partial(overlaps.overlapping, position),
            engine.house,
            engine._index,  # the engine's own tables, as it passes them
            taken=functools.partial(overlaps.taken, position),
        ).for_step(probe)
        yield probe, context, (id(history), id(fact), state.k)


def assert_guards_sound(
    engine: ck.Engine,
    plan: ck.Plan,
    ledger: ck.Ledger,
    rules: Iterable[FunctionRule] = GUARDED,
) -> None:
    """Where a rule's guard holds the rule finds nothing; one answer a situation."""
    said: dict[tuple[object, ...], dict[str, bool]] = {}
    for probe, context, where in contexts(engine, plan, ledger):
        answers = said.setdefault(where, {})
        for rule in rules:
            assert rule.quiet is not None
            quiet = rule.quiet(context)
            assert answers.setdefault(rule.code, quiet) == quiet, (rule.code, probe)
            if quiet:
                assert not list(rule(probe, context)), (rule.code, probe)


@many
@given(cases())
def test_guards_are_sound_and_change_no_answer(case: Case) -> None:
    """Skipping the rules whose guards hold changes no decision, plan or envelope.

    And each built-in guard is sound by itself: when it holds, its rule finds
    nothing, for the plan's steps and others in the same situation.
    """
    guarded = ck.Engine(catalog=case.catalog, house=case.house)
    unguarded = ck.Engine(catalog=case.catalog, house=case.house, _guarded=False)
    assert_same_answers(guarded, unguarded, case.plan, case.ledger)
    assert_guards_sound(guarded, case.plan, case.ledger)


@some
@given(st.data())
def test_guards_answers_kept_across_ledgers_and_growth(data: st.DataObject) -> None:
    """One engine's kept guard answers stay right as a ledger grows after a check.

    The shared engine has checked many ledgers before; a ledger checked,
    then grown (sharing its history with the shorter one), is checked again
    at the same times and later, and the shorter one once more.
    """
    full = data.draw(testing.ledgers(catalog=CATALOG), label="full ledger")
    cut = data.draw(st.integers(0, len(full)), label="cut")
    plan = data.draw(testing.plans(ledger=full, catalog=CATALOG, max_size=4))
    unguarded = ck.Engine(catalog=CATALOG, _guarded=False)
    short = ck.Ledger().extend(full.events[:cut])
    before = SHARED.check_plan(plan, short)
    assert_same_answers(SHARED, unguarded, plan, short, envelopes=0)
    grown = short.extend(full.events[cut:])
    assert grown == full
    assert_same_answers(SHARED, unguarded, plan, grown)
    # A check at each new event's time, where the shorter ledger was checked
    # at positions the grown one now reads past.
    moments = [attrs.evolve(plan.steps[0], at=e.at) for e in full.events[cut:]]
    if moments:
        later = ck.Plan(steps=moments)
        assert SHARED.check_plan(later, grown) == unguarded.check_plan(later, grown)
    assert SHARED.check_plan(plan, short) == before


# -- 3. the comparison can fail; guards do skip rules ------------------------


def denies(code: str) -> Callable[[ck.Step, RuleContext], Iterable[ck.Finding]]:
    """A rule's function that refuses every step, under `code`."""

    def function(_step: ck.Step, _context: RuleContext) -> Iterable[ck.Finding]:
        return (
            ck.Finding(
                code=code, rule="always", verdict=ck.Verdict.DENY, message="refused"
            ),
        )

    return function


ALLOWED_SCENE = scene(grants=pair("impact.spanking"))
SPANKING = step("impact.spanking", 3, minutes=10)


def test_an_unsound_guard_is_caught() -> None:
    """A guard quiet while its rule reports: the engines disagree, soundness fails."""
    liar = FunctionRule("X1", "always", denies("X1"), quiet=lambda _context: True)
    guarded = ck.Engine(rules=[liar])
    unguarded = ck.Engine(rules=[liar], _guarded=False)
    plan = ck.Plan(steps=[SPANKING])
    assert guarded.check(SPANKING, ALLOWED_SCENE).verdict is ck.Verdict.ALLOW
    assert unguarded.check(SPANKING, ALLOWED_SCENE).codes == ("X1",)
    assert guarded.check_plan(plan, ALLOWED_SCENE) != unguarded.check_plan(
        plan, ALLOWED_SCENE
    )
    with pytest.raises(AssertionError):
        assert_same_answers(guarded, unguarded, plan, ALLOWED_SCENE)
    with pytest.raises(AssertionError):
        assert_guards_sound(guarded, plan, ALLOWED_SCENE, [liar])
    assert_guards_sound(guarded, plan, ALLOWED_SCENE)


def called(engine: ck.Engine) -> set[str]:
    """Make `engine` record the code of every rule it calls, into the set returned."""
    seen: set[str] = set()

    def recording(code: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            seen.add(code)
            return call(*args)

        return run

    calls = engine._calls  # what the engine runs, observed
    engine._calls = tuple(
        (rule, recording(rule.code, call), trusted) for rule, call, trusted in calls
    )
    return seen


def codes_called(
    ledger: ck.Ledger,
    planned: ck.Step,
    *,
    house: ck.HouseRules | None = None,
    guarded: bool = True,
) -> set[str]:
    """The codes of the rules a fresh engine calls to check `planned`."""
    engine = ck.Engine(house=house, _guarded=guarded)
    seen = called(engine)
    engine.check(planned, ledger)
    return seen


ALL_CODES = {r.code for r in DEFAULT_RULES}


def test_without_guards_every_rule_runs() -> None:
    """With the guards off, every built-in rule is called for every step."""
    assert codes_called(ALLOWED_SCENE, SPANKING, guarded=False) == ALL_CODES
    assert codes_called(ck.Ledger(), SPANKING, guarded=False) == ALL_CODES


def test_a_plain_scene_runs_only_the_rules_that_can_report() -> None:
    """No limits, house, impairment, SLOW or authority: their rules are skipped."""
    ran = codes_called(ALLOWED_SCENE, SPANKING)
    assert ran.isdisjoint({"CK101", "CK117", "CK201"})  # no limits anywhere
    assert "CK115" not in ran  # no house rules
    assert ran.isdisjoint({"CK103", "CK104", "CK108"})  # an agreement runs
    assert ran.isdisjoint({"CK109", "CK110", "CK113", "CK114", "CK202"})
    assert "CK102" not in ran  # nobody revoked anything
    assert {"CK100", "CK105", "CK112", "CK116"} <= ran


def test_a_revocation_wakes_ck102() -> None:
    """CK102 runs once someone has revoked something, and only then."""
    revoked = ALLOWED_SCENE.revoke(by=CLIENT, at=at(1), activities={"restraint"})
    assert "CK102" in codes_called(revoked, step("impact.spanking", at=at(2)))


def test_empty_house_rules_skip_ck115_and_a_ban_runs_it() -> None:
    """CK115 runs only when the house bans something."""
    assert "CK115" not in codes_called(ALLOWED_SCENE, SPANKING, house=ck.HouseRules())
    banned = ck.HouseRules(banned_activities={"restraint"})
    assert "CK115" in codes_called(ALLOWED_SCENE, SPANKING, house=banned)


def test_limits_wake_the_limit_rules() -> None:
    """A limit runs CK101, a soft one CK201; CK117 when the catalog lacks its target."""
    limited = scene(grants=pair("impact.spanking"), limits=[hard("restraint")])
    ran = codes_called(limited, SPANKING)
    assert "CK101" in ran
    assert "CK201" not in ran  # no soft limit anywhere
    assert "CK117" not in ran
    softly = scene(grants=pair("impact.spanking"), limits=[soft("restraint")])
    assert {"CK101", "CK201"} <= codes_called(softly, SPANKING)
    unknown = scene(grants=pair("impact.spanking"), limits=[soft("sounding")])
    assert "CK117" in codes_called(unknown, SPANKING)


def test_no_agreement_skips_the_rules_of_the_agreement_in_force() -> None:
    """With no agreement, only the rules that say why (and standing limits) run."""
    ran = codes_called(ck.Ledger(), SPANKING)
    assert {"CK100", "CK103", "CK104", "CK108"} <= ran
    assert ran.isdisjoint({"CK102", "CK105", "CK106", "CK107", "CK203", "CK116"})
    assert ran.isdisjoint({"CK101", "CK117", "CK201"})
    standing = ck.Ledger().declare_limit(by=CLIENT, limit=soft("sounding"), at=at(-9))
    ran = codes_called(standing, SPANKING)
    assert {"CK101", "CK117"} <= ran  # standing limits bind without an agreement
    assert "CK201" not in ran  # soft ones wait for an agreement in force


def test_scene_events_wake_their_rules() -> None:
    """An impairment, a SLOW (its cap after the RESUME), a STOP lost, an authority."""
    impaired = ALLOWED_SCENE.declare_impaired(by=MISTRESS, party=CLIENT, at=at(1))
    assert "CK109" in codes_called(impaired, step("impact.spanking", at=at(2)))
    slowed = ALLOWED_SCENE.signal(by=CLIENT, cue=YELLOW.cue, at=at(1), intensity=4)
    assert {"CK114", "CK202"} <= codes_called(slowed, step("impact.spanking", at=at(2)))
    # A SLOW's cap outlives the RESUME (SPEC 2): CK114 still runs, and reports.
    resumed = slowed.signal(by=CLIENT, cue=GREEN.cue, at=at(2))
    harder = step("impact.spanking", 5, at=at(3))
    assert "CK114" in codes_called(resumed, harder)
    assert ck.Engine().check(harder, resumed).codes == ("CK114",)
    dropped = scene(grants=pair("impact.spanking"), protocol=protocol(signals=[DROP]))
    assert "CK111" in codes_called(dropped, SPANKING)
    silent = scene(grants=pair("impact.spanking"), protocol=protocol(signals=[]))
    assert "CK110" in codes_called(silent, SPANKING)
    held = protocol(authority=[ck.Authority(holder=MISTRESS, subject=CLIENT)])
    ruled = scene(grants=pair("impact.spanking"), protocol=held)
    assert "CK113" in codes_called(ruled, SPANKING)


def test_each_guard_is_asked_once_per_situation() -> None:
    """Steps in one situation share the guard's answer; a new event asks again."""
    asked: list[int] = []

    def quiet(context: RuleContext) -> bool:
        asked.append(context.state.k)
        return True

    counted = FunctionRule("X2", "counted", denies("X2"), quiet=quiet)
    engine = ck.Engine(rules=[counted])
    ledger = scene(grants=pair("impact.spanking"))
    engine.check(SPANKING, ledger)
    engine.check(step("impact.flogging", at=at(5)), ledger)
    assert asked == [3]
    grown = ledger.signal(by=CLIENT, cue=YELLOW.cue, at=at(6))  # the same history
    engine.check(step("impact.spanking", at=at(7)), grown)
    engine.check(SPANKING, grown)  # the position checked before it grew
    assert asked == [3, 4]


# -- 4. a guard that raises skips nothing -------------------------------------


def test_a_guard_that_raises_does_not_skip_its_rule() -> None:
    """The rule runs and answers for itself; the guard's error is no finding."""

    def broken(_context: RuleContext) -> bool:
        raise RuntimeError("guard failed")

    reporting = FunctionRule("X3", "always", denies("X3"), quiet=broken)
    decision = ck.Engine(rules=[reporting]).check(SPANKING, ALLOWED_SCENE)
    assert decision.codes == ("X3",)
    silent = FunctionRule("X4", "never", lambda _s, _c: (), quiet=broken)
    decision = ck.Engine(rules=[silent]).check(SPANKING, ALLOWED_SCENE)
    assert decision.verdict is ck.Verdict.ALLOW
    assert not decision.findings


def test_a_guard_of_the_wrong_kind_does_not_skip_its_rule() -> None:
    """A `quiet` that is not callable is no guard: the rule runs."""

    class Odd:
        code, name, quiet = "X5", "odd", "yes"

        def __call__(self, step: ck.Step, context: RuleContext) -> Sequence[ck.Finding]:
            return tuple(denies("X5")(step, context))

    assert ck.Engine(rules=[Odd()]).check(SPANKING, ALLOWED_SCENE).codes == ("X5",)
