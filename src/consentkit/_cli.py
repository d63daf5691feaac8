"""The command line: check plans against a ledger from the shell or CI (SPEC 5).

Exit codes: 0 ALLOW, 1 DENY, 3 RENEGOTIATE, 2 bad input or usage.  Bad input
is reported for people, one line per problem on stderr, never as a traceback.
The engine and the serializer are imported inside the subcommands, so that
``consentkit --help`` starts quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, cast

from consentkit._errors import ConsentkitError, DecodeError, TamperedLedger

if TYPE_CHECKING:
    from datetime import datetime

    from consentkit._ledger import Ledger

__all__ = ["EXIT_ALLOW", "EXIT_BAD_INPUT", "EXIT_DENY", "EXIT_RENEGOTIATE", "main"]

EXIT_ALLOW: Final = 0
EXIT_DENY: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_RENEGOTIATE: Final = 3

_EXIT_CODES: Final = f"""\
exit codes:
  {EXIT_ALLOW}  ALLOW: every step may go ahead
  {EXIT_DENY}  DENY: some step may not; only a new agreement could change that
  {EXIT_BAD_INPUT}  bad input or usage: a missing or malformed file, a wrong kind
  {EXIT_RENEGOTIATE}  RENEGOTIATE: some step needs a word in the scene first (a soft
     limit to address, a confirmation to ask for, a yellow to resolve)
