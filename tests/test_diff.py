"""Diff (SPEC 6.6): what a counter-proposal changes, and the diff law (law 14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import consentkit
from consentkit import (
    Authority,
    Change,
    CheckInWithin,
    ConfirmFirst,
    Effect,
    Grant,
    Ledger,
    Limit,
    MaxDuration,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Step,
    Terms,
    TermsDiff,
    Verdict,
    Window,
    check,
    default_catalog,
    diff,
    testing,
)
from consentkit._coverage import covered
from helpers import (
    CLIENT,
    DROP,
    MISTRESS,
    RED,
    WINDOW,
    agree,
    gives,
    hard,
    protocol,
    receives,
    soft,
    terms,
)

BASE = terms(
    grants=(
        receives("impact.crop", cap=5, conditions=(CheckInWithin(minutes=15),)),
        gives("impact.crop", cap=5),
    ),
    limits=(hard("impact.caning"),),
)


def summary(result: TermsDiff) -> list[tuple[str | None, str, str]]:
    """(party, what, effect) of each change, in order."""
    return [(c.party, c.what, c.effect.value) for c in result]


def with_grant(index: int, **changes: Any) -> Terms:
    """BASE with one grant changed."""
    grants = list(BASE.grants)
    grants[index] = attrs.evolve(grants[index], **changes)
    return attrs.evolve(BASE, grants=tuple(grants))


def test_same_terms_have_no_changes() -> None:
    """Terms compared with themselves change nothing."""
    assert diff(BASE, BASE).changes == ()


def test_grants_added_widen_and_removed_narrow() -> None:
    """A grant added widens (for its party), one removed narrows."""
    wider = attrs.evolve(BASE, grants=(*BASE.grants, receives("impact.flogging")))
    result = diff(BASE, wider)
    assert summary(result) == [(CLIENT, "grant-added", "widens")]
    assert result.changes[0].path_old is None
    assert result.changes[0].path_new == "grants[2]"
    assert summary(diff(wider, BASE)) == [(CLIENT, "grant-removed", "narrows")]
    assert diff(wider, BASE).changes[0].path_old == "grants[2]"


def test_grant_keeping_its_id_but_not_its_activity_is_removed_and_added() -> None:
    """A grant whose party, role or activity changes is a removal and an addition."""
    moved = with_grant(0, activity="impact.flogging")
    assert summary(diff(BASE, moved)) == [
        (CLIENT, "grant-added", "widens"),
        (CLIENT, "grant-removed", "narrows"),
    ]


@pytest.mark.parametrize(
    ("changes", "effect"),
    [
        ({"max_intensity": 7}, "widens"),
        ({"max_intensity": None}, "widens"),
        ({"max_intensity": 3}, "narrows"),
        ({"include_subtypes": True}, "widens"),
        ({"counterparties": frozenset({MISTRESS})}, "narrows"),
        ({"conditions": ()}, "widens"),
        ({"conditions": (CheckInWithin(minutes=30),)}, "widens"),
        ({"conditions": (CheckInWithin(minutes=5),)}, "narrows"),
        (
            {"conditions": (CheckInWithin(minutes=15), MaxDuration(minutes=9))},
            "narrows",
        ),
    ],
)
def test_grant_changes_by_kind_of_edit(changes: dict[str, Any], effect: str) -> None:
    """Caps, subtrees, counterparties and conditions widen or narrow by the edit."""
    assert summary(diff(BASE, with_grant(0, **changes))) == [
        (CLIENT, "grant-changed", effect)
    ]


def test_subtypes_on_a_leaf_still_widens() -> None:
    """The diff decides by the kind of edit, not by what the catalog holds."""
    assert summary(diff(BASE, with_grant(1, include_subtypes=True))) == [
        (MISTRESS, "grant-changed", "widens")
    ]


def test_confirm_first_window_longer_or_none_widens() -> None:
    """`ConfirmFirst` loosens with a longer window, and None is the loosest."""
    tight = with_grant(0, conditions=(ConfirmFirst(within_minutes=5),))
    longer = with_grant(0, conditions=(ConfirmFirst(within_minutes=50),))
    anytime = with_grant(0, conditions=(ConfirmFirst(),))
    assert summary(diff(tight, longer))[0][2] == "widens"
    assert summary(diff(longer, anytime))[0][2] == "widens"
    assert summary(diff(anytime, tight))[0][2] == "narrows"


def test_a_change_both_ways_is_listed_as_two() -> None:
    """A cap that rises while a condition is added gives a WIDENS and a NARROWS."""
    both = with_grant(
        0,
        max_intensity=8,
        conditions=(CheckInWithin(minutes=15), MaxDuration(minutes=9)),
    )
    result = diff(BASE, both)
    assert summary(result) == [
        (CLIENT, "grant-changed", "widens"),
        (CLIENT, "grant-changed", "narrows"),
    ]
    assert "cap goes from 5 to 8" in result.widened[0].message
    assert "9 min" in result.narrowed[0].message


def test_limits_by_party_target_and_kind() -> None:
    """Limits removed widen, added narrow; a kind change is both."""
    none = attrs.evolve(BASE, limits=())
    assert summary(diff(BASE, none)) == [(CLIENT, "limit-removed", "widens")]
    assert summary(diff(none, BASE)) == [(CLIENT, "limit-added", "narrows")]
    softer = attrs.evolve(BASE, limits=(soft("impact.caning"),))
    assert sorted(summary(diff(BASE, softer))) == [
        (CLIENT, "limit-added", "narrows"),
        (CLIENT, "limit-removed", "widens"),
    ]


def test_limit_roles_shrinking_widens_and_growing_narrows() -> None:
    """Roles a limit binds in: fewer widens, more narrows, notes change nothing."""
    fewer = attrs.evolve(BASE, limits=(hard("impact.caning", roles=(Role.RECEIVE,)),))
    assert summary(diff(BASE, fewer)) == [(CLIENT, "limit-changed", "widens")]
    assert summary(diff(fewer, BASE)) == [(CLIENT, "limit-changed", "narrows")]
    noted = attrs.evolve(BASE, limits=(attrs.evolve(BASE.limits[0], note="never"),))
    assert summary(diff(BASE, noted)) == [(CLIENT, "limit-changed", "neutral")]


def test_window_each_end() -> None:
    """Growing at either end widens, shrinking narrows: one change per end."""
    hour = timedelta(hours=1)
    shifted = attrs.evolve(
        BASE, window=Window(start=WINDOW.start + hour, end=WINDOW.end + hour)
    )
    result = diff(BASE, shifted)
    assert summary(result) == [
        (None, "window-changed", "widens"),
        (None, "window-changed", "narrows"),
    ]
    assert [c.path for c in result] == ["window.end", "window.start"]


def test_parties_added_widen_and_removed_narrow() -> None:
    """A party added widens, one removed narrows; both touch everyone."""
    more = attrs.evolve(BASE, parties=BASE.parties | {"ann"})
    assert summary(diff(BASE, more)) == [(None, "party-added", "widens")]
    assert diff(BASE, more).changes[0].path_new == "parties[0]"
    assert summary(diff(more, BASE)) == [(None, "party-removed", "narrows")]


SLOW_RED = attrs.evolve(RED, meaning=SignalMeaning.SLOW)


@pytest.mark.parametrize(
    ("before", "after", "forth", "back"),
    [
        ({"signals": (RED,)}, {"signals": (RED, DROP)}, "widens", "narrows"),
        ({"signals": (RED,)}, {"signals": (SLOW_RED,)}, "widens", "widens"),
        ({}, {"check_in_minutes": 10}, "widens", "narrows"),
        ({"check_in_minutes": 20}, {"check_in_minutes": 10}, "widens", "narrows"),
        ({}, {"equipment": frozenset({"gloves"})}, "widens", "narrows"),
        ({}, {"sobriety_required": False}, "widens", "narrows"),
        (
            {},
            {"authority": (Authority(holder=MISTRESS, subject=CLIENT),)},
            "widens",
            "widens",
        ),
        ({}, {"expectations": ("kneel",)}, "neutral", "neutral"),
        ({}, {"aftercare": (consentkit.Aftercare(minutes=5),)}, "neutral", "neutral"),
    ],
)
def test_protocol_changes(
    before: dict[str, Any], after: dict[str, Any], forth: str, back: str
) -> None:
    """Signals, equipment, check-ins, sobriety and authority by the kind of edit."""
    old = attrs.evolve(BASE, protocol=attrs.evolve(BASE.protocol, **before))
    new = attrs.evolve(BASE, protocol=attrs.evolve(old.protocol, **after))
    result = diff(old, new)
    assert summary(result) == [(None, "protocol-changed", forth)]
    assert summary(diff(new, old)) == [(None, "protocol-changed", back)]


def test_signal_needs_fewer_widens_and_more_narrows() -> None:
    """A signal that needs less can be given more often."""
    base = attrs.evolve(BASE, protocol=protocol(signals=(RED, DROP)))
    freer = attrs.evolve(
        base, protocol=protocol(signals=(RED, attrs.evolve(DROP, needs=frozenset())))
    )
    assert [c.effect.value for c in diff(base, freer)] == ["widens"]
    assert [c.effect.value for c in diff(freer, base)] == ["narrows"]


def test_for_party_lists_what_asks_more_of_them() -> None:
    """A party's own widening changes and every widening change of everyone's."""
    new = attrs.evolve(
        BASE,
        grants=(*BASE.grants, receives("impact.flogging"), gives("impact.flogging")),
        protocol=attrs.evolve(BASE.protocol, sobriety_required=False),
        limits=(),
    )
    result = diff(BASE, new)
    assert {(c.party, c.what) for c in result.for_party(CLIENT)} == {
        (CLIENT, "grant-added"),
        (CLIENT, "limit-removed"),
        (None, "protocol-changed"),
    }
    assert {(c.party, c.what) for c in result.for_party(MISTRESS)} == {
        (MISTRESS, "grant-added"),
        (None, "protocol-changed"),
    }
    assert result.narrowed == ()
    assert len(result.widened) == len(result) == 4


def test_explain_says_what_the_counter_asks_of_a_party() -> None:
    """The text starts with what the counter asks of the party, then the rest."""
    new = attrs.evolve(
        with_grant(0, max_intensity=8),
        grants=(*with_grant(0, max_intensity=8).grants, gives("impact.flogging")),
    )
    lines = diff(BASE, new).explain(CLIENT).splitlines()
    assert lines[0] == "what this counter asks of client:"
    assert lines[1].startswith("  widens   grants[0]: grant `client-receive-impact")
    assert lines[2] == "it asks more of others:"
    assert (
        diff(BASE, BASE).explain(CLIENT) == "this counter asks nothing more of client"
    )


def test_explain_escapes_record_text() -> None:
    """Record text in a change renders escaped, on one line."""
    change = Change(
        party=None,
        what="protocol-changed",
        path_old=None,
        path_new="protocol.signals[0]",
        effect=Effect.WIDENS,
        message="signal `a\nwidens   everything` is added\u2029",
    )
    text = TermsDiff(changes=(change,)).explain()
    assert text.splitlines() == [
        "what this counter asks of the parties:",
        (
            "  widens   protocol.signals[0]: signal `a\\nwidens   everything` is added"
            "\\u2029"
        ),
    ]


def test_change_refuses_an_unknown_kind_or_no_path() -> None:
    """A change names one of the kinds SPEC 6.6 lists, and at least one path."""
    with pytest.raises(consentkit.InvalidRecord, match="what"):
        Change(
            party=None,
            what="grant-moved",
            path_old="grants[0]",
            path_new=None,
            effect=Effect.NEUTRAL,
            message="",
        )
    with pytest.raises(consentkit.InvalidRecord, match="path_new"):
        Change(
            party=None,
            what="grant-added",
            path_old=None,
            path_new=None,
            effect=Effect.WIDENS,
            message="",
        )


def test_wrong_arguments_are_type_errors() -> None:
    """Diff refuses what is not terms."""
    with pytest.raises(TypeError, match="new must be `Terms`"):
        diff(BASE, "terms")  # type: ignore[arg-type]  # wrong on purpose
    with pytest.raises(TypeError, match="Catalog"):
        diff(BASE, BASE, "default")  # type: ignore[arg-type]  # wrong on purpose


def test_a_diff_round_trips_as_a_terms_diff_document() -> None:
    """A diff is written as a `terms_diff` document and read back equal."""
    result = diff(BASE, with_grant(0, max_intensity=8))
    text = consentkit.dumps(result)
    assert '"kind": "terms_diff"' in text
    assert consentkit.loads(text, "terms_diff") == result


# -- law 14: the diff law ---------------------------------------------------------

CATALOG = default_catalog()
Edit = Callable[[st.DataObject, Terms], Terms]


def _grant_index(
    data: st.DataObject, agreed: Terms, ok: Callable[[Grant], bool]
) -> int:
    choices = [i for i, g in enumerate(agreed.grants) if ok(g)]
    assume(choices)
    return data.draw(st.sampled_from(choices))


def _set_grant(agreed: Terms, index: int, **changes: Any) -> Terms:
    grants = list(agreed.grants)
    grants[index] = attrs.evolve(grants[index], **changes)
    return attrs.evolve(agreed, grants=tuple(grants))


def _protocol(agreed: Terms, **changes: Any) -> Terms:
    return attrs.evolve(agreed, protocol=attrs.evolve(agreed.protocol, **changes))


def _parties(agreed: Terms) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(agreed.parties))


def _narrow_remove_grant(data: st.DataObject, agreed: Terms) -> Terms:
    i = _grant_index(data, agreed, lambda _: True)
    return attrs.evolve(agreed, grants=agreed.grants[:i] + agreed.grants[i + 1 :])


def _narrow_lower_cap(data: st.DataObject, agreed: Terms) -> Terms:
    i = _grant_index(data, agreed, lambda g: g.max_intensity != 1)
    top = agreed.grants[i].max_intensity or 11
    return _set_grant(agreed, i, max_intensity=data.draw(st.integers(1, top - 1)))


def _narrow_subtypes_off(data: st.DataObject, agreed: Terms) -> Terms:
    i = _grant_index(data, agreed, lambda g: g.include_subtypes)
    return _set_grant(agreed, i, include_subtypes=False)


def _narrow_fewer_counterparties(data: st.DataObject, agreed: Terms) -> Terms:
    i = _grant_index(
        data, agreed, lambda g: g.counterparties is None or len(g.counterparties) > 1
    )
    grant = agreed.grants[i]
    pool = sorted(grant.counterparties or agreed.parties - {grant.party})
    kept = data.draw(st.lists(st.sampled_from(pool), min_size=1, unique=True))
    assume(set(kept) != set(pool) or grant.counterparties is None)
    return _set_grant(agreed, i, counterparties=frozenset(kept))


def _narrow_add_condition(data: st.DataObject, agreed: Terms) -> Terms:
    i = _grant_index(data, agreed, lambda _: True)
    condition = data.draw(testing.conditions(parties=_parties(agreed)))
    grant = agreed.grants[i]
    return _set_grant(agreed, i, conditions=(*grant.conditions, condition))


def _narrow_tighten_condition(data: st.DataObject, agreed: Terms) -> Terms:
    def loose(g: Grant) -> bool:
        return any(
            (isinstance(c, CheckInWithin | MaxDuration) and c.minutes > 1)
            or isinstance(c, ConfirmFirst)
            for c in g.conditions
        )

    i = _grant_index(data, agreed, loose)
    tightened = []
    for c in agreed.grants[i].conditions:
        kept = c
        if isinstance(c, CheckInWithin | MaxDuration) and c.minutes > 1:
            kept = attrs.evolve(c, minutes=data.draw(st.integers(1, c.minutes - 1)))
        elif isinstance(c, ConfirmFirst):
            limit = c.within_minutes or 1000
            kept = attrs.evolve(c, within_minutes=data.draw(st.integers(1, limit)))
        tightened.append(kept)
    return _set_grant(agreed, i, conditions=tuple(tightened))


def _narrow_add_limit(data: st.DataObject, agreed: Terms) -> Terms:
    limit = data.draw(testing.limits(parties=_parties(agreed), catalog=CATALOG))
    return attrs.evolve(agreed, limits=(*agreed.limits, limit))


def _narrow_grow_roles(data: st.DataObject, agreed: Terms) -> Terms:
    choices = [i for i, lim in enumerate(agreed.limits) if len(lim.roles) < 3]
    assume(choices)
    i = data.draw(st.sampled_from(choices))
    limits = list(agreed.limits)
    limits[i] = attrs.evolve(limits[i], roles=frozenset(Role))
    return attrs.evolve(agreed, limits=tuple(limits))


def _narrow_shrink_window(data: st.DataObject, agreed: Terms) -> Terms:
    window = agreed.window
    length = int((window.end - window.start).total_seconds())
    assume(length > 1)
    cut = timedelta(seconds=data.draw(st.integers(1, length - 1)))
    if data.draw(st.booleans()):
        return attrs.evolve(
            agreed, window=Window(start=window.start + cut, end=window.end)
        )
    return attrs.evolve(agreed, window=Window(start=window.start, end=window.end - cut))


def _narrow_remove_signal(data: st.DataObject, agreed: Terms) -> Terms:
    signals = agreed.protocol.signals
    assume(signals)
    i = data.draw(st.integers(0, len(signals) - 1))
    return _protocol(agreed, signals=signals[:i] + signals[i + 1 :])


def _narrow_remove_equipment(data: st.DataObject, agreed: Terms) -> Terms:
    items = sorted(agreed.protocol.equipment)
    assume(items)
    gone = data.draw(st.sampled_from(items))
    return _protocol(agreed, equipment=agreed.protocol.equipment - {gone})


def _narrow_longer_check_in(data: st.DataObject, agreed: Terms) -> Terms:
    interval = agreed.protocol.check_in_minutes
    assume(interval is not None)
    longer = data.draw(st.one_of(st.none(), st.integers(interval + 1, interval + 60)))  # type: ignore[operator]  # assumed set
    return _protocol(agreed, check_in_minutes=longer)


def _narrow_require_sobriety(data: st.DataObject, agreed: Terms) -> Terms:
    return _protocol(agreed, sobriety_required=True)


def _narrow_neutral(data: st.DataObject, agreed: Terms) -> Terms:
    words = data.draw(st.lists(st.sampled_from(["kneel", "tea", "silence"])))
    return _protocol(agreed, expectations=tuple(words), aftercare=())


NARROWING: list[Edit] = [
    _narrow_remove_grant,
    _narrow_lower_cap,
    _narrow_subtypes_off,
    _narrow_fewer_counterparties,
    _narrow_add_condition,
    _narrow_tighten_condition,
    _narrow_add_limit,
    _narrow_grow_roles,
    _narrow_shrink_window,
    _narrow_remove_signal,
    _narrow_remove_equipment,
    _narrow_longer_check_in,
    _narrow_require_sobriety,
    _narrow_neutral,
]


@st.composite
def _steps(draw: st.DrawFn, agreed: Terms, later: Terms) -> Step:
    """Steps near the old terms' grants most of the time, anywhere otherwise."""
    parties = sorted(agreed.parties)
    actor, recipient = draw(st.permutations(parties))[:2]
    sided = [g for g in agreed.grants if g.role is not Role.WITNESS]
    activity = draw(st.sampled_from([a.id for a in CATALOG.activities]))
    start, end = agreed.window.start, agreed.window.end
    near = draw(st.integers(0, 3)) > 0
    if sided and near:
        grant = draw(st.sampled_from(sided))
        others = sorted(grant.counterparties or agreed.parties - {grant.party})
        other = draw(st.sampled_from(others))
        actor, recipient = (
            (grant.party, other) if grant.role is Role.GIVE else (other, grant.party)
        )
        activity = draw(st.sampled_from(covered(grant, CATALOG)))
    else:
        start = min(start, later.window.start)
        end = max(end, later.window.end)
    span = int((end - start).total_seconds())
    offset = draw(st.integers(-60, span + 60))
    rest = [p for p in parties if p not in (actor, recipient)]
    present = draw(st.lists(st.sampled_from(rest), unique=True)) if rest else []
    return Step(
        actor=actor,
        recipient=recipient,
        activity=activity,
        intensity=draw(st.integers(1, 10)),
        at=start + timedelta(seconds=offset),
        duration=timedelta(minutes=draw(st.sampled_from([0, 0, 5, 60]))),
        present=frozenset(draw(st.sampled_from([[], present]))),
    )


