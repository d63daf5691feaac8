"""Field validators and converters for the records; every failure is `InvalidRecord`.

Validators follow attrs' signature ``(instance, attribute, value)`` and name the
field they guard.  Converters only normalise shapes (lists become tuples,
offsets become UTC); they never reject, so that the validator after them can
report the problem against the right field.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import attrs

from consentkit._errors import InvalidRecord

__all__ = [
    "ACTIVITY_ID",
    "CAPABILITIES",
    "DIGEST",
    "MAX_MINUTES",
    "NAME",
    "activity_id",
    "activity_ids",
    "aware_time",
    "boolean",
    "constant",
    "digest_text",
    "enum_member",
    "fail",
    "frozen_set",
    "instance_of",
    "instances",
    "intensity",
    "name",
    "names",
    "optional",
    "party_id",
    "party_ids",
    "party_problem",
    "pattern",
    "position",
    "positive_int",
    "show",
    "text",
    "texts",
    "to_frozenset",
    "to_tuple",
    "to_utc",
    "whole_seconds",
]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

#: An activity id: a dotted path of lowercase segments.  The JSON Schema's
#: pattern is built from the same string, so the two cannot drift apart.
ACTIVITY_ID: Final = r"[a-z0-9_]+(?:\.[a-z0-9_]+)*"
#: A tag, a capability or an item of equipment: one lowercase segment.
NAME: Final = r"[a-z0-9_]+"
#: The capabilities a signal can need and an activity can take away.
CAPABILITIES: Final = frozenset({"voice", "free_hand", "sight"})
#: The longest count of minutes a condition or protocol may name (about 694 days).
MAX_MINUTES: Final = 1_000_000
MAX_ID_LENGTH: Final = 128

_ACTIVITY_RE: Final = re.compile(ACTIVITY_ID)
_NAME_RE: Final = re.compile(NAME)
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def show(value: object) -> str:
    """Render a user value for an error message, shortened and in backticks."""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"`{shown}`"


def fail(instance: object, field: str, rule: str) -> InvalidRecord:
    """Build the error for `field` of `instance` breaking `rule`."""
    return InvalidRecord(type(instance).__name__, field, rule)


def _bad(instance: object, attribute: attrs.Attribute[Any], rule: str) -> InvalidRecord:
    return fail(instance, attribute.name, rule)


# -- converters --------------------------------------------------------------


def to_frozenset(value: Iterable[Any]) -> frozenset[Any]:
    """Turn any iterable but a string or mapping into a frozenset."""
    if isinstance(value, frozenset):
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]  # the validator reports it
    return frozenset(value)


def to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """Turn any iterable but a string or mapping into a tuple."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value  # type: ignore[return-value]  # the validator reports it
    return tuple(value)


