"""The laws of SPEC 3.4, as properties over generated ledgers and steps."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import consentkit as ck
import oracle
from consentkit import testing

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
LAW_EXAMPLES = 20_000 if THOROUGH else 300
ORACLE_EXAMPLES = int(
    os.environ.get("CK_ORACLE_EXAMPLES", "100000" if THOROUGH else "5000")
)
relaxed = settings(
    max_examples=LAW_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

CATALOG = ck.default_catalog()
ENGINE = ck.Engine(catalog=CATALOG)


@st.composite
def catalogs_and_cases(draw: st.DrawFn) -> tuple[ck.Catalog, ck.Ledger, ck.Step]:
    """A catalog (the default one, or a small generated one), a ledger and a step."""
    catalog = draw(
        st.one_of(st.just(CATALOG), testing.catalogs(min_size=3, max_size=10))
    )
    ledger, step = draw(testing.ledgers_and_steps(catalog=catalog))
    return catalog, ledger, step


def _late(ledger: ck.Ledger, step: ck.Step) -> datetime | None:
    """A time for a new event: after the ledger's last event, at or before the step."""
    last = ledger[-1].event.at if len(ledger) else step.at
    return None if last > step.at else max(last, step.at - timedelta(minutes=1))


def _rebuild(
    ledger: ck.Ledger, change: Callable[[ck.Terms, str], ck.Terms]
) -> ck.Ledger:
    """Replay `ledger` with each proposal's terms changed; skip what no longer fits."""
    rebuilt = ck.Ledger()
    digests: dict[str, str] = {}
    for entry in ledger:
        event = entry.event
        if isinstance(event, ck.Proposed):
            event = attrs.evolve(event, terms=change(event.terms, event.proposal_id))
            digests[event.proposal_id] = ck.digest(event.terms)
        elif isinstance(event, ck.Accepted):
            event = attrs.evolve(event, terms_digest=digests[event.proposal_id])
        try:
            rebuilt = rebuilt.append(event)
        except ck.LedgerError:
            continue  # e.g. a revocation of a grant id that no longer exists
    return rebuilt


@relaxed
@given(catalogs_and_cases(), st.data())
def test_law_1_hard_limits_dominate(
    case: tuple[ck.Catalog, ck.Ledger, ck.Step], data: st.DataObject
) -> None:
    """A step under a hard limit of a party in their role, or a house ban, is DENY."""
    catalog, ledger, step = case
    engine = ck.Engine(catalog=catalog)
    assume(step.activity in catalog)
    when = _late(ledger, step)
    assume(when is not None)
    assert when is not None
    party, role = data.draw(
        st.sampled_from(
            [
                (step.recipient, ck.Role.RECEIVE),
                (step.actor, ck.Role.GIVE),
                *((p, ck.Role.WITNESS) for p in sorted(step.present)),
            ]
        )
    )
    tags = sorted(catalog[step.activity].tags)
    by_tag = bool(tags) and data.draw(st.booleans())
    lineage = [step.activity, *catalog.ancestors(step.activity)]
    target = (
        {"tag": data.draw(st.sampled_from(tags))}
        if by_tag
        else {"activity": data.draw(st.sampled_from(lineage))}
    )
    limit = ck.Limit(party=party, kind=ck.LimitKind.HARD, roles={role}, **target)
    limited = ledger.declare_limit(by=party, limit=limit, at=when)
    assert engine.check(step, limited).verdict is ck.Verdict.DENY
    banned = ck.Engine(
        catalog=catalog,
        house=ck.HouseRules(banned_activities={step.activity.split(".")[0]}),
    )
    assert banned.check(step, ledger).verdict is ck.Verdict.DENY


@relaxed
@given(catalogs_and_cases(), st.data())
def test_law_10_risk_inheritance(
    case: tuple[ck.Catalog, ck.Ledger, ck.Step], data: st.DataObject
) -> None:
    """A hard limit reaching anything beneath the step's activity, or above it, denies.

    By tag: any tag but ``explicit_only`` carried by the activity or by any
    activity beneath it; by activity: one covering it or one it covers.  House
    bans reach the same way.
    """
    catalog, ledger, step = case
    assume(step.activity in catalog)
    when = _late(ledger, step)
    assume(when is not None)
    assert when is not None
    party, role = data.draw(
        st.sampled_from(
            [
                (step.recipient, ck.Role.RECEIVE),
                (step.actor, ck.Role.GIVE),
                *((p, ck.Role.WITNESS) for p in sorted(step.present)),
            ]
        )
    )
    beneath = [step.activity, *catalog.descendants(step.activity)]
    tags = sorted({t for a in beneath for t in catalog[a].tags} - {"explicit_only"})
    reached = [*beneath, *catalog.ancestors(step.activity)]
    by_tag = bool(tags) and data.draw(st.booleans())
    target = (
        {"tag": data.draw(st.sampled_from(tags))}
        if by_tag
        else {"activity": data.draw(st.sampled_from(reached))}
    )
    limit = ck.Limit(party=party, kind=ck.LimitKind.HARD, roles={role}, **target)
    limited = ledger.declare_limit(by=party, limit=limit, at=when)
    engine = ck.Engine(catalog=catalog)
    decision = engine.check(step, limited)
    assert decision.verdict is ck.Verdict.DENY
    assert "CK101" in decision.codes
    house = (
        ck.HouseRules(banned_tags={target["tag"]})
        if by_tag
        else ck.HouseRules(banned_activities={target["activity"]})
    )
    banned = ck.Engine(catalog=catalog, house=house).check(step, ledger)
    assert "CK115" in banned.codes


