"""Import the lists people already keep: spreadsheets and KinkList links (SPEC 6.4).

An imported list is a draft its party reviews: nothing is guessed (an item
with no catalog activity is listed as unmapped), a rating with no direction
is left for its party to place, the only negative becomes a HARD_NO (fail
closed), and a share link that may have lost ratings is flagged lossy.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Final

from consentkit import _validate as v
from consentkit._errors import DecodeError, InvalidRecord
from consentkit._preferences import (
    Imported,
    Preference,
    Preferences,
    Rating,
    Source,
)
from consentkit._terms import Role

__all__ = [
    "KINKLIST_ALPHABET",
    "default_kinklist_mapping",
    "read_kinklist",
    "read_preferences_csv",
]

# -- spreadsheets --------------------------------------------------------------

_COLUMNS: Final = ("activity", "role", "rating", "max_intensity", "note")
_REQUIRED: Final = ("activity", "role", "rating")
_NAMES: Final = ", ".join(_COLUMNS)
_ROLES: Final[dict[str, Role | None]] = {
    "give": Role.GIVE,
    "receive": Role.RECEIVE,
    "witness": Role.WITNESS,
    "any": None,
}
_RATINGS: Final = {rating.value: rating for rating in Rating}


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _cell(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def _csv_entry(row: dict[str, str]) -> Preference:
    """One row as an entry; raises `ValueError` naming the column."""
    role_text = _cell(row, "role").lower()
    if role_text not in _ROLES:
        shown = v.show(role_text)
        raise ValueError(
            f"role: must be `give`, `receive`, `witness` or `any`, got {shown}"
        )
    rating_text = _cell(row, "rating").lower()
    if rating_text not in _RATINGS:
        choices = ", ".join(f"`{r}`" for r in _RATINGS)
        raise ValueError(f"rating: must be one of {choices}, got {v.show(rating_text)}")
    cap_text = _cell(row, "max_intensity")
    cap: int | None = None
    if cap_text:
        if not cap_text.isdigit() or not 1 <= int(cap_text) <= 10:  # intensities
            shown = v.show(cap_text)
            raise ValueError(f"max_intensity: must be 1..10 or empty, got {shown}")
        cap = int(cap_text)
    try:
        return Preference(
            activity=_cell(row, "activity"),
            role=_ROLES[role_text],
            rating=_RATINGS[rating_text],
            max_intensity=cap,
            note=row.get("note") or "",
        )
    except InvalidRecord as error:
        raise ValueError(f"{error.field}: {error.rule}") from None


def read_preferences_csv(text: str, party: str) -> Imported:  # noqa: C901  # one pass, every problem
    """Read a preference list from a spreadsheet saved as CSV.

    The header is ``activity,role,rating,max_intensity,note`` (the last two
    columns may be left out); `role` is ``give``, ``receive``, ``witness`` or
    ``any``, `rating` a `Rating` value (``hard_no``), `max_intensity` 1..10
    or empty.  Blank lines are skipped.

    Args:
        text: The file's text.
        party: Whose list it is.

    Returns:
        The list, with its source (``csv`` and the text's sha256); nothing is
        unmapped, undirected or lossy in a spreadsheet.

    Raises:
        DecodeError: Listing every bad row, each at ``line N`` with the
            column and the rule broken.
        InvalidRecord: `party` is not a valid party id.
    """
    given: object = text
    if not isinstance(given, str):
        shown = v.show(given)
        raise TypeError(f"read_preferences_csv: text must be a string, got {shown}")
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[tuple[str, str]] = []
    header: list[str] | None = None
    entries: list[Preference] = []
    seen: dict[tuple[str, Role | None], int] = {}
    line = 1
    try:
        for raw in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in raw):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in raw]
                problems.extend(_header_problems(header, start))
                if problems:
                    break
                continue
            if len(raw) != len(header):
                problems.append(
                    (f"line {start}", f"has {len(raw)} cells, the header {len(header)}")
                )
                continue
            try:
                entry = _csv_entry(dict(zip(header, raw, strict=True)))
            except ValueError as error:
                problems.append((f"line {start}", str(error)))
                continue
            key = (entry.activity, entry.role)
            if key in seen:
                problems.append(
                    (
                        f"line {start}",
                        (
                            f"a second row for `{entry.activity}` in role "
                            f"`{'any' if entry.role is None else entry.role.value}` "
                            f"(the first is on line {seen[key]})"
                        ),
                    )
                )
                continue
            seen[key] = start
            entries.append(entry)
    except csv.Error as error:
        problems.append((f"line {line}", f"not valid CSV: {error}"))
    if header is None and not problems:
        problems.append(("line 1", "the header `activity,role,rating,...` is missing"))
    if problems:
        raise DecodeError(problems)
    preferences = Preferences(
        party=party,
        entries=entries,
        source=Source(tool="csv", sha256=_sha256(text)),
    )
    return Imported(preferences=preferences)


def _header_problems(header: list[str], line: int) -> list[tuple[str, str]]:
    problems = [
        (f"line {line}", f"unknown column {v.show(name)}; columns: {_NAMES}")
        for name in header
        if name not in _COLUMNS
    ]
    problems.extend(
        (f"line {line}", f"the header lacks the column `{name}`")
        for name in _REQUIRED
        if name not in header
    )
    doubled = sorted({name for name in header if header.count(name) > 1})
    problems.extend(
        (f"line {line}", f"the column `{name}` appears twice") for name in doubled
    )
    return problems


# -- KinkList ------------------------------------------------------------------

#: The share link's alphabet: a character's value is its index (base 71).
KINKLIST_ALPHABET: Final = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=+*^!@"
)
_DIGIT: Final = {char: value for value, char in enumerate(KINKLIST_ALPHABET)}
_CHUNK: Final = 8
_CELLS: Final = 19
_BASE: Final = 6
#: A cell's value: 0 not entered, 1 favorite, 2 like, 3 okay, 4 maybe, 5 no.
_CELL_RATINGS: Final[dict[int, Rating]] = {
    1: Rating.FAVORITE,
    2: Rating.YES,
    3: Rating.OKAY,
    4: Rating.MAYBE,
    5: Rating.HARD_NO,  # the scale's only negative: the strongest one (fail closed)
}
_GIVE_LABELS: Final = frozenset({"giving", "partner", "dominant", "aggressor", "actor"})
_RECEIVE_LABELS: Final = frozenset(
    {"receiving", "self", "submissive", "target", "subject"}
)
_GENERAL: Final = "general"


def _column_role(label: str) -> Role | None:
    """A column's role by its label, never its position; None for General."""
    folded = label.lower()
    if folded in _GIVE_LABELS:
        return Role.GIVE
    if folded in _RECEIVE_LABELS:
        return Role.RECEIVE
    if folded == _GENERAL:
        return None
    raise ValueError(f"unknown column {v.show(label)}")


#: One item of a list: its key (``"Category: item"``) and its columns' roles
#: (None for General) and labels.
_Item = tuple[str, tuple[tuple[Role | None, str], ...]]


def _parse_list(text: str) -> list[_Item]:  # noqa: C901  # one branch per kind of line
    """The items of a KinkList text, in order; every bad line is a problem."""
    items: list[_Item] = []
    problems: list[tuple[str, str]] = []
    category: str | None = None
    columns: tuple[tuple[Role | None, str], ...] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            category, columns = line[1:].strip(), None
            if not category:
                problems.append((f"list line {number}", "a category needs a name"))
        elif line.startswith("(") and line.endswith(")"):
            labels = [label.strip() for label in line[1:-1].split(",")]
            try:
                columns = tuple((_column_role(label), label) for label in labels)
            except ValueError as error:
                problems.append((f"list line {number}", str(error)))
                columns = ()
        elif line.startswith("*"):
            name = line[1:].strip()
            if category is None or columns is None:
                problems.append(
                    (f"list line {number}", "an item before its category's columns")
                )
            elif not name:
                problems.append((f"list line {number}", "an item needs a name"))
            else:
                items.append((f"{category}: {name}", columns))
        else:
            problems.append(
                (
                    f"list line {number}",
                    f"not a `#Category`, `(Columns)` or `* item` line: {v.show(line)}",
                )
            )
    if problems:
        raise DecodeError(problems)
    return items


def _decode_hash(share_hash: str, cells: int) -> tuple[list[int], bool]:
    """The cells a share link holds, and whether it may have lost some."""
    code = share_hash.strip()
    if "#" in code:
        code = code.rsplit("#", 1)[1]
    chunks = -(-cells // _CELLS)
    problems: list[tuple[str, str]] = []
    if len(code) != chunks * _CHUNK:
        raise DecodeError(
            [
                (
                    "hash",
                    (
                        f"must be {chunks * _CHUNK} characters for a list of "
                        f"{cells} ratings, got {len(code)}"
                    ),
                )
            ]
        )
    values: list[int] = []
    lossy = False
    for index in range(chunks):
        chunk = code[index * _CHUNK : (index + 1) * _CHUNK]
        number = 0
        for offset, char in enumerate(chunk):
            digit = _DIGIT.get(char)
            if digit is None:
                problems.append(
                    (
                        f"hash[{index * _CHUNK + offset}]",
                        f"{v.show(char)} is not a character of a share link",
                    )
                )
                digit = 0
            number = number * len(KINKLIST_ALPHABET) + digit
        if number >= _BASE**_CELLS:
            problems.append(
                (f"hash chunk {index + 1}", f"{v.show(chunk)} holds no valid ratings")
            )
        # The original encoder drops zero digits below the leading one, so a
        # short non-zero chunk may have lost them (see tests/data/kinklist).
        if number and chunk.startswith(KINKLIST_ALPHABET[0]):
            lossy = True
        for _ in range(_CELLS):
            values.append(number % _BASE)
            number //= _BASE
    if problems:
        raise DecodeError(problems)
    return values[:cells], lossy


@functools.cache
def _shipped_mapping() -> dict[str, tuple[str, ...]]:
    raw = (
        resources.files("consentkit")
        .joinpath("data/kinklist-mapping.json")
        .read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(raw)
    return {key: tuple(ids) for key, ids in data["items"].items()}


def default_kinklist_mapping() -> dict[str, tuple[str, ...]]:
    """Return the shipped mapping from KinkList items to default-catalog activities.

    Keys are ``"Category: item"``; values the activity ids the item's rating
    applies to.  Items it does not name stay unmapped.
    """
    return dict(_shipped_mapping())


def _add_item(
    found: dict[tuple[str, Role | None], Preference],
    key: str,
    columns: tuple[tuple[Role | None, str], ...],
    ratings: list[int],
    activities: tuple[str, ...],
) -> list[str]:
    """Add one item's ratings to `found`, the worse winning; return undirected ones."""
    undirected: list[str] = []
    for (role, label), value in zip(columns, ratings, strict=True):
        rating = _CELL_RATINGS.get(value)
        if rating is None:
            continue
        if role is None and rating is not Rating.HARD_NO:
            undirected.append(f"{key} ({label})")
            continue
        for activity in activities:
            held = found.get((activity, role))
            if held is None or rating.rank > held.rating.rank:
                found[(activity, role)] = Preference(
                    activity=activity, role=role, rating=rating
                )
    return undirected


def read_kinklist(
    list_text: str,
    share_hash: str,
    party: str,
    mapping: Mapping[str, Iterable[str]] | None = None,
) -> Imported:
    """Read a KinkList (its text and the ratings of its share link).

    Columns become roles by their label (Giving, Partner, Dominant, Aggressor,
    Actor: GIVE; Receiving, Self, Submissive, Target, Subject: RECEIVE;
    General: any role).  Favorite, like, okay and maybe become FAVORITE, YES,
    OKAY and MAYBE; the only negative, no, becomes HARD_NO.  A General
    column's no applies in any role; its positives have no direction and are
    listed in ``undirected`` instead.  Items map to activities through
    `mapping`; a rated item without one is listed in ``unmapped``.  Two items
    on one activity and role keep the worse rating.

    Args:
        list_text: The list (``#Category``, ``(Column, Column)``, ``* item``).
        share_hash: The share link's fragment (a whole link is accepted).
        party: Whose list it is.
        mapping: ``"Category: item"`` to activity ids (default: the shipped
            mapping to the default catalog).

    Returns:
        The imported list, a draft for its party to review; ``lossy`` when the
        link may have lost ratings (the original page writes such links).

    Raises:
        DecodeError: A bad line of the list, a link of the wrong length, a
            character outside the link's alphabet, or an impossible chunk.
    """
    arguments: tuple[tuple[str, object], ...] = (
        ("list_text", list_text),
        ("share_hash", share_hash),
    )
    for name, given in arguments:
        if not isinstance(given, str):
            shown = v.show(given)
            raise TypeError(f"read_kinklist: {name} must be a string, got {shown}")
    targets = (
        _shipped_mapping()
        if mapping is None
        else {key: tuple(ids) for key, ids in mapping.items()}
    )
    items = _parse_list(list_text)
    cells = sum(len(columns) for _, columns in items)
    values, lossy = _decode_hash(share_hash, cells)
    found: dict[tuple[str, Role | None], Preference] = {}
    unmapped: list[str] = []
    undirected: list[str] = []
    position = 0
    for key, columns in items:
        ratings = values[position : position + len(columns)]
        position += len(columns)
        if not any(ratings):
            continue
        activities = targets.get(key, ())
        if not activities:
            unmapped.append(key)
            continue
        undirected.extend(_add_item(found, key, columns, ratings, activities))
    preferences = Preferences(
        party=party,
        entries=tuple(found.values()),
        source=Source(tool="kinklist", sha256=_sha256(list_text), lossy=lossy),
    )
    return Imported(
        preferences=preferences,
        unmapped=tuple(unmapped),
        undirected=tuple(undirected),
        lossy=lossy,
    )
