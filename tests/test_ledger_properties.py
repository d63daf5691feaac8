"""Ledger properties: tampering, refused events, negotiations and `state_at`.

Tampering with entries is caught; an event breaking a rule changes nothing;
agreements form exactly when the negotiation rules say; and `state_at` sees
exactly the events at or before its time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import consentkit as ck
from consentkit import testing
from consentkit._events import Event
from consentkit._ledger import verify_entries

CATALOG = ck.Catalog(
    name="tiny",
    version=1,
    activities=(
        ck.Activity(id="impact", label="Impact"),
        ck.Activity(id="impact.spanking", label="Spanking"),
        ck.Activity(id="impact.crop", label="Crop", tags={"leaves_marks"}),
        ck.Activity(id="bondage", label="Bondage"),
        ck.Activity(id="bondage.gag", label="Gag", tags={"impairs_speech"}),
        ck.Activity(
            id="bondage.hood", label="Hood", tags={"explicit_only", "impairs_vision"}
        ),
    ),
)
POOL = ("ann", "bo", "cy")
PARTIES = st.sampled_from(POOL)
OUTSIDER = "zed"  # never a party of anything generated here
T0 = datetime(2030, 5, 1, 20, 0, tzinfo=timezone.utc)
#: Examples per property: a quarter of the profile's (25 by default).
EXAMPLES = max(10, settings().max_examples // 4)

LEDGERS = testing.ledgers(catalog=CATALOG, parties=PARTIES, max_events=20)
FILLED = testing.ledgers(catalog=CATALOG, parties=PARTIES, min_events=2, max_events=15)


# -- (a) tampering -----------------------------------------------------------------


def _edits(event: Event) -> list[Event]:
    """Events differing from `event` in one field."""
    edited: list[Event] = [
        attrs.evolve(event, at=event.at + timedelta(microseconds=1)),
        attrs.evolve(event, by=event.by + "x"),
    ]
    for field in attrs.fields(type(event)):
        value = getattr(event, field.name)
        if isinstance(value, str) and field.name not in {"by", "terms_digest"}:
            changes: dict[str, Any] = {field.name: value + "x"}
            edited.append(attrs.evolve(event, **changes))
    if isinstance(event, ck.Proposed):
        window = event.terms.window
        later = attrs.evolve(window, end=window.end + timedelta(seconds=1))
        edited.append(
            attrs.evolve(event, terms=attrs.evolve(event.terms, window=later))
        )
    return edited


def _assert_tampered(entries: list[ck.Entry], first_bad: int) -> None:
    with pytest.raises(ck.TamperedLedger) as caught:
        verify_entries(entries)
    assert caught.value.seq == first_bad
    with pytest.raises(ck.TamperedLedger) as caught:
        ck.Ledger._from_entries(entries)
    assert caught.value.seq == first_bad


def _index(data: st.DataObject, entries: list[ck.Entry], *, last: bool = True) -> int:
    return data.draw(st.integers(0, len(entries) - (1 if last else 2)))


@settings(max_examples=EXAMPLES)
@given(ledger=FILLED, data=st.data())
def test_an_edited_event_is_caught(ledger: ck.Ledger, data: st.DataObject) -> None:
    """Editing any field of an entry's event breaks the chain at that entry."""
    entries = list(ledger)
    i = _index(data, entries)
    edited = data.draw(st.sampled_from(_edits(entries[i].event)))
    entries[i] = attrs.evolve(entries[i], event=edited)
    _assert_tampered(entries, i)


@settings(max_examples=EXAMPLES)
@given(ledger=FILLED, data=st.data())
def test_swapped_entries_are_caught(ledger: ck.Ledger, data: st.DataObject) -> None:
    """Swapping two entries breaks the chain at the first of them."""
    entries = list(ledger)
    i, j = sorted(
        data.draw(
            st.lists(
                st.integers(0, len(entries) - 1), min_size=2, max_size=2, unique=True
            )
        )
    )
    entries[i], entries[j] = entries[j], entries[i]
    _assert_tampered(entries, i)


@settings(max_examples=EXAMPLES)
@given(ledger=FILLED, data=st.data())
def test_a_dropped_entry_is_caught(ledger: ck.Ledger, data: st.DataObject) -> None:
    """Dropping an entry but the last breaks the chain where it was."""
    # Without its last entry a ledger is a valid shorter one: comparing `head`
    # tells a receiver that its copy is not current.
    entries = list(ledger)
    i = _index(data, entries, last=False)
    del entries[i]
    _assert_tampered(entries, i)


