"""Preference lists and what a list says about one activity (SPEC 6.1).

Each party rates activities by role; `effective_entry` says which entry
decides a party's rating for an activity the list may not name itself, and
`standing` what drafting may read from it for a step that may turn out to be
anything beneath that activity.  The comparison records live here too, beside
the lists they are made from, so that documents can carry both.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from consentkit import _validate as v
from consentkit._catalog import Catalog, ancestors_of, default_catalog
from consentkit._enum import Choice, coerce
from consentkit._errors import ConsentkitError
from consentkit._terms import Role
from consentkit._text import one_line

__all__ = [
    "ACCEPTABLE",
    "LISTED",
    "POSITIVE",
    "Comparison",
    "Imported",
    "Match",
    "MatchKind",
    "Preference",
    "Preferences",
    "Rating",
    "Source",
    "Standing",
    "UnknownActivitiesError",
    "check_lists",
    "effective_entry",
    "effective_rating",
    "match_kind",
    "standing",
    "standings",
]


class Rating(Choice):
    """How a party feels about taking a role in an activity, best to worst."""

    FAVORITE = "favorite"
    """Please."""
    YES = "yes"
    """Gladly."""
    OKAY = "okay"
    """Fine if my partner wants it."""
    MAYBE = "maybe"
    """Perhaps: ask me in the moment."""
    FANTASY = "fantasy"
    """Talk about it; never do it."""
    NO = "no"
    """A private no."""
    HARD_NO = "hard_no"
    """A limit I want known and enforced."""

    @property
    def rank(self) -> int:
        """Its place from best (0, FAVORITE) to worst (6, HARD_NO)."""
        return _RANK[self]

    @property
    def positive(self) -> bool:
        """Whether it is FAVORITE, YES or OKAY."""
        return self in POSITIVE


_RANK: Final = {rating: index for index, rating in enumerate(Rating)}
#: The positive ratings: a yes.
POSITIVE: Final = frozenset({Rating.FAVORITE, Rating.YES, Rating.OKAY})
#: Ratings drafting turns into consent: positive, or MAYBE (asked in the scene).
ACCEPTABLE: Final = POSITIVE | {Rating.MAYBE}
#: Ratings `compare` reveals to the other party: at least FANTASY.
LISTED: Final = ACCEPTABLE | {Rating.FANTASY}
#: Ratings that may carry a cap.
_CAPPED: Final = ACCEPTABLE
#: Ratings that may be given for any role (role None).
_ANY_ROLE: Final = frozenset({Rating.NO, Rating.HARD_NO})


class MatchKind(Choice):
    """How far two parties agree on one pair of roles in an activity."""

    MUTUAL = "mutual"
    """Both are positive."""
    ASK = "ask"
    """The less keen of the two said MAYBE: ask in the moment."""
    TALK = "talk"
    """The less keen of the two said FANTASY: talk about it, never do it."""


def _to_rating(value: Any) -> Any:
    return coerce(Rating, value)


def _to_role(value: Any) -> Any:
    return coerce(Role, value)


def _to_match_kind(value: Any) -> Any:
    return coerce(MatchKind, value)


def _role_key(role: Role | None) -> str:
    return "" if role is None else role.value


def _sorted_entries(value: Any) -> Any:
    """Sort entries by (activity, role) so equal lists are equal records."""
    found: Any = v.to_tuple(value)
    if isinstance(found, tuple) and all(isinstance(e, Preference) for e in found):
        return tuple(sorted(found, key=lambda e: (e.activity, _role_key(e.role))))
    return found  # the validator reports it


def _sorted_matches(value: Any) -> Any:
    """Sort matches by activity id, then giver (SPEC 6.2)."""
    found: Any = v.to_tuple(value)
    if isinstance(found, tuple) and all(isinstance(m, Match) for m in found):
        return tuple(sorted(found, key=lambda m: (m.activity, m.giver)))
    return found  # the validator reports it


@attrs.frozen(kw_only=True)
class Preference:
    """One rating: how `rating` a party is to take `role` in `activity`.

    Attributes:
        activity: The activity rated; the rating reaches the activities
            beneath it that the list does not rate themselves.
        role: GIVE, RECEIVE or WITNESS; None means in any role (only with
            NO and HARD_NO).
        rating: How the party feels about it.
        max_intensity: A cap from 1 to 10, only with a positive or MAYBE
            rating; None for no cap.
        note: In the party's words.
    """

    activity: str = attrs.field(validator=v.activity_id)
    role: Role | None = attrs.field(
        converter=_to_role, validator=v.optional(v.enum_member(Role))
    )
    rating: Rating = attrs.field(converter=_to_rating, validator=v.enum_member(Rating))
    max_intensity: int | None = attrs.field(
        default=None, validator=v.optional(v.intensity)
    )
    note: str = attrs.field(default="", validator=v.text)

    def __attrs_post_init__(self) -> None:
        if self.role is None and self.rating not in _ANY_ROLE:
            raise v.fail(
                self,
                "role",
                f"must be a role for a `{self.rating.value}` rating: "
                "only `no` and `hard_no` may be given for any role",
            )
        if self.max_intensity is not None and self.rating not in _CAPPED:
            raise v.fail(
                self,
                "max_intensity",
                f"must be none for a `{self.rating.value}` rating: "
                "only positive and `maybe` ratings carry a cap",
            )


@attrs.frozen(kw_only=True)
class Source:
    """Where an imported list came from.

    Attributes:
        tool: What wrote it (``kinklist``, ``csv``).
        file: The file's name, when known.
        sha256: The digest of the file's bytes, ``sha256:`` and 64 hex digits.
        lossy: Whether the import may have lost ratings (the list must be
            reviewed with special care).
    """

    tool: str = attrs.field(validator=v.party_id)
    file: str = attrs.field(default="", validator=v.text)
    sha256: str = attrs.field(validator=v.digest_text)
    lossy: bool = attrs.field(default=False, validator=v.boolean)


@attrs.frozen(kw_only=True)
class Preferences:
    """A party's preference list: ratings by activity and role.

    Attributes:
        party: Whose list it is.
        entries: The ratings, at most one per (activity, role), kept sorted
            by activity, then role (any role first).
        catalog: The name of the catalog rated against.
        catalog_version: Its version.
        source: Where the list was imported from, if it was (an imported list
            is a draft its party reviews).
    """

    party: str = attrs.field(validator=v.party_id)
    entries: tuple[Preference, ...] = attrs.field(
        converter=_sorted_entries, validator=v.instances(Preference)
    )
    catalog: str = attrs.field(default="default", validator=v.party_id)
    catalog_version: int = attrs.field(default=1, validator=v.positive_int(2**31 - 1))
    source: Source | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Source))
    )
    _index: dict[tuple[str, Role | None], Preference] = attrs.field(
        init=False, eq=False, hash=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        index: dict[tuple[str, Role | None], Preference] = {}
        for entry in self.entries:
            key = (entry.activity, entry.role)
            if key in index:
                # Entries are sorted on the way in, so a position would not
                # be the caller's: the message names the entry instead.
                role = (
                    "any role" if entry.role is None else f"role `{entry.role.value}`"
                )
                raise v.fail(
                    self,
                    "entries",
                    f"two entries for `{entry.activity}` in {role}",
                )
            index[key] = entry
        object.__setattr__(self, "_index", index)

    def get(self, activity: str, role: Role | None) -> Preference | None:
        """Return the entry for exactly this activity and role, or None."""
        return self._index.get((activity, role))

    def effective(
        self, activity: str, role: Role, catalog: Catalog | None = None
    ) -> Rating | None:
        """Return the party's effective rating for taking `role` in `activity`.

        See `effective_entry`; None means unrated, which is never a yes.

        Raises:
            KeyError: The activity is not in the catalog.
        """
        return effective_rating(self, activity, role, _catalog(catalog))

    @property
    def activities(self) -> frozenset[str]:
        """Every activity the list rates."""
        return frozenset(entry.activity for entry in self.entries)


def _catalog(catalog: Catalog | None) -> Catalog:
    return default_catalog() if catalog is None else catalog


def effective_entry(
    preferences: Preferences, activity: str, role: Role, catalog: Catalog
) -> Preference | None:
    """Return the entry that decides a party's rating for (activity, role).

    SPEC 6.1: a HARD_NO for the role (or for any role) at the activity or any
    ancestor decides, across everything.  Otherwise the nearest entry, walking
    up from the activity, for the role (or a NO for any role; the entry for
    the role wins at the same activity) -- but no rating reaches down across
    an ``explicit_only`` activity: the walk stops at the nearest one.  None
    means unrated.

    Raises:
        KeyError: The activity is not in the catalog.
    """
    barrier = catalog.explicit_barrier(activity)
    index = preferences._index  # noqa: SLF001  # the list's own index
    chain = (activity, *ancestors_of(activity))
    for node in chain:
        for key in ((node, role), (node, None)):
            entry = index.get(key)
            if entry is not None and entry.rating is Rating.HARD_NO:
                return entry
    for node in chain:
        entry = index.get((node, role)) or index.get((node, None))
        if entry is not None:
            return entry
        if node == barrier:
            return None
    return None


def effective_rating(
    preferences: Preferences, activity: str, role: Role, catalog: Catalog
) -> Rating | None:
    """Return a party's effective rating for (activity, role), None if unrated.

    Raises:
        KeyError: The activity is not in the catalog.
    """
    entry = effective_entry(preferences, activity, role, catalog)
    return None if entry is None else entry.rating


@attrs.frozen(kw_only=True)
class Standing:
    """What a list says of a step on an activity that may be anything beneath it.

    Attributes:
        rating: The worst effective rating over the activity and everything
            beneath it; None when any of them is unrated.
        cap: The lowest cap among them; None for no cap.
    """

    rating: Rating | None
    cap: int | None

    @property
    def acceptable(self) -> bool:
        """Whether drafting turns it into consent: positive or MAYBE."""
        return self.rating in ACCEPTABLE


def standing(
    preferences: Preferences, activity: str, role: Role, catalog: Catalog
) -> Standing:
    """Return a party's standing for (activity, role), as drafting reads it.

    SPEC 6.3: a category is only as agreed as its least agreed member.

    Raises:
        KeyError: The activity is not in the catalog.
    """
    worst: Rating | None = None
    cap: int | None = None
    for member in (activity, *catalog.descendants(activity)):
        entry = effective_entry(preferences, member, role, catalog)
        if entry is None:
            return Standing(rating=None, cap=None)
        if worst is None or entry.rating.rank > worst.rank:
            worst = entry.rating
        own = entry.max_intensity
        if own is not None and (cap is None or own < cap):
            cap = own
    return Standing(rating=worst, cap=cap)


def _worse(one: Standing, other: Standing) -> Standing:
    if one.rating is None or other.rating is None:
        return _UNRATED
    rating = one.rating if one.rating.rank >= other.rating.rank else other.rating
    caps = [c for c in (one.cap, other.cap) if c is not None]
    return Standing(rating=rating, cap=min(caps) if caps else None)


_UNRATED: Final = Standing(rating=None, cap=None)


def standings(
    preferences: Preferences, role: Role, catalog: Catalog
) -> dict[str, Standing]:
    """Return the party's standing for `role` in every catalog activity at once.

    The same answers as `standing`, activity by activity, in one pass from
    the deepest activities up.
    """
    found: dict[str, Standing] = {}
    for activity in catalog:
        entry = effective_entry(preferences, activity.id, role, catalog)
        found[activity.id] = (
            _UNRATED
            if entry is None
            else Standing(rating=entry.rating, cap=entry.max_intensity)
        )
    for activity in sorted(catalog, key=lambda a: -a.id.count(".")):
        parents = ancestors_of(activity.id)
        if parents:
            found[parents[0]] = _worse(found[parents[0]], found[activity.id])
    return found


class UnknownActivitiesError(ConsentkitError, ValueError):
    """Preference lists rate activities the catalog does not have.

    Attributes:
        unknown: Each party whose list names unknown activities, mapped to
            those ids (sorted), so that an application showing the error to
            a person can show them only their own entries.
    """

    def __init__(self, unknown: Mapping[str, Sequence[str]], catalog: Catalog) -> None:
        self.unknown: dict[str, tuple[str, ...]] = {
            party: tuple(ids) for party, ids in sorted(unknown.items())
        }
        named = "; ".join(
            f"`{one_line(party)}`: " + ", ".join(f"`{i}`" for i in ids)
            for party, ids in self.unknown.items()
        )
        super().__init__(
            f"activities not in catalog `{catalog.name}` version "
            f"{catalog.version}: {named}"
        )


def check_lists(
    lists: Iterable[Preferences], catalog: Catalog, *, least: int, what: str
) -> tuple[Preferences, ...]:
    """Check lists before comparing or drafting; return them sorted by party.

    Raises:
        TypeError: Something given is not a `Preferences`.
        ValueError: Fewer than `least` lists, a party twice, another catalog.
        UnknownActivitiesError: Lists name activities outside the catalog.
    """
    if not isinstance(catalog, Catalog):
        raise TypeError(f"{what}: catalog must be a `Catalog`, got {v.show(catalog)}")
    given = tuple(lists)
    for item in given:
        if not isinstance(item, Preferences):
            raise TypeError(f"{what}: expected `Preferences` lists, got {v.show(item)}")
    if len(given) < least:
        raise ValueError(f"{what}: needs at least {least} preference lists")
    found = sorted(given, key=lambda p: p.party)
    for first, second in itertools.pairwise(found):
        if first.party == second.party:
            raise ValueError(f"{what}: two lists of party `{one_line(first.party)}`")
    for item in found:
        if (item.catalog, item.catalog_version) != (catalog.name, catalog.version):
            raise ValueError(
                f"{what}: the list of `{one_line(item.party)}` rates catalog "
                f"`{item.catalog}` version {item.catalog_version}, not catalog "
                f"`{catalog.name}` version {catalog.version}"
            )
    unknown = {
        item.party: sorted(a for a in item.activities if a not in catalog)
        for item in found
    }
    unknown = {party: ids for party, ids in unknown.items() if ids}
    if unknown:
        raise UnknownActivitiesError(unknown, catalog)
    return tuple(found)


def match_kind(giver: Rating, receiver: Rating) -> MatchKind:
    """The kind of a match between two ratings of at least FANTASY."""
    lower = giver if giver.rank >= receiver.rank else receiver
    if lower.positive:
        return MatchKind.MUTUAL
    if lower is Rating.MAYBE:
        return MatchKind.ASK
    return MatchKind.TALK


_listed = v.enum_member(Rating)


@attrs.frozen(kw_only=True)
class Match:
    """Two parties' shared ground on one activity, one giving, one receiving.

    Attributes:
        activity: The activity.
        giver: The party who would give it.
        receiver: The party who would receive it.
        giver_rating: The giver's effective rating for giving it.
        receiver_rating: The receiver's effective rating for receiving it.
        kind: MUTUAL, ASK or TALK, from the less keen of the two ratings.
    """

    activity: str = attrs.field(validator=v.activity_id)
    giver: str = attrs.field(validator=v.party_id)
    receiver: str = attrs.field(validator=v.party_id)
    giver_rating: Rating = attrs.field(converter=_to_rating, validator=_listed)
    receiver_rating: Rating = attrs.field(converter=_to_rating, validator=_listed)
    kind: MatchKind = attrs.field(
        converter=_to_match_kind, validator=v.enum_member(MatchKind)
    )

    def __attrs_post_init__(self) -> None:
        if self.receiver == self.giver:
            raise v.fail(self, "receiver", "must differ from the giver")
        for field in ("giver_rating", "receiver_rating"):
            rating: Rating = getattr(self, field)
            if rating not in LISTED:
                raise v.fail(
                    self,
                    field,
                    f"must be at least `fantasy` to be listed, got `{rating.value}`",
                )
        expected = match_kind(self.giver_rating, self.receiver_rating)
        if self.kind is not expected:
            raise v.fail(
                self,
                "kind",
                f"must be `{expected.value}` for ratings "
                f"`{self.giver_rating.value}` and `{self.receiver_rating.value}`",
            )


@attrs.frozen(kw_only=True)
class Comparison:
    """What two lists share, giving against receiving, and nothing else.

    Attributes:
        parties: The two parties compared.
        matches: Every pair where both effective ratings are at least
            FANTASY, sorted by activity, then giver.
        catalog: The name of the catalog compared against.
        catalog_version: Its version.
    """

    parties: frozenset[str] = attrs.field(
        converter=v.to_frozenset, validator=v.party_ids
    )
    matches: tuple[Match, ...] = attrs.field(
        converter=_sorted_matches, validator=v.instances(Match)
    )
    catalog: str = attrs.field(default="default", validator=v.party_id)
    catalog_version: int = attrs.field(default=1, validator=v.positive_int(2**31 - 1))

    def __attrs_post_init__(self) -> None:
        if len(self.parties) != 2:  # a comparison is of two lists
            raise v.fail(self, "parties", "must name exactly two parties")
        seen: set[tuple[str, str]] = set()
        for index, match in enumerate(self.matches):
            for field in ("giver", "receiver"):
                party = getattr(match, field)
                if party not in self.parties:
                    raise v.fail(
                        self,
                        f"matches[{index}].{field}",
                        f"`{party}` is not one of the parties",
                    )
            key = (match.activity, match.giver)
            if key in seen:
                raise v.fail(
                    self,
                    f"matches[{index}]",
                    f"a second match for `{match.activity}` given by `{match.giver}`",
                )
            seen.add(key)

    def render(self, catalog: Catalog | None = None) -> str:
        """Render the matches for people, grouped by top-level category.

        Args:
            catalog: The catalog whose labels name the activities (default:
                the default catalog); ids it lacks are shown as ids.

        Returns:
            Lines of text, one per match under a heading per category.
        """
        catalog = _catalog(catalog)
        first, second = sorted(self.parties)
        lines = [
            f"{one_line(first)} and {one_line(second)}: "
            f"{len(self.matches)} shared "
            + ("item" if len(self.matches) == 1 else "items")
        ]
        if not self.matches:
            lines.append("nothing in common yet (that is a fine answer too)")
        category: str | None = None
        for match in self.matches:
            top = match.activity.split(".", 1)[0]
            if top != category:
                category = top
                lines.append("")
                lines.append(f"{_label(catalog, top)} ({top})")
            lines.append(
                f"  {match.kind.value.upper():<6} {_label(catalog, match.activity)}: "
                f"{one_line(match.giver)} gives ({match.giver_rating.value}), "
                f"{one_line(match.receiver)} receives "
                f"({match.receiver_rating.value}) [{match.activity}]"
            )
        return "\n".join(lines)


def _label(catalog: Catalog, activity: str) -> str:
    found = catalog.get(activity)
    return activity if found is None else one_line(found.label)


@attrs.frozen(kw_only=True)
class Imported:
    """A list read from another tool, and what could not be carried over.

    Attributes:
        preferences: The list, a draft its party must review.
        unmapped: Items with no catalog activity, never guessed
            (``"Category: item"``).
        undirected: Items rated positively with no role to give them, left
            for the party to place (``"Category: item"``).
        lossy: Whether ratings may have been lost on the way.
    """

    preferences: Preferences = attrs.field(validator=v.instance_of(Preferences))
    unmapped: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )
    undirected: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )
    lossy: bool = attrs.field(default=False, validator=v.boolean)
