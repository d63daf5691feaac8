"""Reporting: `report` draws a session as one self-contained HTML page."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, cast

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

if TYPE_CHECKING:
    from collections.abc import Callable

    from consentkit._ledger import Ledger
    from consentkit._plan import Plan

__all__ = ["register"]


def _report(args: argparse.Namespace) -> int:
    from consentkit._documents import kind_of  # noqa: PLC0415  # keeps start-up fast
    from consentkit._plan import Plan  # noqa: PLC0415
    from consentkit._report import report  # noqa: PLC0415

    readers: list[Callable[[], object]] = [lambda: read_ledger(args)]
    if args.plan is not None:
        readers.append(lambda: load(args.plan, None))
    found = read_all(*readers)
    ledger = cast("Ledger", found[0])
    plan: Plan | None = None
    if args.plan is not None:
        document = found[1]
        if not isinstance(document, Plan):
            raise BadInput(
                [f"{args.plan}: kind: must be `plan`, got `{kind_of(document)}`"]
            )
        plan = document
    page = report(ledger, plan, at=args.at)
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
        "exit codes: 0 the report was written, 2 bad input or usage\n"
        "\nexample:\n  consentkit report --ledger ledger.json --plan plan.json "
        "--out report.html",
    )
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
