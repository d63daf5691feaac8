"""Documents: a record in its envelope, and the ledger on the wire (SPEC 4).

A document is ``{"format": "consentkit", "version", "kind", "data"}``, the
data being what `to_dict` gives.  This module lies above the ledger: it
teaches the one converter of `_serialize` to write a `Ledger` as its entries
and to read one back, recomputing the chain and replaying every event through
the ledger rules.  `to_dict`, `from_dict` and `digest` are re-exported from
here so that whoever uses them has the ledger taught.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Final, Literal, TypeVar
from typing import overload as typing_overload

import attrs

from consentkit import _migrations, _serialize
from consentkit import _validate as v
from consentkit._canonical import digest_data
from consentkit._catalog import Catalog
from consentkit._decision import Decision, PlanDecision
from consentkit._errors import DecodeError, LedgerError, TamperedLedger
from consentkit._events import Entry, Event
from consentkit._ledger import Ledger
from consentkit._pickling import collector_paused
from consentkit._plan import Plan, Step
from consentkit._preferences import Comparison, Preferences
from consentkit._receipt import Receipt
from consentkit._reports import LintReport, TermsDiff
from consentkit._serialize import (
    UNIONS,
    converter,
    decode,
    key_suffix,
)
from consentkit._terms import Protocol, Terms

__all__ = [
    "FORMAT",
    "KINDS",
    "MAX_DEPTH",
    "MAX_SIZE",
    "LedgerData",
    "digest",
    "dumps",
    "from_dict",
    "kind_of",
    "loads",
    "to_dict",
]

T = TypeVar("T")

#: The ``format`` every document's envelope names.
FORMAT: Final = "consentkit"
#: The largest document `loads` reads unless told otherwise: 16 MiB.
MAX_SIZE: Final = 16 * 2**20
#: The deepest nesting of arrays and objects `loads` reads, the envelope counting.
MAX_DEPTH: Final = 64

#: The document kinds, in a fixed order, and the type each one holds.  A new
#: kind is one line here (then ``make schemas``).
KINDS: Final[dict[str, Any]] = {
    "ledger": Ledger,
    "terms": Terms,
    "plan": Plan,
    "step": Step,
    "catalog": Catalog,
    "decision": Decision,
    "plan_decision": PlanDecision,
    "event": Event,
    "preferences": Preferences,
    "comparison": Comparison,
    "lint": LintReport,
    "terms_diff": TermsDiff,
    "protocol": Protocol,
    "receipt": Receipt,
}

_KIND_BY_TYPE: Final[dict[type, str]] = {
    member: kind for kind, tp in KINDS.items() for member in UNIONS.get(tp, (tp,))
}


def kind_of(obj: object) -> str:
    """Return the document kind that holds `obj`.

    Raises:
        TypeError: No kind holds it.
    """
    kind = _KIND_BY_TYPE.get(type(obj))
    if kind is None:
        known = ", ".join(f"`{k}`" for k in KINDS)
        raise TypeError(
            f"no document kind holds a `{type(obj).__name__}`; kinds: {known}"
        )
    return kind


# -- the ledger: its entries, chain and rules ----------------------------------


@attrs.frozen(kw_only=True)
class LedgerData:
    """The wire form of a ledger: its entries, each with its chain.

    Attributes:
        entries: Every entry, in order, with ``seq``, ``event``, ``prev`` and
            ``digest``.
    """

    entries: tuple[Entry, ...] = attrs.field(
        converter=v.to_tuple, validator=v.instances(Entry)
    )


def _ledger_data(ledger: Ledger) -> dict[str, Any]:
    entry = converter.get_unstructure_hook(Entry)
    return {"entries": [entry(e) for e in ledger]}


def _read(tp: Any, data: Any, root: str, *, parsed: bool = False) -> Any:
    """Read `data` as `tp`; a ledger through its entries, chain and rules.

    `parsed` says that `data` is what `_parse` gave just now, held by nobody
    else: then equal grants, limits and protocols are read once
    (`reading_shared`), and each event's data may be hashed as it is, when it
    is exactly what writing the event gives (`Ledger._from_entries`).
    """
    if tp is not Ledger:
        return decode(tp, data, root)
    with collector_paused():  # tens of thousands of records, none in a cycle
        if parsed:
            with _serialize.reading_shared():
                entries = decode(LedgerData, data, root).entries
            written = [e["event"] for e in data["entries"]]
        else:
            entries = decode(LedgerData, data, root).entries
            written = None
        try:
            return Ledger._from_entries(entries, written)  # noqa: SLF001  # its reader
        except LedgerError as error:
            path = f"{root}.entries[{error.seq}]".lstrip(".")
            raise DecodeError([(path, f"ledger rule {error.rule}: {error}")]) from None
        except TamperedLedger as error:
            path = f"{root}.entries[{error.seq}]".lstrip(".")
            raise TamperedLedger(error.seq, error.message, path=path) from None


# The ledger is converted here, explicitly, rather than by teaching the shared
# converter a hook when this module is imported: what `to_dict` answers must
# not depend on which modules happen to be loaded.


def to_dict(obj: Any) -> Any:
    """Return the record (or ledger) as plain JSON types."""
    if isinstance(obj, Ledger):
        return _ledger_data(obj)
    return _serialize.to_dict(obj)


def from_dict(cls: type[T], data: Any) -> T:
    """Read a record (or a ledger) of type `cls` from plain JSON types.

    Raises:
        DecodeError: Listing every problem, each with its path.
        TamperedLedger: For a ledger whose hash chain does not hold.
    """
    return _read(cls, data, "")  # type: ignore[no-any-return]


def digest(obj: Any) -> str:
    """Return ``sha256:<hex>`` of the RFC 8785 canonical form of ``to_dict(obj)``."""
    if isinstance(obj, Ledger):
        return digest_data(_ledger_data(obj))
    return _serialize.digest(obj)


# -- reading and writing documents ---------------------------------------------

# The depth scan works on bytes, where the C library does nearly all of it:
# drop escaped characters, keep only quotes and brackets, drop strings.  Quotes,
# brackets and backslashes never occur inside a multi-byte UTF-8 sequence.
_ESCAPED: Final = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE: Final = bytes(b for b in range(256) if b not in b'"[]{}')
_STRING: Final = re.compile(rb'"[^"]*(?:"|\Z)')
_STEP: Final = tuple(
    1 if byte in b"[{" else -1 if byte in b"]}" else 0 for byte in range(256)
)


def _too_deep(data: bytes) -> bool:
    r"""Whether arrays and objects nest deeper than `MAX_DEPTH`, strings aside.

    An escaped character is dropped with its backslash, so ``\"`` ends no
    string.  With only quotes and brackets left, ``""`` is an empty string or
    the end of one string and the start of the next with nothing between:
    dropping it leaves every bracket inside or outside strings as it was.  A
    string left open runs to the end, as the parser would read it.
    """
    if b"\\" in data:
        data = _ESCAPED.sub(b"", data)
    data = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in data:
        data = _STRING.sub(b"", data)
    return (
        len(data) > MAX_DEPTH
        and max(accumulate(map(_STEP.__getitem__, data))) > MAX_DEPTH
    )


class _Refused(ValueError):
    """JSON that parses but that consentkit does not read."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {v.show(key)}")
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise _Refused(f"`{name}` is not a JSON number")


