"""Documents: `validate`, print a `schema`, list the `catalog`, `verify` a chain."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, cast

from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_BAD_INPUT,
    EXIT_DENY,
    BadInput,
    Commands,
    load,
    out,
    read_all,
    subparser,
)
from consentkit._cli._sign import (
    add_ledger_argument,
    add_receipt_options,
    check_receipt_options,
    read_ledger_argument,
    read_receipt_inputs,
    read_stored_receipts,
    source_name,
    verify_receipts,
)

if TYPE_CHECKING:
    from consentkit import Ledger

__all__ = ["register"]


def _validate(args: argparse.Namespace) -> int:
    from consentkit._documents import kind_of  # noqa: PLC0415  # keeps start-up fast

    problems: list[str] = []
    for path in args.files:
        try:
            document = load(path, None)
        except BadInput as error:
            problems.extend(error.lines)
            continue
        out(f"{path}: valid {kind_of(document)}")
    for line in problems:
        sys.stderr.write(line + "\n")
    return EXIT_BAD_INPUT if problems else EXIT_ALLOW


def _schema(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415  # keeps start-up fast

    from consentkit import json_schema  # noqa: PLC0415

    out(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return EXIT_ALLOW


def _catalog(args: argparse.Namespace) -> int:
    from consentkit import default_catalog  # noqa: PLC0415  # keeps start-up fast

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
    out("\n".join(lines))
    return EXIT_ALLOW


def _check_head(args: argparse.Namespace, ledger: Ledger) -> int:
    """``--head``: whether the ledger still holds the head last seen."""
    if args.head is None:
        return EXIT_ALLOW
    name = source_name(args)
    if args.head == ledger.head:
        out(f"{name}: ends at the expected head")
        return EXIT_ALLOW
    for entry in ledger:
        if entry.digest == args.head:
            out(
                f"{name}: holds the expected head at entry {entry.seq} and "
                f"{len(ledger) - entry.seq - 1} entries after it"
            )
            return EXIT_ALLOW
    sys.stderr.write(
        f"{name}: the expected head `{args.head}` is not in this "
        "ledger: entries are missing or the history differs\n"
    )
    return EXIT_DENY


def _verify(args: argparse.Namespace) -> int:
    check_receipt_options(args)
    # The store's receipts first: each binds the ledger as read after it.  A
    # store that cannot be read is one problem, not one per reader.
    stored = read_stored_receipts(args) if args.ledger_file is None else ()
    found, inputs = read_all(
        lambda: read_ledger_argument(args, "verify"),
        lambda: read_receipt_inputs(args),
    )
    ledger = cast("Ledger", found)
    # `loads` has checked the chain already; verify() checks it again on the
    # ledger as rebuilt, and raises TamperedLedger if it ever disagreed.
    ledger.verify()
    out(f"{source_name(args)}: chain intact, {len(ledger)} entries, head {ledger.head}")
    head = _check_head(args, ledger)
    receipts = verify_receipts(args, ledger, cast("Any", inputs), cast("Any", stored))
    return max(head, receipts)


def register(commands: Commands) -> None:
    """Add `validate`, `schema`, `catalog` and `verify`."""
    validate = subparser(
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

    schema = subparser(
        commands,
        "schema",
        _schema,
        "print the JSON Schema (2020-12) of a document kind",
        "kinds: ledger, terms, plan, step, catalog, decision, plan_decision, event,\n"
        "  receipt, lint, terms_diff, protocol, preferences, comparison\n\n"
        "example:\n"
        "  consentkit schema ledger > ledger.schema.json",
    )
    schema.add_argument("kind", metavar="KIND", help="the document kind")

    catalog = subparser(
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

    verify = subparser(
        commands,
        "verify",
        _verify,
        "verify a ledger's hash chain, the rules of every event, and receipts",
        "Prints the number of entries and the head digest, so that two copies\n"
        "of a ledger can be compared; a tampered ledger exits 2.  With --receipts\n"
        "and --keys, also each party's acknowledged entry, each entry its author\n"
        "has not acknowledged, and each receipt that does not verify: exit 1 if\n"
        "any receipt fails (or, with --require-signed, any entry is unsigned).\n\n"
        "From a store (--store URL --id ID), the receipts it keeps are checked too.\n\n"
        "examples:\n"
        "  consentkit verify examples/first-session/ledger.json\n"
        "  consentkit verify ledger.json --receipts ann.json bo.json --keys keys.json\n"
        "  consentkit verify --store consent.db --id scene-42 --keys keys.json",
    )
    add_ledger_argument(verify)
    verify.add_argument(
        "--head",
        metavar="DIGEST",
        help="the head you last saw: exit 1 unless the ledger still holds it "
        "(a ledger cut short at its end is otherwise a valid chain)",
    )
    add_receipt_options(verify)
