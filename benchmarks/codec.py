"""Speed of the wire format: `dumps` and `loads` of a 10,000-event ledger.

``loads`` does everything a receiver must: parse, read every record
strictly, recompute the hash chain and replay each event through the ledger
rules.  Run with ``python benchmarks/codec.py [EVENTS]``; target: at least
20,000 events per second each way, the last line says whether ``loads`` of
the negotiation-heavy ledger meets it.  The phases of ``loads`` are timed as
``loads`` runs them: the cycle collector paused, and the chain hashed from
the events as parsed where they are in written form.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import consentkit
from consentkit import (
    Aftercare,
    CheckInWithin,
    ConfirmFirst,
    Grant,
    Ledger,
    Limit,
    LimitKind,
    MaxDuration,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Terms,
    Window,
)
from consentkit._documents import MAX_SIZE, LedgerData, _parse
from consentkit._pickling import collector_paused
from consentkit._serialize import converter

#: Events per second each way, at least.
TARGET = 20_000
DOMME = "mistress_vale"
CLIENT = "client_k"
T0 = datetime(2026, 1, 5, 19, 0, tzinfo=timezone.utc)

PROTOCOL = Protocol(
    signals=(
        Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP),
        Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW),
        Signal(cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME),
        Signal(
            cue="drop_keys",
            kind=SignalKind.NONVERBAL,
            meaning=SignalMeaning.STOP,
            needs=frozenset({"free_hand"}),
        ),
    ),
    check_in_minutes=15,
    equipment=frozenset({"safety_shears", "first_aid_kit"}),
    aftercare=(Aftercare(minutes=30, notes=("water", "blanket")),),
    expectations=("address her as Mistress",),
)


def _terms(start: datetime, *, cap: int) -> Terms:
    grants = [
        Grant(
            id="k-spank",
            party=CLIENT,
            role=Role.RECEIVE,
            activity="impact.spanking",
            include_subtypes=True,
            max_intensity=cap,
            conditions=(CheckInWithin(minutes=15),),
        ),
        Grant(id="v-spank", party=DOMME, role=Role.GIVE, activity="impact.spanking"),
        Grant(
            id="k-rope",
            party=CLIENT,
            role=Role.RECEIVE,
            activity="restraint.rope",
            conditions=(MaxDuration(minutes=45), ConfirmFirst(within_minutes=10)),
        ),
        Grant(id="v-rope", party=DOMME, role=Role.GIVE, activity="restraint.rope"),
        Grant(
            id="k-verbal",
            party=CLIENT,
            role=Role.RECEIVE,
            activity="verbal",
            include_subtypes=True,
        ),
        Grant(id="v-verbal", party=DOMME, role=Role.GIVE, activity="verbal"),
    ]
    return Terms(
        parties=frozenset({DOMME, CLIENT}),
        window=Window(start=start, end=start + timedelta(hours=3)),
        grants=tuple(grants),
        limits=(
            Limit(party=CLIENT, kind=LimitKind.HARD, tag="breaks_skin"),
            Limit(party=CLIENT, kind=LimitKind.SOFT, activity="impact.caning"),
        ),
        protocol=PROTOCOL,
    )


def session(ledger: Ledger, index: int, *, rounds: int = 4) -> Ledger:
    """Append one negotiation and scene: 12 events and a SLOW and RESUME per round."""
    start = T0 + timedelta(days=index)
    at = start - timedelta(hours=2)

    def tick() -> datetime:
        nonlocal at
        at += timedelta(minutes=3)
        return at

    first, second = f"s{index}-a", f"s{index}-b"
    ledger = ledger.propose(
        by=DOMME, terms=_terms(start, cap=6), at=tick(), proposal_id=first
    )
    ledger = ledger.propose(
        by=CLIENT,
        terms=_terms(start, cap=5),
        at=tick(),
        proposal_id=second,
        supersedes=first,
    )
    ledger = ledger.accept(by=CLIENT, proposal_id=second, at=tick())
    ledger = ledger.accept(by=DOMME, proposal_id=second, at=tick())
    ledger = ledger.declare_limit(
        by=CLIENT,
        limit=Limit(
            party=CLIENT, kind=LimitKind.SOFT, activity="restraint.rope.suspension"
        ),
        at=tick(),
    )
    at = start
    ledger = ledger.confirm(by=CLIENT, activity="restraint.rope", at=tick())
    for _ in range(rounds):
        ledger = ledger.signal(by=CLIENT, cue="yellow", intensity=4, at=tick())
        ledger = ledger.signal(by=CLIENT, cue="green", at=tick())
    ledger = ledger.confirm(by=CLIENT, activity="impact.caning", at=tick())
    ledger = ledger.revoke(by=CLIENT, grants=("k-rope",), proposal_id=second, at=tick())
    ledger = ledger.declare_impaired(by=DOMME, party=CLIENT, at=tick())
    ledger = ledger.clear_impaired(by=DOMME, party=CLIENT, at=tick())
    ledger = ledger.lift_limit(
        by=CLIENT, kind=LimitKind.SOFT, activity="restraint.rope.suspension", at=tick()
    )
    ledger = ledger.signal(by=DOMME, cue="red", at=tick())
    return ledger.revoke(by=CLIENT, activities=("verbal.degradation",), at=tick())


def build(events: int, *, rounds: int = 4) -> Ledger:
    """A ledger of at least `events` events, in sessions of ``12 + 2 * rounds``."""
    ledger = Ledger()
    index = 0
    while len(ledger) < events:
        ledger = session(ledger, index, rounds=rounds)
        index += 1
    return ledger


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings of `work`, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def paused(work: Callable[[], object]) -> Callable[[], object]:
    """`work` with the cycle collector paused, as `loads` runs."""

    def run() -> object:
        with collector_paused():
            return work()

    return run


def measure(title: str, ledger: Ledger, runs: int) -> float:
    """Print the table for one ledger: each way, then `loads` phase by phase.

    Returns:
        `loads` in events per second.
    """
    text = consentkit.dumps(ledger)
    if consentkit.loads(text, "ledger") != ledger:
        raise SystemExit("the ledger did not read back equal")
    size = len(text.encode("utf-8"))
    n = len(ledger)
    write = best_of(runs, lambda: consentkit.dumps(ledger))
    read = best_of(runs, lambda: consentkit.loads(text, "ledger"))
    document = _parse(text, MAX_SIZE)
    wire = converter.structure(document["data"], LedgerData)
    written = [entry["event"] for entry in document["data"]["entries"]]
    replay = Ledger._from_entries  # noqa: SLF001  # the phase of loads it measures
    phases = (
        ("parse and limits", best_of(runs, paused(lambda: _parse(text, MAX_SIZE)))),
        (
            "read records",
            best_of(
                runs,
                paused(lambda: converter.structure(document["data"], LedgerData)),
            ),
        ),
        (
            "chain and rules",
            best_of(runs, paused(lambda: replay(wire.entries, written))),
        ),
    )
    print(f"{title}: {n:,} events, document {size / 2**20:.2f} MiB")
    print(f"  {'':<18} {'seconds':>8} {'events/s':>10} {'MB/s':>7}")
    for name, seconds in (("dumps", write), ("loads", read)):
        rate = f"{n / seconds:>10,.0f} {size / 1e6 / seconds:>7.1f}"
        print(f"  {name:<18} {seconds:>8.3f} {rate}")
    for name, seconds in phases:
        print(f"  {'  ' + name:<18} {seconds:>8.3f} {n / seconds:>10,.0f}")
    print()
    return n / read


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = 7
    heavy = measure(
        "negotiation-heavy (2 proposals in 20 events)", build(events, rounds=4), runs
    )
    measure("long scenes (2 proposals in 52 events)", build(events, rounds=20), runs)
    verdict = "met" if heavy >= TARGET else "NOT met"
    print(
        f"loads, negotiation-heavy: {heavy:,.0f} events/s "
        f"(target >= {TARGET:,}: {verdict})"
    )


if __name__ == "__main__":
    main()
