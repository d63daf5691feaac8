"""Before accepting: `lint` terms, `diff` a counter-proposal (SPEC 6.7)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, cast

from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_DENY,
    BadInput,
    Commands,
    add_ledger_source,
    load,
    out,
    read_all,
    read_ledger,
    subparser,
)

if TYPE_CHECKING:
    from consentkit import Ledger, Terms

__all__ = ["register"]


def _lint(args: argparse.Namespace) -> int:
    from consentkit import (  # noqa: PLC0415  # keeps start-up fast
        Preferences,
        Severity,
        Terms,
        dumps,
        lint,
        lint_preferences,
    )
    from consentkit._documents import kind_of  # noqa: PLC0415

    readers = [lambda: load(args.terms, None)]
    if args.ledger is not None:
        readers.append(lambda: read_ledger(args))
    found = read_all(*readers)
    ledger = cast("Ledger", found[1]) if len(found) > 1 else None
    document = found[0]
    if isinstance(document, Preferences) and ledger is None:
        report = lint_preferences(document)
    elif isinstance(document, Terms):
        report = lint(document, ledger=ledger)
    else:
        wanted = "`terms`" if ledger is not None else "`terms` or `preferences`"
        raise BadInput(
            [f"{args.terms}: kind: expected {wanted}, got `{kind_of(document)}`"]
        )
    out(dumps(report) if args.format == "json" else report.explain(args.terms))
    failing = report.at_least(Severity(args.fail_level))
    return EXIT_DENY if failing else EXIT_ALLOW


def _diff(args: argparse.Namespace) -> int:
    from consentkit import diff, dumps  # noqa: PLC0415  # keeps start-up fast
    from consentkit._text import one_line  # noqa: PLC0415

    old, new = read_all(
        lambda: load(args.old, "terms"), lambda: load(args.new, "terms")
    )
    before, after = cast("Terms", old), cast("Terms", new)
    if args.party is not None and args.party not in before.parties | after.parties:
        raise BadInput(
            [f"--party: `{one_line(args.party)}` is a party of neither terms"]
        )
    result = diff(before, after)
    out(dumps(result) if args.format == "json" else result.explain(args.party))
    widened = result.for_party(args.party) if args.party else result.widened
    return EXIT_DENY if args.fail_on_widen and widened else EXIT_ALLOW


def register(commands: Commands) -> None:
    """Add `lint` and `diff`."""
    lint = subparser(
        commands,
        "lint",
        _lint,
        "check terms before anyone accepts them",
        "Prints one line per finding, as a compiler does (file: path: code\n"
        "rule: message), each with a hint beneath it, then a count.\n\n"
        "exit codes: 0 nothing at or above the fail level, 1 something is,\n"
        "2 bad input or usage\n\n"
        "examples:\n"
        "  consentkit lint terms.json\n"
        "  consentkit lint terms.json --ledger ledger.json --fail-level warning\n"
        "  consentkit lint terms.json --format json",
    )
    lint.add_argument(
        "terms",
        metavar="TERMS",
        help="a `terms` document (or a `preferences` list: CK401, CK409, CK415)",
    )
    add_ledger_source(lint, required=False)
    lint.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or a `lint` document",
    )
    lint.add_argument(
        "--fail-level",
        choices=("error", "warning", "info"),
        default="error",
        help="exit 1 when a finding is at or above this severity (default: error)",
    )

    diff = subparser(
        commands,
        "diff",
        _diff,
        "say what a counter-proposal changes, and what it asks of whom",
        "Lists each change with its effect on verdicts: widens (it can let some\n"
        "step be allowed that was not), narrows (it can only refuse more) or\n"
        "neutral (advice only).  With --party, first what it asks of that party.\n\n"
        "exit codes: 0 (1 with --fail-on-widen when something widens: for\n"
        "--party, something that asks more of that party), 2 bad input or usage\n\n"
        "examples:\n"
        "  consentkit diff proposal.json counter.json\n"
        "  consentkit diff proposal.json counter.json --party client_k "
        "--fail-on-widen",
    )
    diff.add_argument("old", metavar="OLD", help="the `terms` on the table")
    diff.add_argument("new", metavar="NEW", help="the counter-proposal's `terms`")
    diff.add_argument("--party", metavar="P", help="say first what it asks of P")
    diff.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or a `terms_diff` document",
    )
    diff.add_argument(
        "--fail-on-widen",
        action="store_true",
        help="exit 1 when anything widens (with --party: asks more of P)",
    )
