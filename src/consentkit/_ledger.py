"""The ledger: an append-only, hash-chained history of negotiation and scene events.

A `Ledger` is immutable.  Ledgers that extend one another share one growing
list of entries and one `History` of facts (structural sharing): appending to
the newest ledger costs the same however long the history is, and an older
ledger stays valid, seeing only its own entries.  Appending to an older
ledger starts a new branch, which copies that ledger's entries once.
"""

from __future__ import annotations

import pickle
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, overload

from consentkit._agreements import Agreement, Negotiation, NegotiationStatus
from consentkit._canonical import canonical_trusted, digest_bytes
from consentkit._errors import LedgerError, TamperedLedger
from consentkit._events import (
    EVENTS,
    Accepted,
    Confirmed,
    Declined,
    Entry,
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
from consentkit._history import History, negotiation_of
from consentkit._pickling import unpickled
from consentkit._serialize import digest, to_dict, written_form
from consentkit._state import ConsentState
from consentkit._terms import Limit, LimitKind, Terms
from consentkit._time import format_time

__all__ = ["Ledger", "chain_digest"]


def chain_digest(prev: str | None, event_data: Any) -> str:
    """Return an entry's digest: RFC 8785 of ``{"prev": prev, "event": event}``."""
    return _link(prev, canonical_trusted(event_data))


def _link(prev: str | None, event: bytes) -> str:
    """An entry's digest from the canonical bytes of its event."""
    # Keys sorted as RFC 8785 wants them: "event" before "prev".
    prev_json = b"null" if prev is None else b'"' + prev.encode("ascii") + b'"'
    return digest_bytes(b'{"event":' + event + b',"prev":' + prev_json + b"}")


def _proposal_bytes(data: dict[str, Any]) -> tuple[bytes, bytes]:
    """The canonical bytes of a proposal's dictionary and of its terms, encoded once.

    RFC 8785 writes an object's members in the order of their keys, so the
    proposal's bytes are the members before ``"terms"``, the terms, then the
    members after it.
    """
    terms = canonical_trusted(data["terms"])
    before = canonical_trusted({k: v for k, v in data.items() if k < "terms"})
    after = canonical_trusted({k: v for k, v in data.items() if k > "terms"})
    members = (before[1:-1], b'"terms":' + terms, after[1:-1])
    return b"{" + b",".join(m for m in members if m) + b"}", terms


class _Core:
    """The shared, growing list of entries and the facts they establish."""

    __slots__ = ("entries", "history", "lock", "times", "verified")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.times: list[datetime] = []
        self.history = History()
        self.lock = threading.Lock()
        # How many leading entries hold digests this process computed (in
        # `append`) or recomputed: a speed-up, never carried by a copy.
        self.verified = 0


class Ledger:
    """The append-only, hash-chained history of events (SPEC 2).

    ``Ledger()`` is empty; `append` returns a new ledger and leaves this one
    as it was.  Two ledgers are equal when they hold the same entries.
    """

    __slots__ = ("_core", "_n")

    def __init__(self) -> None:
        self._core = _Core()
        self._n = 0

    @classmethod
    def _view(cls, core: _Core, n: int) -> Ledger:
        ledger = cls.__new__(cls)
        ledger._core = core  # noqa: SLF001  # a ledger building a ledger
        ledger._n = n  # noqa: SLF001
        return ledger

    # -- pickling (SPEC 3.5) ----------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the entries and the facts they establish, never the lock or caches.

        Unpickling neither re-validates nor replays: pickle is for trusted
        peers; documents from others go through `loads`.
        """
        return (_unpickle, (_pickled(self._core, self._n),))

    # -- reading ---------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Entry]:
        entries = self._core.entries
        return (entries[i] for i in range(self._n))

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Entry, ...]: ...
    def __getitem__(self, index: int | slice) -> Entry | tuple[Entry, ...]:
        own = range(self._n)[index]
        if isinstance(own, range):
            return tuple(self._core.entries[i] for i in own)
        return self._core.entries[own]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ledger):
            return NotImplemented
        return self._n == other._n and self.head == other.head

    def __hash__(self) -> int:
        return hash((self._n, self.head))

    def __repr__(self) -> str:
        return f"<Ledger of {self._n} entries, head {self.head}>"

    @property
    def head(self) -> str | None:
        """The digest of the last entry, or None when empty."""
        return self._core.entries[self._n - 1].digest if self._n else None

    @property
    def events(self) -> tuple[Event, ...]:
        """The events, in ledger order."""
        return tuple(entry.event for entry in self)

    def verify(self) -> None:
        """Recompute the hash chain.

        Raises:
            TamperedLedger: At the first entry whose position, link or digest
                does not hold.
        """
        verify_entries(list(self))
        core = self._core
        with core.lock:
            core.verified = max(core.verified, self._n)

    def _verify_once(self) -> None:
        """Make sure the chain holds, recomputing only what was never computed here.

        Digests that `append` computed, or that `verify` recomputed, in this
        process hold by construction; any others (a ledger rebuilt from
        trusted entries without replay) are recomputed once.

        Raises:
            TamperedLedger: At the first entry that does not hold.
        """
        if self._core.verified < self._n:
            self.verify()

    def _history(self) -> History:
        core = self._core
        if core.history.count < self._n:  # pragma: no cover  # INVARIANT: never
            raise AssertionError("history behind entries")
        return core.history

    def state_at(self, at: datetime) -> ConsentState:
        """Return the consent in force at `at`, seeing every event at or before it.

        The facts are built once per ledger and shared; this is a binary
        search, so asking again at a later time costs no replay.
        """
        if not isinstance(at, datetime):
            raise TypeError(f"state_at: expected a datetime, got {_kind(at)}")
        if at.utcoffset() is None:
            raise ValueError("state_at: at: must be timezone-aware, got a naive time")
        k = bisect_right(self._core.times, at, 0, self._n)
        return ConsentState(self._history(), k, at)

    def agreements(self) -> tuple[Agreement, ...]:
        """The agreements formed, in order of formation."""
        return tuple(f.agreement for f in self._history().agreements if f.seq < self._n)

    def negotiation(self, proposal_id: str) -> Negotiation:
        """Where a proposal stands.

        Raises:
            LedgerError: No proposal has that id.
        """
        fact = self._history().proposals.get(proposal_id)
        if fact is None or fact.seq >= self._n:
            raise LedgerError("unknown-proposal", f"no proposal `{proposal_id}`")
        return negotiation_of(fact, self._n)

    # -- writing ---------------------------------------------------------

    def append(self, event: Event) -> Ledger:
        """Return a new ledger with `event` recorded after this one's entries.

        Raises:
            LedgerError: The event breaks a ledger rule (named in `rule`);
                this ledger is unchanged.
        """
        if not isinstance(event, EVENTS):
            raise TypeError(f"append: expected an event, got {_kind(event)}")
        return self._append(event, None)

    def _append(self, event: Event, data: dict[str, Any] | None) -> Ledger:
        """`append`, hashing `data` when given: ``to_dict(event)``, as read."""
        core = self._core
        with core.lock:
            if self._n != len(core.entries):
                core = _branch(self._core, self._n)
            _check(core, event)
            if data is None:
                data = to_dict(event)
            terms_digest = None
            if isinstance(event, Proposed):
                encoded, terms = _proposal_bytes(data)
                terms_digest = digest_bytes(terms)
            else:
                encoded = canonical_trusted(data)
            prev = core.entries[-1].digest if core.entries else None
            entry = Entry.trusted(self._n, event, prev, _link(prev, encoded))
            core.history.apply(event, terms_digest)
            if core.verified == len(core.entries):
                core.verified += 1
            core.entries.append(entry)
            core.times.append(event.at)
        return Ledger._view(core, self._n + 1)

    def extend(self, events: Iterable[Event]) -> Ledger:
        """Append each event in turn and return the last ledger."""
        ledger = self
        for event in events:
            ledger = ledger.append(event)
        return ledger

    # -- convenience -----------------------------------------------------

    def propose(
        self,
        *,
        by: str,
        terms: Terms,
        at: datetime,
        proposal_id: str | None = None,
        supersedes: str | None = None,
    ) -> Ledger:
        """Record a `Proposed`; a missing id becomes the smallest unused ``p<n>``."""
        if proposal_id is None:
            taken = self._history().proposals
            n = 1
            while f"p{n}" in taken and taken[f"p{n}"].seq < self._n:
                n += 1
            proposal_id = f"p{n}"
        return self.append(
            Proposed(
                at=at,
                by=by,
                proposal_id=proposal_id,
                terms=terms,
                supersedes=supersedes,
            )
        )

    def accept(self, *, by: str, proposal_id: str, at: datetime) -> Ledger:
        """Record an `Accepted` of the proposal's terms (the digest filled in)."""
        fact = self._history().proposals.get(proposal_id)
        if fact is None or fact.seq >= self._n:
            raise LedgerError("unknown-proposal", f"no proposal `{proposal_id}`")
        return self.append(
            Accepted(
                at=at, by=by, proposal_id=proposal_id, terms_digest=fact.terms_digest
            )
        )

    def decline(
        self, *, by: str, proposal_id: str, at: datetime, reason: str = ""
    ) -> Ledger:
        """Record a `Declined`."""
        return self.append(
            Declined(at=at, by=by, proposal_id=proposal_id, reason=reason)
        )

    def withdraw(self, *, by: str, proposal_id: str, at: datetime) -> Ledger:
        """Record a `Withdrawn`."""
        return self.append(Withdrawn(at=at, by=by, proposal_id=proposal_id))

    def confirm(self, *, by: str, activity: str, at: datetime) -> Ledger:
        """Record a `Confirmed`."""
        return self.append(Confirmed(at=at, by=by, activity=activity))

    def revoke(  # noqa: PLR0913  # the event's fields, by keyword
        self,
        *,
        by: str,
        at: datetime,
        activities: Iterable[str] = (),
        grants: Iterable[str] = (),
        proposal_id: str | None = None,
        reason: str = "",
    ) -> Ledger:
        """Record a `Revoked` (nothing listed: everything)."""
        return self.append(
            Revoked(
                at=at,
                by=by,
                activities=frozenset(activities),
                grants=frozenset(grants),
                proposal_id=proposal_id,
                reason=reason,
            )
        )

    def declare_limit(self, *, by: str, limit: Limit, at: datetime) -> Ledger:
        """Record a `LimitDeclared`."""
        return self.append(LimitDeclared(at=at, by=by, limit=limit))

    def lift_limit(
        self,
        *,
        by: str,
        kind: LimitKind,
        at: datetime,
        activity: str | None = None,
        tag: str | None = None,
    ) -> Ledger:
        """Record a `LimitLifted`."""
        return self.append(
            LimitLifted(at=at, by=by, kind=kind, activity=activity, tag=tag)
        )

    def signal(
        self, *, by: str, cue: str, at: datetime, intensity: int | None = None
    ) -> Ledger:
        """Record a `SignalGiven`."""
        return self.append(SignalGiven(at=at, by=by, cue=cue, intensity=intensity))

    def declare_impaired(self, *, by: str, party: str, at: datetime) -> Ledger:
        """Record an `ImpairmentDeclared`."""
        return self.append(ImpairmentDeclared(at=at, by=by, party=party))

    def clear_impaired(self, *, by: str, party: str, at: datetime) -> Ledger:
        """Record an `ImpairmentCleared`."""
        return self.append(ImpairmentCleared(at=at, by=by, party=party))

    @classmethod
    def _from_entries(
        cls, entries: Sequence[Entry], written: Sequence[Any] | None = None
    ) -> Ledger:
        """Rebuild a ledger from entries written elsewhere, checking chain and rules.

        A broken chain anywhere outranks a broken rule, yet each event is
        serialized and hashed once: `append` computes the digest that the
        entry must carry, and only a mismatch or a broken rule sends the
        whole chain to `verify_entries`.

        `written` holds each event's data as the document held it, when the
        caller parsed the document itself and nobody else holds the data.
        An event's data that is exactly what ``to_dict(event)`` gives (see
        `written_form`) is hashed as it is, which saves writing the event
        again; any other is written again from the event, as always.

        Raises:
            TamperedLedger: At the first entry whose position, link or digest
                does not hold.
            LedgerError: At the first event that breaks a ledger rule (`seq`
                names its entry).
        """
        ledger = cls()
        prev: str | None = None
        as_written = written_form(Event)
        for index, entry in enumerate(entries):
            if entry.seq != index or entry.prev != prev:
                break
            data = written[index] if written is not None else None
            if data is not None and not as_written(data):
                data = None
            try:
                ledger = ledger._append(entry.event, data)
            except LedgerError as error:
                verify_entries(entries)
                error.seq = index
                raise
            if ledger.head != entry.digest:
                break
            prev = entry.digest
        else:
            return ledger
        verify_entries(entries)  # INVARIANT: raises, as an entry above did not hold
        raise AssertionError("unreachable")  # pragma: no cover


def verify_entries(entries: Sequence[Entry]) -> None:
    """Check positions, links and digests of a chain of entries.

    Raises:
        TamperedLedger: At the first entry that does not hold.
    """
    prev: str | None = None
    for index, entry in enumerate(entries):
        if entry.seq != index:
            raise TamperedLedger(index, f"has seq {entry.seq}, expected {index}")
        if entry.prev != prev:
            raise TamperedLedger(index, "does not link to the entry before it")
        if entry.digest != chain_digest(prev, to_dict(entry.event)):
            raise TamperedLedger(index, "digest does not match its contents")
        prev = entry.digest


def _branch(core: _Core, n: int) -> _Core:
    """A new core holding the first `n` entries of `core`."""
    branch = _Core()
    branch.verified = min(n, core.verified)
    for entry in core.entries[:n]:
        event = entry.event
        terms_digest = digest(event.terms) if isinstance(event, Proposed) else None
        branch.history.apply(event, terms_digest)
        branch.entries.append(entry)
        branch.times.append(event.at)
    return branch


def _pickled(core: _Core, n: int) -> bytes:
    """The first `n` entries of `core` and the facts they establish, pickled.

    Under the lock, so that an append to the same history by another thread
    never shows half-done; a ledger seeing only part of its core is pickled
    as a branch of its own, so it carries nothing it does not hold.
    """
    with core.lock:
        if n != len(core.entries):
            core = _branch(core, n)
        return pickle.dumps(
            (core.entries, core.history), protocol=pickle.HIGHEST_PROTOCOL
        )


def _unpickle(data: bytes) -> Ledger:
    """The ledger that `_pickled` wrote; a fresh lock, the times read off again."""
    entries, history = unpickled(data)
    core = _Core()
    core.entries = entries
    core.times = [entry.event.at for entry in entries]
    core.history = history
    return Ledger._view(core, len(entries))  # noqa: SLF001  # the module's own


def _refuse(rule: str, message: str, core: _Core) -> LedgerError:
    return LedgerError(rule, message, seq=len(core.entries))


def _proposal(core: _Core, proposal_id: str, by: str, *, open_only: bool) -> Terms:
    fact = core.history.proposals.get(proposal_id)
    if fact is None:
        raise _refuse("unknown-proposal", f"no proposal `{proposal_id}`", core)
    terms = fact.event.terms
    if by not in terms.parties:
        raise _refuse(
            "not-a-party", f"`{by}` is not a party of proposal `{proposal_id}`", core
        )
    if open_only and fact.status is not NegotiationStatus.OPEN:
        raise _refuse(
            "not-open",
            f"proposal `{proposal_id}` is {fact.status.value}, not open",
            core,
        )
    return terms


def _check(core: _Core, event: Event) -> None:  # noqa: C901, PLR0912
    """Check `event` against the ledger rules.

    Raises:
        LedgerError: Naming the rule broken.
    """
    history = core.history
    if core.times and event.at < core.times[-1]:
        raise _refuse(
            "time-order",
            f"at: `{format_time(event.at)}` is before the last event "
            f"(`{format_time(core.times[-1])}`); times never go backwards",
            core,
        )
    if isinstance(event, SignalGiven | ImpairmentDeclared | Confirmed):
        return  # SPEC 2: never refused but for time order
    if isinstance(event, Proposed):
        if event.by not in event.terms.parties:
            raise _refuse(
                "not-a-party",
                f"the proposer `{event.by}` is not a party of the terms",
                core,
            )
        if event.proposal_id in history.proposals:
            raise _refuse(
                "duplicate-proposal",
                f"proposal id `{event.proposal_id}` is taken",
                core,
            )
        if event.supersedes is not None:
            _proposal(core, event.supersedes, event.by, open_only=False)
        return
    if isinstance(event, Accepted):
        terms = _proposal(core, event.proposal_id, event.by, open_only=True)
        fact = history.proposals[event.proposal_id]
        if event.by in fact.acceptances:
            raise _refuse(
                "already-accepted",
                f"`{event.by}` has already accepted `{event.proposal_id}`",
                core,
            )
        if event.terms_digest != fact.terms_digest:
            raise _refuse(
                "digest-mismatch",
                f"terms_digest: `{event.terms_digest}` is not the digest of the terms "
                f"of `{event.proposal_id}`; nobody is bound to terms they did not see",
                core,
            )
        del terms
    elif isinstance(event, Declined):
        _proposal(core, event.proposal_id, event.by, open_only=True)
    elif isinstance(event, Withdrawn):
        _proposal(core, event.proposal_id, event.by, open_only=True)
        proposer = history.proposals[event.proposal_id].event.by
        if event.by != proposer:
            raise _refuse(
                "not-the-proposer",
                f"only the proposer `{proposer}` may withdraw `{event.proposal_id}`",
                core,
            )
    elif isinstance(event, Revoked):
        _check_revoked(core, event)
    elif isinstance(event, LimitDeclared):
        if event.limit.party != event.by:
            raise _refuse(
                "not-own-limit",
                f"limit.party: `{event.by}` may declare only their own limits",
                core,
            )
    elif isinstance(event, LimitLifted):
        if history.impaired(event.by, len(core.entries)):
            raise _refuse(
                "impaired",
                f"`{event.by}` is declared impaired and may not lift a limit",
                core,
            )
        if not history.lifted_by(event):
            target = (
                event.activity if event.activity is not None else f"tag {event.tag}"
            )
            raise _refuse(
                "no-such-limit",
                f"`{event.by}` has no standing {event.kind.value} limit on `{target}`",
                core,
            )
    elif isinstance(event, ImpairmentCleared):
        if event.by == event.party:
            raise _refuse(
                "self-clearing",
                f"`{event.by}` may not clear their own impairment",
                core,
            )
    else:
        unhandled(event)


def _check_revoked(core: _Core, event: Revoked) -> None:
    history = core.history
    if event.proposal_id is not None and event.proposal_id not in history.proposals:
        raise _refuse("unknown-proposal", f"no proposal `{event.proposal_id}`", core)
    for grant_id in sorted(event.grants):
        proposals = history.grant_ids.get((event.by, grant_id), ())
        if not proposals or (
            event.proposal_id is not None and event.proposal_id not in proposals
        ):
            where = (
                f"proposal `{event.proposal_id}`"
                if event.proposal_id is not None
                else "any proposal"
            )
            raise _refuse(
                "unknown-grant",
                f"grants: `{grant_id}` is not a grant of `{event.by}` in {where}",
                core,
            )


def _kind(value: object) -> str:
    """What a wrongly typed argument is, in words: "a `Plan`"."""
    return f"a `{type(value).__name__}`"