def _size(text: str | bytes) -> int:
    if isinstance(text, bytes) or text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _parse(text: str | bytes, max_size: int) -> Any:
    """Check the limits, then parse JSON; every failure is a `DecodeError`."""
    if len(text) > max_size or _size(text) > max_size:
        raise DecodeError([("", f"document is larger than {max_size} bytes")])
    if isinstance(text, bytes):
        data = text
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DecodeError(
                [("", f"not valid UTF-8 at byte {error.start}")]
            ) from None
    else:
        data = text.encode("utf-8", "surrogatepass")
    if _too_deep(data):
        raise DecodeError([("", f"nested deeper than {MAX_DEPTH} levels")])
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        message = f"{error.msg[:1].lower()}{error.msg[1:]} at {where}"
        raise DecodeError([("", f"not valid JSON: {message}")]) from None
    except _Refused as error:
        raise DecodeError([("", f"not valid JSON: {error}")]) from None
    except ValueError:  # the only other: an integer of thousands of digits
        raise DecodeError([("", "not valid JSON: a number is too long")]) from None


def _open(document: Any, kind: str | None) -> tuple[str, Any]:
    """Check the envelope; return its kind and data."""
    if not isinstance(document, dict):
        shown = v.show(document)
        raise DecodeError(
            [("", f"must be a {FORMAT} document (an object), got {shown}")]
        )
    document = _migrations.upgrade(document)
    known = KINDS
    problems: list[tuple[str, str]] = [
        (key, "is required")
        for key in ("format", "version", "kind", "data")
        if key not in document
    ]
    if "format" in document and document["format"] != FORMAT:
        problems.append(
            ("format", f"must be `{FORMAT}`, got {v.show(document['format'])}")
        )
    if "version" in document:
        problem = _migrations.version_problem(document["version"])
        if problem:
            problems.append(("version", problem))
    found = document.get("kind")
    if "kind" in document and not (isinstance(found, str) and found in known):
        choices = ", ".join(f"`{k}`" for k in known)
        problems.append(("kind", f"must be one of {choices}, got {v.show(found)}"))
    elif kind is not None and found is not None and found != kind:
        problems.append(("kind", f"expected `{kind}`, got `{found}`"))
    problems.extend(
        (key_suffix(key).lstrip("."), "unknown field")
        for key in document
        if key not in ("format", "version", "kind", "data")
    )
    if problems:
        raise DecodeError(problems)
    return found, document["data"]


