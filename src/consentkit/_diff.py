"""What a counter-proposal changes, and whether it can widen what is allowed (SPEC 6.6).

The diff decides by the kind of edit, never by what the edit happens to
change for one catalog or ledger, and when unsure it says WIDENS: it may
over-report widening, never under-report it (the diff law, law 14).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from consentkit._catalog import Catalog
from consentkit._reports import CHANGE_KINDS, Change, Effect, TermsDiff
from consentkit._terms import (
    Authority,
    CheckInWithin,
    Condition,
    ConfirmFirst,
    Equipment,
    Grant,
    Limit,
    MaxDuration,
    NonverbalSignal,
    Signal,
    Spotter,
    Terms,
)

__all__ = ["diff"]

WIDENS, NARROWS, NEUTRAL = Effect.WIDENS, Effect.NARROWS, Effect.NEUTRAL
_ORDER = {what: n for n, what in enumerate(CHANGE_KINDS)}
_EFFECT_ORDER = {WIDENS: 0, NARROWS: 1, NEUTRAL: 2}
_INFINITE = 10**9


def _shown(items: Iterable[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def _grant_words(grant: Grant) -> str:
    beneath = " and beneath it" if grant.include_subtypes else ""
    cap = "" if grant.max_intensity is None else f" up to {grant.max_intensity}"
    with_ = (
        ""
        if grant.counterparties is None
        else f" with {', '.join(sorted(grant.counterparties))}"
    )
    return f"{grant.party} {grant.role.value}s `{grant.activity}`{beneath}{cap}{with_}"


def _limit_key(limit: Limit) -> tuple[str, str, str, str]:
    target = (
        ("activity", str(limit.activity)) if limit.activity else ("tag", str(limit.tag))
    )
    return (limit.party, *target, limit.kind.value)


def _limit_words(limit: Limit) -> str:
    target = (
        f"`{limit.activity}`" if limit.activity is not None else f"tag `{limit.tag}`"
    )
    return f"{limit.party}'s {limit.kind.value} limit on {target}"


# -- conditions: how strict each kind is --------------------------------------


def _strictness(conditions: Sequence[Condition]) -> dict[tuple[str, str], int]:
    """Each kind of condition a grant has, with how much it allows.

    All conditions must hold, so of several of one kind the strictest
    counts.  Larger numbers allow more: minutes for check-ins and durations,
    the confirmation window (None: any time, the loosest).
    """
    found: dict[tuple[str, str], int] = {}

    def keep(key: tuple[str, str], allows: int) -> None:
        found[key] = min(found.get(key, allows), allows)

    for condition in conditions:
        if isinstance(condition, CheckInWithin):
            keep(("check-in", ""), condition.minutes)
        elif isinstance(condition, MaxDuration):
            keep(("duration", ""), condition.minutes)
        elif isinstance(condition, ConfirmFirst):
            minutes = condition.within_minutes
            keep(("confirm", ""), _INFINITE if minutes is None else minutes)
        elif isinstance(condition, NonverbalSignal):
            keep(("nonverbal", ""), 0)
        elif isinstance(condition, Equipment):
            keep(("equipment", condition.item), 0)
        elif isinstance(condition, Spotter):
            keep(("spotter", condition.party), 0)
    return found


def _condition_words(key: tuple[str, str], allows: int) -> str:  # noqa: PLR0911  # one per kind
    kind, detail = key
    if kind == "check-in":
        return f"check-ins at most every {allows} min"
    if kind == "duration":
        return f"steps of at most {allows} min"
    if kind == "confirm":
        if allows == _INFINITE:
            return "a confirmation in the scene"
        return f"a confirmation within {allows} min"
    if kind == "nonverbal":
        return "a non-verbal STOP signal"
    if kind == "equipment":
        return f"`{detail}` at hand"
    return f"{detail} as spotter"


def _conditions(old: Grant, new: Grant) -> tuple[list[str], list[str]]:
    """The ways the conditions loosen (widen) and tighten (narrow)."""
    before, after = _strictness(old.conditions), _strictness(new.conditions)
    loosen: list[str] = []
    tighten: list[str] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if now is None:
            loosen.append(f"drops {_condition_words(key, was)}")  # type: ignore[arg-type]
        elif was is None:
            tighten.append(f"adds {_condition_words(key, now)}")
        elif now > was:
            loosen.append(
                f"loosens {_condition_words(key, was)} to {_condition_words(key, now)}"
            )
        else:
            tighten.append(
                f"tightens {_condition_words(key, was)} to {_condition_words(key, now)}"
            )
    return loosen, tighten


class _Diff:
    def __init__(self, old: Terms, new: Terms) -> None:
        self.old, self.new = old, new
        self.changes: list[tuple[Any, ...]] = []

    def add(  # noqa: PLR0913  # the fields of a change, and its sort key
        self,
        what: str,
        key: tuple[Any, ...],
        effect: Effect,
        message: str,
        *,
        party: str | None = None,
        path_old: str | None = None,
        path_new: str | None = None,
    ) -> None:
        change = Change(
            party=party,
            what=what,
            path_old=path_old,
            path_new=path_new,
            effect=effect,
            message=message,
        )
        self.changes.append(
            ((_ORDER[what], key, _EFFECT_ORDER[effect], message), change)
        )

    def run(self) -> TermsDiff:
        self.parties()
        self.window()
        self.protocol()
        self.limits()
        self.grants()
        self.changes.sort(key=lambda item: item[0])
        return TermsDiff(changes=tuple(c for _, c in self.changes))

    # -- parties and window ---------------------------------------------------

    def parties(self) -> None:
        old, new = sorted(self.old.parties), sorted(self.new.parties)
        for party in sorted(set(new) - set(old)):
            self.add(
                "party-added",
                (party,),
                WIDENS,
                f"{party} joins the terms",
                path_new=f"parties[{new.index(party)}]",
            )
        for party in sorted(set(old) - set(new)):
            self.add(
                "party-removed",
                (party,),
                NARROWS,
                f"{party} leaves the terms",
                path_old=f"parties[{old.index(party)}]",
            )

    def window(self) -> None:
        from consentkit._time import format_time  # noqa: PLC0415  # a small helper

        old, new = self.old.window, self.new.window
        for end, earlier_widens in (("start", True), ("end", False)):
            was, now = getattr(old, end), getattr(new, end)
            if was == now:
                continue
            widens = (now < was) == earlier_widens
            self.add(
                "window-changed",
                (end,),
                WIDENS if widens else NARROWS,
                f"the window {'starts' if end == 'start' else 'ends'} "
                f"{'earlier' if now < was else 'later'}: {format_time(now)} "
                f"instead of {format_time(was)}",
                path_old=f"window.{end}",
                path_new=f"window.{end}",
            )

    # -- protocol -------------------------------------------------------------

    def protocol(self) -> None:
        self.signals()
        old, new = self.old.protocol, self.new.protocol
        was, now = old.check_in_minutes, new.check_in_minutes
        if was != now:
            # A shorter interval can meet more `CheckInWithin` conditions.
            widens = now is not None and (was is None or now < was)
            self.add(
                "protocol-changed",
                ("check_in_minutes",),
                WIDENS if widens else NARROWS,
                "the check-in interval "
                + (
                    f"is set to {now} min"
                    if was is None
                    else "is dropped"
                    if now is None
                    else f"changes from {was} to {now} min"
                ),
                path_old="protocol.check_in_minutes",
                path_new="protocol.check_in_minutes",
            )
        old_items, new_items = sorted(old.equipment), sorted(new.equipment)
        for item in sorted(set(new_items) - set(old_items)):
            self.add(
                "protocol-changed",
                ("equipment", item),
                WIDENS,
                f"`{item}` is added to the equipment",
                path_new=f"protocol.equipment[{new_items.index(item)}]",
            )
        for item in sorted(set(old_items) - set(new_items)):
            self.add(
                "protocol-changed",
                ("equipment", item),
                NARROWS,
                f"`{item}` is removed from the equipment",
                path_old=f"protocol.equipment[{old_items.index(item)}]",
            )
        self.authority()
        if old.sobriety_required != new.sobriety_required:
            self.add(
                "protocol-changed",
                ("sobriety_required",),
                NARROWS if new.sobriety_required else WIDENS,
                "sobriety is "
                + ("required" if new.sobriety_required else "no longer required"),
                path_old="protocol.sobriety_required",
                path_new="protocol.sobriety_required",
            )
        for field in ("aftercare", "expectations"):
            if getattr(old, field) != getattr(new, field):
                self.add(
                    "protocol-changed",
                    (field,),
                    NEUTRAL,
                    f"the {field} change (advice only)",
                    path_old=f"protocol.{field}",
                    path_new=f"protocol.{field}",
                )

    def signals(self) -> None:
        old = {s.cue: (i, s) for i, s in enumerate(self.old.protocol.signals)}
        new = {s.cue: (i, s) for i, s in enumerate(self.new.protocol.signals)}
        for cue in sorted(old.keys() | new.keys()):
            before, after = old.get(cue), new.get(cue)
            path_old = None if before is None else f"protocol.signals[{before[0]}]"
            path_new = None if after is None else f"protocol.signals[{after[0]}]"
            if before is None and after is not None:
                # A new cue can meet a condition or a signal rule, and turns
                # a cue that counted as STOP into what it now means.
                self.add(
                    "protocol-changed",
                    ("signal", cue),
                    WIDENS,
                    f"signal `{cue}` is added ({_signal_words(after[1])})",
                    path_new=path_new,
                )
            elif after is None and before is not None:
                self.add(
                    "protocol-changed",
                    ("signal", cue),
                    NARROWS,
                    f"signal `{cue}` is removed (given anyway, it counts as STOP)",
                    path_old=path_old,
                )
            elif before is not None and after is not None:
                self.signal_changed(cue, before[1], after[1], path_old, path_new)

    def signal_changed(
        self,
        cue: str,
        was: Signal,
        now: Signal,
        path_old: str | None,
        path_new: str | None,
    ) -> None:
        if was.kind is not now.kind or was.meaning is not now.meaning:
            # Unsure which way: a changed meaning or kind widens (SPEC 6.6).
            self.add(
                "protocol-changed",
                ("signal", cue, "kind"),
                WIDENS,
                f"signal `{cue}` changes from {_signal_words(was)} to "
                f"{_signal_words(now)}",
                path_old=path_old,
                path_new=path_new,
            )
        fewer, more = was.needs - now.needs, now.needs - was.needs
        if fewer:
            self.add(
                "protocol-changed",
                ("signal", cue, "needs-"),
                WIDENS,
                f"signal `{cue}` no longer needs {_shown(sorted(fewer))}",
                path_old=path_old,
                path_new=path_new,
            )
        if more:
            self.add(
                "protocol-changed",
                ("signal", cue, "needs+"),
                NARROWS,
                f"signal `{cue}` now needs {_shown(sorted(more))}",
                path_old=path_old,
                path_new=path_new,
            )

    def authority(self) -> None:
        old, new = self.old.protocol.authority, self.new.protocol.authority
        for index, authority in enumerate(new):
            if authority not in old:
                self.add(
                    "protocol-changed",
                    ("authority", *_authority_key(authority)),
                    WIDENS,
                    f"{_authority_words(authority)} is added (it changes who may "
                    "direct)",
                    path_new=f"protocol.authority[{index}]",
                )
        for index, authority in enumerate(old):
            if authority not in new:
                self.add(
                    "protocol-changed",
                    ("authority", *_authority_key(authority)),
                    WIDENS,
                    f"{_authority_words(authority)} is removed (it changes who may "
                    "direct)",
                    path_old=f"protocol.authority[{index}]",
                )

    # -- limits -----------------------------------------------------------------

    def limits(self) -> None:
        old = _group_limits(self.old.limits)
        new = _group_limits(self.new.limits)
        for key in sorted(old.keys() | new.keys()):
            before, after = old.get(key), new.get(key)
            party = key[0]
            if after is None and before is not None:
                index, limit, _, _ = before
                self.add(
                    "limit-removed",
                    key,
                    WIDENS,
                    f"{_limit_words(limit)} is removed",
                    party=party,
                    path_old=f"limits[{index}]",
                )
            elif before is None and after is not None:
                index, limit, _, _ = after
                roles = ", ".join(sorted(r.value for r in after[2]))
                self.add(
                    "limit-added",
                    key,
                    NARROWS,
                    f"{_limit_words(limit)} is added (in roles {roles})",
                    party=party,
                    path_new=f"limits[{index}]",
                )
            elif before is not None and after is not None:
                self.limit_changed(key, before, after)

    def limit_changed(
        self,
        key: tuple[str, str, str, str],
        before: tuple[int, Limit, frozenset[Any], tuple[str, ...]],
        after: tuple[int, Limit, frozenset[Any], tuple[str, ...]],
    ) -> None:
        paths = {"path_old": f"limits[{before[0]}]", "path_new": f"limits[{after[0]}]"}
        words = _limit_words(after[1])
        fewer = sorted(r.value for r in before[2] - after[2])
        more = sorted(r.value for r in after[2] - before[2])
        if fewer:
            self.add(
                "limit-changed",
                key,
                WIDENS,
                f"{words} no longer binds in roles {', '.join(fewer)}",
                party=key[0],
                **paths,
            )
        if more:
            self.add(
                "limit-changed",
                key,
                NARROWS,
                f"{words} now binds in roles {', '.join(more)}",
                party=key[0],
                **paths,
            )
        if before[3] != after[3]:
            self.add(
                "limit-changed",
                key,
                NEUTRAL,
                f"{words} has another note",
                party=key[0],
                **paths,
            )

    # -- grants -----------------------------------------------------------------

    def grants(self) -> None:
        old = {g.id: (i, g) for i, g in enumerate(self.old.grants)}
        new = {g.id: (i, g) for i, g in enumerate(self.new.grants)}
        for grant_id in sorted(old.keys() | new.keys()):
            before, after = old.get(grant_id), new.get(grant_id)
            if before is not None and after is not None:
                was, now = before[1], after[1]
                if (was.party, was.role, was.activity) == (
                    now.party,
                    now.role,
                    now.activity,
                ):
                    self.grant_changed(before[0], was, after[0], now)
                    continue
            if before is not None:
                self.add(
                    "grant-removed",
                    (grant_id,),
                    NARROWS,
                    f"grant `{grant_id}` is removed: {_grant_words(before[1])}",
                    party=before[1].party,
                    path_old=f"grants[{before[0]}]",
                )
            if after is not None:
                self.add(
                    "grant-added",
                    (grant_id,),
                    WIDENS,
                    f"grant `{grant_id}` is added: {_grant_words(after[1])}",
                    party=after[1].party,
                    path_new=f"grants[{after[0]}]",
                )

    def grant_changed(self, i: int, was: Grant, j: int, now: Grant) -> None:  # noqa: C901, PLR0912  # one branch per field
        widen: list[str] = []
        narrow: list[str] = []
        old_cap, new_cap = was.max_intensity, now.max_intensity
        if old_cap != new_cap:
            rises = new_cap is None or (old_cap is not None and new_cap > old_cap)
            if new_cap is None:
                words = f"its cap of {old_cap} is lifted"
            elif old_cap is None:
                words = f"it is now capped at {new_cap}"
            else:
                words = f"its cap goes from {old_cap} to {new_cap}"
            (widen if rises else narrow).append(words)
        if was.include_subtypes != now.include_subtypes:
            if now.include_subtypes:
                widen.append("it now covers everything beneath its activity")
            else:
                narrow.append("it no longer covers what lies beneath its activity")
        before, after = was.counterparties, now.counterparties
        if before != after:
            if after is None:
                widen.append("it now admits any party")
            elif before is None:
                narrow.append(f"it now admits only {', '.join(sorted(after))}")
            else:
                if after - before:
                    widen.append(f"it now admits {', '.join(sorted(after - before))}")
                if before - after:
                    narrow.append(
                        f"it no longer admits {', '.join(sorted(before - after))}"
                    )
        loosen, tighten = _conditions(was, now)
        widen.extend(loosen)
        narrow.extend(tighten)
        paths = {"path_old": f"grants[{i}]", "path_new": f"grants[{j}]"}
        if widen:
            self.add(
                "grant-changed",
                (was.id,),
                WIDENS,
                f"grant `{was.id}` ({_grant_words(now)}): {'; '.join(widen)}",
                party=was.party,
                **paths,
            )
        if narrow:
            self.add(
                "grant-changed",
                (was.id,),
                NARROWS,
                f"grant `{was.id}` ({_grant_words(now)}): {'; '.join(narrow)}",
                party=was.party,
                **paths,
            )
        if not widen and not narrow and was != now:
            self.add(
                "grant-changed",
                (was.id,),
                NEUTRAL,
                f"grant `{was.id}`: its conditions are reordered or repeated",
                party=was.party,
                **paths,
            )


def _signal_words(signal: Signal) -> str:
    needs = f", needing {_shown(sorted(signal.needs))}" if signal.needs else ""
    return f"{signal.kind.value} {signal.meaning.value.upper()}{needs}"


def _authority_key(authority: Authority) -> tuple[str, ...]:
    return (authority.holder, authority.subject, *sorted(authority.scope or ("*",)))


def _authority_words(authority: Authority) -> str:
    scope = (
        "" if authority.scope is None else f" within {_shown(sorted(authority.scope))}"
    )
    return f"the authority of {authority.holder} over {authority.subject}{scope}"


def _group_limits(
    limits: Sequence[Limit],
) -> dict[
    tuple[str, str, str, str], tuple[int, Limit, frozenset[Any], tuple[str, ...]]
]:
    """Limits by (party, target, kind): the first's index, the roles bound, notes."""
    found: dict[
        tuple[str, str, str, str], tuple[int, Limit, frozenset[Any], tuple[str, ...]]
    ] = {}
    for index, limit in enumerate(limits):
        key = _limit_key(limit)
        seen = found.get(key)
        if seen is None:
            found[key] = (index, limit, limit.roles, (limit.note,))
        else:
            notes = tuple(sorted({*seen[3], limit.note}))
            found[key] = (seen[0], seen[1], seen[2] | limit.roles, notes)
    return {
        key: (index, limit, roles, tuple(sorted(set(notes))))
        for key, (index, limit, roles, notes) in found.items()
    }


def diff(old: Terms, new: Terms, catalog: Catalog | None = None) -> TermsDiff:
    """Say what `new` changes from `old`, and whether each change widens (SPEC 6.6).

    Grants are matched by id, limits by (party, activity or tag, kind).  A
    change is WIDENS when it can let some step be ALLOW that was not (and
    whenever unsure), NARROWS when it can only refuse more, NEUTRAL when it
    changes no verdict.

    Args:
        old: The terms on the table.
        new: The counter-proposal.
        catalog: Accepted for symmetry with `lint`; the diff decides by the
            kind of edit, never by what a catalog makes of it.

    Returns:
        The changes, grouped by kind.

    Raises:
        TypeError: An argument is of the wrong kind.
    """
    for name, value in (("old", old), ("new", new)):
        if not isinstance(value, Terms):
            raise TypeError(f"{name} must be `Terms`, got `{type(value).__name__}`")
    if catalog is not None and not isinstance(catalog, Catalog):
        raise TypeError(f"catalog must be a `Catalog`, got `{type(catalog).__name__}`")
    return _Diff(old, new).run()
