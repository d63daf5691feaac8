"""What every command of the command line shares: exit codes, reading files, errors.

Exit codes: 0 ALLOW, 1 DENY, 3 RENEGOTIATE, 2 bad input or usage.  Bad input
is reported for people, one line per problem on stderr, never as a traceback.
The engine and the serializer are imported inside the subcommands, so that
``consentkit --help`` starts quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, TypeAlias, cast

from consentkit import ConsentkitError, DecodeError, TamperedLedger

if TYPE_CHECKING:
    from datetime import datetime

    from consentkit import Ledger

__all__ = [
    "EXIT_ALLOW",
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_CODES_IN_SHORT",
    "EXIT_DENY",
    "EXIT_RENEGOTIATE",
    "BadInput",
    "Command",
    "Commands",
    "add_ledger_source",
    "describe",
    "load",
    "out",
    "read_all",
    "read_ledger",
    "read_stored",
    "subparser",
    "time_argument",
]

EXIT_ALLOW: Final = 0
EXIT_DENY: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_RENEGOTIATE: Final = 3

EXIT_CODES: Final = f"""\
exit codes:
  {EXIT_ALLOW}  ALLOW: every step may go ahead
  {EXIT_DENY}  DENY: some step may not; only a new agreement could change that
  {EXIT_BAD_INPUT}  bad input or usage: a missing or malformed file, a wrong kind
  {EXIT_RENEGOTIATE}  RENEGOTIATE: some step needs a word in the scene first (a soft
     limit to address, a confirmation to ask for, a yellow to resolve)
"""
EXIT_CODES_IN_SHORT: Final = (
    f"exit codes: {EXIT_ALLOW} ALLOW (or success), {EXIT_DENY} DENY, "
    f"{EXIT_BAD_INPUT} bad input or usage, {EXIT_RENEGOTIATE} RENEGOTIATE\n"
)


class BadInput(Exception):  # a message for people, not a failure
    """Input the command cannot use, as the lines to print on stderr."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("\n".join(self.lines))


def describe(source: str, error: BaseException) -> list[str]:
    """One line per problem of `error`, each prefixed with `source` (a file name)."""
    if isinstance(error, DecodeError):
        return [
            f"{source}: {path}: {message}" if path else f"{source}: {message}"
            for path, message in error.problems
        ] or [f"{source}: {error}"]
    if isinstance(error, TamperedLedger):
        return [f"{source}: tampered ledger: {error}"]
    if isinstance(error, UnicodeDecodeError):
        return [f"{source}: not UTF-8 text: byte {error.start} cannot be decoded"]
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        return [f"{source}: {reason[:1].lower()}{reason[1:]}"]
    return [f"{source}: {error}"]


def load(path: str, kind: str | None) -> object:
    """Read the document in the file `path` (of `kind`, when given).

    Raises:
        BadInput: The file cannot be read, or is not such a document.
    """
    from consentkit import loads  # noqa: PLC0415  # keeps start-up fast

    try:
        with open(path, "rb") as file:  # noqa: PTH123  # a plain read, no Path needed
            data = file.read()
        return loads(data, kind=kind)
    except (ConsentkitError, OSError, ValueError) as error:
        raise BadInput(describe(path, error)) from error


def read_all(*readers: Callable[[], object]) -> list[object]:
    """Call each reader, reporting the problems of every one together.

    Raises:
        BadInput: With every problem of every reader that failed.
    """
    found: list[object] = []
    problems: list[str] = []
    for reader in readers:
        try:
            found.append(reader())
        except BadInput as error:
            problems.extend(error.lines)
    if problems:
        raise BadInput(problems)
    return found


def time_argument(text: str) -> datetime:
    """Read ``--at``: an RFC 3339 time with an offset."""
    from consentkit._serialize import parse_time  # noqa: PLC0415  # keeps start-up fast

    try:
        return parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


Command = Callable[[argparse.Namespace], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # noqa: SLF001


def subparser(
    commands: Commands,
    name: str,
    function: Command,
    summary: str,
    example: str,
) -> argparse.ArgumentParser:
    """Add the command `name`, run by `function`, with its summary and example."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=summary[:1].upper() + summary[1:] + ".",
        epilog=example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(function=function)
    return parser


# -- where a ledger comes from ----------------------------------------------


def add_ledger_source(
    parser: argparse.ArgumentParser, *, required: bool = True
) -> None:
    """Add ``--ledger LEDGER`` or ``--store URL --id ID``: every command reads so."""
    source = parser.add_mutually_exclusive_group(required=required)
    source.add_argument("--ledger", metavar="LEDGER", help="a `ledger` document")
    source.add_argument(
        "--store",
        metavar="URL",
        help="or a ledger store: `sqlite:///PATH`, a path, or `postgresql://...`",
    )
    parser.add_argument("--id", metavar="ID", help="with --store: the ledger's id")


def read_ledger(args: argparse.Namespace) -> Ledger:
    """Read the ledger that `add_ledger_source`'s options name.

    Raises:
        BadInput: It cannot be read, or is not a valid ledger.
    """
    store = getattr(args, "store", None)
    ledger_id = getattr(args, "id", None)
    if store is None:
        if ledger_id is not None:
            raise BadInput(["--id: needs --store URL, the store to read it from"])
        if args.ledger is None:
            raise BadInput(["--ledger or --store: one of them is required"])
        return cast("Ledger", load(args.ledger, "ledger"))
    if ledger_id is None:
        raise BadInput(["--store: needs --id ID, the ledger to read"])
    return read_stored(store, ledger_id)


def read_stored(url: str, ledger_id: str) -> Ledger:
    """Read the ledger `ledger_id` from the store at `url`.

    Raises:
        BadInput: The store cannot be opened, or the ledger is missing or
            not valid.
    """
    from consentkit.store import (  # noqa: PLC0415  # keeps start-up fast
        StoreError,
        UnknownLedger,
        open_store,
        redact,
    )

    try:
        with open_store(url) as store:
            return store.load(ledger_id)
    except StoreError as error:
        raise BadInput([str(error)]) from error
    except UnknownLedger as error:
        raise BadInput([f"{redact(url)}: {error}"]) from error
    except (ConsentkitError, OSError, ValueError, TypeError) as error:
        raise BadInput(describe(f"{redact(url)} `{ledger_id}`", error)) from error
