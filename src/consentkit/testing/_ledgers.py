"""Rule-abiding ledgers, and the entries, agreements and negotiations they hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import attrs
from hypothesis import strategies as st

from consentkit._agreements import Agreement, Negotiation, NegotiationStatus
from consentkit._events import Entry
from consentkit._ledger import Ledger
from consentkit._terms import Grant, Limit, Terms, Window
from consentkit.testing._catalogs import catalogs
from consentkit.testing._draw import (
    _ANY_TEXT,
    _NAMES,
    _UNKNOWN_CUE,
    _UTC,
    CatalogArg,
    _Acts,
    _coin,
    _distinct,
    _given,
    _int,
    _ledger_catalog,
    _pick,
    _roll,
    _some,
)
from consentkit.testing._events import _PROPOSAL_IDS
from consentkit.testing._ids import party_ids
from consentkit.testing._terms import _limit, _terms, terms
from consentkit.testing._times import times

_TICKS: Final = (60, 0, 1, 300, 900, 3600)  # seconds between events; 0: same instant
_OFFSETS: Final = (0, -600, 600, 3600, -3600)  # a window's start from now
_LENGTHS: Final = (7200, 14400, 3600, 86400, 600)  # a window's length


@attrs.define
class _Proposal:
    """The builder's own note of a proposal and where it stands."""

    id: str
    proposer: str
    terms: Terms
    status: NegotiationStatus = NegotiationStatus.OPEN
    accepted: set[str] = attrs.Factory(set)

    @property
    def pending(self) -> frozenset[str]:
        return self.terms.parties - self.accepted


