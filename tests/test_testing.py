"""The strategies of `consentkit.testing` generate valid values, and useful ones."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from datetime import timedelta, timezone
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import testing
from consentkit.rules import CODES

T = TypeVar("T")

CATALOG = ck.Catalog(
    name="tiny",
    version=3,
    activities=(
        ck.Activity(id="impact", label="Impact"),
        ck.Activity(id="impact.spanking", label="Spanking"),
        ck.Activity(id="impact.spanking.hand", label="Hand"),
        ck.Activity(id="impact.crop", label="Crop", tags={"leaves_marks"}),
        ck.Activity(id="bondage", label="Bondage"),
        ck.Activity(
            id="bondage.rope",
            label="Rope",
            tags={"restrains_hands"},
            requires={"safety_shears"},
        ),
        ck.Activity(id="bondage.gag", label="Gag", tags={"impairs_speech"}),
        ck.Activity(
            id="bondage.hood",
            label="Hood",
            tags={"explicit_only", "impairs_vision"},
        ),
        ck.Activity(id="service", label="Service"),
    ),
)
POOL = ("ann", "bo", "cy", "di")
PARTIES = st.sampled_from(POOL)
ACTIVITY_ID = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


def sample(strategy: st.SearchStrategy[T], count: int = 200) -> list[T]:
    """Draw `count` values, the same ones on every run, for statistics."""
    drawn: list[T] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(strategy)
    def collect(value: T) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_hypothesis_is_not_a_runtime_dependency() -> None:
    """Importing consentkit leaves hypothesis out; the module says how to get it."""
    code = "import sys, consentkit; sys.exit('hypothesis' in sys.modules)"
    # Our own interpreter running our own code: nothing untrusted.
    done = subprocess.run([sys.executable, "-c", code], check=False)  # noqa: S603
    assert done.returncode == 0
    assert "pip install consentkit[testing]" in (testing.__doc__ or "")


def test_every_strategy_is_exported() -> None:
    """The module's public names are its strategies, sorted."""
    assert testing.__all__ == sorted(testing.__all__)
    for name in testing.__all__:
        assert callable(getattr(testing, name))


@given(testing.party_ids())
def test_party_ids_are_valid(party: str) -> None:
    """Party ids are non-empty, short, trimmed and accepted by records."""
    assert 0 < len(party) <= 128
    assert party == party.strip()
    assert ck.Spotter(party=party).party == party


@given(testing.activity_ids())
def test_activity_ids_are_dotted_paths(activity: str) -> None:
    """Activity ids are dotted lowercase paths at most four levels deep."""
    assert ACTIVITY_ID.fullmatch(activity)
    assert activity.count(".") < 4


@given(testing.times())
def test_times_are_aware_utc(moment: Any) -> None:
    """Times are timezone-aware and in UTC."""
    assert moment.tzinfo is timezone.utc


def test_times_are_mostly_whole_seconds() -> None:
    """Most times are whole seconds; some carry microseconds."""
    fractions = [t.microsecond != 0 for t in sample(testing.times())]
    assert 0 < sum(fractions) < len(fractions) / 2


@given(testing.windows(min_length=timedelta(hours=1), max_length=timedelta(hours=2)))
def test_windows_respect_their_bounds(window: ck.Window) -> None:
    """Windows last between the bounds asked for."""
    assert timedelta(hours=1) <= window.end - window.start <= timedelta(hours=2)


@given(testing.catalogs())
def test_catalogs_are_closed_and_shallow(catalog: ck.Catalog) -> None:
    """Catalogs hold every ancestor of their activities, at most four levels deep."""
    assert 1 <= len(catalog) <= 12
    for activity in catalog:
        assert activity.id.count(".") < 4
        assert all(parent in catalog for parent in catalog.ancestors(activity.id))


def test_catalogs_carry_the_tags_rules_read() -> None:
    """Generated catalogs often carry the tags and equipment that rules read."""
    catalogs = sample(testing.catalogs())
    for tag in ("explicit_only", "impairs_speech", "restrains_hands", "impairs_vision"):
        assert any(catalog.tagged(tag) for catalog in catalogs), tag
    assert any(a.requires for catalog in catalogs for a in catalog)


