"""Reporting: `report` draws a session as one self-contained HTML page.

With ``--receipts R... --keys KEYS`` (and, from a store, the receipts it
keeps) the page also shows who signed each entry; that needs the ``sign``
extra, imported only then.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, cast

from consentkit._cli._common import (
    BadInput,
    Commands,
    add_ledger_source,
    describe,
    load,
    read_all,
    read_ledger,
    subparser,
    time_argument,
)
from consentkit._cli._sign import read_receipt_inputs, read_stored_receipts

if TYPE_CHECKING:
    from collections.abc import Callable

    from consentkit import Ledger, Plan

__all__ = ["register"]


def _report(args: argparse.Namespace) -> int:
    from consentkit import Plan, report  # noqa: PLC0415  # keeps start-up fast
    from consentkit._documents import kind_of  # noqa: PLC0415

    # The store's receipts before the ledger: each binds the ledger read after.
    stored = read_stored_receipts(args) if args.keys is not None else ()
    readers: list[Callable[[], object]] = [
        lambda: read_ledger(args),
        lambda: read_receipt_inputs(args),
    ]
    if args.plan is not None:
        readers.append(lambda: load(args.plan, None))
    found = read_all(*readers)
    ledger = cast("Ledger", found[0])
    inputs = cast("tuple[Any, list[Any]] | None", found[1])
    keys, receipts = (None, []) if inputs is None else inputs
    plan: Plan | None = None
    if args.plan is not None:
        document = found[2]
        if not isinstance(document, Plan):
            raise BadInput(
                [f"{args.plan}: kind: must be `plan`, got `{kind_of(document)}`"]
            )
        plan = document
    page = report(ledger, plan, at=args.at, receipts=[*receipts, *stored], keys=keys)
    try:
        with open(args.out, "w", encoding="utf-8") as file:  # noqa: PTH123
            file.write(page)
    except OSError as error:
        raise BadInput(describe(args.out, error)) from error
    return 0


def register(commands: Commands) -> None:
    """Add the `report` command."""
    parser = subparser(
        commands,
        "report",
        _report,
        "draw a session as one self-contained HTML page with a timeline",
        "With --receipts and --keys (and, from a store, the receipts it keeps),\n"
        "each entry says who signed it, and unsigned entries and receipts that do\n"
        "not verify are listed.\n\n"
        "exit codes: 0 the report was written, 2 bad input or usage\n"
        "\nexamples:\n  consentkit report --ledger ledger.json --plan plan.json "
        "--out report.html\n"
        "  consentkit report --ledger ledger.json --receipts ann.json bo.json "
        "--keys keys.json --out report.html",
    )
    parser.set_defaults(require_signed=False, receipts_for="report")
    add_ledger_source(parser)
    parser.add_argument(
        "--plan", metavar="PLAN", help="a `plan` document to check and draw"
    )
    parser.add_argument(
        "--at",
        type=time_argument,
        metavar="TIME",
        help="show the ledger as it stood then (RFC 3339, with an offset)",
    )
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="where to write the HTML page"
    )
    parser.add_argument(
        "--receipts",
        nargs="+",
        metavar="R",
        default=[],
        help="`receipt` documents: show who signed each entry (needs --keys)",
    )
    parser.add_argument(
        "--keys",
        metavar="KEYS",
        help='a JSON object of party to public keys: {"ann": "z6Mk..." | [...]}',
    )
