"""JSON Schema (draft 2020-12) for every document kind, generated from the records.

Nothing here is written by hand: each schema follows from the attrs classes
(field types, which fields have defaults, the validators on each field and
the docstrings) and from the converter's conventions (``x_s`` for durations,
``"type"`` tags on union members, sets as arrays of unique items, the time
and id patterns).  A validator this module does not know is an error, so a
new rule in a record cannot silently go missing from the schema.

`main` (``make schemas``) writes the files shipped
in ``consentkit/schemas/``; a test holds them equal to `generate`.  Rules
between fields (an actor differs from the recipient, a window ends after it
starts, ...) are beyond JSON Schema and checked by the decoder alone.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import re
import sys
import types
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Final, Union, get_args, get_origin

import attrs

from consentkit import _documents as d
from consentkit import _migrations
from consentkit import _serialize as s
from consentkit import _validate as v
from consentkit._agreements import FrozenMap

__all__ = [
    "DIALECT",
    "generate",
    "json_schema",
    "main",
    "reference",
    "render",
    "with_reference",
]

#: The JSON Schema dialect of every schema.
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

#: Names in ``$defs`` that differ from the class name.
_DEF_NAMES: Final[dict[type, str]] = {d.LedgerData: "Ledger"}

#: Validators that check only what the field's type already says.
_TYPE_CHECKS: Final = frozenset(
    {
        ("consentkit._events", "_event"),
        ("consentkit._agreements", "_acceptances"),
    }
)

Check = Callable[..., None]


def _cells(fn: Any) -> dict[str, Any]:
    """The variables a validator built by a factory closes over."""
    code = fn.__code__
    return {
        name: cell.cell_contents
        for name, cell in zip(code.co_freevars, fn.__closure__ or (), strict=True)
    }


def _factory(fn: Any) -> str | None:
    """The `_validate` factory that built `fn` (``"optional"``...), or None."""
    if getattr(fn, "__module__", None) != v.__name__:
        return None
    qualname: str = getattr(fn, "__qualname__", "")
    head, _, rest = qualname.partition(".<locals>.")
    return head if rest else None


def _char_class(chars: Iterable[str]) -> str:
    r"""A regex character class body for `chars`, as ``\uXXXX`` ranges."""
    points = sorted({ord(c) for c in chars})
    ranges: list[tuple[int, int]] = []
    for point in points:
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return "".join(
        f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges
    )


@functools.cache
def _id_pattern() -> str:
    """Party, grant and proposal ids: no control characters, no surrounding space."""
    control = v._CONTROL_RE  # noqa: SLF001  # the rule's own definition
    # Probe the rule's regex rather than parse it: the two stay one.
    controls = [chr(c) for c in range(sys.maxunicode + 1) if control.match(chr(c))]
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    ctl = _char_class(controls)
    edge = _char_class([*spaces, *controls])
    return f"^[^{edge}](?:[^{ctl}]*[^{edge}])?$"


def _docs(cls: type) -> tuple[str, dict[str, str]]:
    """A class's summary paragraph and its fields' descriptions (Attributes:)."""
    doc = (inspect.getdoc(cls) or "").replace("``", "`")
    summary = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    fields: dict[str, str] = {}
    current: str | None = None
    in_attributes = False
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            in_attributes = True
            continue
        if not in_attributes:
            continue
        if line and not line.startswith(" "):
            break
        match = re.fullmatch(r"    (\w+): (.*)", line)
        if match:
            current = match.group(1)
            fields[current] = match.group(2).strip()
        elif current and line.startswith("        "):
            fields[current] += " " + line.strip()
        elif not line.strip():
            current = None
    return summary, fields


class _Generator:
    """Builds one schema, collecting every definition it refers to."""

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def ref(self, name: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if name not in self.defs:
            self.defs[name] = {}  # a placeholder while a definition refers to itself
            self.defs[name] = build()
        return {"$ref": f"#/$defs/{name}"}

    # -- shared definitions -------------------------------------------------

    def id(self) -> dict[str, Any]:
        return self.ref(
            "id",
            lambda: {
                "description": "A party, grant or proposal id: 1 to "
                f"{v.MAX_ID_LENGTH} characters, no control characters, "
                "no whitespace at either end.",
                "type": "string",
                "minLength": 1,
                "maxLength": v.MAX_ID_LENGTH,
                "pattern": _id_pattern(),
            },
        )

    def activity_id(self) -> dict[str, Any]:
        return self.ref(
            "activity_id",
            lambda: {
                "description": "A dotted path of lowercase segments, e.g. "
                "`impact.spanking.hand`.",
                "type": "string",
                "pattern": f"^{v.ACTIVITY_ID}$",
            },
        )

    def name(self) -> dict[str, Any]:
        return self.ref(
            "name",
            lambda: {
                "description": "A tag, capability or item of equipment: "
                "lowercase letters, digits and `_`.",
                "type": "string",
                "pattern": f"^{v.NAME}$",
            },
        )

    def time(self) -> dict[str, Any]:
        return self.ref(
            "time",
            lambda: {
                "description": "An RFC 3339 time with an offset and at most "
                "microseconds; written in UTC as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`.",
                "type": "string",
                "pattern": f"^{s.TIME_PATTERN}$",
            },
        )

    def written_time(self) -> dict[str, Any]:
        return self.ref(
            "written_time",
            lambda: {
                "description": "A time spelt exactly as consentkit writes one: "
                "UTC, `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, the fraction only when "
                "not zero (a signature covers the text).",
                "type": "string",
                "pattern": f"^{s.WRITTEN_TIME}$",
            },
        )

    def digest(self) -> dict[str, Any]:
        return self.ref(
            "digest",
            lambda: {
                "description": "`sha256:` and the 64 lowercase hex digits of a "
                "SHA-256 digest.",
                "type": "string",
                "pattern": f"^{s.DIGEST}$",
            },
        )

    # -- types ----------------------------------------------------------------

    def of_type(self, tp: Any, check: Check | None) -> dict[str, Any]:  # noqa: C901, PLR0911, PLR0912  # one branch per kind of type
        origin = get_origin(tp)
        factory = _factory(check)
        if tp in s.UNIONS:
            return self.union(tp)
        if origin in (Union, types.UnionType) and type(None) in get_args(tp):
            (inner,) = [a for a in get_args(tp) if a is not type(None)]
            if check is not None and factory != "optional":
                raise TypeError(f"no schema for validator {check!r} of {tp!r}")
            inner_check = _cells(check)["check"] if check is not None else None
            return {"anyOf": [self.of_type(inner, inner_check), {"type": "null"}]}
        if attrs.has(tp):
            self.expect(check, tp, "instance_of")
            return self.record(tp)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            self.expect(check, tp, "enum_member")
            return self.enumeration(tp)
        if origin is tuple:
            return self.array(tp, check)
        if origin is frozenset:
            return self.set(tp, check)
        if (origin or tp) is FrozenMap:
            self.expect(check, tp)
            key_type, value_type = get_args(tp)
            if key_type is not str:
                raise TypeError(f"no schema for map keys of {tp!r}")
            return {
                "type": "object",
                "additionalProperties": self.of_type(value_type, None),
            }
        if tp is str:
            return self.string(check)
        if tp is bool:
            self.expect(check, tp, v.boolean)
            return {"type": "boolean"}
        if tp is int:
            return self.integer(check)
        if tp is datetime:
            self.expect(check, tp, v.aware_time)
            return self.time()
        if tp is timedelta:
            self.expect(check, tp, v.whole_seconds)
            return {"type": "integer", "minimum": 0, "maximum": s.MAX_SECONDS}
        raise TypeError(f"no schema for type {tp!r}")

    @staticmethod
    def expect(check: Check | None, tp: Any, *allowed: object) -> None:
        """Refuse a validator that could hold a rule the schema would miss."""
        if check is None or check in allowed or _factory(check) in allowed:
            return
        where = (getattr(check, "__module__", None), getattr(check, "__name__", None))
        if where in _TYPE_CHECKS:
            return
        raise TypeError(f"no schema for validator {check!r} of {tp!r}")

    def string(self, check: Check | None) -> dict[str, Any]:
        known: dict[object, Callable[[], dict[str, Any]]] = {
            v.party_id: self.id,
            v.activity_id: self.activity_id,
            v.name: self.name,
            s.check_digest: self.digest,
        }
        if check in known:
            return known[check]()
        if _factory(check) == "constant":
            return {"const": _cells(check)["expected"]}
        if _factory(check) == "pattern":
            return {
                "type": "string",
                "pattern": f"^{_cells(check)['compiled'].pattern}$",
            }
        self.expect(check, str, v.text)
        return {"type": "string"}

    def integer(self, check: Check | None) -> dict[str, Any]:
        if _factory(check) == "positive_int":
            return {
                "type": "integer",
                "minimum": 1,
                "maximum": _cells(check)["maximum"],
            }
        if check is s.check_position:
            return {"type": "integer", "minimum": 0}
        self.expect(check, int)
        return {"type": "integer"}

    def array(self, tp: Any, check: Check | None) -> dict[str, Any]:
        args = get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"no schema for tuple type {tp!r}")
        schema: dict[str, Any] = {"type": "array"}
        if check is v.texts:
            schema["items"] = {"type": "string"}
            return schema
        self.expect(check, tp, "instances")
        schema["items"] = self.of_type(args[0], None)
        if check is not None and _cells(check)["non_empty"]:
            schema["minItems"] = 1
        return schema

    def set(self, tp: Any, check: Check | None) -> dict[str, Any]:
        if _factory(check) != "frozen_set":
            raise TypeError(f"no schema for validator {check!r} of {tp!r}")
        cells = _cells(check)
        member = _cells(cells["each"])["check"]
        schema: dict[str, Any] = {
            "type": "array",
            "items": self.of_type(get_args(tp)[0], member),
            "uniqueItems": True,
        }
        if cells["non_empty"]:
            schema["minItems"] = 1
        return schema

    def enumeration(self, cls: type[enum.Enum]) -> dict[str, Any]:
        def build() -> dict[str, Any]:
            summary, _ = _docs(cls)
            return {
                "description": summary,
                "type": "string",
                "enum": [member.value for member in cls],
            }

        return self.ref(cls.__name__, build)

    def union(self, union: Any) -> dict[str, Any]:
        name = next(n for n, obj in vars(s).items() if obj is union)
        members = s.UNIONS[union]
        return self.ref(
            name,
            lambda: {
                "description": f"One of: {', '.join(s.TAGS[m] for m in members)}; "
                "the `type` tag says which.",
                "oneOf": [self.record(m) for m in members],
            },
        )

    def record(self, cls: type) -> dict[str, Any]:
        return self.ref(_DEF_NAMES.get(cls, cls.__name__), lambda: self.fields(cls))

    def fields(self, cls: type) -> dict[str, Any]:
        attrs.resolve_types(cls)
        summary, docs = _docs(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        tag = s.TAGS.get(cls)
        if tag is not None:
            properties["type"] = {"const": tag}
            required.append("type")
        renames = s.wire_names(cls)
        for field in attrs.fields(cls):
            if not field.init:
                continue
            key = renames.get(field.name, field.name)
            check = s.FIELD_CHECKS.get((cls, field.name), field.validator)
            schema = (
                self.written_time()
                if (cls, field.name) in s.EXACT_TIMES
                else self.of_type(field.type, check)
            )
            described: dict[str, Any] = {}
            if field.name in docs:
                described["description"] = docs[field.name]
            if field.default is attrs.NOTHING or cls in s.REQUIRED_ALL:
                required.append(key)
            else:
                default = field.default
                if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # a class at run time
                    default = default.factory()
                described["default"] = s.converter.unstructure(default, field.type)
            properties[key] = {**described, **schema} if described else schema
        return {
            "description": summary,
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }


def generate(kind: str) -> dict[str, Any]:
    """Generate the JSON Schema of a document kind from the records.

    Args:
        kind: A document kind, e.g. ``"ledger"``.

    Returns:
        The schema of the whole document, envelope included.

    Raises:
        ValueError: No such kind.
    """
    if kind not in d.KINDS:
        kinds = ", ".join(d.KINDS)
        raise ValueError(f"unknown kind `{kind}`; kinds: {kinds}")
    tp = d.LedgerData if kind == "ledger" else d.KINDS[kind]
    generator = _Generator()
    data = generator.of_type(tp, None)
    return {
        "$schema": DIALECT,
        "$id": f"urn:consentkit:format:{_migrations.CURRENT}:{kind}",
        "title": f"consentkit {kind} document, format version {_migrations.CURRENT}",
        "type": "object",
        "properties": {
            "format": {"const": d.FORMAT},
            "version": {"const": _migrations.CURRENT},
            "kind": {"const": kind},
            "data": data,
        },
        "required": ["format", "version", "kind", "data"],
        "additionalProperties": False,
        "$defs": dict(sorted(generator.defs.items())),
    }


def render(schema: dict[str, Any]) -> str:
    """The text of a shipped schema file: two-space indents, one final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@functools.cache
