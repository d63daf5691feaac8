"""The facts a ledger's history establishes, built one event at a time.

`History` grows as the ledger grows.  Each fact remembers the position
(`seq`) of the event that made it, so one `History` serves every prefix of
the ledger; `ConsentState` (in `_state`) reads it up to a position.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final, Generic, TypeAlias, TypeVar

import attrs

from consentkit._agreements import Agreement, FrozenMap, Negotiation, NegotiationStatus
from consentkit._catalog import covers
from consentkit._events import (
    Accepted,
    Confirmed,
    Declined,
    Event,
    ImpairmentCleared,
    ImpairmentDeclared,
    LimitDeclared,
    LimitLifted,
    Proposed,
    Revoked,
    SignalGiven,
    Withdrawn,
    unhandled,
)
from consentkit._facts import CatalogIndex, LimitIndex, TermsFacts
from consentkit._terms import Limit, LimitKind, Signal, SignalMeaning, Terms

__all__ = [
    "NEVER",
    "AgreementFact",
    "History",
    "ProposalFact",
    "Revocations",
    "StandingLimit",
    "Timeline",
    "negotiation_of",
]

NEVER: Final = 1 << 62  # a position after every event
T = TypeVar("T")


class Timeline(Generic[T]):
    """Items in ledger order, each with its position, searchable by position."""

    __slots__ = ("items", "seqs")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.items: list[T] = []

    def __bool__(self) -> bool:
        return bool(self.seqs)

    def add(self, seq: int, item: T) -> None:
        """Record `item` at position `seq` (positions only grow)."""
        self.seqs.append(seq)
        self.items.append(item)

    def last_before(self, k: int, default: T) -> T:
        """The last item before position `k`, or `default`."""
        index = bisect_left(self.seqs, k)
        return self.items[index - 1] if index else default

    def between(self, low: int, high: int) -> list[T]:
        """The items at positions strictly between `low` and `high`."""
        return self.items[bisect_right(self.seqs, low) : bisect_left(self.seqs, high)]

    def any_between(self, low: int, high: int) -> bool:
        """Whether an item lies strictly between positions `low` and `high`."""
        return bisect_right(self.seqs, low) < bisect_left(self.seqs, high)


@attrs.define(eq=False)
class ProposalFact:
    """A proposal and how its negotiation went."""

    seq: int
    event: Proposed
    terms_digest: str
    statuses: list[tuple[int, NegotiationStatus]]
    acceptances: dict[str, tuple[int, datetime]] = attrs.Factory(dict)
    void: list[tuple[int, str]] = attrs.Factory(list)

    @property
    def status(self) -> NegotiationStatus:
        """The status after every event so far."""
        return self.statuses[-1][1]

    def status_before(self, k: int) -> NegotiationStatus:
        """The status after the events before position `k`."""
        status = self.statuses[0][1]
        for seq, value in self.statuses:
            if seq >= k:
                break
            status = value
        return status


_AgreementState: TypeAlias = tuple[
    int,
    Agreement,
    ProposalFact,
    tuple[int, SignalGiven, str] | None,
    dict[str, Timeline[int | None]],
]


@attrs.define(eq=False)
class AgreementFact:
    """An agreement, where it formed, and what later events did to it.

    What its terms say, indexed for a catalog (`facts`), and what the events
    up to a position make of them are derived on first use and kept here,
    privately, in typed tables; they are caches, never pickled (SPEC 3.5).
    """

    seq: int
    agreement: Agreement
    proposal: ProposalFact
    #: The STOP that ended it: position, signal, and why it meant STOP ("" for
    #: a STOP cue of the protocol).
    stop: tuple[int, SignalGiven, str] | None = None
    #: For each party who gave a SLOW under it: the positions of their SLOWs,
    #: each with the lowest cap set so far (None: no intensity given yet).
    slows: dict[str, Timeline[int | None]] = attrs.Factory(dict)
    terms: Terms = attrs.field(init=False)
    #: The protocol's signals by cue.
    cues: Mapping[str, Signal] = attrs.field(init=False)
    _facts: dict[CatalogIndex, TermsFacts] = attrs.field(init=False)
    #: A party's revocations since accepting it, before a position (None: none).
    revoked: dict[tuple[str, int], Revocations | None] = attrs.field(init=False)
    #: A party's limits in effect at a position, indexed for a catalog.
    limits: dict[tuple[CatalogIndex, str, int], LimitIndex] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._caches()

    def _caches(self) -> None:
        self.terms = self.agreement.terms  # read on every hot path
        self.cues = {s.cue: s for s in self.terms.protocol.signals}
        self._facts = {}
        self.revoked = {}
        self.limits = {}

    def facts(self, index: CatalogIndex) -> TermsFacts:
        """What the terms say, indexed for `index`'s catalog (built once)."""
        found = self._facts.get(index)
        if found is None:
            found = TermsFacts(self.terms, index)
            self._facts[index] = found
        return found

    def accepted_seq(self, party: str) -> int:
        """The position of `party`'s counted acceptance."""
        return self.proposal.acceptances[party][0]

    # SPEC 3.5: the caches are never pickled; they start empty again.
    def __getstate__(self) -> _AgreementState:
        return (self.seq, self.agreement, self.proposal, self.stop, self.slows)

    def __setstate__(self, state: _AgreementState) -> None:
        self.seq, self.agreement, self.proposal, self.stop, self.slows = state
        self._caches()


