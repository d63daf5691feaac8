"""The command line: check plans against a ledger from the shell or CI (SPEC 5).

Exit codes: 0 ALLOW, 1 DENY, 3 RENEGOTIATE, 2 bad input or usage.  Bad input
is reported for people, one line per problem on stderr, never as a traceback.
Each family of commands is a module with a ``register(commands)`` function,
listed once in `_COMMANDS`.  The engine and the serializer are imported inside
the commands, so that ``consentkit --help`` starts quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Final

from consentkit import ConsentkitError
from consentkit._cli import (
    _decide,
    _documents,
    _lint,
    _many,
    _prefs,
    _report,
    _sign,
    _store,
)
from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_BAD_INPUT,
    EXIT_CODES_IN_SHORT,
    EXIT_DENY,
    EXIT_RENEGOTIATE,
    BadInput,
    Command,
    describe,
)

__all__ = [
    "EXIT_ALLOW",
    "EXIT_BAD_INPUT",
    "EXIT_DENY",
    "EXIT_RENEGOTIATE",
    "describe",
    "main",
    "parser",
]

#: The modules of commands, in the order `--help` lists them.
_COMMANDS: Final = (_decide, _documents, _lint, _many, _prefs, _report, _sign, _store)


def parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``consentkit`` and its subcommands."""
    main_parser = argparse.ArgumentParser(
        prog="consentkit",
        description=(
            "Check planned steps against recorded consent, and read and write "
            "consentkit documents."
        ),
        epilog=EXIT_CODES_IN_SHORT
        + "\nexample:\n  consentkit check plan.json --ledger ledger.json\n"
        "\nRun `consentkit COMMAND --help` for each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    main_parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print the package's version and exit",
    )
    commands = main_parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )

    for module in _COMMANDS:
        module.register(commands)
    return main_parser


class _Version(argparse.Action):
    """``--version``: reads the package's metadata only when asked."""

    def __call__(  # argparse's own signature
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,  # noqa: ARG002
        values: object,  # noqa: ARG002
        option_string: str | None = None,  # noqa: ARG002
    ) -> None:
        from consentkit import __version__  # noqa: PLC0415  # read only when asked

        sys.stdout.write(f"{parser.prog} {__version__}\n")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``consentkit`` with `argv` (default: the process's arguments).

    Returns:
        The exit code: 0 ALLOW (or success), 1 DENY, 3 RENEGOTIATE, 2 bad
        input or usage.
    """
    main_parser = parser()
    try:
        args = main_parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    function: Command = args.function
    prog = f"{main_parser.prog} {args.command}"
    try:
        return function(args)
    except BadInput as error:
        lines = list(error.lines)
    except (ConsentkitError, OSError, UnicodeDecodeError, ValueError) as error:
        lines = describe(prog, error)
    for line in lines:
        sys.stderr.write(line + "\n")
    return EXIT_BAD_INPUT
