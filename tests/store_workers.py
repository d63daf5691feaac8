"""Processes that write to a ledger store, for tests/test_store.py.

``python tests/store_workers.py concurrent URL ID WORKER COUNT`` appends COUNT
signals through `update` and prints ``{"calls": n}``: how many times its
function ran (the excess over COUNT is the `ConcurrentAppend`s it met).
``python tests/store_workers.py crash URL ID`` appends until killed, and
after each append keeps a receipt of `ann` for the new last entry, printing
``LENGTH HEAD`` once both have returned.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from consentkit import Ledger
from consentkit.signing import SigningKey, sign_receipt
from consentkit.store import open_store

T0 = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)


def concurrent(url: str, ledger_id: str, worker: int, count: int) -> None:
    """Append `count` signals, each once, retrying whenever beaten to it."""
    calls = 0
    with open_store(url) as store:
        for k in range(count):

            def add(ledger: Ledger, k: int = k) -> Ledger:
                nonlocal calls
                calls += 1
                return ledger.signal(by=f"w{worker}", cue=f"c{worker}_{k}", at=T0)

            store.update(ledger_id, add, retries=100_000)
    sys.stdout.write(json.dumps({"calls": calls}) + "\n")


def crash(url: str, ledger_id: str) -> None:
    """Append and keep a receipt forever, reporting each once both have returned."""
    key = SigningKey.from_seed(bytes(32))
    with open_store(url) as store:
        while True:
            ledger = store.update(
                ledger_id, lambda ledger: ledger.signal(by="ann", cue="red", at=T0)
            )
            store.add_receipt(
                ledger_id, sign_receipt(ledger, party="ann", key=key, at=T0)
            )
            sys.stdout.write(f"{len(ledger)} {ledger.head}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    mode, url, ledger_id, *rest = sys.argv[1:]
    if mode == "concurrent":
        concurrent(url, ledger_id, int(rest[0]), int(rest[1]))
    else:
        crash(url, ledger_id)
