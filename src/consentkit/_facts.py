"""Typed facts derived once from a catalog and an agreement's terms.

Rules ask the same questions of every step: which grants of this party in
this role cover this activity and admit these others, which limits reach it,
which STOP signals survive what it takes away.  The answers depend on the
catalog and the terms alone, which never change, so each is derived once, on
first use, and kept with the agreement's facts (`_history.AgreementFact`).
Nothing here is keyed by strings naming what is kept: each fact has its own
typed table, and rules read them through typed accessors of the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, final

from consentkit._catalog import Activity, Catalog, ancestors_of, covers
from consentkit._coverage import TAKES, grant_covers, known_limit
from consentkit._terms import (
    ConfirmFirst,
    Grant,
    Limit,
    Role,
    Signal,
    SignalMeaning,
    Terms,
)

__all__ = [
    "CAPABILITIES",
    "Candidates",
    "CatalogIndex",
    "LimitIndex",
    "TermsFacts",
]

#: Every capability a risk tag can take away (SPEC 2, Signal).
CAPABILITIES: Final = frozenset(TAKES.values())


@final
class CatalogIndex:
    """What rules look up in a catalog, computed once per engine (read-only).

    Attributes:
        catalog: The catalog indexed.
        activities: Each activity by id.
        lineage: For each activity, itself and its ancestors, nearest first.
        reachable: For each activity, the part of its lineage whose subtree
            grants cover it: up to its deepest ``explicit_only`` activity
            at or above it (SPEC 2, Grant), or the whole lineage.
        takes: For each activity, the capabilities a step on it takes away
            from its recipient (its risks, inherited upward).
    """

    __slots__ = ("activities", "catalog", "lineage", "reachable", "takes")
    catalog: Catalog
    activities: Mapping[str, Activity]
    lineage: Mapping[str, tuple[str, ...]]
    reachable: Mapping[str, tuple[str, ...]]
    takes: Mapping[str, frozenset[str]]

    def __init__(self, catalog: Catalog) -> None:
        put = object.__setattr__
        put(self, "catalog", catalog)
        put(self, "activities", MappingProxyType({a.id: a for a in catalog}))
        lineage = {a.id: (a.id, *ancestors_of(a.id)) for a in catalog}
        put(self, "lineage", MappingProxyType(lineage))
        reachable: dict[str, tuple[str, ...]] = {}
        for activity, line in lineage.items():
            barrier = catalog.explicit_barrier(activity)
            reachable[activity] = (
                line if barrier is None else line[: line.index(barrier) + 1]
            )
        put(self, "reachable", MappingProxyType(reachable))
        put(
            self,
            "takes",
            MappingProxyType(
                {
                    a.id: frozenset(
                        TAKES[t] for t in catalog.risk_tags(a.id) if t in TAKES
                    )
                    for a in catalog
                }
            ),
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"catalog index: `{name}` is read-only")

    def grant_covers(self, grant: Grant, activity: str) -> bool:
        """Whether `grant` covers `activity` (SPEC 2, Grant; law 4)."""
        return grant_covers(grant, activity, self.catalog)


@final
class Candidates:
    """One side's candidate grants for one activity (SPEC 3.2).

    Attributes:
        grants: The grants covering the activity that admit the others, in
            terms order.
        by_cap: The same grants, highest cap first (no cap highest), terms
            order among equals: the order in which a side tries them.
    """

    __slots__ = ("by_cap", "grants")

    def __init__(self, grants: tuple[Grant, ...]) -> None:
        self.grants = grants
        self.by_cap: tuple[Grant, ...] = (
            grants
            if len(grants) < 2  # one grant is its own order
            else tuple(sorted(grants, key=_cap_order))
        )


def _cap_order(grant: Grant) -> int:
    return -(grant.max_intensity or 11)


_NONE: Final = Candidates(())


@final
class _GrantIndex:
    """One party's grants in one role, by the activity they name."""

    __slots__ = ("exact", "found", "restricted", "subtree")

    def __init__(self, grants: Iterable[tuple[int, Grant]]) -> None:
        self.exact: dict[str, list[tuple[int, Grant]]] = {}
        self.subtree: dict[str, list[tuple[int, Grant]]] = {}
        self.restricted = False
        for position, grant in grants:
            table = self.subtree if grant.include_subtypes else self.exact
            table.setdefault(grant.activity, []).append((position, grant))
            self.restricted = self.restricted or grant.counterparties is not None
        #: Found so far, by activity (before counterparties are read).
        self.found: dict[str, Candidates] = {}

    def covering(self, activity: str, index: CatalogIndex) -> Candidates:
        found = self.found.get(activity)
        if found is not None:
            return found
        hits = list(self.exact.get(activity, ()))
        # Outside the catalog a grant covers only the activity it names.
        for node in index.reachable.get(activity, (activity,)):
            hits.extend(self.subtree.get(node, ()))
        if len(hits) > 1:
            hits.sort(key=_position)
        found = Candidates(tuple(grant for _, grant in hits)) if hits else _NONE
        self.found[activity] = found
        return found


def _position(hit: tuple[int, Grant]) -> int:
    return hit[0]


