"""Draft terms from preference lists: exactly the mutual ground (SPEC 6.3).

A step on an activity may turn out to be anything beneath it, so drafting
reads each party's *standing* (the worst effective rating over the activity
and its subtree) rather than the rating of the activity alone.  The drafted
terms allow a step by g on r on X exactly when g's standing for giving X and
r's for receiving it are both positive or MAYBE (law 11), and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from typing import Final

from consentkit import _validate as v
from consentkit._catalog import Catalog, default_catalog
from consentkit._coverage import grant_covers
from consentkit._preferences import (
    Preferences,
    Rating,
    Standing,
    check_lists,
    standings,
)
from consentkit._terms import (
    ConfirmFirst,
    Grant,
    Limit,
    LimitKind,
    Protocol,
    Role,
    Terms,
    Window,
)

__all__ = ["draft_terms"]

#: What one side of a matched pair needs in its grant: its cap and whether
#: it asks first (MAYBE).
_Side = tuple[int | None, bool]
#: What a matched activity needs of both grants: the giver's side, then the
#: receiver's.  Activities with equal needs may share a compressed grant.
_Need = tuple[_Side, _Side]

_HASH_DIGITS: Final = 16


def _side(found: Standing) -> _Side:
    return (found.cap, found.rating is Rating.MAYBE)


def _coverage(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """For each activity X, what a grant on X with ``include_subtypes`` covers."""
    covered: dict[str, tuple[str, ...]] = {}
    for activity in catalog:
        probe = Grant(
            id="probe",
            party="probe",
            role=Role.GIVE,
            activity=activity.id,
            include_subtypes=True,
        )
        covered[activity.id] = tuple(
            member
            for member in (activity.id, *catalog.descendants(activity.id))
            if grant_covers(probe, member, catalog)
        )
    return covered


def _compress(
    needs: dict[str, _Need], covered: dict[str, tuple[str, ...]]
) -> list[tuple[str, bool]]:
    """Choose the grants for one ordered pair: (activity, include_subtypes).

    Top-down, a matched activity whose whole coverage matches with the same
    needs gets one grant for its subtree; every other matched activity gets
    its own.  A compressed grant never covers an activity without a match.
    """
    chosen: list[tuple[str, bool]] = []
    done: set[str] = set()
    for activity in sorted(needs):  # a parent's id sorts before its children's
        if activity in done:
            continue
        need = needs[activity]
        members = covered[activity]
        if len(members) > 1 and all(needs.get(m) == need for m in members):
            chosen.append((activity, True))
            done.update(members)
        else:
            chosen.append((activity, False))
    return chosen


def _shorten(natural: str, key: str) -> str:
    digits = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_HASH_DIGITS]
    head = natural[: v.MAX_ID_LENGTH - _HASH_DIGITS - 1].rstrip()
    return f"{head}-{digits}"


def _assign_ids(forms: list[tuple[str, str]]) -> list[str]:
    """Readable grant ids, unique and valid; `forms` are (natural form, key).

    A form longer than 128 characters, or one that two different grants share
    (party ids may hold ``-gives-``), is shortened deterministically with a
    digest of the grant's unambiguous key.
    """
    counts = Counter(natural for natural, _ in forms)
    ids: list[str | None] = [
        natural if len(natural) <= v.MAX_ID_LENGTH and counts[natural] == 1 else None
        for natural, _ in forms
    ]
    used = {found for found in ids if found is not None}
    for index, (natural, key) in enumerate(forms):
        if ids[index] is not None:
            continue
        salt = 0
        candidate = _shorten(natural, key)
        while candidate in used:
            salt += 1
            candidate = _shorten(natural, f"{salt}:{key}")
        used.add(candidate)
        ids[index] = candidate
    return [found for found in ids if found is not None]


def _limits(lists: Iterable[Preferences]) -> list[Limit]:
    """Every HARD_NO entry as a hard limit; a NO stays private (SPEC 6.3)."""
    return [
        Limit(
            party=item.party,
            kind=LimitKind.HARD,
            activity=entry.activity,
            roles=frozenset(Role) if entry.role is None else frozenset({entry.role}),
            note=entry.note,
        )
        for item in lists
        for entry in item.entries
        if entry.rating is Rating.HARD_NO
    ]


def draft_terms(
    preferences: Iterable[Preferences],
    *,
    window: Window,
    protocol: Protocol,
    catalog: Catalog | None = None,
) -> Terms:
    """Draft proposed terms from two or more parties' preference lists.

    For every ordered pair of parties (giver g, receiver r) and every catalog
    activity X where g's standing for giving X and r's for receiving it are
    both positive or MAYBE, a GIVE grant of g and a RECEIVE grant of r, each
    naming the other as counterparty and capped by its own party's standing;
    a MAYBE side's grant carries `ConfirmFirst` (asked in the scene).  A
    subtree matching uniformly shares one grant with ``include_subtypes``.
    Each HARD_NO becomes a hard limit; NO, FANTASY and unrated give nothing.

    Args:
        preferences: The lists, one per party, in any order.
        window: When the terms apply.
        protocol: How the scene is run.
        catalog: The catalog the lists rate (default: the default catalog).

    Returns:
        The terms, the same for the same lists whatever their order.

    Raises:
        TypeError: An argument is not of the expected kind.
        ValueError: Fewer than two lists, a party twice, a list rating another
            catalog (naming both); activities outside the catalog are refused
            with every unknown id named, by party, in the error's ``unknown``.
    """
    catalog = default_catalog() if catalog is None else catalog
    if not isinstance(window, Window):
        raise TypeError(f"draft_terms: window must be a `Window`, got {v.show(window)}")
    if not isinstance(protocol, Protocol):
        raise TypeError(
            f"draft_terms: protocol must be a `Protocol`, got {v.show(protocol)}"
        )
    if isinstance(preferences, Preferences):
        raise TypeError("draft_terms: expected a sequence of `Preferences` lists")
    lists = check_lists(preferences, catalog, least=2, what="draft_terms")
    gives = {item.party: standings(item, Role.GIVE, catalog) for item in lists}
    receives = {item.party: standings(item, Role.RECEIVE, catalog) for item in lists}
    covered = _coverage(catalog)
    several = len(lists) > 2  # ids name the other party beyond two
    specs: list[tuple[str, str, Role, str, _Side, bool]] = []
    for giver in lists:
        for receiver in lists:
            if giver is receiver:
                continue
            g_side, r_side = gives[giver.party], receives[receiver.party]
            needs: dict[str, _Need] = {
                activity: (_side(g_side[activity]), _side(r_side[activity]))
                for activity in g_side
                if g_side[activity].acceptable and r_side[activity].acceptable
            }
            for activity, subtree in _compress(needs, covered):
                giving, receiving = needs[activity]
                specs.append(
                    (giver.party, receiver.party, Role.GIVE, activity, giving, subtree)
                )
                specs.append(
                    (
                        receiver.party,
                        giver.party,
                        Role.RECEIVE,
                        activity,
                        receiving,
                        subtree,
                    )
                )
    forms: list[tuple[str, str]] = []
    for party, other, role, activity, _, _ in specs:
        verb = "gives" if role is Role.GIVE else "receives"
        natural = f"{party}-{verb}-{activity}"
        if several:
            natural += f"-{'to' if role is Role.GIVE else 'from'}-{other}"
        key = json.dumps([party, role.value, activity, other], ensure_ascii=False)
        forms.append((natural, key))
    grants = [
        Grant(
            id=grant_id,
            party=party,
            role=role,
            activity=activity,
            counterparties=frozenset({other}),
            max_intensity=cap,
            include_subtypes=subtree,
            conditions=(ConfirmFirst(),) if maybe else (),
        )
        for grant_id, (party, other, role, activity, (cap, maybe), subtree) in zip(
            _assign_ids(forms), specs, strict=True
        )
    ]
    return Terms(
        parties=frozenset(item.party for item in lists),
        window=window,
        grants=grants,
        limits=_limits(lists),
        protocol=protocol,
        catalog=catalog.name,
        catalog_version=catalog.version,
    )
