"""Many checks at once: `check-many` reads a manifest of plans and ledgers (SPEC 3.5).

The manifest is JSON Lines, one item a line.  Each kind of line is a
`LineKind`: the keys it has and how it is read into a plan and a ledger.
A line names two files, ``{"ledger": PATH, "plan": PATH}``, or reads its
ledger from a ledger store, ``{"store": URL, "id": ID, "plan": PATH}`` (a
SQLite store's path, like every path, relative to the manifest).  Every
line, every file and every stored ledger is checked first; only then is
anything checked and printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_BAD_INPUT,
    EXIT_DENY,
    EXIT_RENEGOTIATE,
    BadInput,
    Commands,
    describe,
    load,
    subparser,
)

if TYPE_CHECKING:
    from consentkit import Ledger, Plan, PlanDecision
    from consentkit.store import LedgerStore

__all__ = ["LINE_KINDS", "LineKind", "Reading", "register"]


#: A URL's scheme, as `open_store` tells a URL from a plain path.
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


class Reading:
    """What reading one manifest shares: where it is, and the files read so far.

    A file named by many lines is read once, and its ledger or plan is the
    same object for each of them (so a pool sends a shared ledger once per
    chunk).  A file that fails is reported on every line that names it.
    """

    def __init__(self, manifest: str) -> None:
        self.manifest = manifest
        self.base = os.path.dirname(manifest)  # noqa: PTH120  # plain strings, as given
        self._files: dict[tuple[str, str], object] = {}
        self._stores: dict[str, LedgerStore | BadInput] = {}
        self._stored: dict[tuple[str, str], Ledger | BadInput] = {}

    def path(self, value: str) -> str:
        """A path from the manifest, relative to the manifest's folder."""
        return os.path.join(self.base, value)  # noqa: PTH118  # plain strings

    def ledger(self, value: str) -> Ledger:
        """The ledger in the file `value` names.

        Raises:
            BadInput: It cannot be read, or is not a valid ledger.
        """
        from consentkit import Ledger  # noqa: PLC0415  # keeps start-up fast

        found = self._read(value, "ledger")
        if not isinstance(found, Ledger):  # pragma: no cover  # INVARIANT: loads' kind
            raise BadInput([f"{self.path(value)}: not a ledger"])
        return found

    def plan(self, value: str) -> Plan:
        """The plan in the file `value` names; a single step stands for a plan.

        Raises:
            BadInput: It cannot be read, or is neither a plan nor a step.
        """
        from consentkit import Plan, Step  # noqa: PLC0415  # keeps start-up fast
        from consentkit._documents import kind_of  # noqa: PLC0415

        found = self._read(value, None)
        if isinstance(found, Step):
            return Plan(steps=(found,))
        if isinstance(found, Plan):
            return found
        problem = f"kind: must be `plan` or `step`, got `{kind_of(found)}`"
        raise BadInput([f"{self.path(value)}: {problem}"])

    def store_url(self, value: str) -> str:
        """A store's URL from the manifest, a SQLite file's path relative to it.

        A plain path and ``sqlite:///PATH`` are read from the manifest's
        folder (an absolute path, ``sqlite:////PATH``, stays as it is);
        ``sqlite://`` and any other URL are taken as `open_store` takes them.
        """
        if value.startswith("sqlite:///"):
            return "sqlite:///" + self.path(value[len("sqlite:///") :])
        if _SCHEME.match(value):
            return value
        return self.path(value)

    def stored(self, url: str, ledger_id: str) -> Ledger:
        """The ledger `ledger_id` in the store at `url`, loaded and verified once.

        Raises:
            BadInput: The store cannot be opened (a SQLite file that is not
                there is not created), or the ledger is missing or not valid.
        """
        key = (url, ledger_id)
        if key not in self._stored:
            try:
                self._stored[key] = self._load(url, ledger_id)
            except BadInput as error:
                self._stored[key] = error
        found = self._stored[key]
        if isinstance(found, BadInput):
            raise found
        return found

    def _load(self, value: str, ledger_id: str) -> Ledger:
        from consentkit import ConsentkitError  # noqa: PLC0415  # keeps start-up fast
        from consentkit.store import UnknownLedger, redact  # noqa: PLC0415

        store = self._store(value)
        where = redact(self.store_url(value))
        try:
            return store.load(ledger_id)
        except UnknownLedger as error:
            raise BadInput([f"{where}: {error}"]) from error
        except (ConsentkitError, OSError, ValueError, TypeError) as error:
            raise BadInput(describe(f"{where} `{ledger_id}`", error)) from error

    def _store(self, value: str) -> LedgerStore:
        if value not in self._stores:
            try:
                self._stores[value] = self._open(self.store_url(value))
            except BadInput as error:
                self._stores[value] = error
        found = self._stores[value]
        if isinstance(found, BadInput):
            raise found
        return found

    @staticmethod
    def _open(url: str) -> LedgerStore:
        from consentkit import ConsentkitError  # noqa: PLC0415  # keeps start-up fast
        from consentkit.store import StoreError, open_store, redact  # noqa: PLC0415

        where = redact(url)
        if url.startswith("sqlite:///") or not _SCHEME.match(url):
            # Reading only: a store that is not there is bad input, never
            # an empty store made on the spot.
            path = url.removeprefix("sqlite:///")
            if not os.path.isfile(path):  # noqa: PTH113  # plain strings
                raise BadInput([f"{where}: no such store file"])
        try:
            return open_store(url)
        except StoreError as error:  # it names the store
            raise BadInput([str(error)]) from error
        except (ConsentkitError, OSError, ValueError, TypeError) as error:
            raise BadInput(describe(where, error)) from error

    def close(self) -> None:
        """Close every store opened."""
        for store in self._stores.values():
            if not isinstance(store, BadInput):
                store.close()
        self._stores.clear()

    def _read(self, value: str, kind: str | None) -> object:
        key = (value, kind or "")
        if key not in self._files:
            try:
                self._files[key] = load(self.path(value), kind)
            except BadInput as error:
                self._files[key] = error
        found = self._files[key]
        if isinstance(found, BadInput):
            raise found
        return found


