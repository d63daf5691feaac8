"""The facts a ledger's history establishes, and `ConsentState`, their view at a time.

`History` is built incrementally, one event at a time, as the ledger grows.
Each fact remembers the position (`seq`) of the event that made it, so one
`History` serves every prefix of the ledger: a `ConsentState` is just the
history read up to a position ``k`` (every event at or before its time) at a
time ``at``.  Finding a state is a binary search, never a replay.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import datetime
from typing import Final, Generic, TypeAlias, TypeVar

import attrs

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
from consentkit._history import Agreement, FrozenMap, Negotiation, NegotiationStatus
from consentkit._terms import Authority, Grant, Limit, Signal, SignalMeaning, Terms

__all__ = ["ConsentState", "History"]

_NEVER: Final = 1 << 62  # a position after every event
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
    """An agreement, where it formed, and what later events did to it."""

    seq: int
    agreement: Agreement
    proposal: ProposalFact
    #: The STOP that ended it: position, signal, and why it meant STOP ("" for
    #: a STOP cue of the protocol).
    stop: tuple[int, SignalGiven, str] | None = None
    #: For each party who gave a SLOW under it: the positions of their SLOWs,
    #: each with the lowest cap set so far (None: no intensity given yet).
    slows: dict[str, Timeline[int | None]] = attrs.Factory(dict)
    memo: dict[object, object] = attrs.Factory(dict)
    terms: Terms = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.terms = self.agreement.terms  # read on every hot path

    def accepted_seq(self, party: str) -> int:
        """The position of `party`'s counted acceptance."""
        return self.proposal.acceptances[party][0]

    # SPEC 3.5: the memo is a cache, never pickled; it starts empty again.
    def __getstate__(self) -> _AgreementState:
        return (self.seq, self.agreement, self.proposal, self.stop, self.slows)

    def __setstate__(self, state: _AgreementState) -> None:
        self.seq, self.agreement, self.proposal, self.stop, self.slows = state
        self.memo = {}
        self.terms = self.agreement.terms