@settings(max_examples=EXAMPLES)
@given(ledger=FILLED, data=st.data())
def test_a_duplicated_entry_is_caught(ledger: ck.Ledger, data: st.DataObject) -> None:
    """Inserting a copy of an entry anywhere breaks the chain."""
    entries = list(ledger)
    i = _index(data, entries)
    j = data.draw(st.integers(0, len(entries)))
    entries.insert(j, entries[i])
    _assert_tampered(entries, j + 1 if i == j else j)


@pytest.mark.parametrize("field", ["prev", "digest", "seq"])
@settings(max_examples=EXAMPLES)
@given(ledger=FILLED, data=st.data())
def test_a_changed_link_is_caught(
    field: str, ledger: ck.Ledger, data: st.DataObject
) -> None:
    """Changing an entry's `prev`, `digest` or `seq` breaks the chain at that entry."""
    entries = list(ledger)
    i = _index(data, entries)
    entry = entries[i]
    other = "sha256:" + "0" * 64
    choices: list[Any]
    flipped = entry.digest[:-1] + ("1" if entry.digest[-1] == "0" else "0")
    if field == "prev":
        choices = [other] if entry.prev is None else [None, other, entry.digest]
    elif field == "digest":
        choices = [other, entry.prev or other, flipped]
    else:
        choices = [entry.seq + 1, entry.seq - 1] if entry.seq else [entry.seq + 1]
    entries[i] = attrs.evolve(entry, **{field: data.draw(st.sampled_from(choices))})
    _assert_tampered(entries, i)


def test_an_entry_checks_its_own_fields() -> None:
    """An entry with a malformed position or digest is refused at construction."""
    entry = next(iter(ck.Ledger().declare_impaired(by="a", party="b", at=T0)))
    cases: tuple[tuple[str, Any], ...] = (
        ("seq", -1),
        ("digest", entry.digest + "0"),
        ("prev", "x"),
    )
    for field, bad in cases:
        with pytest.raises(ck.InvalidRecord) as caught:
            attrs.evolve(entry, **{field: bad})
        assert caught.value.field == field


# -- (b) refused appends -----------------------------------------------------------


def _now(ledger: ck.Ledger) -> datetime:
    return ledger[-1].event.at if len(ledger) else T0


def _proposals(ledger: ck.Ledger) -> dict[str, ck.Proposed]:
    return {e.proposal_id: e for e in ledger.events if isinstance(e, ck.Proposed)}


def _status(ledger: ck.Ledger, pid: str) -> ck.NegotiationStatus:
    return ledger.negotiation(pid).status


def _terms(data: st.DataObject, parties: tuple[str, ...], at: datetime) -> ck.Terms:
    window = ck.Window(start=at, end=at + timedelta(hours=3))
    return data.draw(
        testing.terms(
            parties=st.sampled_from(parties),
            catalog=CATALOG,
            windows=st.just(window),
            min_parties=len(parties),
            max_parties=len(parties),
        )
    )


def _fresh_id(ledger: ck.Ledger) -> str:
    taken = _proposals(ledger)
    return next(f"q{n}" for n in itertools.count(1) if f"q{n}" not in taken)


def _sober(ledger: ck.Ledger, party: str) -> ck.Ledger:
    """`party` cleared of any impairment (by someone else)."""
    if ledger.state_at(_now(ledger)).is_impaired(party):
        by = next(p for p in POOL if p != party)
        return ledger.clear_impaired(by=by, party=party, at=_now(ledger))
    return ledger


def _open(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, str]:
    """The ledger and an OPEN proposal in it (a new one when none or by chance)."""
    open_ = [
        p for p in _proposals(ledger) if _status(ledger, p) is ck.NegotiationStatus.OPEN
    ]
    pick = bool(open_) and data.draw(st.booleans())
    if pick:
        return ledger, data.draw(st.sampled_from(open_))
    parties = tuple(data.draw(st.lists(PARTIES, min_size=2, max_size=3, unique=True)))
    pid = _fresh_id(ledger)
    terms = _terms(data, parties, _now(ledger))
    return ledger.propose(
        by=parties[0], terms=terms, at=_now(ledger), proposal_id=pid
    ), pid