class LineKind(NamedTuple):
    """One kind of manifest line: its keys, and how it becomes a plan and a ledger.

    Attributes:
        keys: The keys such a line has, every one of them.
        read: Reads a line's fields (each a non-empty string); raises
            `BadInput` with the problems.
    """

    keys: frozenset[str]
    read: Callable[[dict[str, str], Reading], tuple[Plan, Ledger]]


def _files(fields: dict[str, str], reading: Reading) -> tuple[Plan, Ledger]:
    """``{"ledger": PATH, "plan": PATH}``: both files, relative to the manifest."""
    problems: list[str] = []
    plan: Plan | None = None
    ledger: Ledger | None = None
    try:
        ledger = reading.ledger(fields["ledger"])
    except BadInput as error:
        problems.extend(error.lines)
    try:
        plan = reading.plan(fields["plan"])
    except BadInput as error:
        problems.extend(error.lines)
    if plan is None or ledger is None:
        raise BadInput(problems)
    return plan, ledger


def _store(fields: dict[str, str], reading: Reading) -> tuple[Plan, Ledger]:
    """``{"store": URL, "id": ID, "plan": PATH}``: a stored ledger and a plan file."""
    problems: list[str] = []
    plan: Plan | None = None
    ledger: Ledger | None = None
    try:
        ledger = reading.stored(fields["store"], fields["id"])
    except BadInput as error:
        problems.extend(error.lines)
    try:
        plan = reading.plan(fields["plan"])
    except BadInput as error:
        problems.extend(error.lines)
    if plan is None or ledger is None:
        raise BadInput(problems)
    return plan, ledger


#: Every kind of line, in the order a line's keys are matched against them.
LINE_KINDS: Final[tuple[LineKind, ...]] = (
    LineKind(frozenset({"ledger", "plan"}), _files),
    LineKind(frozenset({"store", "id", "plan"}), _store),
)


class _Item(NamedTuple):
    line: int
    plan: Plan
    ledger: Ledger


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"key `{key}` appears twice")
        found[key] = value
    return found


def _kind_of(fields: dict[str, Any]) -> LineKind:
    """The kind of line whose keys the line shares most (the first among equals)."""
    keys = set(fields)
    return max(LINE_KINDS, key=lambda kind: len(kind.keys & keys))


def _read_line(text: str, reading: Reading) -> tuple[Plan, Ledger]:
    """One line of the manifest, checked for form, its files read.

    Raises:
        BadInput: With every problem of the line.
    """
    try:
        fields = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        raise BadInput([f"not JSON: {error.msg} at column {error.colno}"]) from None
    except ValueError as error:  # a key twice
        raise BadInput([str(error)]) from None
    if not isinstance(fields, dict):
        raise BadInput([f"must be a JSON object, got `{text.strip()[:60]}`"])
    kind = _kind_of(fields)
    wanted = ", ".join(f"`{key}`" for key in sorted(kind.keys))
    problems = [
        f"unknown key `{key}`; such a line has {wanted}"
        for key in sorted(set(fields) - kind.keys)
    ]
    problems.extend(
        f"missing key `{key}`; such a line has {wanted}"
        for key in sorted(kind.keys - set(fields))
    )
    problems.extend(
        f"{key}: must be a non-empty string, got `{json.dumps(value)[:60]}`"
        for key, value in sorted(fields.items())
        if key in kind.keys and (not isinstance(value, str) or not value)
    )
    if problems:
        raise BadInput(problems)
    return kind.read(fields, reading)


