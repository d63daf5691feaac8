"""What a grant covers, what a limit reaches, what an activity takes away.

The engine's rules and the negotiation tools (lint, drafting) both ask these
questions; the answers live here once, below both, so that what `lint` says
before the scene is what the engine does in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from consentkit._catalog import Catalog, covers
from consentkit._terms import Grant, Limit, Signal

__all__ = [
    "NAMED_TAGS",
    "TAKES",
    "addresses",
    "covered",
    "grant_covers",
    "known_limit",
    "known_tag",
    "limit_reaches",
    "reached",
    "reaches",
    "taken",
    "usable",
]

#: The risk tags SPEC 2 names: a limit may name one even where no activity of
#: the catalog carries it (it then forbids nothing there, knowingly).
NAMED_TAGS: Final = frozenset(
    {
        "impairs_speech",
        "restrains_hands",
        "impairs_vision",
        "restricts_movement",
        "breath_risk",
        "circulation_risk",
        "breaks_skin",
        "electrical",
        "heat",
        "leaves_marks",
        "requires_training",
        "psychological",
        "involves_nudity",
        "recording",
        "explicit_only",
    }
)

#: The capability each risk tag takes away from whoever receives the activity
#: (SPEC 2, Signal).
TAKES: Final = {
    "impairs_speech": "voice",
    "restrains_hands": "free_hand",
    "impairs_vision": "sight",
}


def reaches(target: str, activity: str) -> bool:
    """Whether a limit or ban on activity `target` reaches a step on `activity`.

    Either way (SPEC 2): `target` covers `activity`, or `activity` covers
    `target` — a step on a category may turn out to be the banned activity.
    """
    return covers(target, activity) or covers(activity, target)


def limit_reaches(limit: Limit, activity: str, catalog: Catalog) -> bool:
    """Whether `limit` reaches a step on `activity` (by activity or risk tag).

    `activity` must be in `catalog`.
    """
    if limit.activity is not None:
        return reaches(limit.activity, activity)
    return limit.tag in catalog.risk_tags(activity)


def known_tag(tag: str, catalog: Catalog) -> bool:
    """Whether some activity of `catalog` carries `tag`, or SPEC 2 names it."""
    return tag in NAMED_TAGS or tag in catalog.tags


def known_limit(limit: Limit, catalog: Catalog) -> bool:
    """Whether anyone can tell what `limit` forbids in `catalog` (CK117, CK401)."""
    if limit.activity is not None:
        return limit.activity in catalog
    return limit.tag is not None and known_tag(limit.tag, catalog)


def grant_covers(grant: Grant, activity: str, catalog: Catalog) -> bool:
    """Whether `grant` covers `activity` (SPEC 2, Grant; law 4).

    Exactly its own activity, or with `include_subtypes` its subtree except
    what lies at or beneath an ``explicit_only`` activity below the grant's.
    An activity outside the catalog is covered only when named exactly.
    """
    if grant.activity == activity:
        return True
    if not grant.include_subtypes or not covers(grant.activity, activity):
        return False
    if activity not in catalog:
        return False
    barrier = catalog.explicit_barrier(activity)
    return barrier is None or len(barrier) <= len(grant.activity)


def taken(tags: Iterable[str]) -> frozenset[str]:
    """The capabilities that activities with these risk tags take away."""
    return frozenset(TAKES[tag] for tag in tags if tag in TAKES)


def usable(signal: Signal, gone: frozenset[str]) -> bool:
    """Whether `signal` can still be given once the capabilities `gone` are gone."""
    return not (signal.all_needs & gone)


def covered(grant: Grant, catalog: Catalog) -> tuple[str, ...]:
    """Every activity `grant` covers, its own first, then depth first.

    Outside the catalog a grant covers only the activity it names.
    """
    if not grant.include_subtypes or grant.activity not in catalog:
        return (grant.activity,)
    return (
        grant.activity,
        *(
            x
            for x in catalog.descendants(grant.activity)
            if grant_covers(grant, x, catalog)
        ),
    )


def reached(limit: Limit, catalog: Catalog) -> frozenset[str]:
    """Every activity of `catalog` a step on which `limit` reaches (SPEC 2)."""
    return frozenset(
        a.id for a in catalog.activities if limit_reaches(limit, a.id, catalog)
    )


def addresses(limit: Limit, granted: str, activity: str) -> bool:
    """Whether a grant on `granted` addresses soft `limit` for a step on `activity`.

    SPEC 3.3, CK201: it names the limit's activity or something beneath it;
    for a tag limit, it names the step's activity exactly.
    """
    if limit.activity is not None:
        return covers(limit.activity, granted)
    return granted == activity