@final
class LimitIndex:
    """Limits by what they reach (SPEC 2): an activity either way, or a risk tag."""

    __slots__ = ("_found", "_index", "_limits", "_unknown", "limits")

    def __init__(self, limits: tuple[Limit, ...], index: CatalogIndex) -> None:
        self.limits = limits
        self._index = index
        self._found: dict[str, tuple[Limit, ...]] = {}
        self._unknown: tuple[Limit, ...] | None = None

    def reaching(self, activity: str) -> tuple[Limit, ...]:
        """The limits reaching a step on `activity`, in their order."""
        found = self._found.get(activity)
        if found is None:
            risks = self._index.catalog.risk_tags(activity)
            found = tuple(
                limit
                for limit in self.limits
                if (
                    limit.tag in risks
                    if limit.activity is None
                    else covers(limit.activity, activity)
                    or covers(activity, limit.activity)
                )
            )
            self._found[activity] = found
        return found

    @property
    def unknown(self) -> tuple[Limit, ...]:
        """The limits naming what the catalog cannot tell (CK117)."""
        if self._unknown is None:
            catalog = self._index.catalog
            self._unknown = tuple(
                limit for limit in self.limits if not known_limit(limit, catalog)
            )
        return self._unknown


@final
class TermsFacts:
    """What one agreement's terms say, indexed for one catalog.

    Built on first use and kept with the agreement; every table in it is
    filled on demand and never changes what it already answered.

    Attributes:
        index: The catalog's index.
        stops: The protocol's STOP signals, in protocol order.
        own_limits: Each party's limits in the terms, in terms order.
        confirm_first: Whether some grant asks for a confirmation first.
        conditions: Whether some grant has another condition.
        capped: Whether some grant caps the intensity.
        limit_kinds: The kinds of the terms' limits.
    """

    __slots__ = (
        "_candidates",
        "_equipped",
        "_grants",
        "_limits",
        "_missing",
        "_usable",
        "capped",
        "conditions",
        "confirm_first",
        "index",
        "limit_kinds",
        "own_limits",
        "stops",
        "terms",
    )

    def __init__(self, terms: Terms, index: CatalogIndex) -> None:
        self.terms = terms
        self.index = index
        self.stops: tuple[Signal, ...] = tuple(
            s for s in terms.protocol.signals if s.meaning is SignalMeaning.STOP
        )
        own: dict[str, list[Limit]] = {}
        for limit in terms.limits:
            own.setdefault(limit.party, []).append(limit)
        self.own_limits: Mapping[str, tuple[Limit, ...]] = MappingProxyType(
            {party: tuple(found) for party, found in own.items()}
        )
        conditions = [c for g in terms.grants for c in g.conditions]
        #: Whether some grant asks for a confirmation first (CK203).
        self.confirm_first = any(isinstance(c, ConfirmFirst) for c in conditions)
        #: Whether some grant has a condition other than a confirmation (CK107).
        self.conditions = any(not isinstance(c, ConfirmFirst) for c in conditions)
        #: Whether some grant caps the intensity (CK106).
        self.capped = any(g.max_intensity is not None for g in terms.grants)
        #: The limit kinds the terms hold.
        self.limit_kinds = frozenset(limit.kind for limit in terms.limits)
        self._equipped: bool | None = None
        self._grants: dict[tuple[str, Role], _GrantIndex] = {}
        #: Each side's candidates, by (party, role, activity, the others).
        self._candidates: dict[tuple[str, Role, str, tuple[str, ...]], Candidates] = {}
        self._limits: dict[str, LimitIndex] = {}
        self._usable: dict[frozenset[str], bool] = {}
        self._missing: dict[str, frozenset[str]] = {}

    def candidates(
        self, party: str, role: Role, activity: str, admits: tuple[str, ...]
    ) -> Candidates:
        """`party`'s grants for `role` covering `activity` that admit `admits`."""
        key = (party, role, activity, admits)
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = self._find(party, role, activity, admits)
        return found

    def _find(
        self, party: str, role: Role, activity: str, admits: tuple[str, ...]
    ) -> Candidates:
        grants = self._grants.get((party, role))
        if grants is None:
            grants = _GrantIndex(
                (position, grant)
                for position, grant in enumerate(self.terms.grants)
                if grant.party == party and grant.role is role
            )
            self._grants[party, role] = grants
        found = grants.covering(activity, self.index)
        if not grants.restricted or not found.grants:
            return found
        kept = tuple(
            g
            for g in found.grants
            if g.counterparties is None or g.counterparties.issuperset(admits)
        )
        return found if len(kept) == len(found.grants) else Candidates(kept)

    def limits_of(self, party: str) -> LimitIndex:
        """`party`'s own limits in the terms, indexed by what they reach."""
        found = self._limits.get(party)
        if found is None:
            found = LimitIndex(self.own_limits.get(party, ()), self.index)
            self._limits[party] = found
        return found

    def stop_usable(self, taken: frozenset[str]) -> bool:
        """Whether some STOP signal stays usable once `taken` is taken away."""
        found = self._usable.get(taken)
        if found is None:
            found = any(not (s.all_needs & taken) for s in self.stops)
            self._usable[taken] = found
        return found

    @property
    def equipped(self) -> bool:
        """Whether the protocol lists all the equipment every activity requires."""
        if self._equipped is None:
            listed = self.terms.protocol.equipment
            catalog = self.index.catalog
            self._equipped = all(
                catalog.required_equipment(a) <= listed for a in self.index.activities
            )
        return self._equipped

    def missing_equipment(self, activity: str) -> frozenset[str]:
        """The equipment `activity` requires that the protocol does not list."""
        found = self._missing.get(activity)
        if found is None:
            found = (
                self.index.catalog.required_equipment(activity)
                - self.terms.protocol.equipment
            )
            self._missing[activity] = found
        return found