RECORDS: list[tuple[str, st.SearchStrategy[Any], type | tuple[type, ...]]] = [
    ("activities", testing.activities(), ck.Activity),
    ("catalogs", testing.catalogs(), ck.Catalog),
    ("house_rules", testing.house_rules(catalog=CATALOG), ck.HouseRules),
    ("limits", testing.limits(), ck.Limit),
    (
        "conditions",
        testing.conditions(),
        (
            ck.CheckInWithin,
            ck.NonverbalSignal,
            ck.MaxDuration,
            ck.Equipment,
            ck.Spotter,
            ck.ConfirmFirst,
        ),
    ),
    ("grants", testing.grants(), ck.Grant),
    ("signals", testing.signals(), ck.Signal),
    ("aftercares", testing.aftercares(), ck.Aftercare),
    ("authorities", testing.authorities(), ck.Authority),
    ("protocols", testing.protocols(), ck.Protocol),
    ("windows", testing.windows(), ck.Window),
    ("terms", testing.terms(), ck.Terms),
    ("proposals", testing.proposals(), ck.Proposed),
    ("acceptances", testing.acceptances(), ck.Accepted),
    ("declines", testing.declines(), ck.Declined),
    ("withdrawals", testing.withdrawals(), ck.Withdrawn),
    ("confirmations", testing.confirmations(), ck.Confirmed),
    ("revocations", testing.revocations(), ck.Revoked),
    ("limit_declarations", testing.limit_declarations(), ck.LimitDeclared),
    ("limit_lifts", testing.limit_lifts(), ck.LimitLifted),
    ("signals_given", testing.signals_given(), ck.SignalGiven),
    (
        "impairment_declarations",
        testing.impairment_declarations(),
        ck.ImpairmentDeclared,
    ),
    ("impairment_clearances", testing.impairment_clearances(), ck.ImpairmentCleared),
    ("steps", testing.steps(), ck.Step),
    ("plans", testing.plans(), ck.Plan),
    ("entries", testing.entries(), ck.Entry),
    ("agreements", testing.agreements(), ck.Agreement),
    ("negotiations", testing.negotiations(), ck.Negotiation),
    ("findings", testing.findings(), ck.Finding),
    ("decisions", testing.decisions(), ck.Decision),
    ("plan_decisions", testing.plan_decisions(), ck.PlanDecision),
    ("allowances", testing.allowances(), ck.Allowance),
]


@pytest.mark.parametrize(
    ("strategy", "kind"),
    [pytest.param(s, k, id=name) for name, s, k in RECORDS],
)
@settings(max_examples=30)
@given(data=st.data())
def test_records_are_valid(
    strategy: st.SearchStrategy[Any], kind: type | tuple[type, ...], data: st.DataObject
) -> None:
    """Each record strategy builds records that pass their own validation again."""
    record = data.draw(strategy)
    assert attrs.evolve(record) == record
    assert isinstance(record, kind)


@given(testing.events())
def test_events_are_valid(event: Any) -> None:
    """`events()` draws every kind of event, each a valid record."""
    assert attrs.evolve(event) == event


@given(testing.proposals(parties=PARTIES, catalog=CATALOG))
def test_proposers_are_parties_of_their_terms(proposal: ck.Proposed) -> None:
    """A generated proposal's proposer is a party of its terms."""
    assert proposal.by in proposal.terms.parties


@given(testing.limit_declarations(parties=PARTIES))
def test_limits_declared_are_the_declarers_own(event: ck.LimitDeclared) -> None:
    """A generated limit declaration declares the declaring party's own limit."""
    assert event.limit.party == event.by


@given(testing.impairment_clearances(parties=PARTIES))
def test_clearances_are_by_someone_else(event: ck.ImpairmentCleared) -> None:
    """A generated clearance is given by someone other than the party cleared."""
    assert event.by != event.party


def _activities_of(terms: ck.Terms) -> set[str]:
    named = {g.activity for g in terms.grants}
    named |= {lim.activity for lim in terms.limits if lim.activity is not None}
    for authority in terms.protocol.authority:
        named |= set(authority.scope or ())
    return named


@given(testing.terms(parties=PARTIES, catalog=CATALOG))
def test_terms_draw_from_the_pools_given(terms: ck.Terms) -> None:
    """Terms name only parties of the pool and activities of the catalog."""
    assert 2 <= len(terms.parties) <= 4
    assert terms.parties <= set(POOL)
    assert _activities_of(terms) <= {a.id for a in CATALOG}
    assert (terms.catalog, terms.catalog_version) == ("tiny", 3)


def test_terms_pair_grants() -> None:
    """Most terms hold a GIVE and a RECEIVE grant of two parties on one activity."""
    paired = 0
    drawn = sample(testing.terms(parties=PARTIES, catalog=CATALOG))
    for terms in drawn:
        gives = {(g.party, g.activity) for g in terms.grants if g.role is ck.Role.GIVE}
        paired += any(
            g.role is ck.Role.RECEIVE and (p, g.activity) in gives and p != g.party
            for g in terms.grants
            for p in terms.parties
        )
    assert paired > len(drawn) * 3 / 4