class Revocations:
    """One party's revocations that apply to one agreement, indexed for lookup."""

    __slots__ = ("activities", "everything", "ids")

    def __init__(
        self, seqs: list[int], events: list[Revoked], agreement: Agreement
    ) -> None:
        self.everything: tuple[int, Revoked] | None = None
        self.ids: dict[str, tuple[int, Revoked]] = {}
        self.activities: list[tuple[str, int, Revoked]] = []
        for seq, event in zip(seqs, events, strict=True):
            if event.everything:
                if self.everything is None:
                    self.everything = (seq, event)
                continue
            if event.proposal_id in (None, agreement.proposal_id):
                for grant_id in event.grants:
                    self.ids.setdefault(grant_id, (seq, event))
            self.activities.extend((a, seq, event) for a in event.activities)

    def find(self, grant_id: str, activity: str | None) -> Revoked | None:
        """The earliest revocation withdrawing `grant_id` (for `activity`), if any."""
        hit = self.everything
        by_id = self.ids.get(grant_id)
        if by_id is not None and (hit is None or by_id[0] < hit[0]):
            hit = by_id
        if activity is not None:
            for revoked, seq, event in self.activities:
                if (hit is None or seq < hit[0]) and covers(revoked, activity):
                    hit = (seq, event)
        return None if hit is None else hit[1]


@attrs.define(eq=False)
class StandingLimit:
    """A limit declared in the ledger, and when it was lifted."""

    seq: int
    limit: Limit
    at: datetime
    lifted: int = NEVER


#: What a `LimitLifted` names: the party, kind, and activity or tag.
_LimitKey: TypeAlias = tuple[str, LimitKind, str | None, str | None]