def _shipped(kind: str) -> str:
    return (
        resources.files("consentkit")
        .joinpath(f"schemas/{kind}.json")
        .read_text("utf-8")
    )


def json_schema(kind: str) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a document kind, as shipped.

    Args:
        kind: A document kind: one of ``consentkit._documents.KINDS``
            (``ledger``, ``terms``, ``plan``, ``step``, ...).

    Returns:
        A fresh copy of the schema, which the caller may change.

    Raises:
        ValueError: No such kind.
    """
    if kind not in d.KINDS:
        kinds = ", ".join(d.KINDS)
        raise ValueError(f"unknown kind `{kind}`; kinds: {kinds}")
    result: dict[str, Any] = json.loads(_shipped(kind))
    return result


_BEGIN: Final = "<!-- begin: generated by `make schemas` from the schemas -->"
_END: Final = "<!-- end: generated -->"
_STRINGS: Final = ("id", "activity_id", "name", "time", "written_time", "digest")
_TAG_NOTE: Final = "The union tag: which member this is."


def _describe(schema: dict[str, Any]) -> str:  # noqa: PLR0911  # one branch per shape
    """A field's type in words, with links to the definitions it names."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        label = name.replace("_", " ")
        return f"[{label}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_describe(option) for option in schema["anyOf"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None:
            return "integer"
        return f"integer {low}..{high}" if high is not None else f"integer ≥ {low}"
    if kind == "array":
        items = _describe(schema["items"])
        shape = "set of" if schema.get("uniqueItems") else "array of"
        if schema.get("minItems"):
            shape = f"non-empty {shape}"
        return f"{shape} {items}"
    if kind == "object":
        return f"object of {_describe(schema['additionalProperties'])}"
    if kind in ("string", "boolean", "null"):
        return str(kind)
    raise TypeError(f"cannot describe {schema!r}")  # pragma: no cover  # INVARIANT


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference() -> str:
    """The "Records" section of the format reference, in Markdown, from the schemas.

    Returns:
        One subsection per definition: a record's fields (type, whether
        required or its default, description), an enum's values, or a string
        form's pattern.
    """
    defs: dict[str, Any] = {}
    for kind in d.KINDS:
        defs.update(generate(kind)["$defs"])
    lines: list[str] = []
    records = sorted(n for n, d in defs.items() if "properties" in d)
    unions = sorted(n for n, d in defs.items() if "oneOf" in d)
    enums = sorted(n for n, d in defs.items() if "enum" in d)
    for name in records:
        definition = defs[name]
        lines += [f"### {name}", "", definition["description"], ""]
        lines += ["| field | type | required | description |", "|---|---|---|---|"]
        for key, field in definition["properties"].items():
            default = json.dumps(field.get("default"), ensure_ascii=False)
            required = "yes"
            if key not in definition["required"]:
                required = f"no, default `{default}`"
            note = field.get("description", _TAG_NOTE if "const" in field else "")
            lines.append(
                f"| `{key}` | {_cell(_describe(field))} | {required} | {_cell(note)} |"
            )
        lines.append("")
    for name in unions:
        members = ", ".join(_describe(m) for m in defs[name]["oneOf"])
        lines += [
            f"### {name}",
            "",
            f"{defs[name]['description']} Members: {members}.",
            "",
        ]
    for name in enums:
        values = ", ".join(f"`{value}`" for value in defs[name]["enum"])
        lines += [
            f"### {name}",
            "",
            f"{defs[name]['description']} One of {values}.",
            "",
        ]
    for name in _STRINGS:
        if name in defs:
            pattern = defs[name]["pattern"]
            lines += [
                f"### {name}",
                "",
                defs[name]["description"],
                "",
                f"Pattern: `{pattern}`"
                if "`" not in pattern
                else f"Pattern: ``{pattern}``",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def with_reference(page: str) -> str:
    """Return `page` with its generated "Records" section replaced by `reference`.

    Raises:
        ValueError: The page lacks the markers around the section.
    """
    start, end = page.find(_BEGIN), page.find(_END)
    if start < 0 or end < start:
        raise ValueError("the page has no generated section to replace")
    return page[: start + len(_BEGIN)] + "\n\n" + reference() + "\n" + page[end:]


def main(argv: list[str] | None = None) -> int:
    """Write every schema into a folder, and the records section of a docs page.

    Args:
        argv: ``[FOLDER] [--docs PAGE]``; the command line when None.  The
            folder defaults to the package's ``schemas/``.

    Returns:
        The exit status.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    page: Path | None = None
    if "--docs" in args:
        at = args.index("--docs")
        page = Path(args[at + 1])
        del args[at : at + 2]
    folder = Path(args[0]) if args else Path(__file__).parent / "schemas"
    folder.mkdir(parents=True, exist_ok=True)
    for kind in d.KINDS:
        (folder / f"{kind}.json").write_text(render(generate(kind)), encoding="utf-8")
    if page is not None:
        page.write_text(with_reference(page.read_text("utf-8")), encoding="utf-8")
    return 0
