# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Compact builders for engine tests: a mistress and a client who agree on a scene.

`scene(...)` proposes terms and has every party accept them, so one line gives
a ledger with an agreement in force; `step(...)` plans one activity by the
mistress on the client.  Times are minutes from `T0`, the start of the
default window; the default agreement forms an hour before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Final

from consentkit import (
    Aftercare,
    Authority,
    CheckInWithin,
    ConfirmFirst,
    Decision,
    Equipment,
    Grant,
    Ledger,
    Limit,
    LimitKind,
    MaxDuration,
    NonverbalSignal,
    Proposed,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Spotter,
    Step,
    Terms,
    Verdict,
    Window,
)

__all__ = [
    "ALLOWED",
    "BASIC",
    "CLIENT",
    "DROP",
    "FORMED",
    "GREEN",
    "MISTRESS",
    "RED",
    "SIGNALS",
    "T0",
    "WINDOW",
    "YELLOW",
    "Condition",
    "agree",
    "at",
    "gives",
    "hard",
    "outcome",
    "pair",
    "protocol",
    "receives",
    "scene",
    "soft",
    "step",
    "terms",
    "witnesses",
]

Condition = (
    CheckInWithin | NonverbalSignal | MaxDuration | Equipment | Spotter | ConfirmFirst
)

MISTRESS: Final = "mistress"
CLIENT: Final = "client"
T0: Final = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)
FORMED: Final = T0 - timedelta(hours=1)
WINDOW: Final = Window(start=T0, end=T0 + timedelta(hours=3))

RED: Final = Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP)
YELLOW: Final = Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW)
GREEN: Final = Signal(cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME)
DROP: Final = Signal(
    cue="drop",
    kind=SignalKind.NONVERBAL,
    meaning=SignalMeaning.STOP,
    needs=frozenset({"free_hand"}),
)
SIGNALS: Final = (RED, YELLOW, GREEN)


def at(minutes: float) -> datetime:
    """The time `minutes` after `T0` (negative: before it)."""
    return T0 + timedelta(minutes=minutes)


def protocol(
    *,
    signals: Iterable[Signal] = SIGNALS,
    check_in_minutes: int | None = None,
    equipment: Iterable[str] = (),
    aftercare: Iterable[Aftercare] = (),
    authority: Iterable[Authority] = (),
    sobriety_required: bool = True,
) -> Protocol:
    """A protocol with red, yellow and green spoken signals unless told otherwise."""
    return Protocol(
        signals=tuple(signals),
        check_in_minutes=check_in_minutes,
        equipment=frozenset(equipment),
        aftercare=tuple(aftercare),
        authority=tuple(authority),
        sobriety_required=sobriety_required,
    )


BASIC: Final = protocol()


def _grant(
    party: str,
    role: Role,
    activity: str,
    *,
    cap: int | None,
    subtypes: bool,
    conditions: Iterable[Condition],
    counterparties: Iterable[str] | None,
    grant_id: str | None,
) -> Grant:
    return Grant(
        id=grant_id or f"{party}-{role.value}-{activity}",
        party=party,
        role=role,
        activity=activity,
        counterparties=None if counterparties is None else frozenset(counterparties),
        max_intensity=cap,
        include_subtypes=subtypes,
        conditions=tuple(conditions),
    )


def receives(
    activity: str,
    *,
    party: str = CLIENT,
    cap: int | None = None,
    subtypes: bool = False,
    conditions: Iterable[Condition] = (),
    counterparties: Iterable[str] | None = None,
    grant_id: str | None = None,
) -> Grant:
    """A RECEIVE grant, by default the client's (id ``client-receive-<activity>``)."""
    return _grant(
        party,
        Role.RECEIVE,
        activity,
        cap=cap,
        subtypes=subtypes,
        conditions=conditions,
        counterparties=counterparties,
        grant_id=grant_id,
    )


def gives(
    activity: str,
    *,
    party: str = MISTRESS,
    cap: int | None = None,
    subtypes: bool = False,
    conditions: Iterable[Condition] = (),
    counterparties: Iterable[str] | None = None,
    grant_id: str | None = None,
) -> Grant:
    """A GIVE grant, by default the mistress's (id ``mistress-give-<activity>``)."""
    return _grant(
        party,
        Role.GIVE,
        activity,
        cap=cap,
        subtypes=subtypes,
        conditions=conditions,
        counterparties=counterparties,
        grant_id=grant_id,
    )


