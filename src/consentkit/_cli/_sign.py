"""Keys and receipts: `keygen`, `key`, `sign`, and `verify --receipts` (SPEC 8.4).

A secret key file holds one line, the key's multibase.  As OpenSSH does,
`key` and `sign` refuse a key file that its group or others may read or
write (checked on the opened file), and nothing here ever prints a secret:
messages name the file and the problem, never its contents.

`sign` and `verify` read their ledger from a file (``LEDGER`` or ``--ledger``)
or from a store (``--store URL --id ID``).  With a store, ``sign --add``
keeps the receipt beside the ledger, and `verify` checks the receipts the
store keeps along with any ``--receipts`` files.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final

from consentkit import ConsentkitError
from consentkit._cli._common import (
    EXIT_ALLOW,
    EXIT_DENY,
    BadInput,
    Commands,
    add_ledger_source,
    describe,
    load,
    out,
    read_all,
    read_ledger,
    subparser,
    time_argument,
)

if TYPE_CHECKING:
    from consentkit import Ledger, Receipt
    from consentkit.signing import Keys, SigningKey

__all__ = [
    "add_ledger_argument",
    "add_receipt_options",
    "check_receipt_options",
    "read_ledger_argument",
    "read_receipt_inputs",
    "read_stored_receipts",
    "register",
    "source_name",
    "verify_receipts",
]

#: The largest key file or keys file read.
_MAX_KEY_FILE: Final = 4096
_MAX_KEYS_FILE: Final = 1 << 20
_EXTRA: Final = "needs the `sign` extra: pip install 'consentkit[sign]'"


def _signing() -> Any:
    """The `consentkit.signing` module, or bad input naming the extra."""
    try:
        from consentkit import signing  # noqa: PLC0415  # optional, and slow to load
    except ImportError:
        raise BadInput([f"consentkit: signing {_EXTRA}"]) from None
    return signing


# -- where the ledger comes from ----------------------------------------------


def add_ledger_argument(parser: argparse.ArgumentParser) -> None:
    """Add an optional ``LEDGER`` file beside ``--ledger`` / ``--store URL --id ID``."""
    parser.add_argument(
        "ledger_file",
        nargs="?",
        metavar="LEDGER",
        help="a `ledger` document (or --ledger LEDGER, or --store URL --id ID)",
    )
    add_ledger_source(parser, required=False)


def read_ledger_argument(args: argparse.Namespace, command: str) -> Ledger:
    """Read the ledger `add_ledger_argument`'s arguments name: exactly one source.

    Raises:
        BadInput: No source or two, or a ledger that cannot be read.
    """
    if args.ledger_file is not None:
        if args.ledger is not None or args.store is not None:
            raise BadInput(
                [f"consentkit {command}: give LEDGER, --ledger or --store, not two"]
            )
        args.ledger = args.ledger_file
    elif args.ledger is None and args.store is None:
        raise BadInput(
            [
                (
                    f"consentkit {command}: a ledger is needed: LEDGER, "
                    "--ledger LEDGER or --store URL --id ID"
                )
            ]
        )
    return read_ledger(args)


def source_name(args: argparse.Namespace) -> str:
    """How messages name the ledger read: its file, or its store and id."""
    if args.store is None:
        return str(args.ledger)
    from consentkit.store import redact  # noqa: PLC0415  # keeps start-up fast

    return f"{redact(args.store)} `{args.id}`"


def _open_store(args: argparse.Namespace) -> Any:
    from consentkit.store import StoreError, open_store  # noqa: PLC0415  # start-up

    try:
        return open_store(args.store)
    except (StoreError, ValueError) as error:
        raise BadInput([str(error)]) from error


def read_stored_receipts(args: argparse.Namespace) -> tuple[Receipt, ...]:
    """The receipts the store keeps beside the ledger; none without ``--store``.

    Read before the ledger: entries are only ever added, so every receipt
    read then binds the ledger read after.

    Raises:
        BadInput: The store cannot be read, the ledger is missing, or a
            stored receipt is not valid.
    """
    if args.store is None or args.id is None:
        return ()
    from consentkit.store import StoreError, UnknownLedger  # noqa: PLC0415  # start-up

    with _open_store(args) as store:
        try:
            found: tuple[Receipt, ...] = store.receipts(args.id)
        except StoreError as error:
            raise BadInput([str(error)]) from error
        except UnknownLedger as error:
            raise BadInput([f"{source_name(args)}: {error}"]) from error
        except (ConsentkitError, ValueError, TypeError) as error:
            raise BadInput(describe(source_name(args), error)) from error
    return found


def _add_to_store(args: argparse.Namespace, receipt: Receipt) -> None:
    """``sign --add``: keep the receipt beside the stored ledger.

    Raises:
        BadInput: The store refuses it or cannot be written.
    """
    from consentkit.store import StoreError  # noqa: PLC0415  # keeps start-up fast

    with _open_store(args) as store:
        try:
            store.add_receipt(args.id, receipt)
        except StoreError as error:
            raise BadInput([str(error)]) from error
        except (ConsentkitError, ValueError, TypeError) as error:
            raise BadInput([f"{source_name(args)}: {error}"]) from error


# -- key files ---------------------------------------------------------------


def _read_key(path: str) -> SigningKey:
    """Read a secret key file, refusing one that others may read.

    Raises:
        BadInput: The file cannot be read, is too open, or holds no secret key.
    """
    signing = _signing()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        reason = error.strerror or str(error)
        raise BadInput([f"{path}: {reason[:1].lower()}{reason[1:]}"]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise BadInput([f"{path}: not a regular file"])
    with os.fdopen(fd, "rb") as file:
        if os.name == "posix" and mode & 0o077:
            shown = f"{stat.S_IMODE(mode):04o}"
            message = (
                f"permissions {shown} for '{path}' are too open: a secret key "
                "must be readable by its owner only (chmod 600)"
            )
            raise BadInput([message])
        data = file.read(_MAX_KEY_FILE + 1)
    if len(data) > _MAX_KEY_FILE:
        raise BadInput([f"{path}: not a key file: larger than {_MAX_KEY_FILE} bytes"])
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise BadInput([f"{path}: not a key file: not ASCII text"]) from None
    lines = text.splitlines()
    if len(lines) != 1:
        raise BadInput([f"{path}: not a key file: must hold exactly one line"])
    try:
        key: SigningKey = signing.SigningKey.from_multibase(lines[0].strip())
    except ConsentkitError as error:
        raise BadInput([f"{path}: {error}"]) from None
    return key


def _show_key(key: SigningKey) -> None:
    public = key.public_key
    out(f"public key: {public.multibase}\ndid: {public.did}")


def _keygen(args: argparse.Namespace) -> int:
    signing = _signing()
    path: str = args.keyfile
    key = signing.SigningKey.generate()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise BadInput(
            [f"{path}: already exists; keygen never overwrites a key file"]
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise BadInput([f"{path}: {reason[:1].lower()}{reason[1:]}"]) from None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        if os.name == "posix":
            os.fchmod(file.fileno(), 0o600)
        file.write(key.to_multibase() + "\n")
    out(f"{path}: new secret key written, readable by its owner only")
    _show_key(key)
    return EXIT_ALLOW


def _key(args: argparse.Namespace) -> int:
    _show_key(_read_key(args.keyfile))
    return EXIT_ALLOW


def _sign(args: argparse.Namespace) -> int:
    signing = _signing()
    if args.add and args.store is None:
        raise BadInput(["consentkit sign: --add needs --store URL --id ID"])
    ledger, key = read_all(
        lambda: read_ledger_argument(args, "sign"), lambda: _read_key(args.key)
    )
    at = args.at or datetime.now(timezone.utc).replace(microsecond=0)
    from consentkit import dumps  # noqa: PLC0415  # keeps start-up fast

    try:
        receipt = signing.sign_receipt(
            ledger, party=args.party, key=key, at=at, seq=args.seq
        )
    except ConsentkitError as error:
        raise BadInput([f"consentkit sign: {error}"]) from None
    text = dumps(receipt)
    if args.add:
        _add_to_store(args, receipt)
    if args.output is None:
        out(text)
        return EXIT_ALLOW
    try:
        with open(args.output, "w", encoding="utf-8") as file:  # noqa: PTH123
            file.write(text)
    except OSError as error:
        raise BadInput(describe(args.output, error)) from error
    return EXIT_ALLOW


# -- verify --receipts -----------------------------------------------------------


def add_receipt_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--receipts``, ``--keys`` and ``--require-signed`` to `verify`."""
    parser.add_argument(
        "--receipts",
        nargs="+",
        metavar="R",
        default=[],
        help="`receipt` documents to check against the ledger (needs --keys)",
    )
    parser.add_argument(
        "--keys",
        metavar="KEYS",
        help='a JSON object of party to public keys: {"ann": "z6Mk..." | [...]}',
    )
    parser.add_argument(
        "--require-signed",
        action="store_true",
        help="fail unless every entry is acknowledged by its author's receipt",
    )