def _formed(old: Terms, new: Terms) -> datetime:
    """When both agreements form: two hours before the earlier window starts.

    The diff law swaps one agreement for another with the same proposal
    events at the same times, so both ledgers form at this one moment.
    """
    return min(old.window.start, new.window.start) - timedelta(hours=2)


def _ledger(
    agreed: Terms, formed: datetime, events: list[tuple[datetime, str, str, str]]
) -> Ledger:
    """`agreed` formed at `formed`, then `events` in order."""
    ledger = agree(Ledger(), agreed, at=formed, proposal_id="p1")
    for moment, kind, by, what in events:
        if kind == "confirm":
            ledger = ledger.confirm(by=by, activity=what, at=moment)
        else:
            ledger = ledger.signal(by=by, cue=what, at=moment)
    return ledger


def _events(
    data: st.DataObject, old: Terms, new: Terms
) -> list[tuple[datetime, str, str, str]]:
    """Confirmations from the formation on; signals only after both windows start."""
    parties = sorted(old.parties)
    formed = _formed(old, new)
    latest_start = max(old.window.start, new.window.start)
    cues = sorted({s.cue for s in old.protocol.signals} | {"mystery"})
    found: list[tuple[datetime, str, str, str]] = []
    for _ in range(data.draw(st.integers(0, 3), label="events")):
        by = data.draw(st.sampled_from(parties))
        if data.draw(st.booleans()):
            moment = formed + timedelta(minutes=data.draw(st.integers(0, 600)))
            activity = data.draw(st.sampled_from([a.id for a in CATALOG.activities]))
            found.append((moment, "confirm", by, activity))
        else:
            moment = latest_start + timedelta(minutes=data.draw(st.integers(0, 300)))
            found.append((moment, "signal", by, data.draw(st.sampled_from(cues))))
    found.sort(key=lambda item: item[0])
    return found