@relaxed
@given(catalogs_and_cases())
def test_law_2_default_deny(case: tuple[ck.Catalog, ck.Ledger, ck.Step]) -> None:
    """With no grants in any terms, every step is DENY."""
    catalog, ledger, step = case
    bare = _rebuild(ledger, lambda terms, _: attrs.evolve(terms, grants=()))
    decision = ck.Engine(catalog=catalog).check(step, bare)
    assert decision.verdict is ck.Verdict.DENY
    assert not decision.basis


@st.composite
def narrowed(  # noqa: PLR0911  # one return per kind of event
    draw: st.DrawFn, ledger: ck.Ledger, step: ck.Step, when: datetime
) -> ck.Ledger:
    """`ledger` with one narrowing event appended at `when` (SPEC 3.4, law 3)."""
    party = draw(st.sampled_from(sorted(step.parties)))
    kind = draw(
        st.sampled_from(
            [
                "revoke-all",
                "revoke",
                "unknown-cue",
                "cue",
                "impaired",
                "limit",
                "decline",
            ]
        )
    )
    if kind == "revoke-all":
        return ledger.revoke(by=party, at=when)
    if kind == "revoke":
        return ledger.revoke(by=party, activities={step.activity}, at=when)
    if kind == "impaired":
        other = draw(st.sampled_from(sorted(step.parties)))
        return ledger.declare_impaired(by=other, party=party, at=when)
    if kind == "limit":
        limit = ck.Limit(
            party=party,
            kind=draw(st.sampled_from(ck.LimitKind)),
            activity=step.activity,
        )
        return ledger.declare_limit(by=party, limit=limit, at=when)
    if kind == "cue":
        # A STOP or SLOW as the giver's agreement in force reads it.
        agreement = ledger.state_at(when).in_force((party,))
        cues = [
            s.cue
            for s in (agreement.terms.protocol.signals if agreement else ())
            if s.meaning is not ck.SignalMeaning.RESUME
        ]
        if cues:
            intensity = draw(st.none() | st.integers(1, 10))
            cue = draw(st.sampled_from(cues))
            return ledger.signal(by=party, cue=cue, intensity=intensity, at=when)
    if kind == "decline":
        open_ = [
            e.proposal_id
            for e in ledger.events
            if isinstance(e, ck.Proposed)
            and party in e.terms.parties
            and ledger.negotiation(e.proposal_id).status is ck.NegotiationStatus.OPEN
        ]
        if open_:
            pid = draw(st.sampled_from(open_))
            return ledger.decline(by=party, proposal_id=pid, at=when)
    return ledger.signal(by=party, cue="\u00a7no-such-cue", at=when)


@relaxed
@given(testing.ledgers_and_steps(catalog=CATALOG), st.data())
def test_law_3_monotonicity(
    case: tuple[ck.Ledger, ck.Step], data: st.DataObject
) -> None:
    """A narrowing event never turns DENY or RENEGOTIATE into ALLOW for a later step."""
    ledger, step = case
    when = _late(ledger, step)
    assume(when is not None)
    assert when is not None
    before = ENGINE.check(step, ledger)
    assume(not before.allowed)
    after = data.draw(narrowed(ledger, step, when))
    assert not ENGINE.check(step, after).allowed


def _grants(decision: ck.Decision, agreement: ck.Agreement) -> list[ck.Grant]:
    by_id = {g.id: g for g in agreement.terms.grants}
    return [by_id[i] for i in decision.basis]


@relaxed
@given(catalogs_and_cases())
def test_law_4_specificity(case: tuple[ck.Catalog, ck.Ledger, ck.Step]) -> None:
    """An ALLOW rests on exact grants, or subtrees that cross no explicit_only."""
    catalog, ledger, step = case
    decision = ck.Engine(catalog=catalog).check(step, ledger)
    assume(decision.allowed)
    agreement = ledger.state_at(step.at).selected(step.parties)
    assert agreement is not None
    for grant in _grants(decision, agreement):
        if not grant.include_subtypes:
            assert grant.activity == step.activity
            continue
        assert catalog.covers(grant.activity, step.activity)
        between = [
            a
            for a in (step.activity, *catalog.ancestors(step.activity))
            if a != grant.activity and catalog.covers(grant.activity, a)
        ]
        assert all("explicit_only" not in catalog[a].tags for a in between)


@relaxed
@given(testing.ledgers_and_steps(catalog=CATALOG))
def test_law_5_time(case: tuple[ck.Ledger, ck.Step]) -> None:
    """No ALLOW before its agreement formed, outside its window, or ending after it."""
    ledger, step = case
    decision = ENGINE.check(step, ledger)
    assume(decision.allowed)
    agreement = ledger.state_at(step.at).selected(step.parties)
    assert agreement is not None
    window = agreement.terms.window
    assert agreement.formed_at <= step.at
    assert window.start <= step.at < window.end
    assert step.at + step.duration <= window.end


