"""What every strategy draws with: shared pools, small helpers, where ids come from."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import timedelta, timezone
from typing import Final, TypeAlias, TypeVar

import attrs
from hypothesis import strategies as st

from consentkit import _validate as v
from consentkit._catalog import Catalog, default_catalog
from consentkit._coverage import NAMED_TAGS

T = TypeVar("T")
#: What a ``catalog`` argument takes: a catalog, a strategy of them, or None.
CatalogArg: TypeAlias = Catalog | st.SearchStrategy[Catalog] | None

_UTC: Final = timezone.utc
_NAMES: Final = ("alex", "sam", "jo", "robin", "kai", "mika", "noor", "ren")
#: The tags rules read most: they change what a grant covers or a signal needs.
_KEY_TAGS: Final = (
    "explicit_only",
    "impairs_speech",
    "restrains_hands",
    "impairs_vision",
)
#: Every risk tag the specification names, the key ones first.
_TAGS: Final = (*_KEY_TAGS, *sorted(NAMED_TAGS - set(_KEY_TAGS)))
_EQUIPMENT: Final = ("safety_shears", "first_aid_kit", "gloves", "blanket", "water")
_SEGMENTS: Final = (
    "impact",
    "spanking",
    "hand",
    "paddle",
    "crop",
    "flogger",
    "rope",
    "cuffs",
    "gag",
    "hood",
    "blindfold",
    "wax",
    "ice",
    "tickling",
    "service",
    "verbal",
    "praise",
    "kneeling",
    "massage",
    "collar",
)
_CUES: Final = ("red", "yellow", "green", "tap", "drop", "pineapple")
#: A cue no generated protocol defines: it counts as STOP.
_UNKNOWN_CUE: Final = "mayday"

# Any valid id: no control characters, no surrounding whitespace, UTF-8 text.
_ANY_ID: Final = (
    st.text(
        st.characters(
            exclude_categories=["Cc", "Cs"], exclude_characters="\u2028\u2029"
        ),
        min_size=1,
        max_size=v.MAX_ID_LENGTH,
    )
    .map(str.strip)
    .filter(bool)
)
_ANY_SEGMENT: Final = st.text(
    "abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=10
)
_ANY_TEXT: Final = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_ANY_MINUTES: Final = st.integers(1, v.MAX_MINUTES)
_BOOLS: Final = st.booleans()
_DIGESTS: Final = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())


# -- drawing helpers -----------------------------------------------------------
# Strategies are built once and drawn from plain functions, so that a ledger
# of thirty events costs a few milliseconds, not the building of hundreds of
# strategy objects.


@functools.cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def _int(draw: st.DrawFn, low: int, high: int) -> int:
    return draw(_ints(low, high)) if high > low else low


def _pick(draw: st.DrawFn, items: Sequence[T]) -> T:
    """One of `items`; shrinks towards the first."""
    return items[_int(draw, 0, len(items) - 1)]


def _rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in `one_in` draws; shrinks to False."""
    return _int(draw, 0, one_in - 1) == one_in - 1


def _coin(draw: st.DrawFn) -> bool:
    return draw(_BOOLS)


def _roll(draw: st.DrawFn, *sizes: int) -> list[int]:
    """One digit below each of `sizes`, from a single draw; all shrink to 0.

    One draw for several small choices keeps generation fast.
    """
    value = _int(draw, 0, math.prod(sizes) - 1)
    digits: list[int] = []
    for size in sizes:
        value, digit = divmod(value, size)
        digits.append(digit)
    return digits


def _some(draw: st.DrawFn, items: Sequence[T], low: int, high: int) -> list[T]:
    """Between `low` and `high` distinct members of `items`, in drawn order."""
    rest = list(items)
    low, high = min(low, len(rest)), min(high, len(rest))
    extra, *picks = _roll(draw, high - low + 1, *(len(rest) - i for i in range(high)))
    return [rest.pop(pick) for pick in picks[: low + extra]]


def _distinct(
    draw: st.DrawFn, source: st.SearchStrategy[str], low: int, high: int
) -> tuple[str, ...]:
    return tuple(draw(st.lists(source, min_size=low, max_size=high, unique=True)))


def _text(draw: st.DrawFn) -> str:
    """Empty mostly; any text (controls and all) now and then."""
    return draw(_ANY_TEXT) if _rarely(draw, 3) else ""


def _minutes(draw: st.DrawFn) -> int:
    return draw(_ANY_MINUTES) if _rarely(draw, 4) else _pick(draw, (5, 10, 30, 60))


def _cap(draw: st.DrawFn) -> int | None:
    """No cap two times in three: caps are what most often deny a step."""
    return _int(draw, 1, 10) if _rarely(draw, 3) else None


def _given(
    value: st.SearchStrategy[T] | None, default: st.SearchStrategy[T]
) -> st.SearchStrategy[T]:
    return default if value is None else value


def _resolve(draw: st.DrawFn, catalog: CatalogArg) -> Catalog | None:
    if isinstance(catalog, st.SearchStrategy):
        return draw(catalog)
    return catalog


def _ledger_catalog(draw: st.DrawFn, catalog: CatalogArg) -> Catalog:
    found = _resolve(draw, catalog)
    return default_catalog() if found is None else found


def _seconds(delta: timedelta) -> int:
    return math.floor(delta.total_seconds())


def _segment(draw: st.DrawFn) -> str:
    return draw(_ANY_SEGMENT) if _rarely(draw, 4) else _pick(draw, _SEGMENTS)


def _any_activity(draw: st.DrawFn, max_depth: int = 4) -> str:
    return ".".join(_segment(draw) for _ in range(_int(draw, 1, max_depth)))


def _tag(draw: st.DrawFn) -> str:
    roll = _int(draw, 0, 5)
    if roll < 3:
        return _pick(draw, _KEY_TAGS)
    if roll < 5:
        return _pick(draw, _TAGS)
    return draw(_ANY_SEGMENT)


@attrs.frozen
class _Acts:
    """Where activity ids, tags and equipment come from: a catalog, or anywhere."""

    ids: tuple[str, ...] | None
    tags: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    items: tuple[str, ...] = _EQUIPMENT
    catalog: Catalog | None = None

    @classmethod
    def of(cls, catalog: Catalog | None) -> _Acts:
        if catalog is None:
            return cls(ids=None)
        required = tuple(sorted({r for a in catalog for r in a.requires}))
        tags = dict.fromkeys(sorted({t for a in catalog for t in a.tags}))
        return cls(
            ids=tuple(a.id for a in catalog),
            # The catalog's own tags first, then every tag the spec names.
            tags=tuple({**tags, **dict.fromkeys(_TAGS)}),
            required=required,
            items=tuple(dict.fromkeys((*required, *_EQUIPMENT))),
            catalog=catalog,
        )

    def activity(self, draw: st.DrawFn) -> str:
        if not self.ids:
            return _any_activity(draw)
        return _pick(draw, self.ids)

    def tag(self, draw: st.DrawFn) -> str:
        return _pick(draw, self.tags) if self.tags else _tag(draw)

    def item(self, draw: st.DrawFn) -> str:
        return _pick(draw, self.items)