def dumps(obj: Any) -> str:
    """Write a record as a document: the envelope around ``to_dict(obj)``.

    The text is JSON indented by two spaces, keys in the records' field order
    (a union member's ``"type"`` first), non-ASCII characters as they are, and
    one final newline.  The same record always gives the same text.

    Args:
        obj: A ledger, terms, plan, step, catalog, decision, plan decision or
            event.

    Returns:
        The document.

    Raises:
        TypeError: No document kind holds `obj`.
    """
    document = {
        "format": FORMAT,
        "version": _migrations.CURRENT,
        "kind": kind_of(obj),
        "data": to_dict(obj),
    }
    return _write(document)


_encode_string: Final = json.encoder.encode_basestring


def _write(document: Any) -> str:  # noqa: C901  # one branch per JSON type
    r"""Exactly ``json.dumps(document, indent=2, ensure_ascii=False) + "\\n"``, faster.

    The standard library indents in pure Python through generators; plain
    JSON values need only this.
    """
    parts: list[str] = []
    append = parts.append
    encode = _encode_string

    def write(value: Any, indent: str) -> None:  # noqa: C901  # one branch per JSON type
        kind = type(value)
        if kind is str:
            append(encode(value))
        elif kind is dict:
            if not value:
                append("{}")
                return
            inner = indent + "  "
            separator = "{\n" + inner
            for key, item in value.items():
                append(separator + encode(key) + ": ")
                separator = ",\n" + inner
                write(item, inner)
            append("\n" + indent + "}")
        elif kind is list:
            if not value:
                append("[]")
                return
            inner = indent + "  "
            separator = "[\n" + inner
            for item in value:
                append(separator)
                separator = ",\n" + inner
                write(item, inner)
            append("\n" + indent + "]")
        elif value is None:
            append("null")
        elif value is True:
            append("true")
        elif value is False:
            append("false")
        elif kind is int:
            append(int.__repr__(value))
        else:  # pragma: no cover  # INVARIANT: to_dict gives plain JSON types
            raise TypeError(f"cannot write {v.show(value)}")

    write(document, "")
    append("\n")
    return "".join(parts)


@typing_overload
def loads(
    text: str | bytes, kind: Literal["terms"], *, max_size: int = ...
) -> Terms: ...
@typing_overload
def loads(text: str | bytes, kind: Literal["plan"], *, max_size: int = ...) -> Plan: ...
@typing_overload
def loads(text: str | bytes, kind: Literal["step"], *, max_size: int = ...) -> Step: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["catalog"], *, max_size: int = ...
) -> Catalog: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["decision"], *, max_size: int = ...
) -> Decision: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["plan_decision"], *, max_size: int = ...
) -> PlanDecision: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["event"], *, max_size: int = ...
) -> Event: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["receipt"], *, max_size: int = ...
) -> Receipt: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["lint"], *, max_size: int = ...
) -> LintReport: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["terms_diff"], *, max_size: int = ...
) -> TermsDiff: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["preferences"], *, max_size: int = ...
) -> Preferences: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["comparison"], *, max_size: int = ...
) -> Comparison: ...
@typing_overload
def loads(
    text: str | bytes, kind: Literal["protocol"], *, max_size: int = ...
) -> Protocol: ...
@typing_overload
def loads(
    text: str | bytes, kind: str | None = None, *, max_size: int = ...
) -> Any: ...
def loads(
    text: str | bytes, kind: str | None = None, *, max_size: int = MAX_SIZE
) -> Any:
    """Read a document written by `dumps` or by another system.

    Limits come before work: a document over `max_size` bytes is refused
    before it is parsed, and one nested deeper than 64 levels before the
    parser descends into it.  A ledger's chain is recomputed and every event
    replayed through the ledger rules.

    Args:
        text: The document, as text or UTF-8 bytes.
        kind: The kind expected; a document of another kind is refused.
        max_size: The largest document accepted, in bytes (UTF-8).

    Returns:
        The record the document holds.

    Raises:
        DecodeError: Listing every problem, each with its JSON path
            (``data.entries[3].event.at``).
        TamperedLedger: A ledger's hash chain does not hold (first bad entry).
        ValueError: `kind` names no document kind.
        TypeError: `text` is neither text nor bytes.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind `{kind}`")
    given: object = text
    if isinstance(given, bytearray | memoryview):
        given = bytes(given)
    if not isinstance(given, str | bytes):
        raise TypeError(f"must be text or bytes, got `{type(given).__name__}`")
    with collector_paused():  # a ledger's document parses into many objects
        found, data = _open(_parse(given, max_size), kind)
        return _read(KINDS[found], data, "data", parsed=True)
