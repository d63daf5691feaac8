"""Speed of the ledger store: durable appends, loads, and many writers.

Run: ``.venv/bin/python benchmarks/store.py [--appends N] [--skip-postgres]``.

- **SQLite, single-event appends, durable.**  `SQLiteStore.append` of one
  event at a time (WAL, ``synchronous=FULL``: one fsync per commit), against
  bare `sqlite3` inserts of the same rows -- the same bytes, the same table,
  the same pragmas, one ``BEGIN IMMEDIATE ... COMMIT`` each -- in alternating
  rounds, side by side in one run.  Target: consentkit at least 0.5 of bare.
- **SQLite, loading a 10,000-event ledger** (both scenarios of ``codec.py``:
  negotiation-heavy and long scenes): `load` re-verifies as `loads` does, so
  `loads` of the same ledger's document is timed beside it.  Target: under
  0.5 s.
- **PostgreSQL, 8 writer processes** appending one event per `update`: on 8
  different ledgers, then all on one shared ledger (with the number of
  `ConcurrentAppend` retries).  Appends per second, from the first writer's
  start to the last one's end.  Against ``CONSENTKIT_TEST_POSTGRES`` (default
  ``postgresql://postgres@127.0.0.1:5432/test``), in a schema of its own,
  dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import consentkit
from consentkit import Ledger
from consentkit.store import SQLiteStore, open_store

sys.path.insert(0, str(Path(__file__).parent))
from codec import build  # the scenario of the codec benchmark

T0 = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)
POSTGRES = os.environ.get(
    "CONSENTKIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
BARE_TABLE = (
    "CREATE TABLE consentkit_entries (ledger_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL, prev TEXT, digest TEXT NOT NULL, event TEXT NOT NULL,"
    " PRIMARY KEY (ledger_id, seq)) WITHOUT ROWID"
)
BARE_INSERT = (
    "INSERT INTO consentkit_entries (ledger_id, seq, prev, digest, event)"
    " VALUES (?, ?, ?, ?, ?)"
)


def filesystem(path: Path) -> str:
    """The filesystem type and device under `path`, as `df` reports them."""
    done = subprocess.run(  # noqa: S603  # df on our own folder
        ["df", "--output=fstype,source", str(path)],  # noqa: S607  # a report only
        capture_output=True,
        text=True,
        check=False,
    )
    return " ".join(done.stdout.split()[2:]) or "unknown"


def appends(folder: Path, total: int) -> None:
    """Durable single-event appends by consentkit, against bare sqlite3 inserts."""
    ledger = Ledger()
    chain = []
    for k in range(total):
        ledger = ledger.signal(by="client", cue=f"c{k}", at=T0)
        chain.append(ledger)
    rows = [
        (
            "s",
            entry.seq,
            entry.prev,
            entry.digest,
            consentkit.to_dict(entry.event),
        )
        for entry in ledger
    ]
    from consentkit._canonical import canonical  # noqa: PLC0415  # the same bytes

    rows = [(i, s, p, d, canonical(e).decode("utf-8")) for i, s, p, d, e in rows]

    store = SQLiteStore(folder / "consentkit.db")
    bare = sqlite3.connect(folder / "bare.db", isolation_level=None, timeout=5.0)
    bare.execute("PRAGMA journal_mode = WAL")
    bare.execute("PRAGMA synchronous = FULL")
    bare.execute(BARE_TABLE)

    ours = theirs = 0.0
    rounds = 10
    size = total // rounds
    for r in range(rounds):
        part = range(r * size, (r + 1) * size)
        start = time.perf_counter()
        for k in part:
            store.append("s", chain[k], chain[k - 1].head if k else None)
        ours += time.perf_counter() - start
        start = time.perf_counter()
        for k in part:
            bare.execute("BEGIN IMMEDIATE")
            bare.execute(BARE_INSERT, rows[k])
            bare.execute("COMMIT")
        theirs += time.perf_counter() - start
    n = size * rounds
    if store.load("s") != chain[n - 1]:
        raise SystemExit("the store did not read back what was appended")
    store.close()
    bare.close()
    ratio = theirs / ours
    print(
        f"SQLite durable single-event appends ({n:,} each, {folder}: {filesystem(folder)})"
    )
    print(f"  {'':<30} {'appends/s':>10} {'ms each':>8}")
    print(
        f"  {'consentkit SQLiteStore.append':<30} {n / ours:>10,.0f} {ours / n * 1e3:>8.2f}"
    )
    print(
        f"  {'bare sqlite3 insert':<30} {n / theirs:>10,.0f} {theirs / n * 1e3:>8.2f}"
    )
    verdict = "ok" if ratio >= 0.5 else "BELOW TARGET"
    print(f"  ratio consentkit / bare: {ratio:.2f} (target >= 0.5: {verdict})")
    print()


def loading(folder: Path) -> None:
    """Loading 10,000-event ledgers, beside `loads` of their documents."""
    runs = 5
    print(f"SQLite load of a 10,000-event ledger (best of {runs}), beside loads")
    print(f"  {'':<52} {'seconds':>8} {'events/s':>10}")
    for name, rounds in (("negotiation-heavy", 4), ("long scenes", 20)):
        ledger = build(10_000, rounds=rounds)
        text = consentkit.dumps(ledger)
        with SQLiteStore(folder / f"load-{rounds}.db") as store:
            store.append("big", ledger, None)
        best_load = best_loads = float("inf")
        for _ in range(runs):
            with SQLiteStore(folder / f"load-{rounds}.db") as store:
                start = time.perf_counter()
                loaded = store.load("big")
                best_load = min(best_load, time.perf_counter() - start)
            if loaded != ledger:
                raise SystemExit("the 10,000-event ledger did not read back equal")
            start = time.perf_counter()
            consentkit.loads(text, "ledger")
            best_loads = min(best_loads, time.perf_counter() - start)
        n = len(ledger)
        verdict = "ok" if best_load < 0.5 else "ABOVE TARGET"
        label = f"{name}, {n:,} events: store.load"
        print(
            f"  {label:<52} {best_load:>8.3f} {n / best_load:>10,.0f}  (< 0.5 s: {verdict})"
        )
        label = f"{name}, {n:,} events: consentkit.loads"
        print(f"  {label:<52} {best_loads:>8.3f} {n / best_loads:>10,.0f}")
    print()


def _writer(url: str, ledger_id: str, worker: int, count: int, queue: multiprocessing.Queue[str]) -> None:  # fmt: skip
    calls = 0
    with open_store(url) as store:
        start = time.time()
        for k in range(count):

            def add(ledger: Ledger, k: int = k) -> Ledger:
                nonlocal calls
                calls += 1
                return ledger.signal(by=f"w{worker}", cue=f"c{k}", at=T0)

            store.update(ledger_id, add, retries=100_000)
        end = time.time()
    queue.put(json.dumps({"start": start, "end": end, "retries": calls - count}))


def writers(url: str, *, shared: bool, workers: int, count: int) -> tuple[float, int]:
    """Appends per second of `workers` processes, and their retries."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = context.Queue()
    processes = [
        context.Process(
            target=_writer,
            args=(url, "shared" if shared else f"own-{w}", w, count, queue),
        )
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    results = [json.loads(queue.get(timeout=600)) for _ in processes]
    for process in processes:
        process.join()
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    return workers * count / seconds, sum(r["retries"] for r in results)


def postgres(workers: int, count: int) -> None:
    """8 writers on 8 ledgers, then on one, in a schema of their own."""
    import psycopg  # noqa: PLC0415  # the optional extra

    schema = f"ck_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        print(f"PostgreSQL: skipped, {POSTGRES} is unreachable: {error}")
        return
    admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in POSTGRES else "?"
    url = f"{POSTGRES}{joiner}options=-csearch_path%3D{schema}"
    try:
        open_store(url).close()
        own, own_retries = writers(url, shared=False, workers=workers, count=count)
        one, one_retries = writers(url, shared=True, workers=workers, count=count)
        with open_store(url) as store:
            if len(store.load("shared")) != workers * count:
                raise SystemExit("the shared ledger lost or doubled appends")
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()
    print(f"PostgreSQL: {workers} writer processes x {count} single-event updates")
    print(f"  {'':<30} {'appends/s':>10} {'retries':>8}")
    print(f"  {'8 different ledgers':<30} {own:>10,.0f} {own_retries:>8,}")
    print(f"  {'one shared ledger':<30} {one:>10,.0f} {one_retries:>8,}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=200, help="per PostgreSQL writer")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="consentkit-store-bench-"))
    try:
        appends(folder, args.appends)
        loading(folder)
    finally:
        shutil.rmtree(folder)
    if not args.skip_postgres:
        postgres(8, args.writes)


if __name__ == "__main__":
    main()
