"""The activity catalog: what can be done, with the risk tags rules read."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any, SupportsIndex

import attrs

from consentkit import _validate as v
from consentkit._pickling import as_tuples

__all__ = ["Activity", "Catalog", "ancestors_of", "covers", "default_catalog"]

#: The one tag never inherited upward (SPEC 2, "Risks are inherited upward").
_EXPLICIT = frozenset({"explicit_only"})


def covers(a: str, b: str) -> bool:
    """Return whether activity id `a` covers `b`: equal, or an ancestor of it."""
    return b == a or (b.startswith(a) and b[len(a) : len(a) + 1] == ".")


def ancestors_of(activity: str) -> tuple[str, ...]:
    """Return the ancestors of an activity id, nearest first (its proper prefixes)."""
    parts = activity.split(".")
    return tuple(".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1))


@attrs.frozen(kw_only=True)
class Activity:
    """One thing that can be done, with the risk attributes the rules read.

    Attributes:
        id: A dotted id such as ``impact.spanking.hand``.
        label: A short name for people.
        tags: Risk attributes (``impairs_speech``, ``explicit_only``, ...).
        requires: Safety equipment the protocol must list before it may happen.
        description: One sentence for people.
    """

    id: str = attrs.field(validator=v.activity_id)
    label: str = attrs.field(validator=v.text)
    tags: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.names
    )
    requires: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.names
    )
    description: str = attrs.field(default="", validator=v.text)

    def __attrs_post_init__(self) -> None:
        if not self.label.strip():
            raise v.fail(self, "label", "must not be blank")


@attrs.frozen(kw_only=True)
class Catalog:
    """A named, versioned set of activities closed under ancestors.

    Attributes:
        name: The catalog's name (terms record which catalog they used).
        version: Its version, a positive whole number.
        activities: The activities; every ancestor of each is present too.
    """

    name: str = attrs.field(validator=v.party_id)
    version: int = attrs.field(validator=v.positive_int(2**31 - 1))
    activities: tuple[Activity, ...] = attrs.field(
        converter=v.to_tuple, validator=v.instances(Activity)
    )
    _by_id: dict[str, Activity] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _children: dict[str, tuple[str, ...]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _risks: dict[str, tuple[frozenset[str], frozenset[str]]] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _barrier: dict[str, str | None] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )
    _tags: frozenset[str] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, Activity] = {}
        for activity in self.activities:
            if activity.id in by_id:
                raise v.fail(self, "activities", f"duplicate id `{activity.id}`")
            by_id[activity.id] = activity
        children: dict[str, list[str]] = {}
        for activity in self.activities:
            parents = ancestors_of(activity.id)
            if parents:
                if parents[0] not in by_id:
                    raise v.fail(
                        self,
                        "activities",
                        f"`{activity.id}` needs its parent `{parents[0]}`",
                    )
                children.setdefault(parents[0], []).append(activity.id)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(
            self, "_children", {k: tuple(sorted(c)) for k, c in children.items()}
        )
        # SPEC 2, "Risks are inherited upward": each activity's tags and
        # equipment are merged into every ancestor's, once, deepest first.
        tags = {a.id: set(a.tags) for a in self.activities}
        requires = {a.id: set(a.requires) for a in self.activities}
        for activity in sorted(self.activities, key=lambda a: -a.id.count(".")):
            parents = ancestors_of(activity.id)
            if parents:
                tags[parents[0]] |= tags[activity.id] - _EXPLICIT
                requires[parents[0]] |= requires[activity.id]
        risks = {
            a.id: (
                frozenset(tags[a.id] - _EXPLICIT | (a.tags & _EXPLICIT)),
                frozenset(requires[a.id]),
            )
            for a in self.activities
        }
        object.__setattr__(self, "_risks", risks)
        barrier: dict[str, str | None] = {}
        for activity in sorted(self.activities, key=lambda a: a.id.count(".")):
            if "explicit_only" in activity.tags:
                barrier[activity.id] = activity.id
            else:
                parents = ancestors_of(activity.id)
                barrier[activity.id] = barrier[parents[0]] if parents else None
        object.__setattr__(self, "_barrier", barrier)
        object.__setattr__(
            self, "_tags", frozenset(t for a in self.activities for t in a.tags)
        )

    # SPEC 3.5: a catalog pickles as its name, version and activities; the
    # lookup tables derived from them are rebuilt when it is unpickled.
    def __getstate__(self) -> tuple[str, int, tuple[Activity, ...]]:
        return (self.name, self.version, self.activities)

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # The very catalog `default_catalog()` returns travels by reference,
        # as a call of `default_catalog` where it lands: a few bytes instead
        # of every activity, and the one shared catalog there too.
        if self is default_catalog():
            return (default_catalog, ())
        return super().__reduce_ex__(protocol)

    def __setstate__(self, state: tuple[str, int, tuple[Activity, ...]]) -> None:
        name, version, activities = state
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "activities", activities)
        self.__attrs_post_init__()

    def __getitem__(self, activity: str) -> Activity:
        return self._by_id[activity]

    def __contains__(self, activity: object) -> bool:
        return activity in self._by_id

    def __iter__(self) -> Iterator[Activity]:
        return iter(self.activities)

    def __len__(self) -> int:
        return len(self.activities)

    def get(self, activity: str) -> Activity | None:
        """Return the activity with this id, or None when the catalog lacks it."""
        return self._by_id.get(activity)

    def ancestors(self, activity: str) -> tuple[str, ...]:
        """Return the ids of the activity's ancestors, nearest first.

        Raises:
            KeyError: The activity is not in the catalog.
        """
        self._by_id[activity]  # raise KeyError for an unknown id
        return ancestors_of(activity)

    def descendants(self, activity: str) -> tuple[str, ...]:
        """Return the ids of every activity beneath this one, depth first.

        Raises:
            KeyError: The activity is not in the catalog.
        """
        self._by_id[activity]  # raise KeyError for an unknown id
        found: list[str] = []
        pending = list(reversed(self._children.get(activity, ())))
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(reversed(self._children.get(current, ())))
        return tuple(found)

    def covers(self, a: str, b: str) -> bool:
        """Return whether `a` covers `b` (equal, or an ancestor of it)."""
        return covers(a, b)

    def risk_tags(self, activity: str) -> frozenset[str]:
        """Return the activity's risks: its own tags and those of all beneath it.

        A step on a category may turn out to be anything beneath it (SPEC 2,
        "Risks are inherited upward"), so rules read these rather than
        `Activity.tags`.  ``explicit_only`` is the one tag never inherited.

        Raises:
            KeyError: The activity is not in the catalog.
        """
        return self._risks[activity][0]

    def required_equipment(self, activity: str) -> frozenset[str]:
        """Return the equipment the activity, or anything beneath it, requires.

        Raises:
            KeyError: The activity is not in the catalog.
        """
        return self._risks[activity][1]

    def explicit_barrier(self, activity: str) -> str | None:
        """Return the deepest ``explicit_only`` activity at or above this one.

        None when there is none.  A grant with ``include_subtypes`` covers an
        activity beneath its own only if no such barrier lies below it.

        Raises:
            KeyError: The activity is not in the catalog.
        """
        return self._barrier[activity]

    @property
    def tags(self) -> frozenset[str]:
        """Every tag some activity of the catalog carries."""
        return self._tags

    def tagged(self, tag: str) -> tuple[Activity, ...]:
        """Return the activities carrying `tag`, in catalog order."""
        return tuple(a for a in self.activities if tag in a.tags)

    def extended(
        self,
        activities: Iterable[Activity],
        *,
        name: str | None = None,
        version: int | None = None,
    ) -> Catalog:
        """Return a new catalog with `activities` added (and optionally renamed)."""
        return attrs.evolve(
            self,
            activities=(*self.activities, *activities),
            name=self.name if name is None else name,
            version=self.version if version is None else version,
        )


def _activity(data: dict[str, Any]) -> Activity:
    return Activity(
        id=data["id"],
        label=data["label"],
        tags=frozenset(data.get("tags", ())),
        requires=frozenset(data.get("requires", ())),
        description=data.get("description", ""),
    )


@functools.cache
def default_catalog() -> Catalog:
    """Return the catalog shipped with consentkit (``default``, version 1).

    It is loaded once and shared: records are immutable.
    """
    raw = resources.files("consentkit").joinpath("data/catalog.json").read_text("utf-8")
    data = json.loads(raw)
    return Catalog(
        name=data["name"],
        version=data["version"],
        activities=tuple(_activity(a) for a in data["activities"]),
    )


# SPEC 3.5: records pickle as the tuples of their fields.
as_tuples(Activity)