def read_manifest(manifest: str) -> list[_Item]:
    """Every item of the manifest, each line and file checked first.

    Blank lines are skipped but counted: an item's line is its 1-based line
    number in the file.

    Raises:
        BadInput: One line per problem, each naming the manifest and line.
    """
    try:
        with open(manifest, "rb") as file:  # noqa: PTH123  # a plain read
            text = file.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(describe(manifest, error)) from error
    reading = Reading(manifest)
    items: list[_Item] = []
    problems: list[str] = []
    try:
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                plan, ledger = _read_line(line, reading)
            except BadInput as error:
                problems.extend(f"{manifest}:{number}: {p}" for p in error.lines)
                continue
            items.append(_Item(number, plan, ledger))
    finally:
        reading.close()
    if problems:
        raise BadInput(problems)
    return items


def _decide(items: list[_Item], jobs: int) -> list[PlanDecision]:
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415  # start-up

    from consentkit import check_many  # noqa: PLC0415

    pairs = [(item.plan, item.ledger) for item in items]
    workers = min(jobs, len(pairs))
    if workers <= 1:
        return check_many(pairs)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return check_many(pairs, executor=pool)


def _line(item: _Item, decision: PlanDecision) -> str:
    from consentkit import to_dict  # noqa: PLC0415  # keeps start-up fast

    text = json.dumps(
        {
            "line": item.line,
            "verdict": decision.verdict.value,
            "decision": to_dict(decision),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # One item, one line, for any reader: JSON's own escapes for the two
    # characters some readers take for line breaks (they occur only in strings).
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _check_many(args: argparse.Namespace) -> int:
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    from consentkit import Verdict  # noqa: PLC0415  # keeps start-up fast

    items = read_manifest(args.manifest)
    try:
        decisions = _decide(items, args.jobs)
    except BrokenProcessPool as error:
        sys.stderr.write(
            f"consentkit check-many: a worker process failed ({error}); "
            "nothing was decided\n"
        )
        return EXIT_DENY
    sys.stdout.write(
        "".join(_line(i, d) + "\n" for i, d in zip(items, decisions, strict=True))
    )
    verdicts = {decision.verdict for decision in decisions}
    if Verdict.DENY in verdicts:
        return EXIT_DENY
    if Verdict.RENEGOTIATE in verdicts:
        return EXIT_RENEGOTIATE
    return EXIT_ALLOW


def _jobs(text: str) -> int:
    """Read ``--jobs``: a whole number of processes, at least 1."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number, got `{text}`"
        ) from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got `{jobs}`")
    return jobs


_EXIT_CODES: Final = f"""\
exit codes:
  {EXIT_ALLOW}  every plan is ALLOW (or the manifest lists none)
  {EXIT_DENY}  some plan is DENY (or a worker process failed)
  {EXIT_BAD_INPUT}  bad input or usage: a bad line or file in the manifest, --jobs < 1
  {EXIT_RENEGOTIATE}  no plan is DENY and some are RENEGOTIATE
"""


def register(commands: Commands) -> None:
    """Add `check-many`."""
    check_many = subparser(
        commands,
        "check-many",
        _check_many,
        "check many plans, each against its ledger, listed in a manifest",
        "MANIFEST is JSON Lines, one item a line, paths relative to the\n"
        'manifest: {"ledger": "ledger.json", "plan": "plan.json"} (a `step`\n'
        "document may stand for the plan), or with a ledger store\n"
        '{"store": "sqlite:///consent.db", "id": "ann-bo", "plan": "plan.json"}\n'
        "(a SQLite path relative to the manifest too).  Every line, file and\n"
        "stored ledger is checked first: a bad one is exit 2, naming its line,\n"
        "with nothing on stdout.\n"
        'Then one JSON line per item, in order: {"line", "verdict", "decision"}\n'
        "(`line` counts blank lines too; `decision` is a `plan_decision`'s data).\n"
        "\n" + _EXIT_CODES + "\n"
        "example:\n"
        "  consentkit check-many manifest.jsonl --jobs 4",
    )
    check_many.add_argument(
        "manifest", metavar="MANIFEST", help="a JSON Lines file of ledger and plan"
    )
    check_many.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="check on N processes (default: 1, here)",
    )
