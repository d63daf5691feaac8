"""The one cattrs converter (SPEC 4).

Conventions: enums are their lowercase values; sets are sorted arrays; a
duration field ``x`` is written ``x_s`` in whole seconds; times are RFC 3339
in UTC ending in ``Z``; members of a closed union carry a ``"type"`` tag, the
member's name in snake_case.

Reading is strict.  Strings, whole numbers and booleans are never coerced
into one another, arrays must be arrays, unknown fields are refused, and
every field's own validator runs while the field is read, so that one pass
reports every problem with its JSON path.  Rules between fields run when the
record is built and are reported against the field they name.

This module lies below the ledger, which hashes its events with `to_dict`
and `digest`, so it knows nothing of the ledger itself: `_documents`, above
the ledger, writes and reads a `Ledger` explicitly; this converter is never
taught anything after it is built, so its answers never depend on import
order.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import re
import types
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any, Final, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from consentkit import _validate as v
from consentkit._agreements import FrozenMap
from consentkit._canonical import canonical_trusted, digest_bytes, digest_data
from consentkit._errors import DecodeError, InvalidRecord, LedgerError, TamperedLedger
from consentkit._events import EVENTS, Event
from consentkit._receipt import Proof
from consentkit._terms import CONDITIONS, Condition, Grant, Limit, Protocol

__all__ = [
    "DIGEST",
    "EXACT_TIMES",
    "FIELD_CHECKS",
    "MAX_SECONDS",
    "REQUIRED_ALL",
    "SHARED",
    "TAGS",
    "TIME_PATTERN",
    "UNIONS",
    "WIRE_NAMES",
    "WRITTEN_TIME",
    "check_digest",
    "check_position",
    "converter",
    "decode",
    "digest",
    "format_time",
    "from_dict",
    "key_suffix",
    "make_converter",
    "parse_time",
    "reading_shared",
    "to_dict",
    "wire_names",
    "written_form",
]

T = TypeVar("T")

MAX_SECONDS: Final = timedelta.max.days * 86400 + timedelta.max.seconds
#: An entry digest: ``sha256:`` and 64 lowercase hex digits.
DIGEST: Final = v.DIGEST
#: A time as read: RFC 3339 with an offset and at most microseconds.  The JSON
#: Schema's pattern is built from the same string.
TIME_PATTERN: Final = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


#: Fields written under another name than the record's: the W3C spelling of a
#: proof's fields (SPEC 8.3).  Durations are renamed ``x_s`` besides these.
WIRE_NAMES: Final[dict[type, dict[str, str]]] = {
    Proof: {
        "verification_method": "verificationMethod",
        "proof_purpose": "proofPurpose",
        "proof_value": "proofValue",
    },
}
#: Records whose every field is required on input, defaults or not.
REQUIRED_ALL: Final[frozenset[type]] = frozenset({Proof})
#: Time fields that must be spelt exactly as `format_time` writes them, because
#: a signature covers their text (SPEC 8.3).
EXACT_TIMES: Final[frozenset[tuple[type, str]]] = frozenset({(Proof, "created")})
#: A time as written: UTC, ``Z``, and a fraction only when it is not zero.
WRITTEN_TIME: Final = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.(?!000000)[0-9]{6})?Z"
)


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


# -- records read once ----------------------------------------------------------

#: Records that a document often holds many equal copies of: a negotiation
#: repeats most of its grants, limits and protocol from proposal to proposal.
SHARED: Final[frozenset[type]] = frozenset({Grant, Limit, Protocol})
_SHARED_READS: Final[ContextVar[dict[tuple[type, bytes], Any] | None]] = ContextVar(
    "consentkit_shared_reads", default=None
)


@contextlib.contextmanager
def reading_shared() -> Iterator[None]:
    """Within it, equal `SHARED` records are read once and the record shared.

    Records are immutable, and reading is a function of the JSON value, so
    an object spelt the same as one read before (canonical bytes, keys in any
    order) is the record read then.  For data just parsed, which holds only
    JSON values.
    """
    token = _SHARED_READS.set({})
    try:
        yield
    finally:
        _SHARED_READS.reset(token)


def _read_once(
    cls: type, structure: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    """`structure`, reading an object once within `reading_shared`."""

    def shared(data: Any, tp: Any) -> Any:
        reads = _SHARED_READS.get()
        if reads is None or type(data) is not dict:
            return structure(data, tp)
        try:
            key = (cls, canonical_trusted(data))
        except (TypeError, ValueError):  # not plain JSON: read it alone
            return structure(data, tp)
        found = reads.get(key)
        if found is None:
            found = reads[key] = structure(data, tp)
        return found

    return shared


# -- times and durations -----------------------------------------------------

_TIME_RE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,6}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


def format_time(moment: datetime) -> str:
    """Write an aware time as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` in UTC."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    # isoformat writes the fraction only when there are microseconds, and
    # ends a UTC time in "+00:00".
    return moment.isoformat()[:-6] + "Z"


#: A time as `format_time` writes it, hours to 23 and seconds to 59: what
#: `datetime.fromisoformat` reads exactly as `parse_time` does, in C.
_ZULU_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{6})?Z"
)


def parse_time(text: str) -> datetime:
    """Read an RFC 3339 time with an offset and normalise it to UTC.

    Raises:
        TypeError: Not a string.
        ValueError: Not such a time: no offset, a fraction finer than
            microseconds, second 60, or a date that does not exist.
    """
    if type(text) is str and _ZULU_RE.fullmatch(text):
        try:
            return datetime.fromisoformat(text[:-1] + "+00:00")
        except ValueError:
            pass  # a date that does not exist: said below
    return _parse_time(text)


def _parse_time(text: str) -> datetime:
    if not isinstance(text, str):
        raise TypeError(f"must be a time string, got {v.show(text)}")
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise ValueError(
            "must be an RFC 3339 time with an offset (at most microseconds), "
            f"got {v.show(text)}"
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = (
        match.groups()
    )
    if int(second) == 60:
        raise ValueError(f"leap seconds are not supported, got {v.show(text)}")
    offset = timedelta(0)
    if not zulu:
        if int(oh) > 23 or int(om) > 59:
            raise ValueError(f"offset out of range, got {v.show(text)}")
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
        raise ValueError(f"not a valid time, got {v.show(text)}") from None


def _structure_time(value: Any, _: Any) -> datetime:
    return parse_time(value)


def _structure_seconds(value: Any, _: Any) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Problem(f"must be whole seconds, got {v.show(value)}")
    if not 0 <= value <= MAX_SECONDS:
        raise _Problem(f"must be 0..{MAX_SECONDS} seconds, got {v.show(value)}")
    return timedelta(seconds=value)


def _unstructure_seconds(duration: timedelta) -> int:
    return int(duration.total_seconds())


# -- strict reading ----------------------------------------------------------


class _Problem(ValueError):
    """One problem found while reading, at `suffix` below the current path."""

    def __init__(self, message: str, suffix: str = "") -> None:
        self.message = message
        self.suffix = suffix
        super().__init__(message)


class _Key(str):
    """A mapping key, shown in a path as a JSON string: ``accepted["ann"]``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return json.dumps(str(self))


_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def key_suffix(key: object) -> str:
    """A key as it follows a path: ``.name``, or ``["odd key"]`` when not a name."""
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return f".{key}"
    if isinstance(key, str):
        return f"[{json.dumps(key)}]"
    return f"[{key!r}]"


def _note(error: Exception, index: int | str, tp: Any) -> Exception:
    notes = [*getattr(error, "__notes__", []), IterableValidationNote("", index, tp)]
    error.__notes__ = notes  # type: ignore[attr-defined]  # add_note is 3.11+
    return error


def _structure_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise _Problem(f"must be a string, got {v.show(value)}")
    return value


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Problem(f"must be a whole number, got {v.show(value)}")
    return value


def _structure_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _Problem(f"must be true or false, got {v.show(value)}")
    return value


#: Entry fields are checked by their record; the names stay for the schema.
check_digest = v.digest_text
check_position = v.position

#: Checks for fields whose record leaves them unchecked, applied when reading
#: (and described by the JSON Schema).  None today: every record checks itself.
FIELD_CHECKS: Final[dict[tuple[type, str], Callable[..., None]]] = {}


#: (record name, field) -> the key a document writes it under, where they differ.
_WRITTEN: Final[dict[tuple[str, str], str]] = {}


def wire_names(cls: type) -> dict[str, str]:
    """The fields of `cls` written under another name: ``x_s``, W3C spellings."""
    attrs.resolve_types(cls)
    names = {a.name: f"{a.name}_s" for a in attrs.fields(cls) if a.type is timedelta}
    names.update(WIRE_NAMES.get(cls, {}))
    for name, written in names.items():
        _WRITTEN[cls.__name__, name] = written
    return names


def _strict_problems(
    cls: type, renames: Mapping[str, str]
) -> Callable[[Mapping[str, Any]], list[Exception]] | None:
    """What `REQUIRED_ALL` and `EXACT_TIMES` add to reading `cls`, if anything."""
    fields = [f for f in attrs.fields(cls) if f.init]
    # Fields without a default are required already; these are the others.
    required = (
        [
            (renames.get(f.name, f.name), f.type)
            for f in fields
            if f.default is not attrs.NOTHING
        ]
        if cls in REQUIRED_ALL
        else []
    )
    exact = [
        renames.get(f.name, f.name) for f in fields if (cls, f.name) in EXACT_TIMES
    ]
    if not required and not exact:
        return None

    def problems(data: Mapping[str, Any]) -> list[Exception]:
        found: list[Exception] = [
            _attribute_note(KeyError(key), key, tp)
            for key, tp in required
            if key not in data
        ]
        for key in exact:
            text = data.get(key)
            if not isinstance(text, str):
                continue
            try:
                written = format_time(parse_time(text))
            except ValueError:
                continue  # the field's own reader reports it
            if written != text:
                problem = _Problem(
                    f"must be written exactly `{written}` (UTC, `Z`, a fraction "
                    f"only when not zero), got {v.show(text)}"
                )
                found.append(_attribute_note(problem, key, datetime))
        return found

    return problems


def _attribute_note(error: Exception, name: str, tp: Any) -> Exception:
    notes = [*getattr(error, "__notes__", []), AttributeValidationNote("", name, tp)]
    error.__notes__ = notes  # type: ignore[attr-defined]  # add_note is 3.11+
    return error


def _field_hook(
    conv: cattrs.Converter, cls: type, field: attrs.Attribute[Any], check: Any
) -> Callable[[Any, Any], Any]:
    """Read a field by its type, then run its converter and `check` on it.

    Running the validator here, not only when the record is built, reports a
    bad value in one field even when another field of the record is bad too.
    """
    tp = field.type
    convert: Any = field.converter
    # Validators only name the record; an uninitialised one stands in for it.
    stand_in: Any = object.__new__(cls)
    name = field.name
    hooks: list[Callable[[Any, Any], Any]] = []

    def structure(value: Any, _: Any) -> Any:
        if not hooks:
            hooks.append(conv.get_structure_hook(tp))
        result = hooks[0](value, tp)
        if convert is not None:
            result = convert(result)
        try:
            check(stand_in, field, result)
        except InvalidRecord as error:
            suffix = error.field[len(name) :] if error.field.startswith(name) else ""
            raise _Problem(error.rule, suffix) from None
        return result

    return structure


_READ_ERRORS: Final = (BaseValidationError, ValueError, TypeError, KeyError)


def _configure(conv: cattrs.Converter) -> None:  # noqa: C901, PLR0915  # one place for all hooks
    """Teach `conv` every convention of SPEC 4."""
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_unstructure_hook(datetime, format_time)
    conv.register_structure_hook(datetime, _structure_time)
    conv.register_unstructure_hook(timedelta, _unstructure_seconds)
    conv.register_structure_hook(timedelta, _structure_seconds)

    def is_enum(tp: Any) -> bool:
        return isinstance(tp, type) and issubclass(tp, enum.Enum)

    def enum_structure(cls: type[enum.Enum]) -> Callable[[Any, Any], Any]:
        by_value = {member.value: member for member in cls}
        choices = ", ".join(f"`{value}`" for value in by_value)

        def structure(value: Any, _: Any) -> Any:
            member = by_value.get(value) if isinstance(value, str) else None
            if member is None:
                raise _Problem(f"must be one of {choices}, got {v.show(value)}")
            return member

        return structure

    conv.register_structure_hook_factory(is_enum, enum_structure)

    # -- arrays: tuples and sets ---------------------------------------------
    def is_set(tp: Any) -> bool:
        return (get_origin(tp) or tp) in (frozenset, set)

    def set_unstructure(tp: Any) -> Callable[[Any], list[Any]]:
        item = (get_args(tp) or (Any,))[0]
        if item is str:
            return sorted
        if isinstance(item, type) and issubclass(item, enum.Enum):
            return lambda members: sorted(m.value for m in members)
        return lambda s: [conv.unstructure(x) for x in sorted(s, key=_sort_key)]

    def is_tuple(tp: Any) -> bool:
        return get_origin(tp) is tuple

    def tuple_unstructure(tp: Any) -> Callable[[Any], list[Any]]:
        args = get_args(tp)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else Any
        if item in (str, int, bool):
            return list
        hook = conv.get_unstructure_hook(item)
        return lambda items: [hook(x) for x in items]

    conv.register_unstructure_hook_factory(is_set, set_unstructure)
    conv.register_unstructure_hook_factory(is_tuple, tuple_unstructure)

    def is_array(tp: Any) -> bool:
        return get_origin(tp) in (tuple, frozenset)

    def array_structure(tp: Any) -> Callable[[Any, Any], Any]:  # noqa: C901  # fast, then thorough
        item = get_args(tp)[0]
        is_set = get_origin(tp) is frozenset
        hooks: list[Callable[[Any, Any], Any]] = []

        def structure(data: Any, _: Any) -> Any:
            if not isinstance(data, list | tuple):
                raise _Problem(f"must be an array, got {v.show(data)}")
            if not hooks:
                hooks.append(conv.get_structure_hook(item))
            hook = hooks[0]
            try:
                items = [hook(raw, item) for raw in data]
            except _READ_ERRORS:
                return report(data, hook)
            if not is_set:
                return tuple(items)
            result = frozenset(items)
            if len(result) != len(items):
                return report(data, hook)
            return result

        def report(data: Any, hook: Callable[[Any, Any], Any]) -> Any:
            """Read each item again, noting every problem against its index."""
            seen: set[Any] = set()
            errors: list[Exception] = []
            for index, raw in enumerate(data):
                try:
                    value = hook(raw, item)
                except _READ_ERRORS as error:
                    errors.append(_note(error, index, item))
                    continue
                if is_set and value in seen:
                    duplicate = _Problem(f"duplicate item {v.show(raw)}")
                    errors.append(_note(duplicate, index, item))
                seen.add(value)
            raise IterableValidationError("while reading an array", errors, tp)

        return structure

    conv.register_structure_hook_factory(is_array, array_structure)

    # -- optional values: None, or the one other type --------------------------
    def is_optional(tp: Any) -> bool:
        args = get_args(tp)
        return (
            get_origin(tp) in (Union, types.UnionType)
            and len(args) == 2  # the type and None
            and type(None) in args
        )

    def optional_structure(tp: Any) -> Callable[[Any, Any], Any]:
        (inner,) = (arg for arg in get_args(tp) if arg is not type(None))
        hooks: list[Callable[[Any, Any], Any]] = []

        def structure(data: Any, _: Any) -> Any:
            if data is None:
                return None
            if not hooks:
                hooks.append(conv.get_structure_hook(inner))
            return hooks[0](data, inner)

        return structure

    conv.register_structure_hook_factory(is_optional, optional_structure)

    # -- FrozenMap: a JSON object --------------------------------------------
    def is_frozen_map(tp: Any) -> bool:
        return (get_origin(tp) or tp) is FrozenMap

    def map_structure(tp: Any) -> Callable[[Any, Any], Any]:
        key_type, value_type = get_args(tp) or (str, Any)

        def structure(data: Any, _: Any) -> Any:
            if not isinstance(data, Mapping):
                raise _Problem(f"must be an object, got {v.show(data)}")
            key_hook = conv.get_structure_hook(key_type)
            value_hook = conv.get_structure_hook(value_type)
            result: dict[Any, Any] = {}
            errors: list[Exception] = []
            for key, raw in data.items():
                shown = _Key(key) if isinstance(key, str) else key
                try:
                    result[key_hook(key, key_type)] = value_hook(raw, value_type)
                except (BaseValidationError, ValueError, TypeError, KeyError) as error:
                    errors.append(_note(error, shown, value_type))
            if errors:
                raise IterableValidationError("while reading an object", errors, tp)
            return FrozenMap(result)

        return structure

    def map_unstructure(_: Any) -> Callable[[Any], Any]:
        def unstructure(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
            return {k: conv.unstructure(mapping[k]) for k in sorted(mapping)}

        return unstructure

    conv.register_structure_hook_factory(is_frozen_map, map_structure)
    conv.register_unstructure_hook_factory(is_frozen_map, map_unstructure)

    # -- records -------------------------------------------------------------
    def attrs_unstructure(cls: type) -> Callable[[Any], dict[str, Any]]:
        renames = wire_names(cls)
        base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
            cls,
            conv,
            _cattrs_omit_if_default=False,
            **_renamed(renames),
        )
        tag = TAGS.get(cls)
        if tag is None:
            return base

        def tagged(obj: Any) -> dict[str, Any]:
            return {"type": tag, **base(obj)}

        return tagged

    def attrs_structure(cls: type) -> Callable[[Any, Any], Any]:  # noqa: C901  # two readers
        # Two readers: a fast one for the common case of a valid record (the
        # record's own validators run once, when it is built), and a thorough
        # one, used only once the fast one failed, that reports every problem.
        renames = wire_names(cls)
        fast_overrides: dict[str, Any] = {}
        thorough_overrides: dict[str, Any] = {}
        allowed = set()
        for field in attrs.fields(cls):
            if not field.init:
                continue
            rename = renames.get(field.name)
            allowed.add(rename or field.name)
            extra = FIELD_CHECKS.get((cls, field.name))
            check = extra or field.validator
            if extra is not None or rename is not None:
                hook = _field_hook(conv, cls, field, extra) if extra else None
                fast_overrides[field.name] = override(rename=rename, struct_hook=hook)
            if check is not None or rename is not None:
                hook = _field_hook(conv, cls, field, check) if check else None
                thorough_overrides[field.name] = override(
                    rename=rename, struct_hook=hook
                )
        fast: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=False,
            _cattrs_detailed_validation=False,
            **fast_overrides,
        )
        thorough: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls,
            conv,
            _cattrs_forbid_extra_keys=True,
            _cattrs_detailed_validation=True,
            **thorough_overrides,
        )
        tag = TAGS.get(cls)
        if tag is not None:
            allowed.add("type")
        strict = _strict_problems(cls, renames)

        def structure(data: Any, _: Any) -> Any:
            # The common case at once: an object of known keys, its tag right.
            if (
                strict is None
                and type(data) is dict
                and data.keys() <= allowed
                and (tag is None or data.get("type", tag) == tag)
            ):
                try:
                    return fast(data, cls)
                except _READ_ERRORS:
                    return in_steps(data, tried=True)
            return in_steps(data, tried=False)

        def in_steps(data: Any, *, tried: bool) -> Any:
            if type(data) is not dict and not isinstance(data, Mapping):
                raise _Problem(f"must be an object, got {v.show(data)}")
            if tag is not None and "type" in data and data["type"] != tag:
                raise _Problem(f"must be `{tag}`, got {v.show(data['type'])}", ".type")
            more = strict(data) if strict is not None else []
            if not tried and not more and data.keys() <= allowed:
                try:
                    return fast(data, cls)
                except _READ_ERRORS:
                    pass
            if tag is not None:
                data = {k: value for k, value in data.items() if k != "type"}
            try:
                result = thorough(data, cls)
            except ClassValidationError as error:
                if renames:
                    _rename_notes(error, renames)
                if more:
                    raise ClassValidationError(
                        error.message, [*error.exceptions, *more], cls
                    ) from None
                raise
            if more:
                raise ClassValidationError(f"while reading {cls.__name__}", more, cls)
            return result

        return _read_once(cls, structure) if cls in SHARED else structure

    conv.register_unstructure_hook_factory(attrs.has, attrs_unstructure)
    conv.register_structure_hook_factory(attrs.has, attrs_structure)

    # -- closed unions -------------------------------------------------------
    for union, members in UNIONS.items():
        by_tag = {TAGS[m]: m for m in members}

        hooks: dict[type, Callable[[Any, Any], Any]] = {}

        def structure_union(
            data: Any,
            _: Any,
            by_tag: dict[str, type] = by_tag,
            hooks: dict[type, Callable[[Any, Any], Any]] = hooks,
        ) -> Any:
            if type(data) is not dict and not isinstance(data, Mapping):
                raise _Problem(f"must be an object, got {v.show(data)}")
            if "type" not in data:
                raise _Problem("is required", ".type")
            tag = data["type"]
            member = by_tag.get(tag) if isinstance(tag, str) else None
            if member is None:
                known = ", ".join(f"`{t}`" for t in by_tag)
                raise _Problem(f"must be one of {known}, got {v.show(tag)}", ".type")
            hook = hooks.get(member)
            if hook is None:
                hook = hooks[member] = conv.get_structure_hook(member)
            return hook(data, member)

        def is_union(t: Any, union: object = union) -> bool:
            return bool(t == union)

        conv.register_structure_hook_func(is_union, structure_union)
        conv.register_unstructure_hook_func(is_union, _unstructure_member(conv))


def _renamed(renames: Mapping[str, str]) -> dict[str, Any]:
    return {name: override(rename=key) for name, key in renames.items()}


def _rename_notes(error: ClassValidationError, renames: Mapping[str, str]) -> None:
    """Name a renamed field by its JSON key (``duration_s``), as paths do."""
    for sub in error.exceptions:
        notes = getattr(sub, "__notes__", [])
        sub.__notes__ = [
            AttributeValidationNote(str(note), renames[note.name], note.type)
            if isinstance(note, AttributeValidationNote) and note.name in renames
            else note
            for note in notes
        ]


def _sort_key(item: Any) -> Any:
    if isinstance(item, enum.Enum):
        return item.value
    return item


def _unstructure_member(conv: cattrs.Converter) -> Callable[[Any], Any]:
    hooks: dict[type, Callable[[Any], Any]] = {}

    def unstructure(obj: Any) -> Any:
        member = type(obj)
        hook = hooks.get(member)
        if hook is None:
            hook = hooks[member] = conv.get_unstructure_hook(member)
        return hook(obj)

    return unstructure


def make_converter() -> cattrs.Converter:
    """Build a converter configured for the consentkit format."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    _configure(conv)
    return conv


#: The converter, built once.
converter: Final = make_converter()


_JSON_TYPES: Final = (str, int, float, bool, type(None), list, dict)


def to_dict(obj: Any) -> Any:
    """Return the record as plain JSON types (dicts, lists, strings, numbers).

    Raises:
        TypeError: `obj` is nothing this converter writes (a ledger is
            written by `consentkit.to_dict`, above the ledger).
    """
    data = converter.unstructure(obj)
    if data is obj and not isinstance(obj, _JSON_TYPES):
        raise TypeError(f"to_dict: cannot write a `{type(obj).__name__}`")
    return data


def from_dict(cls: type[T], data: Any) -> T:
    """Read a record of type `cls` from plain JSON types.

    Args:
        cls: The record type (or a closed union such as ``Event``).
        data: What `to_dict` returns, or the same from another system.

    Returns:
        The record.

    Raises:
        DecodeError: Listing every problem, each with its path.
        TamperedLedger: For a ledger whose hash chain does not hold.
    """
    return decode(cls, data, "")  # type: ignore[no-any-return]


#: Types written as a JSON scalar: no object keys at all.
_SCALARS: Final = frozenset({str, int, bool, type(None), datetime, timedelta})
#: Type constructors whose JSON holds only what their arguments' JSON holds.
_WRAPPERS: Final = frozenset({tuple, frozenset, Union, types.UnionType})


@functools.cache
def _attribute_keys(tp: Any) -> bool:
    """Whether every object key in ``to_dict`` of a `tp` is an ASCII field name.

    Only the shapes this module builds are known; any other type (a ledger,
    taught to the converter from above) may have keys of any kind.
    """
    if attrs.has(tp):
        attrs.resolve_types(tp)
        return all(
            f.name.isascii() and _attribute_keys(f.type)
            for f in attrs.fields(tp)
            if f.init
        )
    if tp in _SCALARS or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return True
    if get_origin(tp) in _WRAPPERS:
        return all(_attribute_keys(arg) for arg in get_args(tp) if arg is not Ellipsis)
    return False


# A whole number of 16 digits or more may lie beyond 2**53, where RFC 8785
# writes numbers differently (or refuses them); a string of digits is a false
# alarm that only costs the slower path.
_LONG_NUMBER: Final = re.compile(rb"[0-9]{16}")


def digest(obj: Any) -> str:
    """Return ``sha256:<hex>`` of the RFC 8785 canonical form of ``to_dict(obj)``."""
    data = to_dict(obj)
    kind: Any = type(obj)
    if _attribute_keys(kind):
        # Object keys are field names, so only numbers could leave the fast path.
        encoded = canonical_trusted(data)
        if not _LONG_NUMBER.search(encoded):
            return digest_bytes(encoded)
    return digest_data(data)


# -- the written form --------------------------------------------------------

#: A test of plain data already read as some type: True only when it is
#: exactly what `to_dict` writes of the record read.
_Test = Callable[[Any], bool]
_WRITTEN_TIME_RE: Final = re.compile(WRITTEN_TIME)


def _never(_: Any) -> bool:
    return False


def _written_time(text: Any) -> bool:
    return _WRITTEN_TIME_RE.fullmatch(text) is not None


def _written_set(items: Any) -> bool:
    return type(items) is list and items == sorted(items)


@functools.cache
def _written_test(tp: Any) -> _Test | None:  # noqa: PLR0911  # one branch per shape
    """How to tell that data read as `tp` is in written form; None: it always is.

    Reading is many-to-one only in a few places, and this looks at exactly
    those: times (any offset, any fraction), fields left to their defaults,
    the order of a set's items, and a union member's tag.  Strings, numbers,
    booleans and enum values come back from a record as they were read.
    Containers must be plain lists and dictionaries.  Any shape not known
    here is never in written form, which only costs the slower path.
    """
    if tp in (str, int, bool, type(None), timedelta) or (
        isinstance(tp, type) and issubclass(tp, enum.Enum)
    ):
        return None
    if tp is datetime:
        return _written_time
    if tp in UNIONS:
        tests = {TAGS[m]: _written_test(m) or _never for m in UNIONS[tp]}
        return lambda data: tests[data["type"]](data)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (Union, types.UnionType) and type(None) in args:
        (inner, *more) = [arg for arg in args if arg is not type(None)]
        if more:
            return _never
        test = _written_test(inner)
        return None if test is None else lambda data: data is None or test(data)
    if origin is tuple and args[-1:] == (Ellipsis,):
        item = _written_test(args[0])
        if item is None:
            return lambda data: type(data) is list
        return lambda data: type(data) is list and all(map(item, data))
    if origin is frozenset and (
        args[0] is str or (isinstance(args[0], type) and issubclass(args[0], enum.Enum))
    ):
        return _written_set
    if attrs.has(tp):
        return _written_record(tp)
    return _never


def _written_record(cls: type) -> _Test:
    """The test for a record: every key there, each field in written form.

    One straight-line function per class, as attrs writes its own methods:
    loading a ledger runs it on every event.
    """
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    if not all(f.init for f in fields):
        return _never
    renames = wire_names(cls)
    # Reading refuses unknown keys, so with as many keys as written, every
    # field and the tag are there: none was left to its default.
    size = len(fields) + (cls in TAGS)
    scope: dict[str, Any] = {"_time": _WRITTEN_TIME_RE.fullmatch}
    terms = ["type(data) is dict", f"len(data) == {size}"]
    for index, field in enumerate(fields):
        test = _written_test(field.type)
        key = renames.get(field.name, field.name)  # the class's own names only
        if test is _written_time:
            terms.append(f"_time(data[{key!r}]) is not None")
        elif test is not None:
            scope[f"_test{index}"] = test
            terms.append(f"_test{index}(data[{key!r}])")
    source = "def written(data):\n    return " + " and ".join(terms)
    exec(source, scope)  # noqa: S102  # our own field names only
    written: _Test = scope["written"]
    written.__qualname__ = f"{cls.__qualname__}.written"
    return written


def _always(_: Any) -> bool:
    return True


def written_form(tp: Any) -> Callable[[Any], bool]:
    """A test of whether data read as a `tp` is exactly what `to_dict` writes of it.

    When it is, the record read would be written back as that data again,
    so that the data may be hashed instead (a ledger's entries, SPEC 2).  The
    test answers False whenever that cannot be seen cheaply, and must only
    be given data that was read as a `tp` without error.
    """
    return _written_test(tp) or _always


def _explain(error: BaseException) -> list[tuple[str, str]]:
    """The problems one exception stands for: (suffix below its path, message)."""
    if isinstance(error, _Problem):
        return [(error.suffix, error.message)]
    if isinstance(error, InvalidRecord):
        written = _WRITTEN.get((error.record, error.field), error.field)
        return [(f".{written}", error.rule)]
    if isinstance(error, ForbiddenExtraKeysError):
        return [(key_suffix(k), "unknown field") for k in sorted(error.extra_fields)]
    if isinstance(error, KeyError):
        return [("", "is required")]
    return [("", str(error))]


def decode(tp: Any, data: Any, root: str) -> Any:
    """Read `data` as `tp`; the one place reading errors become `DecodeError`.

    A ledger's broken rule is reported at its entry below `root`.
    """
    try:
        return converter.structure(data, tp)
    except TamperedLedger:
        raise
    except LedgerError as error:
        path = f"{root}.entries[{error.seq}]".lstrip(".")
        raise DecodeError([(path, f"ledger rule {error.rule}: {error}")]) from None
    except (BaseValidationError, ValueError, TypeError, KeyError) as error:
        found: list[list[tuple[str, str]]] = []

        def describe(exc: BaseException, _: Any) -> str:
            found.append(_explain(exc))
            return str(len(found) - 1)

        problems: list[tuple[str, str]] = []
        for line in cattrs.transform_error(error, root, describe):
            token, _, path = line.partition(" @ ")
            problems.extend(
                ((path + suffix).lstrip("."), message)
                for suffix, message in found[int(token)]
            )
        raise DecodeError(problems) from None
