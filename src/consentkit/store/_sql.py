"""The store's engine, shared by SQLite and PostgreSQL.

Four tables, the same in both databases::

    consentkit_version  (version)                       one row: the schema version
    consentkit_heads    (ledger_id, length, head)       one row per ledger
    consentkit_entries  (ledger_id, seq, prev, digest,  one row per entry; the event
                         event)                         as its RFC 8785 JSON
    consentkit_receipts (ledger_id, n, receipt)         one row per receipt, in the
                                                        order added; the receipt as
                                                        its RFC 8785 JSON

Version 1 had no receipts table: opening a store of version 1 adds it and
moves the version to 2, in one transaction (`upgrade`).

An append is a compare-and-swap on the ledger's row in ``consentkit_heads``
(an ``UPDATE ... WHERE head IS expected``) and the entries' inserts, in one
transaction: of two writers who loaded the same head, one moves it and the
other changes no row and writes nothing.  Order is per ledger, never a lock
on a table.  A load reads the head and the entries in one snapshot and gives
them to the documents layer, which reads them exactly as `loads` reads a
ledger document: records strictly, the chain recomputed, every event replayed
through the ledger rules.  The head row then catches what a chain alone
cannot: entries cut off its end.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar

from consentkit import _validate as v
from consentkit._binding import check_binding
from consentkit._canonical import canonical_trusted, digest_bytes
from consentkit._documents import LedgerData, _parse, _read
from consentkit._errors import (
    ConcurrentAppend,
    DecodeError,
    LedgerError,
    SignatureError,
    StoreError,
    TamperedLedger,
    UnknownLedger,
)
from consentkit._ledger import Ledger
from consentkit._receipt import Receipt
from consentkit._serialize import decode, to_dict

__all__ = [
    "SCHEMA_VERSION",
    "Duplicate",
    "SQLStore",
    "Transaction",
    "check_id",
    "closed",
    "upgrade",
]

_S = TypeVar("_S", bound="SQLStore")

#: The version of the tables this consentkit reads and writes.
SCHEMA_VERSION: Final = 2
#: The versions it upgrades, when it opens one: version 1 had no receipts.
_UPGRADES: Final = frozenset({1})
#: The table that version 2 adds, in the spelling of both databases.
RECEIPTS_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS consentkit_receipts (ledger_id TEXT NOT NULL,"
    " n INTEGER NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (ledger_id, n))"
)
#: How many ledgers a store remembers for `SQLStore.update`.
_REMEMBERED: Final = 64

_HEAD: Final = "SELECT length, head FROM consentkit_heads WHERE ledger_id = ?"
_IDS: Final = "SELECT ledger_id FROM consentkit_heads ORDER BY ledger_id"
#: A ledger's head row and its entries from a position on, in one statement
#: (so in one snapshot, whatever the isolation level); no row: no ledger.
_LEDGER: Final = (
    "SELECT h.length, h.head, e.seq, e.prev, e.digest, e.event"
    " FROM consentkit_heads h LEFT JOIN consentkit_entries e"
    " ON e.ledger_id = h.ledger_id AND e.seq >= ?"
    " WHERE h.ledger_id = ? ORDER BY e.seq"
)
_SWAP: Final = (
    "UPDATE consentkit_heads SET length = ?, head = ? WHERE ledger_id = ? AND head IS ?"
)
_CREATE: Final = (
    "INSERT INTO consentkit_heads (ledger_id, length, head) VALUES (?, ?, ?)"
    " ON CONFLICT (ledger_id) DO NOTHING"
)
_INSERT: Final = (
    "INSERT INTO consentkit_entries (ledger_id, seq, prev, digest, event)"
    " VALUES (?, ?, ?, ?, ?)"
)
#: Takes the ledger's head row for the transaction (PostgreSQL locks it until
#: the end; SQLite holds the write lock already): writers of receipts to one
#: ledger take turns.  No row changed: no ledger.
_TAKE_HEAD: Final = "UPDATE consentkit_heads SET length = length WHERE ledger_id = ?"
_DIGEST_AT: Final = (
    "SELECT digest FROM consentkit_entries WHERE ledger_id = ? AND seq = ?"
)
_SAME_RECEIPT: Final = (
    "SELECT count(*) FROM consentkit_receipts WHERE ledger_id = ? AND receipt = ?"
)
_COUNT_RECEIPTS: Final = "SELECT count(*) FROM consentkit_receipts WHERE ledger_id = ?"
_ADD_RECEIPT: Final = (
    "INSERT INTO consentkit_receipts (ledger_id, n, receipt) VALUES (?, ?, ?)"
)
#: A ledger's head row and its receipts in the order added; no row: no ledger.
_RECEIPTS: Final = (
    "SELECT h.ledger_id, r.n, r.receipt FROM consentkit_heads h"
    " LEFT JOIN consentkit_receipts r ON r.ledger_id = h.ledger_id"
    " WHERE h.ledger_id = ? ORDER BY r.n"
)
_encode_string: Final = json.encoder.encode_basestring_ascii


class Duplicate(Exception):  # a signal between the layers, not an error
    """A backend found an entry already stored where an append would put one."""


class Transaction(Protocol):
    """What a backend hands the shared code inside one transaction."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a query; return its first row, or None."""

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; return every row."""

    def insert(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows; raise `Duplicate` when a key is taken."""