def _closed(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, str]:
    """The ledger and a proposal agreed, declined, withdrawn or superseded."""
    closed = [
        p
        for p in _proposals(ledger)
        if _status(ledger, p) is not ck.NegotiationStatus.OPEN
    ]
    pick = bool(closed) and data.draw(st.booleans())
    if pick:
        return ledger, data.draw(st.sampled_from(closed))
    ledger, pid = _open(data, ledger)
    proposal = _proposals(ledger)[pid]
    parties = sorted(proposal.terms.parties)
    at = _now(ledger)
    how = data.draw(st.sampled_from(["agree", "decline", "withdraw", "supersede"]))
    if how == "agree":
        for party in parties:
            ledger = _sober(ledger, party)
        for party in ledger.negotiation(pid).pending:
            ledger = ledger.accept(by=party, proposal_id=pid, at=at)
    elif how == "decline":
        ledger = ledger.decline(by=parties[-1], proposal_id=pid, at=at)
    elif how == "withdraw":
        ledger = ledger.withdraw(by=proposal.by, proposal_id=pid, at=at)
    else:
        terms = _terms(data, tuple(parties), at)
        ledger = ledger.propose(
            by=proposal.by,
            terms=terms,
            at=at,
            proposal_id=_fresh_id(ledger),
            supersedes=pid,
        )
    return ledger, pid


Case = Callable[[st.DataObject, ck.Ledger], tuple[ck.Ledger, Event]]