def witnesses(
    activity: str,
    *,
    party: str,
    counterparties: Iterable[str] | None = (MISTRESS, CLIENT),
    subtypes: bool = False,
    conditions: Iterable[Condition] = (),
) -> Grant:
    """A WITNESS grant of `party` (id ``<party>-witness-<activity>``)."""
    return _grant(
        party,
        Role.WITNESS,
        activity,
        cap=None,
        subtypes=subtypes,
        conditions=conditions,
        counterparties=counterparties,
        grant_id=None,
    )


def pair(
    activity: str, *, cap: int | None = None, subtypes: bool = False
) -> tuple[Grant, Grant]:
    """Both sides for `activity`: the client receives, the mistress gives."""
    return (
        receives(activity, cap=cap, subtypes=subtypes),
        gives(activity, subtypes=subtypes),
    )


def hard(
    activity: str | None = None,
    *,
    tag: str | None = None,
    party: str = CLIENT,
    roles: Iterable[Role] = (Role.GIVE, Role.RECEIVE),
) -> Limit:
    """A HARD limit, by default the client's."""
    return Limit(
        party=party,
        kind=LimitKind.HARD,
        activity=activity,
        tag=tag,
        roles=frozenset(roles),
    )


def soft(
    activity: str | None = None,
    *,
    tag: str | None = None,
    party: str = CLIENT,
    roles: Iterable[Role] = (Role.GIVE, Role.RECEIVE),
) -> Limit:
    """A SOFT limit, by default the client's."""
    return Limit(
        party=party,
        kind=LimitKind.SOFT,
        activity=activity,
        tag=tag,
        roles=frozenset(roles),
    )


def terms(
    *,
    grants: Iterable[Grant] = (),
    limits: Iterable[Limit] = (),
    protocol: Protocol | None = None,
    parties: Iterable[str] = (MISTRESS, CLIENT),
    window: Window = WINDOW,
) -> Terms:
    """Terms between `parties` (the mistress and the client by default)."""
    return Terms(
        parties=frozenset(parties),
        window=window,
        grants=tuple(grants),
        limits=tuple(limits),
        protocol=BASIC if protocol is None else protocol,
    )


def agree(
    ledger: Ledger,
    agreed: Terms,
    *,
    at: datetime = FORMED,
    proposal_id: str | None = None,
) -> Ledger:
    """Propose `agreed` and have every party accept it at once, in sorted order."""
    proposer = MISTRESS if MISTRESS in agreed.parties else min(agreed.parties)
    ledger = ledger.propose(by=proposer, terms=agreed, at=at, proposal_id=proposal_id)
    proposed = ledger.events[-1]
    assert isinstance(proposed, Proposed)
    for party in sorted(agreed.parties):
        ledger = ledger.accept(by=party, proposal_id=proposed.proposal_id, at=at)
    return ledger


def scene(
    *,
    grants: Iterable[Grant] = (),
    limits: Iterable[Limit] = (),
    protocol: Protocol | None = None,
    parties: Iterable[str] = (MISTRESS, CLIENT),
    window: Window = WINDOW,
    formed: datetime = FORMED,
) -> Ledger:
    """A ledger where `parties` agreed on these terms (proposal ``p1``) at `formed`."""
    agreed = terms(
        grants=grants, limits=limits, protocol=protocol, parties=parties, window=window
    )
    return agree(Ledger(), agreed, at=formed, proposal_id="p1")


def step(
    activity: str,
    intensity: int = 1,
    *,
    at: datetime = T0,
    minutes: int = 0,
    actor: str = MISTRESS,
    recipient: str = CLIENT,
    present: Iterable[str] = (),
    directed_by: str | None = None,
) -> Step:
    """One step, by default the mistress on the client at `T0`, an instant."""
    return Step(
        actor=actor,
        recipient=recipient,
        activity=activity,
        intensity=intensity,
        at=at,
        duration=timedelta(minutes=minutes),
        present=frozenset(present),
        directed_by=directed_by,
    )


def outcome(decision: Decision) -> tuple[Verdict, set[str]]:
    """The verdict and the set of finding codes, the pair tests compare."""
    return decision.verdict, set(decision.codes)


#: The outcome of an ALLOW: no finding at all.
ALLOWED: Final[tuple[Verdict, set[str]]] = (Verdict.ALLOW, set())