@attrs.define
class _Builder:
    """Builds a rule-abiding ledger, one drawn action at a time.

    It keeps a small model of the negotiations, impairments and standing
    limits, so that every event it draws keeps the ledger rules; `Ledger`
    checks them again on each append.
    """

    draw: st.DrawFn
    acts: _Acts
    pool: tuple[str, ...]
    now: datetime
    ledger: Ledger = attrs.Factory(Ledger)
    proposals: dict[str, _Proposal] = attrs.Factory(dict)
    impaired: set[str] = attrs.Factory(set)
    standing: list[Limit] = attrs.Factory(list)

    def party(self) -> str:
        return _pick(self.draw, self.pool)

    def open(self) -> list[_Proposal]:
        return [
            p for p in self.proposals.values() if p.status is NegotiationStatus.OPEN
        ]

    def step(self) -> None:
        """Draw one action among those possible now and record it."""
        open_ = self.open()
        waiting = any(p.pending for p in open_)
        liftable = any(lim.party not in self.impaired for lim in self.standing)
        actions = (
            (6 if waiting else 14, self.propose),
            (40 if waiting else 0, self.accept),
            (3 if open_ else 0, self.decline),
            (3 if open_ else 0, self.withdraw),
            (3, self.confirm),
            (3, self.revoke),
            (3, self.declare_limit),
            (3 if liftable else 0, self.lift_limit),
            (5, self.signal),
            (3, self.declare_impaired),
            (8 if self.impaired else 1, self.clear_impaired),
        )
        roll, tick = _roll(self.draw, sum(weight for weight, _ in actions), len(_TICKS))
        self.now += timedelta(seconds=_TICKS[tick])
        for weight, action in actions:
            if roll < weight:
                action()
                return
            roll -= weight

    def propose(self) -> None:
        draw = self.draw
        offset, length, counter, newest, named, proposer = _roll(
            draw, len(_OFFSETS), len(_LENGTHS), 3, 2, 2, 6
        )
        start = self.now + timedelta(seconds=_OFFSETS[offset])
        window = Window(start=start, end=start + timedelta(seconds=_LENGTHS[length]))
        chosen = _some(draw, self.pool, 2, 3)
        offered = _terms(draw, chosen, self.acts, window, max_grants=6)
        by = chosen[proposer % len(chosen)]  # two or three: 6 divides evenly
        supersedes = None
        if self.proposals and counter == 2:
            mine = [p for p in self.proposals.values() if by in p.terms.parties]
            if mine:
                old = _pick(draw, mine) if newest else mine[-1]
                supersedes = old.id
                if old.status is NegotiationStatus.OPEN:
                    old.status = NegotiationStatus.SUPERSEDED
        n = 1
        while f"p{n}" in self.proposals:
            n += 1
        proposal_id = f"p{n}"
        self.ledger = self.ledger.propose(
            by=by,
            terms=offered,
            at=self.now,
            # Half the time the ledger picks the id: the same smallest unused one.
            proposal_id=None if named else proposal_id,
            supersedes=supersedes,
        )
        self.proposals[proposal_id] = _Proposal(proposal_id, by, offered)

    def accept(self) -> None:
        waiting = [p for p in self.open() if p.pending]
        older, which, who = _roll(self.draw, 3, len(waiting), 6)
        # The newest proposal most of the time, so that negotiations finish.
        proposal = waiting[which] if older == 2 else waiting[-1]
        pending = sorted(proposal.pending)
        party = pending[who % len(pending)]  # at most three: 6 divides evenly
        self.ledger = self.ledger.accept(by=party, proposal_id=proposal.id, at=self.now)
        if party in self.impaired:
            return  # void: consent given while impaired does not count
        proposal.accepted.add(party)
        if not proposal.pending:
            proposal.status = NegotiationStatus.AGREED

    def decline(self) -> None:
        open_ = self.open()
        which, who, reasoned = _roll(self.draw, len(open_), 6, 4)
        proposal = open_[which]
        parties = sorted(proposal.terms.parties)
        self.ledger = self.ledger.decline(
            by=parties[who % len(parties)],  # two or three: 6 divides evenly
            proposal_id=proposal.id,
            at=self.now,
            reason=self.draw(_ANY_TEXT) if reasoned == 3 else "",
        )
        proposal.status = NegotiationStatus.DECLINED

    def withdraw(self) -> None:
        proposal = _pick(self.draw, self.open())
        self.ledger = self.ledger.withdraw(
            by=proposal.proposer, proposal_id=proposal.id, at=self.now
        )
        proposal.status = NegotiationStatus.WITHDRAWN

    def own_grants(self, party: str) -> list[tuple[str, Grant]]:
        return [
            (p.id, g)
            for p in self.proposals.values()
            for g in p.terms.grants
            if g.party == party
        ]

    def confirm(self) -> None:
        who, elsewhere, which = _roll(self.draw, len(self.pool), 3, 64)
        by = self.pool[who]
        own = sorted({g.activity for _, g in self.own_grants(by)})
        activity = (
            own[which % len(own)]
            if own and elsewhere < 2
            else self.acts.activity(self.draw)
        )
        self.ledger = self.ledger.confirm(by=by, activity=activity, at=self.now)

    def revoke(self) -> None:
        who, kind, narrowed, reasoned = _roll(self.draw, len(self.pool), 4, 2, 4)
        by = self.pool[who]
        own = self.own_grants(by)
        reason = self.draw(_ANY_TEXT) if reasoned == 3 else ""
        if kind < 2 and own:
            proposal_id, grant = _pick(self.draw, own)
            self.ledger = self.ledger.revoke(
                by=by,
                at=self.now,
                grants=[grant.id],
                proposal_id=proposal_id if narrowed else None,
                reason=reason,
            )
        elif kind == 3:
            self.ledger = self.ledger.revoke(by=by, at=self.now, reason=reason)
        else:
            self.ledger = self.ledger.revoke(
                by=by,
                at=self.now,
                activities=[self.acts.activity(self.draw)],
                reason=reason,
            )

    def declare_limit(self) -> None:
        by = self.party()
        limit = _limit(self.draw, by, self.acts)
        self.ledger = self.ledger.declare_limit(by=by, limit=limit, at=self.now)
        self.standing.append(limit)

    def lift_limit(self) -> None:
        limit = _pick(
            self.draw, [s for s in self.standing if s.party not in self.impaired]
        )
        self.ledger = self.ledger.lift_limit(
            by=limit.party,
            kind=limit.kind,
            activity=limit.activity,
            tag=limit.tag,
            at=self.now,
        )
        target = (limit.party, limit.kind, limit.activity, limit.tag)
        self.standing = [
            s for s in self.standing if (s.party, s.kind, s.activity, s.tag) != target
        ]

    def signal(self) -> None:
        who, which, intensity = _roll(self.draw, len(self.pool), 16, 20)
        by = self.pool[who]
        cues = sorted(
            {
                s.cue
                for p in self.proposals.values()
                if by in p.terms.parties
                for s in p.terms.protocol.signals
            }
        )
        # A cue of one of the giver's protocols mostly, an unknown one else.
        self.ledger = self.ledger.signal(
            by=by,
            cue=cues[which % len(cues)] if cues and which < 12 else _UNKNOWN_CUE,
            at=self.now,
            intensity=intensity - 9 if intensity >= 10 else None,
        )

    def declare_impaired(self) -> None:
        who, whom = _roll(self.draw, len(self.pool), len(self.pool))
        self.ledger = self.ledger.declare_impaired(
            by=self.pool[who], party=self.pool[whom], at=self.now
        )
        self.impaired.add(self.pool[whom])

    def clear_impaired(self) -> None:
        impaired = sorted(self.impaired) or list(self.pool)
        whom, who = _roll(self.draw, len(impaired), len(self.pool) - 1)
        party = impaired[whom]
        by = [p for p in self.pool if p != party][who]
        self.ledger = self.ledger.clear_impaired(by=by, party=party, at=self.now)
        self.impaired.discard(party)