@relaxed
@given(testing.ledgers_and_steps(catalog=CATALOG), st.data())
def test_law_6_stop(case: tuple[ck.Ledger, ck.Step], data: st.DataObject) -> None:
    """After p's STOP at s, nothing is ALLOW under p's earlier agreements open at s."""
    ledger, step = case
    when = _late(ledger, step)
    assume(when is not None)
    assert when is not None
    party = data.draw(st.sampled_from(sorted(step.parties)))
    stopped = ledger.signal(by=party, cue="\u00a7no-such-cue", at=when)
    decision = ENGINE.check(step, stopped)
    agreement = stopped.state_at(step.at).selected(step.parties)
    if (
        agreement is not None
        and party in agreement.parties
        and when in agreement.terms.window
    ):
        assert not decision.allowed


@relaxed
@given(testing.ledgers_and_steps(catalog=CATALOG))
def test_law_7_both_sides(case: tuple[ck.Ledger, ck.Step]) -> None:
    """When a side has a single candidate grant, removing it turns ALLOW into DENY."""
    ledger, step = case
    decision = ENGINE.check(step, ledger)
    assume(decision.allowed)
    state = ledger.state_at(step.at)
    agreement = state.selected(step.parties)
    assert agreement is not None
    context = ck.RuleContext(state, agreement, CATALOG)
    for side in ck.rules.sides(step, context):
        if len(side.candidates) != 1:
            continue
        (only,) = side.candidates

        def without(
            terms: ck.Terms, proposal_id: str, only: ck.Grant = only
        ) -> ck.Terms:
            if proposal_id != agreement.proposal_id:
                return terms
            return attrs.evolve(
                terms, grants=tuple(g for g in terms.grants if g.id != only.id)
            )

        assert ENGINE.check(step, _rebuild(ledger, without)).verdict is ck.Verdict.DENY


class _Raises:
    code = "APP1"
    name = "raises"

    def __call__(self, step: ck.Step, context: ck.RuleContext) -> Iterable[ck.Finding]:
        raise RuntimeError("boom")


@relaxed
@given(testing.ledgers_and_steps(catalog=CATALOG))
def test_law_8_fail_closed(case: tuple[ck.Ledger, ck.Step]) -> None:
    """A custom rule that raises makes every step DENY with CK900."""
    ledger, step = case
    decision = ck.Engine(rules=[_Raises()]).check(step, ledger)
    assert decision.verdict is ck.Verdict.DENY
    assert "CK900" in decision.codes


def _overlaps(steps: tuple[ck.Step, ...], index: int) -> tuple[ck.Step, ...]:
    this = steps[index]
    return tuple(
        other
        for j, other in enumerate(steps)
        if j != index and other.at <= this.at + this.duration
        and this.at <= other.at + other.duration
    )  # fmt: skip


@st.composite
def houses(draw: st.DrawFn, catalog: ck.Catalog) -> ck.HouseRules | None:
    """Mostly no house rules; sometimes a ban or two."""
    if draw(st.integers(0, 4)):
        return None
    ids = [a.id for a in catalog]
    tags = sorted({t for a in catalog for t in a.tags}) or ["explicit_only"]
    return ck.HouseRules(
        banned_activities=draw(st.sets(st.sampled_from(ids), max_size=2)),
        banned_tags=draw(st.sets(st.sampled_from(tags), max_size=1)),
    )


@st.composite
def _narrowed(draw: st.DrawFn, catalog: ck.Catalog) -> ck.Catalog:
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


@settings(
    max_examples=ORACLE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(st.data())
def test_law_9_engine_agrees_with_the_oracle(data: st.DataObject) -> None:
    """The engine and the reference evaluator agree on verdict and codes."""
    catalog = data.draw(
        st.one_of(st.just(CATALOG), testing.catalogs(min_size=3, max_size=10)),
        label="catalog",
    )
    ledger = data.draw(testing.ledgers(catalog=catalog), label="ledger")
    plan = data.draw(testing.plans(ledger=ledger, catalog=catalog, max_size=3))
    # Now and then the engine knows fewer activities than the terms were
    # written against (another catalog version): limits on what it lacks
    # must fail closed (CK117) and steps on it are CK100.
    catalog = data.draw(_narrowed(catalog), label="engine catalog")
    house = data.draw(houses(catalog), label="house")
    engine = ck.Engine(catalog=catalog, house=house)
    events = ledger.events
    decisions = engine.check_plan(plan, ledger).decisions
    for index, (step, decision) in enumerate(zip(plan.steps, decisions, strict=True)):
        verdict, codes = oracle.decide(
            events, step, catalog, house, _overlaps(plan.steps, index)
        )
        assert (decision.verdict.value, frozenset(decision.codes)) == (
            verdict,
            codes,
        ), (
            step,
            decision.explain(),
        )
        if len(plan.steps) == 1:
            alone = engine.check(step, ledger)
            assert alone == decision