def _read_keys(path: str) -> Keys:
    """Read a keys file: ``{"party": "z6Mk..." | ["z6Mk...", ...]}``.

    Raises:
        BadInput: Not such an object, a bad party id or key, an empty list.
    """
    try:
        with open(path, "rb") as file:  # noqa: PTH123  # a plain read
            data = file.read(_MAX_KEYS_FILE + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        raise BadInput([f"{path}: {reason[:1].lower()}{reason[1:]}"]) from None
    if len(data) > _MAX_KEYS_FILE:
        raise BadInput([f"{path}: larger than {_MAX_KEYS_FILE} bytes"])
    try:
        keys = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadInput([f"{path}: not valid JSON: {error}"]) from None
    if not isinstance(keys, dict):
        raise BadInput(
            [f"{path}: must be an object of party ids to public keys (`z6Mk...`)"]
        )
    problems = [
        line
        for party, held in keys.items()
        for line in _key_problems(path, party, held)
    ]
    if problems:
        raise BadInput(problems)
    result: Keys = keys
    return result


def check_receipt_options(args: argparse.Namespace) -> None:
    """Refuse ``--receipts`` or ``--require-signed`` without ``--keys``.

    Raises:
        BadInput: Naming the option.
    """
    if args.keys is None and (args.receipts or args.require_signed):
        option = "--receipts" if args.receipts else "--require-signed"
        command = getattr(args, "receipts_for", "verify")
        raise BadInput([f"consentkit {command}: {option} needs --keys KEYS"])


def _key_problems(path: str, party: str, held: object) -> list[str]:
    """What is wrong with one party's entry of a keys file."""
    from consentkit._validate import party_problem  # noqa: PLC0415  # fast start-up

    signing = _signing()
    where = f"{path}: {json.dumps(party, ensure_ascii=False)}"
    problems: list[str] = []
    problem = party_problem(party)
    if problem:
        problems.append(f"{where}: not a party id: {problem}")
    members = [held] if isinstance(held, str) else held
    if not isinstance(members, list) or not members:
        problems.append(f"{where}: must be a public key or a non-empty list of them")
        return problems
    for index, text in enumerate(members):
        try:
            signing.PublicKey.from_multibase(text)
        except ConsentkitError as error:
            problems.append(f"{where}[{index}]: {error}")
    return problems


def read_receipt_inputs(args: argparse.Namespace) -> tuple[Keys, list[Any]] | None:
    """Read ``--keys`` and ``--receipts`` (None without ``--keys``).

    Raises:
        BadInput: Every problem of the keys file and of every receipt file.
    """
    check_receipt_options(args)
    if args.keys is None:
        return None
    _signing()
    readers: list[Any] = [lambda: _read_keys(args.keys)]
    readers += [lambda path=path: load(path, "receipt") for path in args.receipts]
    keys, *receipts = read_all(*readers)
    return keys, receipts  # type: ignore[return-value]  # what the readers return


def verify_receipts(
    args: argparse.Namespace,
    ledger: Ledger,
    inputs: tuple[Keys, list[Any]] | None,
    stored: tuple[Receipt, ...] = (),
) -> int:
    """Audit the receipts read (files, then the store's), print, give the exit code."""
    if inputs is None:
        if stored:
            out(
                f"{source_name(args)}: {len(stored)} receipts kept in the store "
                "(give --keys KEYS to check them)"
            )
        return EXIT_ALLOW
    keys, files = inputs
    receipts = [*files, *stored]
    names = [*args.receipts] + [
        f"{source_name(args)} receipts[{index}]" for index in range(len(stored))
    ]
    result = _signing().audit(ledger, receipts, keys)
    for party, seq in result.acknowledged.items():
        out(f"acknowledged: `{party}` up to entry {seq}")
    for seq in result.unsigned:
        by = ledger[seq].event.by
        out(f"unsigned: entry {seq} by `{by}`: no receipt of `{by}` at or after it")
    for index, problem, message in result.problems:
        out(f"{names[index]}: {problem.value}: {message}")
    failed = bool(result.problems) or (args.require_signed and bool(result.unsigned))
    return EXIT_DENY if failed else EXIT_ALLOW


# -- registering ------------------------------------------------------------------


def register(commands: Commands) -> None:
    """Add `keygen`, `key` and `sign`."""
    keygen = subparser(
        commands,
        "keygen",
        _keygen,
        "create a new Ed25519 secret key file for signing receipts",
        "Creates KEYFILE (never overwriting one) readable by its owner only, and\n"
        "prints the public key and its did:key; give these to whoever verifies.\n\n"
        "example:\n"
        "  consentkit keygen ~/.consentkit/ann.key",
    )
    keygen.add_argument("keyfile", metavar="KEYFILE", help="the file to create")

    key = subparser(
        commands,
        "key",
        _key,
        "print the public key of a secret key file",
        "Prints the public key and its did:key, never the secret.\n\n"
        "example:\n"
        "  consentkit key ~/.consentkit/ann.key",
    )
    key.add_argument("keyfile", metavar="KEYFILE", help="a secret key file")

    sign = subparser(
        commands,
        "sign",
        _sign,
        "sign a receipt: a party holds a ledger up to an entry",
        "Writes a `receipt` document (on stdout, or to OUT).  The key file must\n"
        "be readable by its owner only.  With --store and --add, the receipt is\n"
        "also kept in the store beside the ledger.\n\n"
        "examples:\n"
        "  consentkit sign ledger.json --party ann --key ann.key -o ann.receipt.json\n"
        "  consentkit sign --store consent.db --id scene-42 --party ann --key ann.key "
        "--add",
    )
    add_ledger_argument(sign)
    sign.add_argument("--party", required=True, metavar="P", help="the signer")
    sign.add_argument("--key", required=True, metavar="KEYFILE", help="its key file")
    sign.add_argument(
        "--seq",
        type=int,
        metavar="N",
        help="the entry acknowledged (default: the last)",
    )
    sign.add_argument(
        "--at",
        type=time_argument,
        metavar="TIME",
        help="when it is signed, RFC 3339 (default: now, to the second)",
    )
    sign.add_argument(
        "-o", "--output", metavar="OUT", help="write the receipt here, not to stdout"
    )
    sign.add_argument(
        "--add",
        action="store_true",
        help="with --store: keep the receipt in the store, beside the ledger",
    )