@st.composite
def ledgers(  # noqa: PLR0913  # each shape of the history is a knob
    draw: st.DrawFn,
    *,
    catalog: CatalogArg = None,
    parties: st.SearchStrategy[str] | None = None,
    min_events: int = 0,
    max_events: int = 30,
    starts: st.SearchStrategy[datetime] | None = None,
) -> Ledger:
    """Rule-abiding ledgers, built through `Ledger.append` and its conveniences.

    Two to four distinct parties are drawn from `parties` (default: short
    names); each proposal is between two or three of them.  The history
    mixes proposals and counter-proposals (``supersedes``); acceptances, so
    that agreements form in a good share of ledgers, on terms whose grants
    come mostly in matching GIVE/RECEIVE pairs; acceptances made void by an
    impairment; declines and withdrawals; confirmations; revocations of
    activities, of grant ids (with or without a proposal) and of everything;
    limits declared and lifted; SLOW, STOP, RESUME and unknown cues; and
    impairment declared and cleared.  Times never go backwards, and several
    events sometimes share an instant.

    Args:
        draw: Supplied by Hypothesis.
        catalog: Where activities come from (default: the default catalog).
        parties: Where the ledger's parties come from.
        min_events: The fewest events.
        max_events: The most events.
        starts: The time of the first event (default: 2020 to 2040).
    """
    acts = _Acts.of(_ledger_catalog(draw, catalog))
    start = draw(
        _given(
            starts,
            times(
                min_value=datetime(2020, 1, 1, tzinfo=_UTC),
                max_value=datetime(2040, 1, 1, tzinfo=_UTC),
            ),
        )
    )
    pool = (
        tuple(_some(draw, _NAMES[:5], 2, 4))
        if parties is None
        else _distinct(draw, parties, 2, 4)
    )
    builder = _Builder(draw=draw, acts=acts, pool=pool, now=start)
    for _ in range(_int(draw, min_events, max(min_events, max_events))):
        builder.step()
    return builder.ledger


_ledgers = ledgers


def _non_empty(ledger: Ledger) -> bool:
    return len(ledger) > 0


@st.composite
def entries(
    draw: st.DrawFn, *, ledgers: st.SearchStrategy[Ledger] | None = None
) -> Entry:
    """Entries of rule-abiding ledgers (non-empty ones drawn from `ledgers`)."""
    source = _given(ledgers, _ledgers(catalog=catalogs(), min_events=1))
    ledger = draw(source.filter(_non_empty))
    return ledger[_int(draw, 0, len(ledger) - 1)]


@st.composite
def agreements(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
) -> Agreement:
    """Agreements: terms, each party's time of acceptance, formed at the last."""
    agreed = draw(terms(parties=parties, catalog=catalog))
    start = draw(times())
    accepted = {
        party: start + timedelta(seconds=_int(draw, 0, 3600))
        for party in sorted(agreed.parties)
    }
    return Agreement(
        proposal_id=draw(_PROPOSAL_IDS),
        terms=agreed,
        formed_at=max(accepted.values()),
        accepted=accepted,
    )


@st.composite
def negotiations(
    draw: st.DrawFn, *, parties: st.SearchStrategy[str] | None = None
) -> Negotiation:
    """Negotiations whose accepted and pending parties split the parties."""
    people = _distinct(draw, _given(parties, party_ids()), 2, 4)
    status = _pick(draw, tuple(NegotiationStatus))
    if status is NegotiationStatus.AGREED:
        accepted = frozenset(people)
    else:  # not everyone: then it would have formed an agreement
        accepted = frozenset(p for p in people[1:] if _coin(draw))
    return Negotiation(
        proposal_id=draw(_PROPOSAL_IDS),
        proposer=_pick(draw, people),
        status=status,
        accepted=accepted,
        pending=frozenset(people) - accepted,
    )
