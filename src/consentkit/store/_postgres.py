"""The shared store: PostgreSQL through psycopg 3 (the extra ``consentkit[postgres]``).

The tables are those of SQLite, created in the first schema of the
connection's ``search_path`` (choose one with ``?options=-csearch_path%3DNAME``
in the URL).  Writers never lock a table: an append's compare-and-swap
updates the ledger's head row, which PostgreSQL locks until the transaction
ends, so writers to one ledger take turns and writers to different ledgers
do not wait for each other.  Every read is one statement, so a ledger's head
and entries are read as of one moment.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from consentkit._errors import StoreError
from consentkit.store._sql import (
    RECEIPTS_TABLE,
    SCHEMA_VERSION,
    Duplicate,
    SQLStore,
    closed,
    upgrade,
)

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

__all__ = ["PostgresStore"]

_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS consentkit_version (version INTEGER NOT NULL)",
    (
        "CREATE TABLE IF NOT EXISTS consentkit_heads (ledger_id TEXT PRIMARY KEY,"
        " length BIGINT NOT NULL, head TEXT)"
    ),
    (
        "CREATE TABLE IF NOT EXISTS consentkit_entries (ledger_id TEXT NOT NULL,"
        " seq BIGINT NOT NULL, prev TEXT, digest TEXT NOT NULL, event TEXT NOT NULL,"
        " PRIMARY KEY (ledger_id, seq))"
    ),
    RECEIPTS_TABLE,
)
_PASSWORD_IN_USER: Final = re.compile(
    r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@:?#]*):[^@/?#]*@"
)
_PASSWORD_IN_QUERY: Final = re.compile(r"([?&]password=)[^&#]*")
#: One number for the advisory lock held while the tables are created.
_CREATING: Final = 0x636B_7374  # "ckst"


def _sql(statement: str) -> str:
    """The shared statements, written for SQLite, in psycopg's spelling."""
    return statement.replace(" IS ?", " IS NOT DISTINCT FROM ?").replace("?", "%s")


class _Tx:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(_sql(sql), params).rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._conn.execute(_sql(sql), params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(_sql(sql), params).fetchall()

    def insert(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        import psycopg  # noqa: PLC0415  # the optional extra

        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(_sql(sql), rows)
        except psycopg.errors.UniqueViolation:
            raise Duplicate from None


class PostgresStore(SQLStore):
    """A ledger store in a PostgreSQL database, for many processes and machines.

    Args:
        url: A libpq connection URL, ``postgresql://user@host:5432/db``.
        pool: With a number, keep a pool of up to that many connections
            (`psycopg_pool`), for an app that uses one store from many
            threads; without, one connection, used by one thread at a time.
        timeout: Seconds to wait for a connection.
    """

    def __init__(
        self, url: str, *, pool: int | None = None, timeout: float = 5.0
    ) -> None:
        super().__init__(f"`{redact(url)}`")
        try:
            import psycopg  # noqa: PLC0415  # the optional extra
        except ImportError:
            raise StoreError(
                f"{self.where}: a PostgreSQL store needs psycopg: "
                "`pip install 'consentkit[postgres]'`"
            ) from None
        self._error: type[Exception] = psycopg.Error
        self._url = url
        self._timeout = timeout
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._pool: psycopg_pool.ConnectionPool[Any] | None = None
        self._closed = False
        if pool is not None:
            if type(pool) is not int or pool < 1:
                raise ValueError(f"pool: must be a whole number >= 1, got {pool!r}")
            self._pool = self._open_pool(pool)
        try:
            self._prepare()
        except BaseException:
            self._close()
            raise

    def _open_pool(self, size: int) -> psycopg_pool.ConnectionPool[Any]:
        try:
            from psycopg_pool import ConnectionPool, PoolTimeout  # noqa: PLC0415
        except ImportError:
            raise StoreError(
                f"{self.where}: a pool needs psycopg_pool: "
                "`pip install 'consentkit[postgres]'`"
            ) from None
        pool: psycopg_pool.ConnectionPool[Any] = ConnectionPool(
            self._url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True},
            timeout=self._timeout,
            open=False,
        )
        try:
            pool.open(wait=True, timeout=self._timeout)
        except (PoolTimeout, self._error) as error:
            pool.close()
            raise StoreError(f"{self.where}: {_first_line(error)}") from None
        return pool

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg  # noqa: PLC0415  # the optional extra

        try:
            return psycopg.connect(
                self._url, autocommit=True, connect_timeout=max(1, round(self._timeout))
            )
        except psycopg.Error as error:
            raise StoreError(f"{self.where}: {_first_line(error)}") from None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        if self._closed:
            raise closed(self.where)
        if self._pool is not None:
            with self._pool.connection() as conn:
                yield conn
            return
        with self._lock:
            if self._conn is None or self._conn.broken or self._conn.closed:
                self._conn = self._connect()
            yield self._conn

    def _prepare(self) -> None:
        """Check the schema version; create the tables, or bring them up to date."""
        with self._transaction(write=True) as tx:
            if tx.one("SELECT to_regclass('consentkit_version')") == (None,):
                tx.one("SELECT pg_advisory_xact_lock(?)", (_CREATING,))
                for statement in _TABLES:
                    tx.execute(statement)
                if tx.one("SELECT count(*) FROM consentkit_version") == (0,):
                    tx.execute(
                        "INSERT INTO consentkit_version VALUES (?)", (SCHEMA_VERSION,)
                    )
            found = tx.all("SELECT version FROM consentkit_version")
            if found != [(SCHEMA_VERSION,)]:
                # One process upgrades at a time; the others find it done.
                tx.one("SELECT pg_advisory_xact_lock(?)", (_CREATING,))
                upgrade(tx, self.where)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[_Tx]:
        try:
            with self._connection() as conn:
                if not write:  # every read is one statement: one snapshot
                    yield _Tx(conn)
                    return
                with conn.transaction():
                    yield _Tx(conn)
        except StoreError:
            raise
        except self._error as error:
            raise StoreError(f"{self.where}: {_first_line(error)}") from None

    def _close(self) -> None:
        self._closed = True
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def redact(url: str) -> str:
    """The URL with its password, if any, written as ``***``."""
    url = _PASSWORD_IN_USER.sub(r"\1:***@", url, count=1)
    return _PASSWORD_IN_QUERY.sub(r"\1***", url)