@attrs.define(eq=False)
class StandingLimit:
    """A limit declared in the ledger, and when it was lifted."""

    seq: int
    limit: Limit
    at: datetime
    lifted: int = _NEVER


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
        self.revocations: dict[str, Timeline[Revoked]] = {}
        self.confirmations: dict[str, Timeline[tuple[Confirmed, bool]]] = {}
        self.resumes: dict[str, Timeline[None]] = {}
        self.grant_ids: dict[tuple[str, str], list[str]] = {}

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
            self.standing.setdefault(event.by, []).append(
                StandingLimit(seq, event.limit, event.at)
            )
        elif isinstance(event, LimitLifted):
            for standing in self.lifted_by(event):
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
        return [
            s
            for s in self.standing.get(event.by, ())
            if s.lifted == _NEVER
            and s.limit.kind is event.kind
            and s.limit.activity == event.activity
            and s.limit.tag == event.tag
        ]

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
            self.grant_ids.setdefault((grant.party, grant.id), []).append(
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
        cues: dict[str, Signal] | None = fact.memo.get("cues")  # type: ignore[assignment]
        if cues is None:
            cues = {s.cue: s for s in fact.terms.protocol.signals}
            fact.memo["cues"] = cues
        signal = cues.get(event.cue)
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


class _Revocations:
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


@attrs.frozen
class ConsentState:
    """The consent in force at one time: a view of a ledger's history.

    Obtain it with `Ledger.state_at`.  It sees every event at or before `at`.
    """

    _history: History = attrs.field(repr=False, alias="history")
    k: int
    """How many of the ledger's events it sees."""
    at: datetime
    """The time it describes."""

    def _fact(self, agreement: Agreement) -> AgreementFact:
        return self._history.by_proposal[agreement.proposal_id]

    @property
    def agreements(self) -> tuple[Agreement, ...]:
        """Every agreement formed so far, in order of formation."""
        facts = self._history.agreements
        end = bisect_left([f.seq for f in facts], self.k)
        return tuple(f.agreement for f in facts[:end])

    def selected(self, parties: Iterable[str]) -> Agreement | None:
        """The agreement selected for `parties` together (ended by a STOP or not)."""
        fact = self._history.select(parties, self.at, self.k)
        return None if fact is None else fact.agreement

    def in_force(self, parties: Iterable[str]) -> Agreement | None:
        """The agreement in force for `parties`: selected and not ended by a STOP."""
        fact = self._history.in_force(parties, self.at, self.k)
        return None if fact is None else fact.agreement

    def stop_reason(self, agreement: Agreement) -> str:
        """Why the signal that ended `agreement` meant STOP ("" for a STOP cue)."""
        stop = self._fact(agreement).stop
        return "" if stop is None or stop[0] >= self.k else stop[2]

    def stop(self, agreement: Agreement) -> SignalGiven | None:
        """The signal that ended `agreement`, or None while it runs."""
        stop = self._fact(agreement).stop
        if stop is None or stop[0] >= self.k:
            return None
        return stop[1]

    def is_impaired(self, party: str) -> bool:
        """Whether `party` is declared impaired."""
        return self._history.impaired(party, self.k)

    @property
    def any_standing_limits(self) -> bool:
        """Whether any standing limit was ever declared (a quick test)."""
        return bool(self._history.standing)

    @property
    def anyone_impaired(self) -> bool:
        """Whether any impairment was ever declared (a quick test before asking who)."""
        return bool(self._history.impairment)

    def slows(self, agreement: Agreement) -> bool:
        """Whether any SLOW marked `agreement` (a quick test before asking who)."""
        slows = self._fact(agreement).slows
        return bool(slows) and any(m.seqs[0] < self.k for m in slows.values())

    @property
    def impaired(self) -> frozenset[str]:
        """Every party declared impaired."""
        return frozenset(p for p in self._history.impairment if self.is_impaired(p))

    def is_revoked(self, agreement: Agreement, grant: Grant, activity: str) -> bool:
        """Whether `grant`'s party has withdrawn it for `activity` (SPEC 2, Revoked)."""
        return self.revocation(agreement, grant, activity) is not None

    def revocation(
        self, agreement: Agreement, grant: Grant, activity: str | None
    ) -> Revoked | None:
        """The revocation that withdrew `grant` for `activity`, if any.

        With `activity` None, only a withdrawal by grant id or of everything counts.
        """
        revocations = self._history.revocations.get(grant.party)
        if not revocations:
            return None
        fact = self._fact(agreement)
        seqs = revocations.seqs
        low = bisect_right(seqs, fact.accepted_seq(grant.party))
        high = bisect_left(seqs, self.k)
        if low >= high:
            return None
        key = ("revoked", grant.party, low, high)
        summary: _Revocations | None = fact.memo.get(key)  # type: ignore[assignment]
        if summary is None:
            summary = _Revocations(
                revocations.seqs[low:high], revocations.items[low:high], agreement
            )
            fact.memo[key] = summary
        return summary.find(grant.id, activity)

    def grants(
        self, agreement: Agreement, party: str | None = None
    ) -> tuple[Grant, ...]:
        """The agreement's grants (of `party`) not withdrawn by id or wholesale.

        A grant withdrawn for some activities only is still listed; ask
        `is_revoked` for a given activity.
        """
        kept: list[Grant] = []
        for grant in agreement.terms.grants:
            if party is not None and grant.party != party:
                continue
            withdrawn = self.revocation(agreement, grant, None)
            if withdrawn is None:
                kept.append(grant)
        return tuple(kept)

    def limits(
        self, party: str, agreement: Agreement | None = None
    ) -> tuple[Limit, ...]:
        """The limits of `party` in effect under `agreement` (or with none).

        The agreement's own limits, and every standing limit declared so far
        unless lifted before the agreement formed (with no agreement: lifted
        so far).
        """
        found: list[Limit] = []
        formed = _NEVER
        if agreement is not None:
            fact = self._fact(agreement)
            own = fact.memo.get(("limits", party))
            if own is None:
                own = tuple(lim for lim in agreement.terms.limits if lim.party == party)
                fact.memo[("limits", party)] = own
            standing_limits = self._history.standing.get(party)
            if not standing_limits:
                return own  # type: ignore[return-value]  # memo values are typed by key
            found.extend(own)  # type: ignore[arg-type]
            formed = fact.seq
        for standing in self._history.standing.get(party, ()):
            if standing.seq >= self.k:
                break
            lifted = standing.lifted
            if lifted < self.k and lifted < formed:
                continue
            found.append(standing.limit)
        return tuple(found)

    def declared_at(self, limit: Limit) -> datetime | None:
        """When `limit` was declared as a standing limit (the latest such), or None."""
        found: datetime | None = None
        for standing in self._history.standing.get(limit.party, ()):
            if standing.seq >= self.k:
                break
            if standing.limit == limit:
                found = standing.at
        return found

    def confirmations(self, party: str, agreement: Agreement) -> tuple[Confirmed, ...]:
        """The confirmations by `party` that count under `agreement`.

        Given after it formed, at or before this time, while not impaired.
        """
        timeline = self._history.confirmations.get(party)
        if timeline is None:
            return ()
        formed = self._fact(agreement).seq
        return tuple(
            event for event, counted in timeline.between(formed, self.k) if counted
        )

    def slowed(self, agreement: Agreement) -> frozenset[str]:
        """The parties whose SLOW under `agreement` awaits their RESUME."""
        slowed: set[str] = set()
        for party, marks in self._fact(agreement).slows.items():
            index = bisect_left(marks.seqs, self.k)
            if not index:
                continue
            resumes = self._history.resumes.get(party)
            if resumes is None or not resumes.any_between(
                marks.seqs[index - 1], self.k
            ):
                slowed.add(party)
        return frozenset(slowed)

    def slow_cap(self, agreement: Agreement, party: str) -> int | None:
        """The intensity cap SLOWs by `party` set under `agreement`, or None."""
        marks = self._fact(agreement).slows.get(party)
        return None if marks is None else marks.last_before(self.k, default=None)

    def authorities(self, agreement: Agreement) -> tuple[Authority, ...]:
        """The agreement's authorities not ended by their subject revoking all."""
        if not agreement.terms.protocol.authority:
            return ()
        fact = self._fact(agreement)
        kept: list[Authority] = []
        for authority in agreement.terms.protocol.authority:
            accepted = fact.accepted_seq(authority.subject)
            revocations = self._history.revocations.get(authority.subject)
            ended = revocations is not None and any(
                event.everything for event in revocations.between(accepted, self.k)
            )
            if not ended:
                kept.append(authority)
        return tuple(kept)

    def negotiation(self, proposal_id: str) -> Negotiation | None:
        """Where proposal `proposal_id` stood, or None when not yet proposed."""
        fact = self._history.proposals.get(proposal_id)
        if fact is None or fact.seq >= self.k:
            return None
        return negotiation_of(fact, self.k)

    def why_no_agreement(self, party: str) -> str:
        """Why no agreement is selected for `party` now, in words (for CK103)."""
        reasons: list[str] = []
        timeline = self._history.by_party.get(party)
        formed = [] if timeline is None else timeline.between(-1, self.k)
        if formed:
            if all(f.terms.window.end <= self.at for f in formed):
                reasons.append("its agreement has expired")
            elif all(f.terms.window.start > self.at for f in formed):
                reasons.append("its agreement's window has not begun")
            else:
                reasons.append("no agreement's window includes this time")
        for fact in self._history.proposals.values():
            if fact.seq >= self.k or party not in fact.event.terms.parties:
                continue
            if fact.status_before(self.k) is NegotiationStatus.OPEN:
                pending = sorted(
                    p
                    for p in fact.event.terms.parties
                    if not (p in fact.acceptances and fact.acceptances[p][0] < self.k)
                )
                reasons.append(
                    f"proposal `{fact.event.proposal_id}` is still open "
                    f"(awaiting {', '.join(f'`{p}`' for p in pending)})"
                )
            reasons.extend(
                f"the acceptance by `{who}` of `{fact.event.proposal_id}` was void: "
                "given while impaired"
                for seq, who in fact.void
                if seq < self.k
            )
        if not reasons:
            reasons.append("no agreement has been formed")
        return "; ".join(reasons)


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


def memo(state: ConsentState, agreement: Agreement) -> dict[object, object]:
    """The built-in rules' cache for what they derive from `agreement`'s terms.

    Terms never change, so entries stay valid for every state.  It is private
    to consentkit: custom rules are handed the state, which offers no way to
    write into it (SPEC 3.1).
    """
    return state._fact(agreement).memo  # noqa: SLF001  # the one way in