@given(st.data())
def test_law_14_narrowing_edits_never_widen(data: st.DataObject) -> None:
    """Narrowing edits report no WIDENS, and no step on the ledger flips to ALLOW."""
    old = data.draw(testing.terms(catalog=CATALOG, max_parties=3), label="terms")
    new = old
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit = data.draw(st.sampled_from(NARROWING), label="edit")
        new = edit(data, new)
    result = diff(old, new)
    assert result.widened == (), result.explain()
    events = _events(data, old, new)
    formed = _formed(old, new)
    before, after = _ledger(old, formed, events), _ledger(new, formed, events)
    for _ in range(6):
        planned = data.draw(_steps(old, new), label="step")
        was = check(planned, before).verdict
        if was is not Verdict.ALLOW:
            assert check(planned, after).verdict is not Verdict.ALLOW, planned


def _widen_add_grant(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    assume(all(g.id != f"added-{len(agreed.grants)}" for g in agreed.grants))
    grant = data.draw(
        testing.grants(
            ids=st.just(f"added-{len(agreed.grants)}"),
            parties=_parties(agreed),
            catalog=CATALOG,
        )
    )
    return attrs.evolve(agreed, grants=(*agreed.grants, grant)), "grant-added"


def _widen_raise_cap(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    i = _grant_index(data, agreed, lambda g: g.max_intensity is not None)
    cap = agreed.grants[i].max_intensity or 0
    higher = data.draw(st.one_of(st.none(), st.integers(cap + 1, 11)))
    return _set_grant(agreed, i, max_intensity=None if higher == 11 else higher), (
        "grant-changed"
    )


def _widen_subtypes_on(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    i = _grant_index(data, agreed, lambda g: not g.include_subtypes)
    return _set_grant(agreed, i, include_subtypes=True), "grant-changed"


def _widen_anyone(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    i = _grant_index(data, agreed, lambda g: g.counterparties is not None)
    return _set_grant(agreed, i, counterparties=None), "grant-changed"


def _widen_drop_condition(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    i = _grant_index(data, agreed, lambda g: bool(g.conditions))
    return _set_grant(agreed, i, conditions=()), "grant-changed"


def _limit_key(limit: Limit) -> tuple[object, ...]:
    return (limit.party, limit.activity, limit.tag, limit.kind)


def _widen_remove_limit(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    assume(agreed.limits)
    key = _limit_key(data.draw(st.sampled_from(agreed.limits)))
    kept = tuple(lim for lim in agreed.limits if _limit_key(lim) != key)
    return attrs.evolve(agreed, limits=kept), "limit-removed"


def _widen_fewer_roles(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    keys = [_limit_key(lim) for lim in agreed.limits]
    choices = [
        i
        for i, lim in enumerate(agreed.limits)
        if len(lim.roles) > 1 and keys.count(_limit_key(lim)) == 1
    ]
    assume(choices)
    i = data.draw(st.sampled_from(choices))
    limits = list(agreed.limits)
    role = data.draw(st.sampled_from(sorted(limits[i].roles, key=lambda r: r.value)))
    limits[i] = attrs.evolve(limits[i], roles=limits[i].roles - {role})
    return attrs.evolve(agreed, limits=tuple(limits)), "limit-changed"


def _widen_grow_window(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    more = timedelta(minutes=data.draw(st.integers(1, 600)))
    window = agreed.window
    if data.draw(st.booleans()):
        window = Window(start=window.start - more, end=window.end)
    else:
        window = Window(start=window.start, end=window.end + more)
    return attrs.evolve(agreed, window=window), "window-changed"


def _widen_add_party(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    assume("newcomer" not in agreed.parties)
    return attrs.evolve(agreed, parties=agreed.parties | {"newcomer"}), "party-added"


def _widen_add_signal(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    assume(all(s.cue != "new-cue" for s in agreed.protocol.signals))
    signal = Signal(
        cue="new-cue",
        kind=data.draw(st.sampled_from(list(SignalKind))),
        meaning=data.draw(st.sampled_from(list(SignalMeaning))),
    )
    return _protocol(agreed, signals=(*agreed.protocol.signals, signal)), (
        "protocol-changed"
    )


def _widen_add_equipment(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    assume("new_item" not in agreed.protocol.equipment)
    return _protocol(agreed, equipment=agreed.protocol.equipment | {"new_item"}), (
        "protocol-changed"
    )


def _widen_shorter_check_in(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    interval = agreed.protocol.check_in_minutes
    assume(interval is None or interval > 1)
    shorter = data.draw(st.integers(1, (interval or 100) - 1))
    return _protocol(agreed, check_in_minutes=shorter), "protocol-changed"


def _widen_no_sobriety(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    assume(agreed.protocol.sobriety_required)
    return _protocol(agreed, sobriety_required=False), "protocol-changed"


def _widen_authority(data: st.DataObject, agreed: Terms) -> tuple[Terms, str]:
    holder, subject = data.draw(st.permutations(sorted(agreed.parties)))[:2]
    authority = Authority(holder=holder, subject=subject)
    assume(authority not in agreed.protocol.authority)
    return _protocol(agreed, authority=(*agreed.protocol.authority, authority)), (
        "protocol-changed"
    )


WIDENING: list[Callable[[st.DataObject, Terms], tuple[Terms, str]]] = [
    _widen_add_grant,
    _widen_raise_cap,
    _widen_subtypes_on,
    _widen_anyone,
    _widen_drop_condition,
    _widen_remove_limit,
    _widen_fewer_roles,
    _widen_grow_window,
    _widen_add_party,
    _widen_add_signal,
    _widen_add_equipment,
    _widen_shorter_check_in,
    _widen_no_sobriety,
    _widen_authority,
]


@given(st.data())
def test_law_14_widening_edits_are_each_reported(data: st.DataObject) -> None:
    """Each widening edit shows up as a WIDENS change of its kind."""
    old = data.draw(testing.terms(catalog=CATALOG, max_parties=3), label="terms")
    new = old
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit = data.draw(st.sampled_from(WIDENING), label="edit")
        edited, what = edit(data, new)
        assert what in {c.what for c in diff(new, edited).widened}
        new = edited
    assert diff(old, new).widened


# -- law 15 for diff --------------------------------------------------------------


def _without_paths(result: TermsDiff) -> list[tuple[object, ...]]:
    return [(c.party, c.what, c.effect, c.message) for c in result]


@given(st.data())
def test_law_15_diff_is_deterministic(data: st.DataObject) -> None:
    """Reordering grants and limits of either side changes only the paths."""
    old = data.draw(testing.terms(catalog=CATALOG, max_parties=3), label="old")
    new = data.draw(st.sampled_from([*NARROWING, lambda _, t: t]), label="edit")(
        data, old
    )
    new, _ = data.draw(st.sampled_from(WIDENING), label="widen")(data, new)

    def shuffled(agreed: Terms) -> Terms:
        return attrs.evolve(
            agreed,
            grants=data.draw(st.permutations(agreed.grants)),
            limits=data.draw(st.permutations(agreed.limits)),
        )

    first = diff(old, new)
    again = diff(shuffled(old), shuffled(new))
    assert _without_paths(first) == _without_paths(again)
    assert consentkit.digest(diff(old, new)) == consentkit.digest(first)


@given(testing.terms(), testing.terms())
def test_diff_reads_any_two_terms(old: Terms, new: Terms) -> None:
    """Diff never fails, and a change of parties is always reported."""
    result = diff(old, new)
    added = {c.path_new for c in result if c.what == "party-added"}
    assert len(added) == len(new.parties - old.parties)
    assert diff(old, old).changes == ()
