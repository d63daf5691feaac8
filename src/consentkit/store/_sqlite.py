"""The embedded store: one SQLite file, through the standard library's `sqlite3`.

Durability comes from SQLite itself: the database is in WAL mode with
``synchronous=FULL``, so a transaction that returned is on disk, and one cut
short by a crash is rolled back when the file is next opened.  Writers take
the write lock up front (``BEGIN IMMEDIATE``), wait for it up to a busy
timeout, and try a few more times, with a pause, before giving up.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from consentkit._errors import StoreError
from consentkit.store._sql import (
    RECEIPTS_TABLE,
    SCHEMA_VERSION,
    Duplicate,
    SQLStore,
    closed,
    upgrade,
)

__all__ = ["SQLiteStore"]

_TABLES: Final = (
    "CREATE TABLE consentkit_version (version INTEGER NOT NULL)",
    (
        "CREATE TABLE consentkit_heads (ledger_id TEXT PRIMARY KEY,"
        " length INTEGER NOT NULL, head TEXT)"
    ),
    (
        "CREATE TABLE consentkit_entries (ledger_id TEXT NOT NULL,"
        " seq INTEGER NOT NULL, prev TEXT, digest TEXT NOT NULL, event TEXT NOT NULL,"
        " PRIMARY KEY (ledger_id, seq)) WITHOUT ROWID"
    ),
    RECEIPTS_TABLE,
)
_OURS: Final = (
    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    " AND name = 'consentkit_version'"
)


class _Tx:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._cursor.execute(sql, params).rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._cursor.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._cursor.execute(sql, params).fetchall()

    def insert(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._cursor.executemany(sql, rows)
        except sqlite3.IntegrityError:
            raise Duplicate from None


class SQLiteStore(SQLStore):
    """A ledger store in one SQLite file (created when missing, with its tables).

    Open one with `consentkit.open_store` (``sqlite:///PATH`` or a path), or
    directly.  A store may be shared by the threads of a process; each process
    opens its own.

    Args:
        path: The database file; its directory must exist.  ``":memory:"``
            keeps the store in memory, for tests.
        timeout: How long a writer waits for another to finish, in seconds.
        retries: How many more times a writer tries when the wait runs out.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 5.0, retries: int = 5
    ) -> None:
        name = os.fspath(path)
        super().__init__(f"`{name}`")
        self.path = name
        self._retries = retries
        self._lock = threading.RLock()
        self._jitter = random.Random()  # noqa: S311  # spreads retries, no secret
        if name != ":memory:":
            file = Path(name)
            if not file.parent.is_dir():
                raise StoreError(f"{self.where}: no such directory `{file.parent}`")
            if file.is_dir():
                raise StoreError(f"{self.where}: is a directory, not a database file")
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                name, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(f"{self.where}: {error}") from None
        try:
            self._prepare()
        except BaseException:
            self._close()
            raise

    def _prepare(self) -> None:
        """Check the schema version; create the tables, or bring them up to date."""
        with self._transaction(write=False) as tx:
            ours = (tx.one(_OURS) or (0,))[0]
            found = tx.all("SELECT version FROM consentkit_version") if ours else []
        if ours and found != [(SCHEMA_VERSION,)]:
            with self._transaction(write=True) as tx:  # refuses, or upgrades
                upgrade(tx, self.where)
        conn = self._connection()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as error:
            raise StoreError(f"{self.where}: {error}") from None
        if ours:
            return
        with self._transaction(write=True) as tx:
            if (tx.one(_OURS) or (0,))[0]:  # another process created them first
                upgrade(tx, self.where)
                return
            for statement in _TABLES:
                tx.execute(statement)
            tx.execute("INSERT INTO consentkit_version VALUES (?)", (SCHEMA_VERSION,))

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise closed(self.where)
        return self._conn

    def _begin(self, conn: sqlite3.Connection, *, write: bool) -> None:
        """Start a transaction; a writer takes the write lock now, or retries."""
        if not write:
            conn.execute("BEGIN")
            return
        attempt = 0
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                busy = "locked" in str(error) or "busy" in str(error)
                if not busy or attempt >= self._retries:
                    tries = f" after {attempt} retries" if busy else ""
                    raise StoreError(f"{self.where}: {error}{tries}") from None
                time.sleep(self._jitter.uniform(0.01, 0.05 * 2**attempt))
                attempt += 1
            else:
                return

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_Tx]:
        with self._lock:
            conn = self._connection()
            try:
                self._begin(conn, write=write)
                try:
                    yield _Tx(conn.cursor())
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"{self.where}: {_reason(error)}") from None

    def _close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _reason(error: sqlite3.Error) -> str:
    text = str(error)
    if text == "file is not a database":
        return "not a SQLite database"
    return text