class History:
    """Every fact the events so far establish, each tagged with its position."""

    def __init__(self) -> None:
        self.count = 0
        self.proposals: dict[str, ProposalFact] = {}
        self.agreements: list[AgreementFact] = []
        self.by_proposal: dict[str, AgreementFact] = {}
        self.by_party: dict[str, Timeline[AgreementFact]] = {}
        # Per party, the agreements whose window has not ended by the latest
        # event: times never go backwards, so an ended window never returns.
        self.live: dict[str, list[AgreementFact]] = {}
        self.impairment: dict[str, Timeline[bool]] = {}
        self.standing: dict[str, list[StandingLimit]] = {}
        # The standing limits not yet lifted, by what a lift names: lifting
        # costs the same however many limits were declared before.
        self.unlifted: dict[_LimitKey, list[StandingLimit]] = {}
        self.revocations: dict[str, Timeline[Revoked]] = {}
        self.confirmations: dict[str, Timeline[tuple[Confirmed, bool]]] = {}
        self.resumes: dict[str, Timeline[None]] = {}
        # (party, grant id) -> the proposals holding such a grant.
        self.grant_ids: dict[tuple[str, str], set[str]] = {}
        #: A party's standing limits in effect at a position with no
        #: agreement, indexed for a catalog.
        self.limits: dict[tuple[CatalogIndex, str, int], LimitIndex] = {}

    # SPEC 3.5: the limits' indexes are caches, never pickled.
    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["limits"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    # -- reading ---------------------------------------------------------

    def impaired(self, party: str, k: int) -> bool:
        """Whether `party` is declared impaired after the events before `k`."""
        timeline = self.impairment.get(party)
        return timeline is not None and timeline.last_before(k, default=False)

    def select(
        self, parties: Iterable[str], at: datetime, k: int
    ) -> AgreementFact | None:
        """The agreement selected for `parties` at `at` (SPEC 2, which applies).

        The most recently formed agreement among the events before `k` whose
        parties include them all and whose window contains `at`.
        """
        wanted = frozenset(parties)
        pool: Timeline[AgreementFact] | None = None
        for party in wanted:
            found = self.by_party.get(party)
            if found is None:
                return None
            if pool is None or len(found.seqs) < len(pool.seqs):
                pool = found
        if pool is None:
            return None
        items = pool.items
        for index in range(bisect_left(pool.seqs, k) - 1, -1, -1):
            fact = items[index]
            window = fact.terms.window
            if window.start <= at < window.end and wanted <= fact.terms.parties:
                return fact
        return None

    def in_force(
        self, parties: Iterable[str], at: datetime, k: int
    ) -> AgreementFact | None:
        """The selected agreement unless a STOP before `k` ended it."""
        fact = self.select(parties, at, k)
        if fact is None or (fact.stop is not None and fact.stop[0] < k):
            return None
        return fact

    # -- writing ---------------------------------------------------------

    def apply(  # noqa: C901, PLR0912  # one branch per event type
        self, event: Event, terms_digest: str | None = None
    ) -> None:
        """Record the facts `event` establishes; the ledger has checked its rules.

        Args:
            event: The event at position `count`.
            terms_digest: For a `Proposed`, the digest of its terms.
        """
        seq = self.count
        # INVARIANT: `apply` never raises: every rule was checked before.
        if isinstance(event, SignalGiven):
            self._signal(seq, event)
        elif isinstance(event, Accepted):
            self._accepted(seq, event)
        elif isinstance(event, Confirmed):
            counted = not self.impaired(event.by, seq)
            self.confirmations.setdefault(event.by, Timeline()).add(
                seq, (event, counted)
            )
        elif isinstance(event, Proposed):
            self._proposed(seq, event, terms_digest or "")
        elif isinstance(event, Declined):
            self.proposals[event.proposal_id].statuses.append(
                (seq, NegotiationStatus.DECLINED)
            )
        elif isinstance(event, Withdrawn):
            self.proposals[event.proposal_id].statuses.append(
                (seq, NegotiationStatus.WITHDRAWN)
            )
        elif isinstance(event, Revoked):
            self.revocations.setdefault(event.by, Timeline()).add(seq, event)
        elif isinstance(event, LimitDeclared):
            limit = event.limit
            standing = StandingLimit(seq, limit, event.at)
            self.standing.setdefault(event.by, []).append(standing)
            key = (event.by, limit.kind, limit.activity, limit.tag)
            self.unlifted.setdefault(key, []).append(standing)
        elif isinstance(event, LimitLifted):
            key = (event.by, event.kind, event.activity, event.tag)
            for standing in self.unlifted.pop(key, ()):
                standing.lifted = seq
        elif isinstance(event, ImpairmentDeclared):
            self.impairment.setdefault(event.party, Timeline()).add(seq, True)  # noqa: FBT003
        elif isinstance(event, ImpairmentCleared):
            self.impairment.setdefault(event.party, Timeline()).add(seq, False)  # noqa: FBT003
        else:
            unhandled(event)
        self.count = seq + 1

    def lifted_by(self, event: LimitLifted) -> list[StandingLimit]:
        """The standing limits (not yet lifted) that `event` lifts."""
        return list(
            self.unlifted.get((event.by, event.kind, event.activity, event.tag), ())
        )

    def _proposed(self, seq: int, event: Proposed, terms_digest: str) -> None:
        if event.supersedes is not None:
            old = self.proposals[event.supersedes]
            if old.status is NegotiationStatus.OPEN:
                old.statuses.append((seq, NegotiationStatus.SUPERSEDED))
        self.proposals[event.proposal_id] = ProposalFact(
            seq=seq,
            event=event,
            terms_digest=terms_digest,
            statuses=[(seq, NegotiationStatus.OPEN)],
        )
        for grant in event.terms.grants:
            self.grant_ids.setdefault((grant.party, grant.id), set()).add(
                event.proposal_id
            )

    def _accepted(self, seq: int, event: Accepted) -> None:
        proposal = self.proposals[event.proposal_id]
        if self.impaired(event.by, seq):
            # SPEC 2: consent given while impaired is void.
            proposal.void.append((seq, event.by))
            return
        proposal.acceptances[event.by] = (seq, event.at)
        terms = proposal.event.terms
        if len(proposal.acceptances) < len(terms.parties):
            return
        proposal.statuses.append((seq, NegotiationStatus.AGREED))
        agreement = Agreement(
            proposal_id=event.proposal_id,
            terms=terms,
            formed_at=event.at,
            accepted=FrozenMap({p: a for p, (_, a) in proposal.acceptances.items()}),
        )
        fact = AgreementFact(seq=seq, agreement=agreement, proposal=proposal)
        self.agreements.append(fact)
        self.by_proposal[event.proposal_id] = fact
        for party in terms.parties:
            self.by_party.setdefault(party, Timeline()).add(seq, fact)
            self.live.setdefault(party, []).append(fact)

    def _meaning(self, seq: int, event: SignalGiven) -> tuple[SignalMeaning, str]:
        """SPEC 2: a signal is read through the giver's agreement in force.

        A cue that protocol lacks, or a signal with no agreement in force, is a STOP.
        """
        fact = self.in_force((event.by,), event.at, seq)
        if fact is None:
            return (
                SignalMeaning.STOP,
                "given with no agreement in force, which counts as STOP",
            )
        signal = fact.cues.get(event.cue)
        if signal is None:
            why = f"a cue the protocol of `{fact.agreement.proposal_id}` lacks"
            return SignalMeaning.STOP, why + ", which counts as STOP"
        return signal.meaning, ""

    def _signal(self, seq: int, event: SignalGiven) -> None:
        meaning, why = self._meaning(seq, event)
        if meaning is SignalMeaning.RESUME:
            if not self.impaired(event.by, seq):  # a RESUME while impaired is void
                self.resumes.setdefault(event.by, Timeline()).add(seq, None)
            return
        live = [f for f in self.live.get(event.by, ()) if f.terms.window.end > event.at]
        self.live[event.by] = live
        running = [f for f in live if f.terms.window.start <= event.at]
        if meaning is SignalMeaning.STOP:
            # SPEC 2: ends every agreement of the giver formed before it whose
            # window contains it; the first STOP is the one that counts.
            for other in running:
                if other.stop is None:
                    other.stop = (seq, event, why)
            return
        # SPEC 2: a SLOW marks the giver in every agreement in force for its
        # own parties: not ended, and not replaced by a newer agreement
        # (every such agreement includes the giver, so it is running too).
        newer: set[frozenset[str]] = set()
        for other in reversed(running):
            parties = other.terms.parties
            replaced = parties in newer or any(parties < p for p in newer)
            newer.add(parties)
            if not replaced and other.stop is None:
                marks = other.slows.setdefault(event.by, Timeline())
                cap = marks.items[-1] if marks else None
                if event.intensity is not None:
                    new = event.intensity - 1
                    cap = new if cap is None else min(cap, new)
                marks.add(seq, cap)


def negotiation_of(fact: ProposalFact, k: int) -> Negotiation:
    """The `Negotiation` of a proposal after the events before `k`."""
    parties = fact.event.terms.parties
    accepted = frozenset(p for p, (seq, _) in fact.acceptances.items() if seq < k)
    return Negotiation(
        proposal_id=fact.event.proposal_id,
        proposer=fact.event.by,
        status=fact.status_before(k),
        accepted=accepted,
        pending=parties - accepted,
    )
