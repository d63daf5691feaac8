"""Steps and plans, and steps that matter to a ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hypothesis import strategies as st

from consentkit._catalog import covers
from consentkit._events import Proposed
from consentkit._ledger import Ledger
from consentkit._plan import Plan, Step
from consentkit._terms import Grant, Role, Terms, Window
from consentkit.testing import _times
from consentkit.testing._draw import (
    _NAMES,
    CatalogArg,
    _Acts,
    _coin,
    _distinct,
    _given,
    _int,
    _ledger_catalog,
    _pick,
    _rarely,
    _resolve,
    _seconds,
    _some,
    _text,
)
from consentkit.testing._ids import party_ids
from consentkit.testing._ledgers import ledgers


@st.composite
def steps(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    times: st.SearchStrategy[datetime] | None = None,
    ledger: Ledger | None = None,
) -> Step:
    """Planned steps; given a `ledger`, steps that matter to it.

    Without a ledger: any valid step, its parties from `parties`, its
    activity from `catalog` (any id when None), at any of `times`.

    With a ledger, most steps fall under one of its agreements (else one of
    its proposals): by the actor on the recipient of a matching GIVE/RECEIVE
    pair of grants, on the pair's activity or beneath it, within the grants'
    caps, at a time inside the window at or after the agreement formed -- and
    now and then at the window's start or end, at the moment it formed, for
    a duration running past the end, before a witness or on someone's
    direction.  `catalog` should be the one the ledger was built from
    (default: the default catalog).
    """
    if ledger is not None and len(ledger):
        return _relevant_step(draw, ledger, _Acts.of(_ledger_catalog(draw, catalog)))
    acts = _Acts.of(_resolve(draw, catalog))
    people = _distinct(draw, _given(parties, party_ids()), 2, 4)
    return _step(
        draw,
        people=people,
        acts=acts,
        at=draw(_given(times, _times.times())),
    )


_steps = steps


def _step(draw: st.DrawFn, *, people: Sequence[str], acts: _Acts, at: datetime) -> Step:
    duration = timedelta(0)
    if _rarely(draw, 3):
        duration = timedelta(seconds=_int(draw, 1, 4 * 3600))
    return Step(
        actor=people[0],
        recipient=people[1],
        activity=acts.activity(draw),
        intensity=_int(draw, 1, 10),
        at=at,
        duration=duration,
        present=frozenset(p for p in people[2:] if _coin(draw)),
        directed_by=_pick(draw, people) if _rarely(draw, 5) else None,
    )


def _pairs(agreed: Terms) -> list[tuple[Grant, Grant]]:
    """Matching GIVE/RECEIVE grants of two parties on related activities."""
    return [
        (give, receive)
        for give in agreed.grants
        if give.role is Role.GIVE
        for receive in agreed.grants
        if receive.role is Role.RECEIVE
        and receive.party != give.party
        and (give.counterparties is None or receive.party in give.counterparties)
        and (receive.counterparties is None or give.party in receive.counterparties)
        and (
            covers(give.activity, receive.activity)
            or covers(receive.activity, give.activity)
        )
    ]


def _relevant_step(draw: st.DrawFn, ledger: Ledger, acts: _Acts) -> Step:
    formed = ledger.agreements()
    offered = [e.terms for e in ledger.events if isinstance(e, Proposed)]
    if formed and not _rarely(draw, 8):
        agreement = _pick(draw, formed)
        agreed, earliest = agreement.terms, agreement.formed_at
    elif offered:
        agreed = _pick(draw, offered)
        earliest = agreed.window.start
    else:
        return _step_without_terms(draw, ledger, acts)
    at = _moment(draw, agreed.window, earliest)
    # The agreement a step at `at` falls under is the newest one running then.
    running = [a for a in formed if a.formed_at <= at and at in a.terms.window]
    if running:
        agreed = running[-1].terms
    parties = sorted(agreed.parties)
    actor, recipient, activity, cap = _who_and_what(draw, agreed, acts)
    intensity = _int(draw, 1, 10 if cap is None or _rarely(draw, 10) else cap)
    duration = timedelta(0)
    roll = _int(draw, 0, 4)
    room = _seconds(agreed.window.end - at)
    if roll == 3 and room > 0:
        duration = timedelta(seconds=_int(draw, 1, room))
    elif roll == 4:
        duration = timedelta(seconds=_int(draw, 1, 7200))
    others = [p for p in parties if p not in {actor, recipient}]
    present: frozenset[str] = frozenset()
    if others and _rarely(draw, 10):
        present = frozenset({_pick(draw, others)})
    directed_by = None
    if _rarely(draw, 6):
        holders = [
            a.holder for a in agreed.protocol.authority if a.subject == recipient
        ]
        directed_by = _pick(draw, holders or parties)
    return Step(
        actor=actor,
        recipient=recipient,
        activity=activity,
        intensity=intensity,
        at=at,
        duration=duration,
        present=present,
        directed_by=directed_by,
    )


def _who_and_what(
    draw: st.DrawFn, agreed: Terms, acts: _Acts
) -> tuple[str, str, str, int | None]:
    """Actor, recipient, activity and cap: from a matching pair of grants mostly."""
    pairs = _pairs(agreed)
    if not pairs or _rarely(draw, 5):
        actor, recipient = _some(draw, sorted(agreed.parties), 2, 2)
        return actor, recipient, acts.activity(draw), None
    give, receive = _pick(draw, pairs)
    activity = max(give.activity, receive.activity, key=len)
    catalog = acts.catalog
    below = (
        catalog.descendants(activity)
        if catalog is not None and activity in catalog
        else ()
    )
    subtree = give.include_subtypes and receive.include_subtypes
    if subtree and below and _rarely(draw, 4):
        activity = _pick(draw, below)
    caps = [c for c in (give.max_intensity, receive.max_intensity) if c]
    return give.party, receive.party, activity, min(caps) if caps else None


def _step_without_terms(draw: st.DrawFn, ledger: Ledger, acts: _Acts) -> Step:
    """A step after a ledger without proposals: its people, and a stranger if needed."""
    named = {e.by for e in ledger.events}
    named |= {getattr(e, "party", e.by) for e in ledger.events}
    people = _some(draw, sorted(named), 1, 3)
    if len(people) < 2:
        people.append(next(n for n in _NAMES if n not in people))
    at = ledger.events[-1].at + timedelta(seconds=_pick(draw, (0, 60, 3600)))
    return _step(draw, people=people, acts=acts, at=at)


def _moment(draw: st.DrawFn, window: Window, earliest: datetime) -> datetime:
    """Inside the window at or after `earliest` mostly; else at a boundary."""
    low = max(window.start, earliest)
    roll = _int(draw, 0, 15)
    if roll < 12 and low < window.end:
        span = _seconds(window.end - low)
        return low + timedelta(seconds=_int(draw, 0, max(0, span - 1)))
    return (window.start, window.end, earliest, low)[roll % 4]


@st.composite
def plans(  # noqa: PLR0913  # each shape of a plan is a knob
    draw: st.DrawFn,
    *,
    steps: st.SearchStrategy[Step] | None = None,
    ledger: Ledger | None = None,
    catalog: CatalogArg = None,
    min_size: int = 1,
    max_size: int = 6,
) -> Plan:
    """Plans of steps in time order; given a `ledger`, steps that matter to it."""
    if steps is None:
        found = (
            _ledger_catalog(draw, catalog)
            if ledger is not None
            else _resolve(draw, catalog)
        )
        steps = _steps(ledger=ledger, catalog=found)
    low = max(1, min_size)
    drawn = draw(st.lists(steps, min_size=low, max_size=max(low, max_size)))
    return Plan(steps=tuple(sorted(drawn, key=lambda s: s.at)), title=_text(draw))


@st.composite
def ledgers_and_steps(
    draw: st.DrawFn,
    *,
    catalog: CatalogArg = None,
    parties: st.SearchStrategy[str] | None = None,
    min_events: int = 0,
    max_events: int = 30,
) -> tuple[Ledger, Step]:
    """A rule-abiding ledger and a step that matters to it (see `steps`)."""
    found = _ledger_catalog(draw, catalog)
    ledger = draw(
        ledgers(
            catalog=found,
            parties=parties,
            min_events=min_events,
            max_events=max_events,
        )
    )
    return ledger, draw(steps(ledger=ledger, catalog=found))
