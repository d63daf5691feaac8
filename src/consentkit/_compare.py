"""Compare two preference lists, revealing only what both could want (SPEC 6.2).

Mutual reveal: the comparison reads each list only through the (activity,
role) pairs whose effective rating is at least FANTASY, so nobody learns the
other's no from it.
"""

from __future__ import annotations

from consentkit._catalog import Catalog, default_catalog
from consentkit._preferences import (
    LISTED,
    Comparison,
    Match,
    Preferences,
    Rating,
    check_lists,
    effective_rating,
    match_kind,
)
from consentkit._terms import Role

__all__ = ["compare"]


def _listed(
    preferences: Preferences, role: Role, catalog: Catalog
) -> dict[str, Rating]:
    """The party's effective ratings of at least FANTASY for `role`, by activity."""
    found: dict[str, Rating] = {}
    for activity in catalog:
        rating = effective_rating(preferences, activity.id, role, catalog)
        if rating is not None and rating in LISTED:
            found[activity.id] = rating
    return found


def compare(
    a: Preferences, b: Preferences, catalog: Catalog | None = None
) -> Comparison:
    """Match what one party would give against what the other would receive.

    For every catalog activity and each direction (a gives to b, b gives to
    a), a pair is listed when both effective ratings are at least FANTASY:
    MUTUAL when both are positive, ASK when the less keen is MAYBE, TALK when
    it is FANTASY.  The order of `a` and `b` does not matter.

    Args:
        a: One party's list.
        b: The other party's list.
        catalog: The catalog both lists rate (default: the default catalog).

    Returns:
        The comparison, its matches sorted by activity, then giver.

    Raises:
        TypeError: A list is not a `Preferences`, or the catalog not a `Catalog`.
        ValueError: The lists are of the same party, or rate another catalog
            (naming both); activities outside the catalog are refused with
            every unknown id named, by party, in the error's ``unknown``.
    """
    catalog = default_catalog() if catalog is None else catalog
    first, second = check_lists((a, b), catalog, least=2, what="compare")
    matches: list[Match] = []
    for giver, receiver in ((first, second), (second, first)):
        gives = _listed(giver, Role.GIVE, catalog)
        receives = _listed(receiver, Role.RECEIVE, catalog)
        for activity, giver_rating in gives.items():
            receiver_rating = receives.get(activity)
            if receiver_rating is None:
                continue
            matches.append(
                Match(
                    activity=activity,
                    giver=giver.party,
                    receiver=receiver.party,
                    giver_rating=giver_rating,
                    receiver_rating=receiver_rating,
                    kind=match_kind(giver_rating, receiver_rating),
                )
            )
    return Comparison(
        parties=frozenset({first.party, second.party}),
        matches=matches,
        catalog=catalog.name,
        catalog_version=catalog.version,
    )