"""
_EXIT_CODES_IN_SHORT: Final = (
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
    from consentkit._documents import loads  # noqa: PLC0415  # keeps start-up fast

    try:
        with open(path, "rb") as file:  # noqa: PTH123  # a plain read, no Path needed
            data = file.read()
        return loads(data, kind=kind)
    except (ConsentkitError, OSError, ValueError) as error:
        raise BadInput(describe(path, error)) from error


def load_each(*wanted: tuple[str, str | None]) -> list[object]:
    """Read several documents, reporting the problems of every file together.

    Raises:
        BadInput: With every problem of every file that cannot be used.
    """
    found: list[object] = []
    problems: list[str] = []
    for path, kind in wanted:
        try:
            found.append(load(path, kind))
        except BadInput as error:
            problems.extend(error.lines)
    if problems:
        raise BadInput(problems)
    return found


def _time(text: str) -> datetime:
    """Read ``--at``: an RFC 3339 time with an offset."""
    from consentkit._serialize import parse_time  # noqa: PLC0415  # keeps start-up fast

    try:
        return parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


# -- the subcommands -------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    import attrs  # noqa: PLC0415  # keeps start-up fast

    from consentkit._decision import Verdict  # noqa: PLC0415
    from consentkit._documents import dumps, kind_of  # noqa: PLC0415
    from consentkit._engine import check_plan  # noqa: PLC0415
    from consentkit._plan import Plan, Step  # noqa: PLC0415

    document, read = load_each((args.plan, None), (args.ledger, "ledger"))
    ledger = cast("Ledger", read)  # loads(kind="ledger") gives nothing else
    if isinstance(document, Step):
        if args.at is not None:
            document = attrs.evolve(document, at=args.at)
        plan = Plan(steps=(document,))
    elif isinstance(document, Plan):
        if args.at is not None:
            raise BadInput(
                [
                    (
                        f"{args.plan}: --at re-times a single `step` document; "
                        "the steps of a `plan` keep their own times"
                    )
                ]
            )
        plan = document
    else:
        raise BadInput(
            [f"{args.plan}: kind: must be `plan` or `step`, got `{kind_of(document)}`"]
        )
    decision = check_plan(plan, ledger)
    _out(dumps(decision) if args.format == "json" else decision.explain())
    return {
        Verdict.ALLOW: EXIT_ALLOW,
        Verdict.DENY: EXIT_DENY,
        Verdict.RENEGOTIATE: EXIT_RENEGOTIATE,
    }[decision.verdict]


def _validate(args: argparse.Namespace) -> int:
    from consentkit._documents import kind_of  # noqa: PLC0415  # keeps start-up fast

    problems: list[str] = []
    for path in args.files:
        try:
            document = load(path, None)
        except BadInput as error:
            problems.extend(error.lines)
            continue
        _out(f"{path}: valid {kind_of(document)}")
    for line in problems:
        sys.stderr.write(line + "\n")
    return EXIT_BAD_INPUT if problems else EXIT_ALLOW


def _schema(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415  # keeps start-up fast

    from consentkit._schema import json_schema  # noqa: PLC0415

    _out(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return EXIT_ALLOW


def _catalog(args: argparse.Namespace) -> int:
    from consentkit._catalog import default_catalog  # noqa: PLC0415  # fast start-up

    catalog = default_catalog()
    activities = tuple(catalog)
    if args.tag is not None:
        activities = catalog.tagged(args.tag)
        if not activities:
            tags = sorted({tag for activity in catalog for tag in activity.tags})
            raise ValueError(
                f"--tag: no activity of the catalog carries `{args.tag}`; "
                f"tags: {', '.join(tags)}"
            )
    width = max(len(activity.id) for activity in activities)
    label_width = max(len(activity.label) for activity in activities)
    lines = [
        f"catalog `{catalog.name}` version {catalog.version}: "
        f"{len(activities)} of {len(catalog)} activities"
        + (f" tagged `{args.tag}`" if args.tag is not None else "")
    ]
    for activity in activities:
        line = f"{activity.id:<{width}}  {activity.label:<{label_width}}"
        if activity.tags:
            line += f"  tags: {', '.join(sorted(activity.tags))}"
        if activity.requires:
            line += f"  requires: {', '.join(sorted(activity.requires))}"
        lines.append(line.rstrip())
    _out("\n".join(lines))
    return EXIT_ALLOW


def _envelope(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone  # noqa: PLC0415  # keeps start-up fast

    from consentkit._engine import envelope  # noqa: PLC0415
    from consentkit._serialize import format_time  # noqa: PLC0415
    from consentkit.rules._consent import describe as condition  # noqa: PLC0415

    ledger = cast("Ledger", load(args.ledger, "ledger"))
    moment = args.at
    if moment is None:
        moment = datetime.now(timezone.utc).replace(microsecond=0)
    allowances = envelope(ledger, args.actor, args.recipient, moment)
    lines = [
        f"{args.actor} -> {args.recipient} at {format_time(moment)}: "
        + (
            f"{len(allowances)} activities allowed"
            if allowances
            else "nothing is allowed"
        )
    ]
    width = max((len(a.activity) for a in allowances), default=0)
    for allowance in allowances:
        cap = (
            "no cap"
            if allowance.max_intensity is None
            else f"up to intensity {allowance.max_intensity}"
        )
        line = f"{allowance.activity:<{width}}  {cap}"
        if allowance.conditions:
            line += f"; needs {', '.join(condition(c) for c in allowance.conditions)}"
        lines.append(line)
    _out("\n".join(lines))
    return EXIT_ALLOW


def _verify(args: argparse.Namespace) -> int:
    ledger = cast("Ledger", load(args.ledger, "ledger"))
    # `loads` has checked the chain already; verify() checks it again on the
    # ledger as rebuilt, and raises TamperedLedger if it ever disagreed.
    ledger.verify()
    _out(f"{args.ledger}: chain intact, {len(ledger)} entries, head {ledger.head}")
    return EXIT_ALLOW


# -- the parser ------------------------------------------------------------

Command = Callable[[argparse.Namespace], int]


def _subparser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    function: Command,
    summary: str,
    example: str,
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name,
        help=summary,
        description=summary[:1].upper() + summary[1:] + ".",
        epilog=example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(function=function)
    return parser


def parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``consentkit`` and its subcommands."""
    main_parser = argparse.ArgumentParser(
        prog="consentkit",
        description=(
            "Check planned steps against recorded consent, and read and write "
            "consentkit documents."
        ),
        epilog=_EXIT_CODES_IN_SHORT
        + "\nexample:\n  consentkit check plan.json --ledger ledger.json\n"
        "\nRun `consentkit COMMAND --help` for each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main_parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )

    check = _subparser(
        commands,
        "check",
        _check,
        "check a plan (or a single step) against the consent in a ledger",
        "Prints the plan's verdict, then each step with its verdict and the\n"
        "findings behind it, then plan-level advice.\n\n"
        + _EXIT_CODES
        + "\nexamples:\n"
        "  consentkit check examples/first-session/plan.json \\\n"
        "      --ledger examples/first-session/ledger.json\n"
        "  consentkit check step.json --ledger ledger.json "
        "--at 2026-03-06T20:15:00Z\n"
        "  consentkit check plan.json --ledger ledger.json --format json",
    )
    check.add_argument("plan", metavar="PLAN", help="a `plan` or `step` document")
    check.add_argument(
        "--ledger", required=True, metavar="LEDGER", help="a `ledger` document"
    )
    check.add_argument(
        "--at",
        type=_time,
        metavar="TIME",
        help="check a single step at this RFC 3339 time instead of its own",
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or a `plan_decision` document",
    )

    validate = _subparser(
        commands,
        "validate",
        _validate,
        "validate documents of any kind: schema, records and ledger chain",
        "Reports every problem of every file on stderr, each with its JSON path;\n"
        "exits 0 only when every file is valid, else 2.\n\n"
        "example:\n"
        "  consentkit validate examples/*/ledger.json examples/*/plan.json",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="documents")

    schema = _subparser(
        commands,
        "schema",
        _schema,
        "print the JSON Schema (2020-12) of a document kind",
        "kinds: ledger, terms, plan, step, catalog, decision, plan_decision, event\n\n"
        "example:\n"
        "  consentkit schema ledger > ledger.schema.json",
    )
    schema.add_argument("kind", metavar="KIND", help="the document kind")

    catalog = _subparser(
        commands,
        "catalog",
        _catalog,
        "list the activities of the default catalog",
        "Each activity with its label, risk tags and required equipment.\n\n"
        "examples:\n"
        "  consentkit catalog\n"
        "  consentkit catalog --tag impairs_speech",
    )
    catalog.add_argument(
        "--tag", metavar="TAG", help="only the activities carrying this tag"
    )

    envelope = _subparser(
        commands,
        "envelope",
        _envelope,
        "list what an actor may do to a recipient at a time, with the caps",
        "For each activity of the catalog that a step by ACTOR on RECIPIENT at\n"
        "TIME would be allowed (zero duration, nobody else present, intensity 1):\n"
        "the highest intensity allowed and the conditions later steps must meet.\n\n"
        "example:\n"
        "  consentkit envelope --ledger examples/first-session/ledger.json \\\n"
        "      --actor mistress --recipient client --at 2026-03-06T19:30:00Z",
    )
    envelope.add_argument(
        "--ledger", required=True, metavar="LEDGER", help="a `ledger` document"
    )
    envelope.add_argument("--actor", required=True, help="who would act")
    envelope.add_argument("--recipient", required=True, help="who would receive")
    envelope.add_argument(
        "--at", type=_time, metavar="TIME", help="RFC 3339 time (default: now)"
    )

    verify = _subparser(
        commands,
        "verify",
        _verify,
        "verify a ledger's hash chain and the rules of every event",
        "Prints the number of entries and the head digest, so that two copies\n"
        "of a ledger can be compared; a tampered ledger exits 2.\n\n"
        "example:\n"
        "  consentkit verify examples/first-session/ledger.json",
    )
    verify.add_argument("ledger", metavar="LEDGER", help="a `ledger` document")
    return main_parser


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