def check_id(ledger_id: object) -> str:
    """Return `ledger_id` if it is a valid ledger id.

    Raises:
        TypeError: It is not a string.
        ValueError: It breaks a rule of ids (empty, too long, control
            characters, surrounding whitespace).
    """
    if not isinstance(ledger_id, str):
        raise TypeError(f"ledger_id: must be a string, got {v.show(ledger_id)}")
    problem = v._check_id(ledger_id)  # noqa: SLF001  # the rule of every id
    if problem is not None:
        raise ValueError(f"ledger_id: {problem}")
    return ledger_id


def upgrade(tx: Transaction, where: str) -> None:
    """Check the schema version; bring a store of an older version up to date.

    A store of version 1 gets the receipts table and version 2, inside the
    caller's transaction: either both happen or neither.  Any other version
    is refused and left as it is.

    Raises:
        StoreError: Naming the version found.
    """
    found = tx.all("SELECT version FROM consentkit_version")
    if found == [(SCHEMA_VERSION,)]:
        return
    if len(found) == 1 and found[0][0] in _UPGRADES:
        tx.execute(RECEIPTS_TABLE)
        tx.execute("UPDATE consentkit_version SET version = ?", (SCHEMA_VERSION,))
        return
    shown = ", ".join(f"`{row[0]!r}`" for row in found) or "none"
    raise StoreError(
        f"{where}: store schema version {shown}; this consentkit reads version "
        f"{SCHEMA_VERSION} and upgrades version 1"
    )


def _json_text(value: Any) -> str:
    """A column's value as JSON: strings quoted, anything else as it comes."""
    if isinstance(value, str):
        return _encode_string(value)
    if value is None or isinstance(value, int | float):
        return json.dumps(value)
    return '"?"'  # bytes, say: the reader names the field


def _entry_text(row: Sequence[Any]) -> str:
    seq, prev, digest, event = row
    if not isinstance(event, str):
        event = "null"
    return (
        f'{{"seq":{_json_text(seq)},"event":{event},'
        f'"prev":{_json_text(prev)},"digest":{_json_text(digest)}}}'
    )


def _document(rows: Sequence[Sequence[Any]]) -> Any:
    """The rows as the ``data`` of a ledger document, parsed as `loads` parses.

    One parse for the whole ledger; when it fails, the rows are parsed one
    by one to name the entry whose event is not JSON.
    """
    text = '{"entries":[' + ",".join(map(_entry_text, rows)) + "]}"
    try:
        data = _parse(text, 4 * len(text))  # no size limit: the store's own rows
    except DecodeError:
        _name_the_row(rows)
        raise
    if len(data["entries"]) != len(rows):  # a row's text held more than one value
        _name_the_row(rows)
    return data


