"""Durable ledgers: an embedded SQLite store by default, PostgreSQL for many processes.

A store keeps ledgers under ids.  `load` re-verifies a ledger exactly as
`consentkit.loads` does; `append` writes new entries only if the stored head
is still the one the writer read (compare-and-swap), so that two devices
appending at once never fork a history; `update` is the loop around both
that an application wants::

    from consentkit.store import open_store

    with open_store("sqlite:///consent.db") as store:
        store.update("scene-42", lambda led: led.signal(by="ann", cue="red", at=now))

Receipts (`consentkit.Receipt`) are kept beside their ledger: `add_receipt`
refuses one that does not bind the stored ledger, `receipts` reads them back.

URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, a
plain path, ``sqlite://`` (in memory), or ``postgresql://user@host/db``
(with the extra ``consentkit[postgres]``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from consentkit._errors import ConcurrentAppend, StoreError, UnknownLedger
from consentkit.store._postgres import PostgresStore
from consentkit.store._postgres import redact as _redact_url
from consentkit.store._sql import SCHEMA_VERSION
from consentkit.store._sqlite import SQLiteStore

if TYPE_CHECKING:
    from consentkit._ledger import Ledger
    from consentkit._receipt import Receipt

__all__ = [
    "SCHEMA_VERSION",
    "ConcurrentAppend",
    "LedgerStore",
    "PostgresStore",
    "SQLiteStore",
    "StoreError",
    "UnknownLedger",
    "open_store",
    "redact",
]

_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


@runtime_checkable
class LedgerStore(Protocol):
    """What every ledger store does (`SQLiteStore`, `PostgresStore`)."""

    def load(self, ledger_id: str) -> Ledger:
        """Read a ledger, re-verifying it exactly as `consentkit.loads` does."""
        ...

    def append(self, ledger_id: str, ledger: Ledger, expected_head: str | None) -> None:
        """Store the entries after `expected_head`, if it is still the head."""
        ...

    def update(
        self, ledger_id: str, fn: Callable[[Ledger], Ledger], *, retries: int = 10
    ) -> Ledger:
        """Load, apply `fn`, append; retry on `ConcurrentAppend`."""
        ...

    def head(self, ledger_id: str) -> str | None:
        """The digest of the ledger's last entry; None when empty or unknown."""
        ...

    def exists(self, ledger_id: str) -> bool:
        """Whether the store holds a ledger of that id."""
        ...

    def ids(self) -> tuple[str, ...]:
        """Every ledger id the store holds, sorted."""
        ...

    def add_receipt(self, ledger_id: str, receipt: Receipt) -> None:
        """Keep `receipt` beside the ledger, if it binds it (no keys needed)."""
        ...

    def receipts(self, ledger_id: str) -> tuple[Receipt, ...]:
        """The receipts kept beside the ledger, in the order added."""
        ...

    def close(self) -> None:
        """Close the connection (or pool)."""
        ...

    def __enter__(self) -> LedgerStore: ...  # noqa: PYI034  # a protocol's own type

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def redact(url: str | os.PathLike[str]) -> str:
    """The store's URL or path as it may be shown: without a password."""
    text = os.fspath(url)
    return _redact_url(text) if _SCHEME.match(text) else text


def open_store(
    url: str | os.PathLike[str],
    *,
    pool: int | None = None,
    timeout: float = 5.0,
) -> LedgerStore:
    """Open the ledger store at `url`, creating its tables if they are missing.

    Args:
        url: ``sqlite:///PATH`` (relative; ``sqlite:////PATH`` absolute), a
            plain path, ``sqlite://`` for a store in memory, or
            ``postgresql://...`` (also ``postgres://``).
        pool: For PostgreSQL, keep a pool of up to this many connections.
        timeout: Seconds a writer waits for another (SQLite), or to connect
            (PostgreSQL).

    Returns:
        The store; close it, or use it as a context manager.

    Raises:
        StoreError: An unknown scheme, a missing directory, a database of
            another schema version, a server that cannot be reached.
    """
    text = os.fspath(url)
    if not isinstance(text, str):
        raise TypeError(f"url: must be text or a path, got `{type(url).__name__}`")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else None
    if scheme in {"postgresql", "postgres"}:
        return PostgresStore(text, pool=pool, timeout=timeout)
    if pool is not None:
        raise ValueError("pool: only a PostgreSQL store keeps a pool of connections")
    if scheme is None:
        if not text:
            raise StoreError("store URL is empty: give a path or a URL")
        return SQLiteStore(text, timeout=timeout)
    if scheme == "sqlite":
        rest = text[len("sqlite://") :]
        if rest in {"", "/:memory:"}:
            return SQLiteStore(":memory:", timeout=timeout)
        if not rest.startswith("/") or rest == "/":
            raise StoreError(
                f"`{text}`: a SQLite URL names a file: `sqlite:///relative.db` "
                "or `sqlite:////absolute.db`"
            )
        return SQLiteStore(rest[1:], timeout=timeout)
    raise StoreError(
        f"`{redact(text)}`: unknown scheme `{match.group(1) if match else ''}`; "
        "a store is `sqlite:///PATH`, a path, or `postgresql://...`"
    )