def to_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC; anything else passes to the validator."""
    # Callers may pass anything at run time; the validator reports non-times.
    if isinstance(value, datetime) and value.utcoffset() is not None:  # type: ignore[redundant-expr]
        return value.astimezone(timezone.utc)
    return value


# -- validators --------------------------------------------------------------


def text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Free text: any string that can be written as UTF-8."""
    if not isinstance(value, str):
        raise _bad(instance, attribute, f"must be a string, got {show(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(instance, attribute, "must be valid unicode text") from None


#: An id that breaks none of the rules `_id_problem` checks one by one: 1 to
#: `MAX_ID_LENGTH` characters, no control character, no surrogate (which
#: UTF-8 cannot write), no whitespace at either end (what ``str.strip``
#: strips, which is what ``\s`` matches).
_GOOD_ID: Final = re.compile(
    rf"(?!\s)[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]{{1,{MAX_ID_LENGTH}}}(?<!\s)"
)


def _check_id(value: Any) -> str | None:
    if type(value) is str and _GOOD_ID.fullmatch(value):
        return None  # at a glance, ids being read by the thousand
    return _id_problem(value)


def _id_problem(value: Any) -> str | None:  # noqa: PLR0911  # one return per rule
    if not isinstance(value, str):
        return f"must be a string, got {show(value)}"
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters, got {len(value)}"
    if _CONTROL_RE.search(value):
        return f"must not contain control characters, got {show(value)}"
    if value != value.strip():
        return f"must not start or end with whitespace, got {show(value)}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid unicode text"
    return None


def party_problem(value: Any) -> str | None:
    """What is wrong with `value` as a party id, or None when it is one."""
    return _check_id(value)


def party_id(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A party, grant or proposal id (SPEC 2, identifiers)."""
    problem = _check_id(value)
    if problem:
        raise _bad(instance, attribute, problem)


def activity_id(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A dotted activity id such as ``impact.spanking.hand``."""
    if not isinstance(value, str) or not _ACTIVITY_RE.fullmatch(value):
        raise _bad(
            instance,
            attribute,
            f"must be a dotted activity id of lowercase segments, got {show(value)}",
        )


def name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A tag, capability or equipment name: lowercase letters, digits, ``_``."""
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise _bad(
            instance,
            attribute,
            f"must be a lowercase name of letters, digits and `_`, got {show(value)}",
        )


def _members(
    check: Validator,
) -> Validator:
    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for member in value:
            check(instance, attribute, member)

    return validate


def frozen_set(member: Validator, *, non_empty: bool = False) -> Validator:
    """A frozenset whose every member passes `member`."""
    each = _members(member)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, frozenset):
            raise _bad(instance, attribute, f"must be a set, got {show(value)}")
        if non_empty and not value:
            raise _bad(instance, attribute, "must not be empty")
        each(instance, attribute, value)

    return validate


def instances(*types: type, non_empty: bool = False) -> Validator:
    """A tuple whose every member is an instance of one of `types`."""
    wanted = " or ".join(t.__name__ for t in types)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            raise _bad(instance, attribute, f"must be a sequence, got {show(value)}")
        if non_empty and not value:
            raise _bad(instance, attribute, "must not be empty")
        for index, member in enumerate(value):
            if not isinstance(member, types):
                raise fail(
                    instance,
                    f"{attribute.name}[{index}]",
                    f"must be a {wanted}, got {show(member)}",
                )

    return validate


party_ids = frozen_set(party_id)
activity_ids = frozen_set(activity_id)
names = frozen_set(name)


def optional(check: Validator) -> Validator:
    """`check`, or None."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            check(instance, attribute, value)

    return validate


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(maximum: int) -> Validator:
    """A whole number from 1 to `maximum`."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not _is_int(value) or not 1 <= value <= maximum:
            raise _bad(instance, attribute, f"must be 1..{maximum}, got {show(value)}")

    return validate


intensity = positive_int(10)


def boolean(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """True or False."""
    if not isinstance(value, bool):
        raise _bad(instance, attribute, f"must be true or false, got {show(value)}")


def enum_member(cls: type[enum.Enum]) -> Validator:
    """A member of the enum `cls` (`to_enum` turns its values into members)."""
    choices = ", ".join(f"`{m.value}`" for m in cls)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, cls):
            raise _bad(
                instance,
                attribute,
                f"must be a `{cls.__name__}` (one of {choices}), got {show(value)}",
            )

    return validate


def aware_time(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A timezone-aware datetime (already normalised to UTC by `to_utc`)."""
    if not isinstance(value, datetime):
        raise _bad(instance, attribute, f"must be a datetime, got {show(value)}")
    if value.utcoffset() is None:
        raise _bad(instance, attribute, "must be timezone-aware, got a naive time")


def whole_seconds(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A non-negative duration of whole seconds."""
    if not isinstance(value, timedelta):
        raise _bad(instance, attribute, f"must be a duration, got {show(value)}")
    if value < timedelta(0):
        raise _bad(instance, attribute, f"must not be negative, got {show(value)}")
    if value.microseconds:
        raise _bad(instance, attribute, f"must be whole seconds, got {show(value)}")


#: An entry digest: ``sha256:`` and 64 lowercase hex digits.
DIGEST: Final = r"sha256:[0-9a-f]{64}"
_DIGEST_RE: Final = re.compile(DIGEST)


def digest_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An entry digest: ``sha256:`` and 64 lowercase hex digits."""
    if not isinstance(value, str) or not _DIGEST_RE.fullmatch(value):
        raise _bad(
            instance,
            attribute,
            f"must be `sha256:` and 64 lowercase hex digits, got {show(value)}",
        )


def position(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A position in the ledger: a whole number from 0."""
    if not _is_int(value) or value < 0:
        raise _bad(
            instance, attribute, f"must be a whole number from 0, got {show(value)}"
        )


def instance_of(cls: type) -> Validator:
    """An instance of `cls`."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, cls):
            raise _bad(
                instance, attribute, f"must be a {cls.__name__}, got {show(value)}"
            )

    return validate


def texts(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A tuple of free-text strings."""
    if not isinstance(value, tuple):
        raise _bad(instance, attribute, f"must be a sequence, got {show(value)}")
    for index, member in enumerate(value):
        try:
            text(instance, attribute, member)
        except InvalidRecord as error:
            raise fail(instance, f"{attribute.name}[{index}]", error.rule) from None


def constant(expected: str) -> Validator:
    """Exactly the string `expected` (a field that names a fixed algorithm)."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value != expected or not isinstance(value, str):
            raise _bad(instance, attribute, f"must be `{expected}`, got {show(value)}")

    return validate


def pattern(regex: str, rule: str) -> Validator:
    """A string matching `regex` in full; `rule` says in words what it must be.

    The JSON Schema's pattern is built from the same `regex`.
    """
    compiled = re.compile(regex)

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise _bad(instance, attribute, f"{rule}, got {show(value)}")

    return validate
