"""The one cattrs converter: records to plain JSON types and back (SPEC 4).

Conventions: enums are their lowercase values; sets are sorted arrays; a
duration field ``x`` is written ``x_s`` in whole seconds; times are RFC 3339
in UTC ending in ``Z``; members of a closed union carry a ``"type"`` tag, the
member's name in snake_case.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from consentkit._canonical import digest_data
from consentkit._events import EVENTS, Event
from consentkit._terms import CONDITIONS, Condition

__all__ = [
    "TAGS",
    "converter",
    "digest",
    "format_time",
    "from_dict",
    "parse_time",
    "to_dict",
]

T = TypeVar("T")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: The closed unions and their members' ``"type"`` tags.
UNIONS: Final[dict[object, tuple[type, ...]]] = {
    Condition: CONDITIONS,
    Event: EVENTS,
}
TAGS: Final[dict[type, str]] = {
    member: _snake(member.__name__) for members in UNIONS.values() for member in members
}

_TIME_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def format_time(moment: datetime) -> str:
    """Write an aware time as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` in UTC."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    # isoformat writes the fraction only when there are microseconds.
    return moment.replace(tzinfo=None).isoformat() + "Z"


def parse_time(text: str) -> datetime:
    """Read an RFC 3339 time with an offset and normalise it to UTC.

    Raises:
        ValueError: Not such a time: no offset, a fraction finer than
            microseconds, second 60, or a date that does not exist.
    """
    if not isinstance(text, str):
        raise TypeError(f"must be a time string, got `{text!r}`")
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"must be an RFC 3339 time with an offset (at most microseconds), "
            f"got `{text}`"
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = (
        match.groups()
    )
    if int(second) == 60:
        raise ValueError(f"leap seconds are not supported, got `{text}`")
    offset = timedelta(0)
    if not zulu:
        if int(oh) > 23 or int(om) > 59:
            raise ValueError(f"offset out of range, got `{text}`")
        offset = timedelta(hours=int(oh), minutes=int(om))
        if sign == "-":
            offset = -offset
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            micro, tzinfo=timezone(offset),
        )  # fmt: skip
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError(f"not a valid time, got `{text}`") from None


def _sort_key(item: Any) -> Any:
    if isinstance(item, enum.Enum):
        return item.value
    return item


def _duration_fields(cls: type) -> dict[str, Any]:
    return {
        a.name: override(rename=f"{a.name}_s")
        for a in attrs.fields(cls)
        if a.type in (timedelta, "timedelta")
    }


def _configure(conv: cattrs.Converter) -> None:  # noqa: C901  # one place for all hooks
    """Teach `conv` every convention of SPEC 4."""
    conv.register_unstructure_hook(datetime, format_time)
    conv.register_structure_hook(datetime, lambda value, _: parse_time(value))
    conv.register_unstructure_hook(timedelta, lambda d: int(d.total_seconds()))
    conv.register_structure_hook(timedelta, _structure_seconds)
    conv.register_unstructure_hook_func(
        lambda t: getattr(t, "__origin__", t) in (frozenset, set),
        lambda s: [conv.unstructure(x) for x in sorted(s, key=_sort_key)],
    )

    def attrs_unstructure(cls: type) -> Callable[[Any], dict[str, Any]]:
        base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
            cls, conv, _cattrs_omit_if_default=False, **_duration_fields(cls)
        )
        tag = TAGS.get(cls)
        if tag is None:
            return base

        def tagged(obj: Any) -> dict[str, Any]:
            return {"type": tag, **base(obj)}

        return tagged

    def attrs_structure(cls: type) -> Callable[[Any, Any], Any]:
        base: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=True, **_duration_fields(cls)
        )
        tag = TAGS.get(cls)
        if tag is None:
            return base

        def untag(data: Any, _: Any) -> Any:
            if isinstance(data, Mapping) and "type" in data:
                if data["type"] != tag:
                    raise ValueError(f"type: must be `{tag}`, got `{data['type']!r}`")
                data = {k: v for k, v in data.items() if k != "type"}
            return base(data, cls)

        return untag

    conv.register_unstructure_hook_factory(attrs.has, attrs_unstructure)
    conv.register_structure_hook_factory(attrs.has, attrs_structure)

    for union, members in UNIONS.items():
        by_tag = {TAGS[m]: m for m in members}

        def structure_union(data: Any, _: Any, by_tag: dict[str, type] = by_tag) -> Any:
            if not isinstance(data, Mapping):
                raise TypeError(f"must be an object, got `{data!r}`")
            member = by_tag.get(data.get("type"))  # type: ignore[arg-type]
            if member is None:
                known = ", ".join(f"`{t}`" for t in sorted(by_tag))
                raise ValueError(
                    f"type: must be one of {known}, got `{data.get('type')!r}`"
                )
            return conv.structure(data, member)

        def is_union(t: Any, union: object = union) -> bool:
            return bool(t == union)

        conv.register_structure_hook_func(is_union, structure_union)
        conv.register_unstructure_hook_func(is_union, _unstructure_member(conv))


def _unstructure_member(conv: cattrs.Converter) -> Callable[[Any], Any]:
    def unstructure(obj: Any) -> Any:
        return conv.unstructure(obj, type(obj))

    return unstructure


def _structure_seconds(value: Any, _: Any) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"must be whole seconds, got `{value!r}`")
    if value < 0:
        raise ValueError(f"must not be negative, got `{value}`")
    return timedelta(seconds=value)


def make_converter() -> cattrs.Converter:
    """Build a converter configured for the consentkit format."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    _configure(conv)
    return conv


#: The converter, built once.
converter: Final = make_converter()


def to_dict(obj: Any) -> Any:
    """Return the record as plain JSON types (dicts, lists, strings, numbers)."""
    return converter.unstructure(obj)


def from_dict(cls: type[T], data: Any) -> T:
    """Read a record of type `cls` from plain JSON types."""
    return converter.structure(data, cls)


def digest(obj: Any) -> str:
    """Return ``sha256:<hex>`` of the RFC 8785 canonical form of ``to_dict(obj)``."""
    return digest_data(to_dict(obj))
