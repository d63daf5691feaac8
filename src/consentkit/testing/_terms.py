"""Limits, conditions, grants, signals, protocols and the terms they make up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import attrs
from hypothesis import strategies as st

from consentkit import _validate as v
from consentkit._terms import (
    Aftercare,
    Authority,
    CheckInWithin,
    Condition,
    ConfirmFirst,
    Equipment,
    Grant,
    Limit,
    LimitKind,
    MaxDuration,
    NonverbalSignal,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Spotter,
    Terms,
    Window,
)
from consentkit.testing import _times
from consentkit.testing._draw import (
    _ANY_ID,
    _ANY_MINUTES,
    _ANY_TEXT,
    _CUES,
    _EQUIPMENT,
    CatalogArg,
    _Acts,
    _any_activity,
    _coin,
    _distinct,
    _given,
    _int,
    _minutes,
    _pick,
    _rarely,
    _resolve,
    _roll,
    _some,
    _text,
)
from consentkit.testing._ids import party_ids

_RED: Final = Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP)
_YELLOW: Final = Signal(
    cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW
)
_GREEN: Final = Signal(
    cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME
)
_DROP: Final = Signal(
    cue="drop",
    kind=SignalKind.NONVERBAL,
    meaning=SignalMeaning.STOP,
    needs=frozenset({"free_hand"}),
)
_ROLE_SETS: Final = (
    frozenset({Role.GIVE, Role.RECEIVE}),
    frozenset({Role.RECEIVE}),
    frozenset({Role.GIVE}),
    frozenset(Role),
    frozenset({Role.WITNESS}),
)
_CAPABILITIES: Final = tuple(sorted(v.CAPABILITIES))


def _limit(draw: st.DrawFn, party: str, acts: _Acts) -> Limit:
    ids = acts.ids or ("",)
    by_tag, kind, roles, noted, which = _roll(draw, 3, 2, len(_ROLE_SETS), 4, len(ids))
    return Limit(
        party=party,
        kind=(LimitKind.HARD, LimitKind.SOFT)[kind],
        activity=None if by_tag == 2 else (ids[which] or _any_activity(draw)),
        tag=acts.tag(draw) if by_tag == 2 else None,
        roles=_ROLE_SETS[roles],
        note=draw(_ANY_TEXT) if noted == 3 else "",
    )


@st.composite
def limits(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
) -> Limit:
    """HARD and SOFT limits on an activity subtree or on a tag, in some roles."""
    acts = _Acts.of(_resolve(draw, catalog))
    return _limit(draw, draw(_given(parties, party_ids())), acts)


def _condition(draw: st.DrawFn, pool: Sequence[str], acts: _Acts) -> Condition:
    kind = _int(draw, 0, 5)
    if kind == 0:
        return CheckInWithin(minutes=_minutes(draw))
    if kind == 1:
        return NonverbalSignal()
    if kind == 2:
        return MaxDuration(minutes=_minutes(draw))
    if kind == 3:
        return Equipment(item=acts.item(draw))
    if kind == 4:
        return Spotter(party=_pick(draw, pool))
    return ConfirmFirst(within_minutes=_minutes(draw) if _coin(draw) else None)


def conditions(
    *,
    parties: st.SearchStrategy[str] | None = None,
    equipment: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Condition]:
    """Grant conditions of every kind (a `Spotter` names one of `parties`)."""
    minutes = st.one_of(st.sampled_from((5, 10, 30, 60)), _ANY_MINUTES)
    return st.one_of(
        st.builds(CheckInWithin, minutes=minutes),
        st.just(NonverbalSignal()),
        st.builds(MaxDuration, minutes=minutes),
        st.builds(Equipment, item=_given(equipment, st.sampled_from(_EQUIPMENT))),
        st.builds(Spotter, party=_given(parties, party_ids())),
        st.builds(ConfirmFirst, within_minutes=st.none() | minutes),
    )


def _grant(  # noqa: PLR0913  # the fields a grant is built from
    draw: st.DrawFn,
    *,
    grant_id: str,
    party: str,
    pool: Sequence[str],
    acts: _Acts,
    role: Role | None = None,
) -> Grant:
    others = [p for p in pool if p != party]
    ids = acts.ids or ("",)
    which, role_, named, capped, subtree, conditioned = _roll(
        draw, len(ids), 3, 2, 30, 2, 8
    )
    counterparties = None
    if others and named:
        counterparties = frozenset(_some(draw, others, 1, 3))
    found: tuple[Condition, ...] = ()
    if conditioned >= 6:
        found = tuple(_condition(draw, pool, acts) for _ in range(conditioned - 5))
    return Grant(
        id=grant_id,
        party=party,
        role=(Role.GIVE, Role.RECEIVE, Role.WITNESS)[role_] if role is None else role,
        activity=ids[which] or _any_activity(draw),
        counterparties=counterparties,
        max_intensity=capped - 19 if capped >= 20 else None,
        include_subtypes=bool(subtree),
        conditions=found,
    )


@st.composite
def grants(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    roles: st.SearchStrategy[Role] | None = None,
) -> Grant:
    """Grants; counterparties and spotters are other parties from `parties`."""
    acts = _Acts.of(_resolve(draw, catalog))
    pool = _distinct(draw, _given(parties, party_ids()), 1, 4)
    return _grant(
        draw,
        grant_id=draw(_given(ids, party_ids())),
        party=pool[0],
        pool=pool,
        acts=acts,
        role=None if roles is None else draw(roles),
    )


def _signal(draw: st.DrawFn) -> Signal:
    cue = _pick(draw, _CUES) if not _rarely(draw, 4) else draw(_ANY_ID)
    return Signal(
        cue=cue,
        kind=_pick(draw, (SignalKind.VERBAL, SignalKind.NONVERBAL)),
        meaning=_pick(
            draw, (SignalMeaning.STOP, SignalMeaning.SLOW, SignalMeaning.RESUME)
        ),
        needs=frozenset(_some(draw, _CAPABILITIES, 0, 2)),
    )


@st.composite
def signals(
    draw: st.DrawFn,
    *,
    cues: st.SearchStrategy[str] | None = None,
    kinds: st.SearchStrategy[SignalKind] | None = None,
    meanings: st.SearchStrategy[SignalMeaning] | None = None,
) -> Signal:
    """Protocol signals (the agreed cues), with the capabilities they need."""
    signal = _signal(draw)
    return attrs.evolve(
        signal,
        cue=signal.cue if cues is None else draw(cues),
        kind=signal.kind if kinds is None else draw(kinds),
        meaning=signal.meaning if meanings is None else draw(meanings),
    )


def _protocol(
    draw: st.DrawFn,
    pool: Sequence[str],
    acts: _Acts,
    found: tuple[Signal, ...] | None = None,
) -> Protocol:
    usual, odd, authority_, care, check_in, items, expect, sober, *kit = _roll(
        draw, 2, 8, 5, 3, 3, 3, 4, 5, len(acts.items), len(acts.items)
    )
    if found is None:
        if odd < 7:  # the usual three cues, with a non-verbal STOP or not
            found = (_RED, _YELLOW, _GREEN, _DROP) if usual else (_RED, _YELLOW, _GREEN)
        else:
            by_cue = {
                s.cue: s for s in (_signal(draw) for _ in range(_int(draw, 0, 4)))
            }
            found = tuple(by_cue.values())
    authority: tuple[Authority, ...] = ()
    if len(pool) > 1 and authority_ == 4:
        holder, subject = _some(draw, pool, 2, 2)
        scope = None
        if _coin(draw):
            scope = frozenset(acts.activity(draw) for _ in range(_int(draw, 1, 2)))
        authority = (Authority(holder=holder, subject=subject, scope=scope),)
    aftercare: tuple[Aftercare, ...] = ()
    if care == 2:
        aftercare = tuple(
            Aftercare(
                minutes=_minutes(draw),
                party=_pick(draw, pool) if _coin(draw) else None,
                notes=(_text(draw),) if _coin(draw) else (),
            )
            for _ in range(_int(draw, 1, 2))
        )
    return Protocol(
        signals=found,
        check_in_minutes=_minutes(draw) if check_in == 2 else None,
        equipment=frozenset(acts.items[k] for k in kit[:items]),
        aftercare=aftercare,
        authority=authority,
        expectations=(_text(draw),) if expect == 3 else (),
        sobriety_required=sober != 4,
    )


@st.composite
def aftercares(
    draw: st.DrawFn, *, parties: st.SearchStrategy[str] | None = None
) -> Aftercare:
    """Aftercare for everyone or for one of `parties`, with or without notes."""
    return Aftercare(
        minutes=_minutes(draw),
        party=draw(_given(parties, party_ids())) if _coin(draw) else None,
        notes=tuple(_text(draw) for _ in range(_int(draw, 0, 2))),
    )


@st.composite
def authorities(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
) -> Authority:
    """Authority of one of `parties` over another, over any activity or a scope."""
    acts = _Acts.of(_resolve(draw, catalog))
    holder, subject = _distinct(draw, _given(parties, party_ids()), 2, 2)
    scope = None
    if _coin(draw):
        scope = frozenset(acts.activity(draw) for _ in range(_int(draw, 1, 3)))
    return Authority(holder=holder, subject=subject, scope=scope)


@st.composite
def protocols(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    signals: st.SearchStrategy[Signal] | None = None,
) -> Protocol:
    """Protocols; authority and aftercare name parties drawn from `parties`.

    Seven times in eight the signals are the usual red, yellow and green
    (half of those times with a non-verbal ``drop`` STOP too); otherwise, or
    when `signals` is given, up to four signals with distinct cues.
    """
    acts = _Acts.of(_resolve(draw, catalog))
    pool = _distinct(draw, _given(parties, party_ids()), 2, 4)
    found = None
    if signals is not None:
        found = tuple(draw(st.lists(signals, max_size=4, unique_by=lambda s: s.cue)))
    return _protocol(draw, pool, acts, found)


def _paired_grants(
    draw: st.DrawFn, pool: Sequence[str], acts: _Acts, first: int
) -> tuple[Grant, Grant]:
    """A GIVE and a RECEIVE grant of two parties on one activity."""
    ids = acts.ids or ("",)
    first_party, second_party, which, subtree, *flags = _roll(
        draw, len(pool), len(pool) - 1, len(ids), 2, 2, 30, 8, 2, 30, 8
    )
    giver = pool[first_party]
    receiver = [p for p in pool if p != giver][second_party]
    activity = ids[which] or _any_activity(draw)
    made: list[Grant] = []
    for index, (party, role, other) in enumerate(
        ((giver, Role.GIVE, receiver), (receiver, Role.RECEIVE, giver))
    ):
        named, capped, conditioned = flags[3 * index : 3 * index + 3]
        made.append(
            Grant(
                id=f"g{first + index}",
                party=party,
                role=role,
                activity=activity,
                counterparties=frozenset({other}) if named else None,
                # No cap two times in three: caps are what most often deny.
                max_intensity=capped - 19 if capped >= 20 else None,
                include_subtypes=bool(subtree),
                conditions=(
                    (_condition(draw, pool, acts),) if conditioned == 7 else ()
                ),
            )
        )
    return made[0], made[1]


def _terms(
    draw: st.DrawFn,
    chosen: Sequence[str],
    acts: _Acts,
    window: Window,
    max_grants: int,
) -> Terms:
    pool = sorted(chosen)
    most = max(0, max_grants // 2)
    pairs, bare, lone, limited, listed = _roll(draw, max(1, most), 16, 3, 4, 4)
    found: list[Grant] = []
    # At least one pair of matching grants, but for one terms in sixteen.
    for _ in range(0 if bare == 15 else min(most, pairs + 1)):
        found.extend(_paired_grants(draw, pool, acts, len(found) + 1))
    for _ in range(min(lone, max(0, max_grants - len(found)))):
        found.append(
            _grant(
                draw,
                grant_id=f"g{len(found) + 1}",
                party=_pick(draw, pool),
                pool=pool,
                acts=acts,
            )
        )
    agreed_limits: tuple[Limit, ...] = ()
    if limited == 3:
        agreed_limits = tuple(
            _limit(draw, _pick(draw, pool), acts) for _ in range(_int(draw, 1, 2))
        )
    protocol = _protocol(draw, pool, acts)
    if acts.required and listed != 3:  # the equipment the catalog requires
        protocol = attrs.evolve(
            protocol, equipment=protocol.equipment | frozenset(acts.required)
        )
    catalog = acts.catalog
    return Terms(
        parties=frozenset(chosen),
        window=window,
        grants=tuple(found),
        limits=agreed_limits,
        protocol=protocol,
        catalog="default" if catalog is None else catalog.name,
        catalog_version=1 if catalog is None else catalog.version,
    )


@st.composite
def terms(  # noqa: PLR0913  # each shape of the terms is a knob
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    windows: st.SearchStrategy[Window] | None = None,
    min_parties: int = 2,
    max_parties: int = 4,
    max_grants: int = 8,
) -> Terms:
    """Terms between `min_parties` and `max_parties` distinct parties of `parties`.

    Grants come mostly in matching pairs -- a GIVE by one party and a RECEIVE
    by another on the same activity, each naming the other or anyone -- so
    that agreed terms allow steps often; a few lone grants, limits and
    conditions add variety.  Grant ids are ``g1``, ``g2``, ...  With a
    `catalog`, activities come from it, the protocol usually lists the
    equipment it requires, and the terms name it and its version.
    """
    acts = _Acts.of(_resolve(draw, catalog))
    low = max(2, min_parties)
    chosen = _distinct(draw, _given(parties, party_ids()), low, max(low, max_parties))
    window = draw(_given(windows, _times.windows()))
    return _terms(draw, chosen, acts, window, max_grants)