def _name_the_row(rows: Sequence[Sequence[Any]]) -> None:
    """Parse the rows one by one, to name the first that is not one JSON entry.

    Raises:
        DecodeError: At that row's entry.
    """
    for index, row in enumerate(rows):
        entry = _entry_text(row).encode("utf-8", "surrogatepass")
        try:
            _parse(entry, len(entry))
        except DecodeError as error:
            raise DecodeError(
                [(f"entries[{index}]", m) for _, m in error.problems]
            ) from None


def _entries(found: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The entry rows of `_LEDGER`'s answer: none when only the head row came."""
    if len(found) == 1 and found[0][2] is None:
        return []
    return [row[2:] for row in found]


def _check_head(ledger: Ledger, length: Any, head: Any) -> None:
    """Hold the chain read to the head row, which catches a cut-off tail.

    Raises:
        TamperedLedger: Naming the first entry missing, extra or unlike the head.
    """
    n = len(ledger)
    if isinstance(length, bool) or not isinstance(length, int):
        raise TamperedLedger(
            n, f"the store's head row counts {v.show(length)} entries", path="head"
        )
    if n < length:
        raise TamperedLedger(
            n,
            f"is missing: the store's head counts {length} entries, {n} are stored",
            path=f"entries[{n}]",
        )
    if n > length:
        raise TamperedLedger(
            length,
            f"lies beyond the store's head, which counts {length} entries",
            path=f"entries[{length}]",
        )
    if ledger.head != head:
        last = max(n - 1, 0)
        found = "no entry" if ledger.head is None else f"`{ledger.head}`"
        raise TamperedLedger(
            last,
            f"the store's head is {v.show(head)}, the chain ends at {found}",
            path=f"entries[{last}]",
        )


def _start(ledger: Ledger, expected_head: str | None) -> int:
    """The position of the first entry of `ledger` after `expected_head`.

    Raises:
        ValueError: No entry of `ledger` has that digest.
    """
    if expected_head is None:
        return 0
    if not isinstance(expected_head, str):
        raise TypeError(
            f"expected_head: must be a digest or None, got {v.show(expected_head)}"
        )
    for index in range(len(ledger) - 1, -1, -1):
        if ledger[index].digest == expected_head:
            return index + 1
    raise ValueError(
        f"expected_head: `{expected_head}` is not an entry of the ledger given; "
        "append a ledger that extends the stored one"
    )


def _link(prev: str | None, event: bytes) -> str:
    """An entry's digest from the previous one and its event's canonical JSON."""
    prev_json = b"null" if prev is None else _encode_string(prev).encode("ascii")
    return digest_bytes(b'{"event":' + event + b',"prev":' + prev_json + b"}")


def _rows(ledger_id: str, ledger: Ledger, start: int) -> list[tuple[Any, ...]]:
    """The rows of the entries from `start` on, each checked against the chain.

    The event's canonical JSON is made once: it is both what is stored and
    what the entry's digest is recomputed from.

    Raises:
        TamperedLedger: An entry's position, link or digest does not hold (a
            ledger unpickled from an untrusted source, say).
    """
    prev = ledger[start - 1].digest if start else None
    rows: list[tuple[Any, ...]] = []
    for seq in range(start, len(ledger)):
        entry = ledger[seq]
        event = canonical_trusted(to_dict(entry.event))
        digest = _link(prev, event)
        if entry.seq != seq or entry.prev != prev or entry.digest != digest:
            raise TamperedLedger(seq, "does not hold its place in the chain")
        rows.append((ledger_id, seq, prev, digest, event.decode("utf-8")))
        prev = digest
    return rows


class _Stale(Exception):  # a signal inside this module
    """The ledger remembered cannot be brought up to date from the new rows."""


class SQLStore:
    """The operations of a ledger store over SQL, whatever the database.

    A backend provides `_transaction` and `_close`; everything else is here.
    """

    #: The URL or path the store was opened with (no password), for messages.
    where: str

    def __init__(self, where: str) -> None:
        self.where = where
        self._seen: OrderedDict[str, Ledger] = OrderedDict()
        self._seen_lock = threading.Lock()
        self._jitter = random.Random()  # noqa: S311  # spreads retries, no secret

    # -- for the backends --------------------------------------------------

    def _transaction(self, *, write: bool) -> AbstractContextManager[Transaction]:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    # -- reading -----------------------------------------------------------

    def head(self, ledger_id: str) -> str | None:
        """The digest of the ledger's last entry; None when empty or unknown."""
        check_id(ledger_id)
        with self._transaction(write=False) as tx:
            row = tx.one(_HEAD, (ledger_id,))
        return None if row is None else row[1]

    def exists(self, ledger_id: str) -> bool:
        """Whether the store holds a ledger of that id (an empty one counts)."""
        check_id(ledger_id)
        with self._transaction(write=False) as tx:
            return tx.one(_HEAD, (ledger_id,)) is not None

    def ids(self) -> tuple[str, ...]:
        """Every ledger id the store holds, sorted."""
        with self._transaction(write=False) as tx:
            return tuple(row[0] for row in tx.all(_IDS))

    def load(self, ledger_id: str) -> Ledger:
        """Read a ledger, re-verifying it exactly as `consentkit.loads` does.

        Every record is read strictly, the hash chain is recomputed and every
        event replayed through the ledger rules; then the chain is held to
        the store's head, so that entries cut off its end are caught too.

        Raises:
            UnknownLedger: The store holds no ledger of that id.
            TamperedLedger: A row was edited, reordered, removed or added
                (``path`` names the entry, ``entries[3]``).
            DecodeError: A row does not hold a valid entry, or an event breaks
                a ledger rule (named with the entry).
            StoreError: The database cannot be read.
        """
        check_id(ledger_id)
        with self._transaction(write=False) as tx:
            found = tx.all(_LEDGER, (0, ledger_id))
        if not found:
            raise UnknownLedger(ledger_id)
        ledger: Ledger = _read(Ledger, _document(_entries(found)), "", parsed=True)
        _check_head(ledger, *found[0][:2])
        self._remember(ledger_id, ledger)
        return ledger

    # -- writing -----------------------------------------------------------

    def append(self, ledger_id: str, ledger: Ledger, expected_head: str | None) -> None:
        """Store the entries of `ledger` after `expected_head`, if it is still the head.

        A compare-and-swap: in one transaction, and only when the stored
        head is still `expected_head` (None for a new or empty ledger), the
        entries beyond it are written and the head moved to ``ledger.head``.
        Otherwise nothing is written.  The new entries are checked against
        the chain first; nothing already stored ever changes.

        Raises:
            ConcurrentAppend: The stored head is no longer `expected_head`
                (``error.head`` is the current one).
            ValueError: `expected_head` is not an entry of `ledger`, or the
                id is not valid.
            TypeError: `ledger` is not a `Ledger`.
            TamperedLedger: An entry of `ledger`, or the store's own head row,
                does not hold.
            StoreError: The database cannot be written.
        """
        check_id(ledger_id)
        if not isinstance(ledger, Ledger):
            raise TypeError(f"ledger: must be a Ledger, got {v.show(ledger)}")
        start = _start(ledger, expected_head)
        rows = _rows(ledger_id, ledger, start)
        with self._transaction(write=True) as tx:
            moved = tx.execute(
                _SWAP, (len(ledger), ledger.head, ledger_id, expected_head)
            )
            if not moved and expected_head is None:
                moved = tx.execute(_CREATE, (ledger_id, len(ledger), ledger.head))
            if not moved:
                current = tx.one(_HEAD, (ledger_id,))
                raise ConcurrentAppend(
                    ledger_id, expected_head, None if current is None else current[1]
                )
            try:
                tx.insert(_INSERT, rows)
            except Duplicate:
                raise TamperedLedger(
                    start,
                    "is stored already, beyond the store's head: "
                    "the store's entries and head disagree",
                    path=f"entries[{start}]",
                ) from None
        self._remember(ledger_id, ledger)

    # -- receipts ------------------------------------------------------------

    def add_receipt(self, ledger_id: str, receipt: Receipt) -> None:
        """Keep `receipt` beside the stored ledger it acknowledges.

        The receipt must bind the stored ledger: the ledger holds the entry it
        acknowledges, with the digest it names (`check_binding`; no keys are
        needed and its signature is not verified, that is
        `consentkit.signing`'s).  A receipt already kept is not kept twice.

        Raises:
            UnknownLedger: The store holds no ledger of that id.
            SignatureError: The receipt does not bind the stored ledger
                (``problem`` is `BEYOND_END` or `OTHER_HEAD`; the message
                names the party and the entry); nothing is written.
            TypeError: `receipt` is not a `Receipt`.
            TamperedLedger: The stored ledger does not hold.
            StoreError: The database cannot be written.
        """
        check_id(ledger_id)
        if not isinstance(receipt, Receipt):
            raise TypeError(f"receipt: must be a Receipt, got {v.show(receipt)}")
        ledger = self._current(ledger_id, missing_ok=False)
        try:
            check_binding(receipt, ledger)
        except SignatureError as error:
            raise SignatureError(
                f"ledger `{ledger_id}`: {error}", error.problem
            ) from None
        text = canonical_trusted(to_dict(receipt)).decode("utf-8")
        with self._transaction(write=True) as tx:
            if not tx.execute(_TAKE_HEAD, (ledger_id,)):
                raise UnknownLedger(ledger_id)
            # Entries never change; this catches a store edited meanwhile.
            if tx.one(_DIGEST_AT, (ledger_id, receipt.seq)) != (receipt.head,):
                raise TamperedLedger(
                    receipt.seq,
                    "changed in the store while a receipt for it was added",
                    path=f"entries[{receipt.seq}]",
                )
            if tx.one(_SAME_RECEIPT, (ledger_id, text)) != (0,):
                return
            (count,) = tx.one(_COUNT_RECEIPTS, (ledger_id,)) or (0,)
            try:
                tx.insert(_ADD_RECEIPT, [(ledger_id, count, text)])
            except Duplicate:
                raise StoreError(
                    f"{self.where}: receipt {count} of ledger `{ledger_id}` is "
                    "stored already: the store's receipts were edited"
                ) from None

    def receipts(self, ledger_id: str) -> tuple[Receipt, ...]:
        """The receipts kept beside a ledger, in the order they were added.

        Each is read strictly, as `consentkit.loads` reads a `receipt`; their
        signatures are not verified (`consentkit.signing.audit` does that).

        Raises:
            UnknownLedger: The store holds no ledger of that id.
            DecodeError: A row does not hold a valid receipt (``receipts[2]``).
            StoreError: The database cannot be read.
        """
        check_id(ledger_id)
        with self._transaction(write=False) as tx:
            found = tx.all(_RECEIPTS, (ledger_id,))
        if not found:
            raise UnknownLedger(ledger_id)
        kept: list[Receipt] = []
        for index, (_, n, text) in enumerate(
            row for row in found if row[1] is not None
        ):
            path = f"receipts[{index}]"
            if n != index or not isinstance(text, str):
                raise DecodeError(
                    [(path, f"row {v.show(n)} is not the receipt stored there")]
                )
            try:
                data = _parse(text, 4 * len(text))
            except DecodeError as error:
                raise DecodeError(
                    [(path, message) for _, message in error.problems]
                ) from None
            kept.append(decode(Receipt, data, path))
        return tuple(kept)

    def update(
        self, ledger_id: str, fn: Callable[[Ledger], Ledger], *, retries: int = 10
    ) -> Ledger:
        """Load a ledger, apply `fn`, append what it added; retry when beaten to it.

        The loop every writer needs: `fn` gets the current ledger (an empty
        one for a new id) and returns it with events appended; when another
        writer appended first, the ledger is read again, `fn` called again on
        it, after a short random pause that grows with each try.  `fn` may
        therefore run several times: it should only append events.

        The first update of an id reads the whole ledger as `load` does.
        The store then remembers it: each later update still reads and hashes
        every stored entry against the chain, but reads as records and
        replays through the ledger rules only the entries written since (a
        retry reads only those).

        Args:
            ledger_id: The ledger to change.
            fn: Returns the ledger it was given with events appended.
            retries: How many times to try again after `ConcurrentAppend`.

        Returns:
            The ledger as stored.

        Raises:
            ConcurrentAppend: Still beaten after `retries` retries.
        """
        check_id(ledger_id)
        if type(retries) is not int or retries < 0:
            raise ValueError(f"retries: must be a whole number >= 0, got {retries!r}")
        ledger = self._current(ledger_id)
        attempt = 0
        while True:
            changed = fn(ledger)
            if not isinstance(changed, Ledger):
                raise TypeError(f"fn: must return a Ledger, got {v.show(changed)}")
            try:
                self.append(ledger_id, changed, ledger.head)
            except ConcurrentAppend:
                if attempt >= retries:
                    raise
                time.sleep(self._jitter.uniform(0, min(0.2, 0.01 * 2**attempt)))
                attempt += 1
                ledger = self._current(ledger_id, rehash=False)
            else:
                return changed

    # -- remembering ledgers for update ------------------------------------

    def _remember(self, ledger_id: str, ledger: Ledger) -> None:
        with self._seen_lock:
            seen = self._seen
            seen[ledger_id] = ledger
            seen.move_to_end(ledger_id)
            while len(seen) > _REMEMBERED:
                seen.popitem(last=False)

    def _current(
        self, ledger_id: str, *, rehash: bool = True, missing_ok: bool = True
    ) -> Ledger:
        """The ledger as stored now: the one remembered, brought up to date.

        An unknown id is an empty ledger, or with `missing_ok` false
        `UnknownLedger`.
        """
        with self._seen_lock:
            seen = self._seen.get(ledger_id)
        if seen is not None:
            try:
                return self._since(ledger_id, seen, rehash=rehash)
            except _Stale:
                pass
        try:
            return self.load(ledger_id)
        except UnknownLedger:
            if not missing_ok:
                raise
            return Ledger()

    def _since(self, ledger_id: str, seen: Ledger, *, rehash: bool) -> Ledger:
        """`seen` brought up to date, or `_Stale` when the store disagrees with it.

        Every stored entry is still read and hashed: the ones `seen` holds
        must be byte for byte what was verified before (a full `load` decides
        otherwise); only the entries written since are read as records and
        replayed through the ledger rules.
        """
        # On a retry, the entries `seen` holds were hashed a moment ago: only
        # its last one comes again, to be sure the new ones follow it.
        skip = 0 if rehash else max(len(seen) - 1, 0)
        with self._transaction(write=False) as tx:
            found = tx.all(_LEDGER, (skip, ledger_id))
        if not found:
            raise _Stale
        row = found[0][:2]
        rows = _entries(found)
        if len(rows) + skip < len(seen):
            raise _Stale
        for index, (entry, (seq, prev, digest, event)) in enumerate(
            zip(seen[skip:], rows, strict=False), start=skip
        ):
            if (
                seq != index
                or prev != entry.prev
                or digest != entry.digest
                or not isinstance(event, str)
                or _link(prev, event.encode("utf-8", "surrogatepass")) != digest
            ):
                raise _Stale
        ledger = seen
        try:
            fresh = decode(LedgerData, _document(rows[len(seen) - skip :]), "").entries
            for entry in fresh:
                if entry.seq != len(ledger) or entry.prev != ledger.head:
                    raise _Stale
                ledger = ledger.append(entry.event)
                if ledger.head != entry.digest:
                    raise _Stale
            _check_head(ledger, *row)
        except (DecodeError, LedgerError, TamperedLedger):
            raise _Stale from None
        self._remember(ledger_id, ledger)
        return ledger

    # -- the store's life ----------------------------------------------------

    def close(self) -> None:
        """Close the connection (or pool); closing twice does nothing."""
        with self._seen_lock:
            self._seen.clear()
        self._close()

    def __enter__(self: _S) -> _S:  # noqa: PYI019  # 3.10 has no typing.Self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def closed(where: str) -> StoreError:
    """The error for a store used after `close`."""
    return StoreError(f"{where}: the store is closed")