@given(testing.ledgers(catalog=CATALOG, parties=PARTIES, max_events=20))
def test_ledgers_keep_every_rule(ledger: ck.Ledger) -> None:
    """Generated ledgers verify, replay through the rules and never go back in time."""
    ledger.verify()
    assert len(ledger) <= 20
    assert ck.Ledger._from_entries(list(ledger)) == ledger
    times = [entry.event.at for entry in ledger]
    assert times == sorted(times)
    assert {event.by for event in ledger.events} <= set(POOL)
    for event in ledger.events:
        if isinstance(event, ck.Proposed):
            assert _activities_of(event.terms) <= {a.id for a in CATALOG}


def test_ledgers_are_varied() -> None:
    """Generated ledgers hold every kind of event, and events at the same instant."""
    ledgers = sample(testing.ledgers(catalog=CATALOG, min_events=5))
    kinds = {type(event) for ledger in ledgers for event in ledger.events}
    assert kinds == {
        ck.Proposed,
        ck.Accepted,
        ck.Declined,
        ck.Withdrawn,
        ck.Confirmed,
        ck.Revoked,
        ck.LimitDeclared,
        ck.LimitLifted,
        ck.SignalGiven,
        ck.ImpairmentDeclared,
        ck.ImpairmentCleared,
    }
    same_instant = sum(
        any(a.event.at == b.event.at for a, b in itertools.pairwise(ledger))
        for ledger in ledgers
    )
    assert same_instant > len(ledgers) / 4
    statuses = {
        ledger.negotiation(event.proposal_id).status
        for ledger in ledgers
        for event in ledger.events
        if isinstance(event, ck.Proposed)
    }
    assert statuses == set(ck.NegotiationStatus)


def test_agreements_form_in_many_ledgers() -> None:
    """A good share of generated ledgers hold at least one agreement."""
    ledgers = sample(testing.ledgers(catalog=CATALOG, min_events=8))
    agreed = [ledger for ledger in ledgers if ledger.agreements()]
    assert len(agreed) > len(ledgers) / 2


def _allowed(case: tuple[ck.Ledger, ck.Step]) -> bool:
    ledger, step = case
    return ck.Engine(catalog=CATALOG).check(step, ledger).allowed


def test_steps_are_relevant_to_their_ledger() -> None:
    """Steps drawn for a ledger mostly fall under an agreement; many are allowed."""
    cases = sample(testing.ledgers_and_steps(catalog=CATALOG, min_events=8))
    with_agreements = [(led, s) for led, s in cases if led.agreements()]
    selected = [
        (led, s) for led, s in with_agreements if led.state_at(s.at).selected(s.parties)
    ]
    assert len(selected) > len(with_agreements) / 2
    assert sum(map(_allowed, cases)) > len(cases) / 8


@given(testing.plans())
def test_plans_are_in_time_order(plan: ck.Plan) -> None:
    """Plans hold their steps in time order."""
    times = [step.at for step in plan.steps]
    assert times == sorted(times)


@given(st.data())
def test_plans_for_a_ledger_involve_its_parties(data: st.DataObject) -> None:
    """Given a ledger, each step of a plan involves one of the ledger's parties."""
    ledger = data.draw(testing.ledgers(catalog=CATALOG, parties=PARTIES, min_events=1))
    plan = data.draw(testing.plans(ledger=ledger, catalog=CATALOG, max_size=3))
    for step in plan.steps:
        assert step.parties & set(POOL)


@given(testing.decisions())
def test_decisions_are_coherent(decision: ck.Decision) -> None:
    """A decision's verdict is its worst finding's, with a basis only for ALLOW."""
    verdicts = [f.verdict for f in decision.findings if f.verdict is not None]
    expected = max(verdicts, key=lambda v: v.severity, default=ck.Verdict.ALLOW)
    assert decision.verdict is expected
    assert bool(decision.basis) == decision.allowed


def test_findings_cover_every_registered_code_as_registered() -> None:
    """Findings draw each code of the rules' registry, with its name and verdict."""
    drawn = sample(testing.findings(), count=400)
    assert {f.code for f in drawn} == set(CODES)
    for finding in drawn:
        name, verdict, _ = CODES[finding.code]
        assert (finding.rule, finding.verdict) == (name, verdict)


@given(testing.findings(codes=st.sampled_from(["CK250", "CK350", "HOUSE1"])))
def test_findings_under_a_code_of_ones_own_take_its_series(finding: ck.Finding) -> None:
    """A code the registry lacks is a `custom` rule's, its verdict by its series."""
    expected = {
        "CK250": ck.Verdict.RENEGOTIATE,
        "CK350": None,
        "HOUSE1": ck.Verdict.DENY,
    }
    assert (finding.rule, finding.verdict) == ("custom", expected[finding.code])
