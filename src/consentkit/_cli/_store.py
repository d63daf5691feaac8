"""The ledger store: `store import`, `store export` and `store verify`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, cast

from consentkit import ConsentkitError
from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_BAD_INPUT,
    EXIT_DENY,
    BadInput,
    Commands,
    describe,
    load,
    out,
    read_stored,
    subparser,
)

if TYPE_CHECKING:
    from consentkit import Ledger
    from consentkit.store import LedgerStore

__all__ = ["register"]


def _open(url: str) -> LedgerStore:
    from consentkit.store import StoreError, open_store  # noqa: PLC0415  # start-up

    try:
        return open_store(url)
    except StoreError as error:
        raise BadInput([str(error)]) from error


def _import(args: argparse.Namespace) -> int:
    from consentkit.store import ConcurrentAppend, redact  # noqa: PLC0415

    ledger = cast("Ledger", load(args.file, "ledger"))
    shown = f"{redact(args.store)} `{args.id}`"
    with _open(args.store) as store:
        try:
            head = store.head(args.id)
            digests = [entry.digest for entry in ledger]
            if head is not None and head not in digests:
                sys.stderr.write(
                    f"{shown}: the stored ledger's head `{head}` is not an entry of "
                    f"{args.file}: the two histories differ; nothing was imported\n"
                )
                return EXIT_DENY
            before = 0 if head is None else digests.index(head) + 1
            store.append(args.id, ledger, head)
        except ConcurrentAppend as error:
            sys.stderr.write(f"{shown}: {error}\n")
            return EXIT_DENY
        except (ConsentkitError, ValueError) as error:
            raise BadInput(describe(shown, error)) from error
    out(
        f"{shown}: imported {len(ledger) - before} entries from {args.file}; "
        f"{len(ledger)} entries, head {ledger.head}"
    )
    return EXIT_ALLOW


def _export(args: argparse.Namespace) -> int:
    from consentkit import dumps  # noqa: PLC0415  # keeps start-up fast

    sys.stdout.write(dumps(read_stored(args.store, args.id)))
    return EXIT_ALLOW


def _verify(args: argparse.Namespace) -> int:
    from consentkit.store import redact  # noqa: PLC0415  # keeps start-up fast

    shown = redact(args.store)
    problems: list[str] = []
    with _open(args.store) as store:
        try:
            ids = store.ids() if args.id is None else (args.id,)
        except ConsentkitError as error:
            raise BadInput(describe(shown, error)) from error
        for ledger_id in ids:
            try:
                ledger = store.load(ledger_id)
                ledger.verify()
            except (ConsentkitError, ValueError, TypeError) as error:
                problems.extend(describe(f"{shown} `{ledger_id}`", error))
                continue
            out(
                f"{shown} `{ledger_id}`: chain intact, {len(ledger)} entries, "
                f"head {ledger.head}"
            )
    if args.id is None and not ids:
        out(f"{shown}: no ledgers")
    for line in problems:
        sys.stderr.write(line + "\n")
    return EXIT_BAD_INPUT if problems else EXIT_ALLOW


def _where(parser: argparse.ArgumentParser, *, id_required: bool = True) -> None:
    parser.add_argument(
        "--store",
        required=True,
        metavar="URL",
        help="the store: `sqlite:///PATH`, a path, or `postgresql://...`",
    )
    parser.add_argument(
        "--id", required=id_required, metavar="ID", help="the ledger's id in the store"
    )


def register(commands: Commands) -> None:
    """Add `store` and its subcommands `import`, `export` and `verify`."""
    store = subparser(
        commands,
        "store",
        _usage,
        "keep ledgers in a store (SQLite or PostgreSQL): import, export, verify",
        "A store keeps ledgers under ids; every command that reads --ledger FILE\n"
        "also reads --store URL --id ID.\n\n"
        "examples:\n"
        "  consentkit store import ledger.json --store consent.db --id scene-1\n"
        "  consentkit check plan.json --store consent.db --id scene-1\n"
        "  consentkit store export --store consent.db --id scene-1 > ledger.json\n"
        "  consentkit store verify --store postgresql://app@db.internal/consent",
    )
    actions = store.add_subparsers(
        title="commands", dest="store_command", metavar="COMMAND", required=True
    )
    importing = subparser(
        actions,
        "import",
        _import,
        "store a ledger document under an id, or the entries it adds to one",
        "The document is verified first.  When the id is taken, the document\n"
        "must extend the stored ledger: its new entries are appended; a ledger\n"
        "whose history differs is refused (exit 1), and nothing is written.\n\n"
        "example:\n"
        "  consentkit store import ledger.json --store consent.db --id scene-1",
    )
    importing.add_argument("file", metavar="FILE", help="a `ledger` document")
    _where(importing)
    exporting = subparser(
        actions,
        "export",
        _export,
        "write a stored ledger as a `ledger` document on stdout",
        "example:\n"
        "  consentkit store export --store consent.db --id scene-1 > ledger.json",
    )
    _where(exporting)
    verifying = subparser(
        actions,
        "verify",
        _verify,
        "verify stored ledgers: chain, rules and head (all of them without --id)",
        "Prints each ledger's entries and head digest; a tampered ledger is\n"
        "reported on stderr and the exit code is 2.\n\n"
        "examples:\n"
        "  consentkit store verify --store consent.db\n"
        "  consentkit store verify --store consent.db --id scene-1",
    )
    _where(verifying, id_required=False)


def _usage(
    args: argparse.Namespace,
) -> int:  # pragma: no cover  # argparse requires one
    del args
    return EXIT_BAD_INPUT