def time_goes_backwards(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """An event timed before the last one."""
    if not len(ledger):
        ledger = ledger.declare_impaired(by="ann", party="bo", at=T0)
    before = st.just(_now(ledger) - timedelta(seconds=data.draw(st.integers(1, 3600))))
    return ledger, data.draw(
        st.one_of(
            testing.signals_given(parties=PARTIES, times=before),
            testing.impairment_declarations(parties=PARTIES, times=before),
            testing.confirmations(parties=PARTIES, catalog=CATALOG, times=before),
        )
    )


def proposer_not_a_party(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A proposal by someone who is not a party of its terms."""
    terms = _terms(data, ("ann", "bo"), _now(ledger))
    return ledger, ck.Proposed(
        at=_now(ledger), by=OUTSIDER, proposal_id=_fresh_id(ledger), terms=terms
    )


def duplicate_proposal_id(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A proposal reusing the id of an earlier one."""
    ledger, pid = data.draw(st.sampled_from([_open, _closed]))(data, ledger)
    terms = _terms(data, ("ann", "cy"), _now(ledger))
    return ledger, ck.Proposed(at=_now(ledger), by="ann", proposal_id=pid, terms=terms)


def supersedes_unknown(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A proposal superseding a proposal that does not exist."""
    terms = _terms(data, ("ann", "bo"), _now(ledger))
    return ledger, ck.Proposed(
        at=_now(ledger),
        by="bo",
        proposal_id=_fresh_id(ledger),
        terms=terms,
        supersedes="nowhere",
    )


def supersedes_by_non_party(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A proposal superseding one its proposer is not a party of."""
    ledger, pid = data.draw(st.sampled_from([_open, _closed]))(data, ledger)
    terms = ck.Terms(
        parties={OUTSIDER, "ann"},
        window=ck.Window(start=T0, end=T0 + timedelta(hours=1)),
        grants=(),
        protocol=ck.Protocol(signals=()),
    )
    return ledger, ck.Proposed(
        at=_now(ledger),
        by=OUTSIDER,
        proposal_id=_fresh_id(ledger),
        terms=terms,
        supersedes=pid,
    )


def _acceptance(
    ledger: ck.Ledger, pid: str, by: str, digest: str | None = None
) -> ck.Accepted:
    terms = _proposals(ledger)[pid].terms
    return ck.Accepted(
        at=_now(ledger), by=by, proposal_id=pid, terms_digest=digest or ck.digest(terms)
    )


def accept_unknown(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, Event]:
    """An acceptance of a proposal that does not exist."""
    return ledger, ck.Accepted(
        at=_now(ledger),
        by="ann",
        proposal_id="nowhere",
        terms_digest="sha256:" + "0" * 64,
    )


def accept_closed(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, Event]:
    """An acceptance of a proposal no longer open."""
    ledger, pid = _closed(data, ledger)
    by = data.draw(st.sampled_from(sorted(_proposals(ledger)[pid].terms.parties)))
    return ledger, _acceptance(ledger, pid, by)


def accept_by_non_party(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """An acceptance by someone who is not a party of the terms."""
    ledger, pid = _open(data, ledger)
    outside = [
        p for p in (*POOL, OUTSIDER) if p not in _proposals(ledger)[pid].terms.parties
    ]
    return ledger, _acceptance(ledger, pid, data.draw(st.sampled_from(outside)))


def accept_twice(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, Event]:
    """A second acceptance by a party whose first one counted."""
    parties = tuple(data.draw(st.lists(PARTIES, min_size=2, max_size=3, unique=True)))
    pid = _fresh_id(ledger)
    ledger = ledger.propose(
        by=parties[0],
        terms=_terms(data, parties, _now(ledger)),
        at=_now(ledger),
        proposal_id=pid,
    )
    first = data.draw(st.sampled_from(parties))
    ledger = _sober(ledger, first).accept(by=first, proposal_id=pid, at=_now(ledger))
    return ledger, _acceptance(ledger, pid, first)


def accept_wrong_digest(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """An acceptance of terms other than the proposal's."""
    ledger, pid = _open(data, ledger)
    by = data.draw(st.sampled_from(sorted(ledger.negotiation(pid).pending)))
    other = _terms(data, ("ann", "bo"), _now(ledger) + timedelta(days=1))
    wrong = data.draw(st.sampled_from([ck.digest(other), "sha256:" + "0" * 64]))
    return ledger, _acceptance(ledger, pid, by, wrong)


def decline_closed(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, Event]:
    """A decline of a proposal no longer open."""
    ledger, pid = _closed(data, ledger)
    by = data.draw(st.sampled_from(sorted(_proposals(ledger)[pid].terms.parties)))
    return ledger, ck.Declined(at=_now(ledger), by=by, proposal_id=pid)


def decline_by_non_party(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A decline by someone who is not a party of the terms."""
    ledger, pid = _open(data, ledger)
    outside = [
        p for p in (*POOL, OUTSIDER) if p not in _proposals(ledger)[pid].terms.parties
    ]
    by = data.draw(st.sampled_from(outside))
    return ledger, ck.Declined(at=_now(ledger), by=by, proposal_id=pid)


def withdraw_unknown(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, Event]:
    """A withdrawal of a proposal that does not exist."""
    return ledger, ck.Withdrawn(at=_now(ledger), by="ann", proposal_id="nowhere")


def withdraw_by_non_proposer(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A withdrawal by a party who did not propose."""
    ledger, pid = _open(data, ledger)
    proposal = _proposals(ledger)[pid]
    by = data.draw(st.sampled_from(sorted(proposal.terms.parties - {proposal.by})))
    return ledger, ck.Withdrawn(at=_now(ledger), by=by, proposal_id=pid)


def withdraw_closed(data: st.DataObject, ledger: ck.Ledger) -> tuple[ck.Ledger, Event]:
    """A withdrawal of a proposal no longer open."""
    ledger, pid = _closed(data, ledger)
    return ledger, ck.Withdrawn(
        at=_now(ledger), by=_proposals(ledger)[pid].by, proposal_id=pid
    )


def revoke_unknown_grant(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A revocation of a grant id the revoker has nowhere."""
    by = data.draw(st.sampled_from((*POOL, OUTSIDER)))
    grants = (
        {"no-such-grant", *data.draw(st.sets(st.sampled_from(["g1", "g2"])))}
        if by == OUTSIDER
        else {"no-such-grant"}
    )
    return ledger, ck.Revoked(at=_now(ledger), by=by, grants=grants)


def revoke_someone_elses_grant(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A revocation of another party's grant."""
    pid = _fresh_id(ledger)
    terms = _terms(data, ("ann", "bo"), _now(ledger))
    grant = ck.Grant(id="theirs", party="bo", role=ck.Role.RECEIVE, activity="impact")
    terms = attrs.evolve(terms, grants=(*terms.grants, grant))
    ledger = ledger.propose(by="ann", terms=terms, at=_now(ledger), proposal_id=pid)
    narrowed = data.draw(st.sampled_from([pid, None]))
    return ledger, ck.Revoked(
        at=_now(ledger), by="ann", grants={"theirs"}, proposal_id=narrowed
    )


def revoke_own_grant_in_another_proposal(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A revocation narrowed to a proposal that lacks a grant id another one holds."""
    grant = ck.Grant(id="mine", party="ann", role=ck.Role.RECEIVE, activity="impact")
    holding = _fresh_id(ledger)
    terms = _terms(data, ("ann", "bo"), _now(ledger))
    terms = attrs.evolve(
        terms, grants=(*(g for g in terms.grants if g.id != "mine"), grant)
    )
    ledger = ledger.propose(by="ann", terms=terms, at=_now(ledger), proposal_id=holding)
    lacking = _fresh_id(ledger)
    other = _terms(data, ("ann", "bo"), _now(ledger))
    other = attrs.evolve(other, grants=[g for g in other.grants if g.id != "mine"])
    ledger = ledger.propose(by="bo", terms=other, at=_now(ledger), proposal_id=lacking)
    return ledger, ck.Revoked(
        at=_now(ledger), by="ann", grants={"mine"}, proposal_id=lacking
    )


def revoke_in_unknown_proposal(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A revocation of grants in a proposal that does not exist."""
    by = data.draw(PARTIES)
    return ledger, ck.Revoked(
        at=_now(ledger), by=by, grants={"g1"}, proposal_id="nowhere"
    )


def declare_someone_elses_limit(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A limit declared by someone other than its party."""
    by, party = data.draw(st.lists(PARTIES, min_size=2, max_size=2, unique=True))
    limit = data.draw(testing.limits(parties=st.just(party), catalog=CATALOG))
    return ledger, ck.LimitDeclared(at=_now(ledger), by=by, limit=limit)


def lift_a_limit_not_declared(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A lift of a limit never declared."""
    by = data.draw(PARTIES)
    ledger = _sober(ledger, by)
    kind = data.draw(st.sampled_from(ck.LimitKind))
    return ledger, ck.LimitLifted(
        at=_now(ledger), by=by, kind=kind, tag="never_declared"
    )


def lift_a_limit_lifted_already(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A second lift of a limit: the first lifted every standing one it names."""
    by = data.draw(PARTIES)
    limit = data.draw(testing.limits(parties=st.just(by), catalog=CATALOG))
    ledger = _sober(ledger, by)
    at = _now(ledger)
    ledger = ledger.declare_limit(by=by, limit=limit, at=at)
    lift = ck.LimitLifted(
        at=at, by=by, kind=limit.kind, activity=limit.activity, tag=limit.tag
    )
    return ledger.append(lift), lift


def lift_while_impaired(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """A lift of one's own limit while declared impaired."""
    by = data.draw(PARTIES)
    limit = data.draw(testing.limits(parties=st.just(by), catalog=CATALOG))
    at = _now(ledger)
    ledger = ledger.declare_limit(by=by, limit=limit, at=at)
    ledger = ledger.declare_impaired(by=data.draw(PARTIES), party=by, at=at)
    return ledger, ck.LimitLifted(
        at=at, by=by, kind=limit.kind, activity=limit.activity, tag=limit.tag
    )


def clear_own_impairment(
    data: st.DataObject, ledger: ck.Ledger
) -> tuple[ck.Ledger, Event]:
    """An impaired party clearing their own impairment."""
    party = data.draw(PARTIES)
    ledger = ledger.declare_impaired(
        by=data.draw(PARTIES), party=party, at=_now(ledger)
    )
    return ledger, ck.ImpairmentCleared(at=_now(ledger), by=party, party=party)


CASES: list[tuple[Case, str]] = [
    (time_goes_backwards, "time-order"),
    (proposer_not_a_party, "not-a-party"),
    (duplicate_proposal_id, "duplicate-proposal"),
    (supersedes_unknown, "unknown-proposal"),
    (supersedes_by_non_party, "not-a-party"),
    (accept_unknown, "unknown-proposal"),
    (accept_closed, "not-open"),
    (accept_by_non_party, "not-a-party"),
    (accept_twice, "already-accepted"),
    (accept_wrong_digest, "digest-mismatch"),
    (decline_closed, "not-open"),
    (decline_by_non_party, "not-a-party"),
    (withdraw_unknown, "unknown-proposal"),
    (withdraw_by_non_proposer, "not-the-proposer"),
    (withdraw_closed, "not-open"),
    (revoke_unknown_grant, "unknown-grant"),
    (revoke_someone_elses_grant, "unknown-grant"),
    (revoke_own_grant_in_another_proposal, "unknown-grant"),
    (revoke_in_unknown_proposal, "unknown-proposal"),
    (declare_someone_elses_limit, "not-own-limit"),
    (lift_a_limit_not_declared, "no-such-limit"),
    (lift_a_limit_lifted_already, "no-such-limit"),
    (lift_while_impaired, "impaired"),
    (clear_own_impairment, "self-clearing"),
]


def _snapshot(ledger: ck.Ledger) -> tuple[object, ...]:
    """What a refused event must leave as it was."""
    negotiations = {pid: ledger.negotiation(pid) for pid in _proposals(ledger)}
    return (len(ledger), ledger.head, negotiations, ledger.agreements(), ledger.events)


def _via_convenience(ledger: ck.Ledger, event: Event) -> Callable[[], ck.Ledger] | None:
    """The convenience method recording `event`, if any (`accept` fills the digest)."""
    fields = {f.name: getattr(event, f.name) for f in attrs.fields(type(event))}
    methods: dict[type, Callable[..., ck.Ledger]] = {
        ck.Proposed: ledger.propose,
        ck.Declined: ledger.decline,
        ck.Withdrawn: ledger.withdraw,
        ck.Confirmed: ledger.confirm,
        ck.Revoked: ledger.revoke,
        ck.LimitDeclared: ledger.declare_limit,
        ck.LimitLifted: ledger.lift_limit,
        ck.SignalGiven: ledger.signal,
        ck.ImpairmentDeclared: ledger.declare_impaired,
        ck.ImpairmentCleared: ledger.clear_impaired,
    }
    if isinstance(event, ck.Accepted):
        proposal = _proposals(ledger).get(event.proposal_id)
        if proposal is not None and event.terms_digest != ck.digest(proposal.terms):
            return None  # `accept` fills in the right digest
        del fields["terms_digest"]
        return lambda: ledger.accept(**fields)
    method = methods[type(event)]
    return lambda: method(**fields)


@pytest.mark.parametrize(
    ("case", "rule_name"), [pytest.param(c, r, id=c.__name__) for c, r in CASES]
)
@settings(max_examples=EXAMPLES)
@given(ledger=LEDGERS, data=st.data())
def test_a_refused_event_changes_nothing(
    case: Case, rule_name: str, ledger: ck.Ledger, data: st.DataObject
) -> None:
    """An event breaking a ledger rule raises `LedgerError` naming it; nothing moves."""
    ledger, event = case(data, ledger)
    before = _snapshot(ledger)
    with pytest.raises(ck.LedgerError) as caught:
        ledger.append(event)
    assert caught.value.rule == rule_name
    assert caught.value.seq == len(ledger)
    call = _via_convenience(ledger, event)
    if call is not None:
        with pytest.raises(ck.LedgerError) as again:
            call()
        assert again.value.rule == rule_name
    assert _snapshot(ledger) == before
    ledger.verify()
    # The ledger still takes valid events, and agrees with a replay of itself.
    after = ledger.declare_impaired(by="ann", party="bo", at=_now(ledger))
    assert len(after) == len(ledger) + 1
    assert _snapshot(ck.Ledger._from_entries(list(ledger))) == before


@settings(max_examples=EXAMPLES)
@given(ledger=LEDGERS, data=st.data())
def test_branches_from_one_ledger_stay_apart(
    ledger: ck.Ledger, data: st.DataObject
) -> None:
    """Ledgers appended to one ledger each hold their own event; it holds neither."""
    before = _snapshot(ledger)
    at = _now(ledger)
    first, second = data.draw(st.lists(PARTIES, min_size=2, max_size=2, unique=True))
    one = ledger.declare_impaired(by="ann", party=first, at=at)
    two = ledger.declare_impaired(by="ann", party=second, at=at)
    assert _snapshot(ledger) == before
    for branch, party in ((one, first), (two, second)):
        assert branch.state_at(at).is_impaired(party)
        replayed = ck.Ledger().extend(branch.events)
        assert _snapshot(branch) == _snapshot(replayed)
        assert branch.state_at(at).impaired == replayed.state_at(at).impaired


@settings(max_examples=EXAMPLES)
@given(ledger=LEDGERS, data=st.data())
def test_propose_names_the_smallest_id_unused_in_its_ledger(
    ledger: ck.Ledger, data: st.DataObject
) -> None:
    """`propose` without an id picks the same id for equal ledgers, wherever built."""
    terms = _terms(data, ("ann", "bo"), _now(ledger))
    replayed = ck.Ledger().extend(ledger.events)
    expected = replayed.propose(by="ann", terms=terms, at=_now(ledger))
    first = ledger.propose(by="ann", terms=terms, at=_now(ledger))
    second = ledger.propose(by="ann", terms=terms, at=_now(ledger))
    assert first.events[-1] == expected.events[-1]
    assert second.events[-1] == expected.events[-1]


# -- (c) negotiations as a state machine ---------------------------------------------


@attrs.define
class Offer:
    """The machine's own note of a proposal."""

    proposer: str
    parties: frozenset[str]
    status: ck.NegotiationStatus = ck.NegotiationStatus.OPEN
    accepted: dict[str, datetime] = attrs.Factory(dict)


class Negotiations(RuleBasedStateMachine):
    """Agreements form exactly when every party validly accepts an open proposal."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = ck.Ledger()
        self.now = T0
        self.offers: dict[str, Offer] = {}
        self.impaired: set[str] = set()
        self.formed: list[tuple[str, datetime]] = []

    def tick(self, data: st.DataObject) -> datetime:
        """Move the clock on (or not: events may share an instant)."""
        self.now += timedelta(seconds=data.draw(st.sampled_from([0, 0, 60, 3600])))
        return self.now

    def open_offers(self) -> list[str]:
        """The proposals still open."""
        return [
            p for p, o in self.offers.items() if o.status is ck.NegotiationStatus.OPEN
        ]

    @initialize()
    def start(self) -> None:
        """Start from an empty ledger."""
        self.ledger = ck.Ledger()

    @precondition(lambda self: len(self.open_offers()) < 3)
    @rule(data=st.data())
    def propose(self, data: st.DataObject) -> None:
        """Someone proposes terms, now and then replacing an earlier proposal."""
        parties = frozenset(
            data.draw(st.lists(PARTIES, min_size=2, max_size=3, unique=True))
        )
        by = data.draw(st.sampled_from(sorted(parties)))
        mine = [p for p, o in self.offers.items() if by in o.parties]
        supersedes = data.draw(st.none() | st.sampled_from(mine)) if mine else None
        at = self.tick(data)
        terms = ck.Terms(
            parties=parties,
            window=ck.Window(start=at, end=at + timedelta(hours=2)),
            grants=(ck.Grant(id="g1", party=by, role=ck.Role.GIVE, activity="impact"),),
            protocol=ck.Protocol(signals=()),
        )
        pid = f"p{len(self.offers) + 1}"
        self.ledger = self.ledger.propose(
            by=by, terms=terms, at=at, proposal_id=pid, supersedes=supersedes
        )
        if (
            supersedes is not None
            and self.offers[supersedes].status is ck.NegotiationStatus.OPEN
        ):
            self.offers[supersedes].status = ck.NegotiationStatus.SUPERSEDED
        self.offers[pid] = Offer(proposer=by, parties=parties)

    @precondition(
        lambda self: any(
            o.parties - set(o.accepted)
            for o in self.offers.values()
            if o.status is ck.NegotiationStatus.OPEN
        )
    )
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        """A party who has not validly accepted an open proposal accepts it."""
        self.accept_one(data, data.draw(st.sampled_from(self.waiting())))

    @precondition(lambda self: bool(self.open_offers()))
    @rule(data=st.data())
    def accept_newest(self, data: st.DataObject) -> None:
        """A party accepts the newest open proposal (so that agreements form)."""
        newest = self.open_offers()[-1]
        if newest in self.waiting():
            self.accept_one(data, newest)

    def waiting(self) -> list[str]:
        """The open proposals some party has yet to accept validly."""
        return [
            p
            for p in self.open_offers()
            if self.offers[p].parties - set(self.offers[p].accepted)
        ]

    def accept_one(self, data: st.DataObject, pid: str) -> None:
        """A pending party of `pid` accepts it; void while impaired."""
        offer = self.offers[pid]
        pending = sorted(offer.parties - set(offer.accepted))
        sober = [p for p in pending if p not in self.impaired]
        # Sober parties more often than not, so that agreements form.
        prefer_sober = data.draw(st.booleans())
        by = data.draw(st.sampled_from(sober if sober and prefer_sober else pending))
        at = self.tick(data)
        self.ledger = self.ledger.accept(by=by, proposal_id=pid, at=at)
        if by in self.impaired:
            return  # void: consent given while impaired does not count
        offer.accepted[by] = at
        if set(offer.accepted) == offer.parties:
            offer.status = ck.NegotiationStatus.AGREED
            self.formed.append((pid, at))

    @precondition(lambda self: bool(self.offers))
    @rule(data=st.data())
    def accept_again_or_late(self, data: st.DataObject) -> None:
        """Accepting twice, or a proposal no longer open, is refused."""
        pid = data.draw(st.sampled_from(sorted(self.offers)))
        offer = self.offers[pid]
        if offer.status is ck.NegotiationStatus.OPEN and not offer.accepted:
            return
        by = data.draw(
            st.sampled_from(
                sorted(
                    set(offer.accepted)
                    if offer.status is ck.NegotiationStatus.OPEN
                    else offer.parties
                )
            )
        )
        with pytest.raises(ck.LedgerError) as caught:
            self.ledger.accept(by=by, proposal_id=pid, at=self.tick(data))
        expected = (
            "already-accepted"
            if offer.status is ck.NegotiationStatus.OPEN
            else "not-open"
        )
        assert caught.value.rule == expected

    @precondition(lambda self: bool(self.open_offers()))
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        """A party declines an open proposal, or its proposer withdraws it."""
        pid = data.draw(st.sampled_from(self.open_offers()))
        at = self.tick(data)
        if data.draw(st.booleans()):
            by = data.draw(st.sampled_from(sorted(self.offers[pid].parties)))
            self.ledger = self.ledger.decline(by=by, proposal_id=pid, at=at)
            self.offers[pid].status = ck.NegotiationStatus.DECLINED
        else:
            by = self.offers[pid].proposer
            self.ledger = self.ledger.withdraw(by=by, proposal_id=pid, at=at)
            self.offers[pid].status = ck.NegotiationStatus.WITHDRAWN

    @rule(data=st.data())
    def declare_impaired(self, data: st.DataObject) -> None:
        """Anyone declares a party impaired."""
        by, party = data.draw(PARTIES), data.draw(PARTIES)
        self.ledger = self.ledger.declare_impaired(
            by=by, party=party, at=self.tick(data)
        )
        self.impaired.add(party)

    @precondition(lambda self: bool(self.impaired))
    @rule(data=st.data())
    def clear_impaired(self, data: st.DataObject) -> None:
        """Someone else clears an impaired party."""
        party = data.draw(st.sampled_from(sorted(self.impaired)))
        by = data.draw(st.sampled_from([p for p in POOL if p != party]))
        self.ledger = self.ledger.clear_impaired(by=by, party=party, at=self.tick(data))
        self.impaired.discard(party)

    @invariant()
    def negotiations_match(self) -> None:
        """Each negotiation's status, accepted and pending parties are the model's."""
        for pid, offer in self.offers.items():
            found = self.ledger.negotiation(pid)
            assert found.proposer == offer.proposer
            assert found.status is offer.status
            assert found.accepted == set(offer.accepted)
            assert found.pending == offer.parties - set(offer.accepted)

    @invariant()
    def agreements_match(self) -> None:
        """Agreements form exactly when every party has validly accepted an open one."""
        agreements = self.ledger.agreements()
        assert [(a.proposal_id, a.formed_at) for a in agreements] == self.formed
        for agreement in agreements:
            offer = self.offers[agreement.proposal_id]
            assert dict(agreement.accepted) == offer.accepted
            assert agreement.formed_at == max(offer.accepted.values())


Negotiations.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=25, deadline=None
)


TestNegotiations = Negotiations.TestCase


# -- (d) state_at ----------------------------------------------------------------


def _answers(state: ck.ConsentState, pids: list[str]) -> dict[str, object]:
    """Everything a state can be asked, as plain values to compare."""
    found: dict[str, object] = {
        "agreements": state.agreements,
        "impaired": state.impaired,
        "negotiations": [state.negotiation(pid) for pid in pids],
    }
    groups = [frozenset(g) for n in (1, 2, 3) for g in itertools.combinations(POOL, n)]
    for group in groups:
        found[f"selected {sorted(group)}"] = state.selected(group)
        found[f"in force {sorted(group)}"] = state.in_force(group)
    for party in POOL:
        found[f"limits {party}"] = state.limits(party)
    for agreement in state.agreements:
        key = agreement.proposal_id
        found[f"stop {key}"] = state.stop(agreement)
        found[f"slowed {key}"] = state.slowed(agreement)
        found[f"authorities {key}"] = state.authorities(agreement)
        found[f"grants {key}"] = state.grants(agreement)
        for party in sorted(agreement.parties):
            found[f"limits {party} {key}"] = state.limits(party, agreement)
            found[f"cap {party} {key}"] = state.slow_cap(agreement, party)
            found[f"confirmations {party} {key}"] = state.confirmations(
                party, agreement
            )
        for grant in agreement.terms.grants:
            found[f"revoked {grant.id} {key}"] = state.is_revoked(
                agreement, grant, grant.activity
            )
    return found


@settings(max_examples=EXAMPLES)
@given(ledger=LEDGERS, data=st.data())
def test_state_at_sees_exactly_the_events_up_to_its_time(
    ledger: ck.Ledger, data: st.DataObject
) -> None:
    """`state_at(t)` answers as a replay of the events at or before `t` does."""
    events = ledger.events
    moments = sorted({e.at for e in events}) or [T0]
    probe = data.draw(
        st.sampled_from(moments).flatmap(
            lambda t: st.sampled_from(
                [
                    t,
                    t - timedelta(seconds=1),
                    t + timedelta(seconds=1),
                    t + timedelta(hours=5),
                ]
            )
        )
    )
    seen = sum(1 for e in events if e.at <= probe)
    prefix = ck.Ledger().extend(events[:seen])
    state = ledger.state_at(probe)
    assert state.k == seen
    pids = [e.proposal_id for e in events if isinstance(e, ck.Proposed)]
    assert _answers(state, pids) == _answers(prefix.state_at(probe), pids)
