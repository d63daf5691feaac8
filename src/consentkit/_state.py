"""`ConsentState`: a read-only view of a ledger's history at one time.

A state is the history (`_history.History`) read up to a position ``k``
(every event at or before its time) at a time ``at``.  Finding a state is a
binary search, never a replay.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import attrs

from consentkit._agreements import Agreement, Negotiation, NegotiationStatus
from consentkit._events import (
    Confirmed,
    Revoked,
    SignalGiven,
)
from consentkit._facts import CatalogIndex, LimitIndex, TermsFacts
from consentkit._history import (
    NEVER,
    AgreementFact,
    History,
    Revocations,
    negotiation_of,
)
from consentkit._serialize import digest
from consentkit._terms import Authority, Grant, Limit, LimitKind

__all__ = ["ConsentState"]


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

    def standing_kinds(self) -> frozenset[LimitKind]:
        """The kinds of the standing limits declared before this state."""
        return frozenset(
            standing.limit.kind
            for found in self._history.standing.values()
            for standing in found
            if standing.seq < self.k
        )

    @property
    def any_revocations(self) -> bool:
        """Whether anyone revoked anything before this state (a quick test)."""
        return any(
            timeline.seqs[0] < self.k for timeline in self._history.revocations.values()
        )

    @property
    def standing_parties(self) -> frozenset[str]:
        """The parties who declared a standing limit before this state."""
        return frozenset(
            party
            for party, found in self._history.standing.items()
            if found and found[0].seq < self.k
        )

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
        found = self.revocations(agreement, grant.party)
        return None if found is None else found.find(grant.id, activity)

    def revocations(self, agreement: Agreement, party: str) -> Revocations | None:
        """`party`'s revocations since accepting `agreement`, indexed; None if none."""
        revocations = self._history.revocations.get(party)
        if not revocations:
            return None
        fact = self._fact(agreement)
        key = (party, self.k)
        if key in fact.revoked:
            return fact.revoked[key]
        seqs = revocations.seqs
        low = bisect_right(seqs, fact.accepted_seq(party))
        high = bisect_left(seqs, self.k)
        summary = None
        if low < high:
            events = revocations.items[low:high]
            summary = Revocations(seqs[low:high], events, agreement)
        fact.revoked[key] = summary
        return summary

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
        own: tuple[Limit, ...] = ()
        formed = NEVER
        if agreement is not None:
            own = tuple(lim for lim in agreement.terms.limits if lim.party == party)
            formed = self._fact(agreement).seq
        return own + self._standing(party, formed)

    def _standing(self, party: str, formed: int) -> tuple[Limit, ...]:
        found: list[Limit] = []
        for standing in self._history.standing.get(party, ()):
            if standing.seq >= self.k:
                break
            lifted = standing.lifted
            if lifted < self.k and lifted < formed:
                continue
            found.append(standing.limit)
        return tuple(found)

    def limit_index(
        self, party: str, agreement: Agreement | None, index: CatalogIndex
    ) -> LimitIndex:
        """`limits(party, agreement)`, indexed by what they reach in `index`."""
        history = self._history
        has_standing = party in history.standing
        if agreement is not None:
            if not has_standing:
                return self._fact(agreement).facts(index).limits_of(party)
            fact = self._fact(agreement)
            terms = fact.facts(index)
            key = (index, party, self.k)
            found = fact.limits.get(key)
            if found is None:
                limits = terms.limits_of(party).limits + self._standing(party, fact.seq)
                found = LimitIndex(limits, index)
                fact.limits[key] = found
            return found
        key = (index, party, self.k if has_standing else 0)
        found = history.limits.get(key)
        if found is None:
            found = LimitIndex(self._standing(party, NEVER), index)
            history.limits[key] = found
        return found

    def facts(self, agreement: Agreement, index: CatalogIndex) -> TermsFacts:
        """What `agreement`'s terms say, indexed for `index`'s catalog."""
        return self._fact(agreement).facts(index)

    def standing_digest(self, limit: Limit) -> tuple[datetime, str] | None:
        """When `limit` was last declared as a standing limit, and its digest."""
        declared = self.declared_at(limit)
        return None if declared is None else (declared, _digest(limit))

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


#: A limit's digest, the record a finding refers to.
_digest: Final = functools.lru_cache(maxsize=4096)(digest)


def situation(
    state: ConsentState, parties: Iterable[str]
) -> tuple[History, AgreementFact | None]:
    """The history `state` reads and the agreement selected for `parties`.

    The engine's key for what rules' guards said: private to consentkit.
    """
    history = state._history  # noqa: SLF001  # the one way in
    return history, history.select(parties, state.at, state.k)
