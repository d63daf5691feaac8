"""Ledger speed: appending 100,000 events, `state_at` on the result, memory.

Run: ``.venv/bin/python benchmarks/ledger.py``.  Targets (issue: core model):
appending 100,000 events at most 2 s in all; `state_at` at the end at most
0.5 s, a later call reusing work; the in-memory size reported.
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from datetime import datetime, timedelta, timezone

import consentkit as ck

N = 100_000
START = datetime(2026, 3, 1, 18, 0, tzinfo=timezone.utc)
PARTIES = ("mistress", "client")
ACTIVITIES = ("impact.spanking.hand", "impact.flogging", "restraint.cuffs", "verbal")


def _terms(begin: datetime) -> ck.Terms:
    return ck.Terms(
        parties=PARTIES,
        window=ck.Window(start=begin, end=begin + timedelta(hours=6)),
        grants=[
            ck.Grant(id="g1", party="mistress", role=ck.Role.GIVE, activity="impact",
                     include_subtypes=True),
            ck.Grant(id="g2", party="client", role=ck.Role.RECEIVE, activity="impact",
                     include_subtypes=True, max_intensity=7),
        ],
        protocol=ck.Protocol(
            signals=[
                ck.Signal(cue="red", kind=ck.SignalKind.VERBAL, meaning=ck.SignalMeaning.STOP),
                ck.Signal(cue="yellow", kind=ck.SignalKind.VERBAL,
                          meaning=ck.SignalMeaning.SLOW),
                ck.Signal(cue="green", kind=ck.SignalKind.VERBAL,
                          meaning=ck.SignalMeaning.RESUME),
            ]
        ),
    )  # fmt: skip


def events(n: int) -> list[ck.Proposed | ck.Accepted | ck.Confirmed | ck.SignalGiven]:
    """A realistic mix: a negotiation every 1,000 events, then scene events."""
    rng = random.Random(7)
    out: list[ck.Proposed | ck.Accepted | ck.Confirmed | ck.SignalGiven] = []
    at = START
    proposal = 0
    while len(out) < n:
        if len(out) % 1000 == 0:
            proposal += 1
            terms = _terms(at)
            digest = ck.digest(terms)
            pid = f"p{proposal}"
            out.append(ck.Proposed(at=at, by="mistress", proposal_id=pid, terms=terms))
            out.extend(
                ck.Accepted(at=at, by=p, proposal_id=pid, terms_digest=digest)
                for p in PARTIES
            )
            continue
        at += timedelta(seconds=rng.randint(0, 30))
        roll = rng.random()
        if roll < 0.5:
            out.append(
                ck.Confirmed(at=at, by="client", activity=rng.choice(ACTIVITIES))
            )
        elif roll < 0.8:
            out.append(ck.SignalGiven(at=at, by="client", cue="yellow", intensity=5))
        else:
            out.append(ck.SignalGiven(at=at, by="client", cue="green"))
    return out[:n]


def main() -> None:
    """Print the table."""
    batch = events(N)
    gc.collect()
    began = time.perf_counter()
    ledger = ck.Ledger()
    for event in batch:
        ledger = ledger.append(event)
    append_s = time.perf_counter() - began

    end = batch[-1].at
    began = time.perf_counter()
    state = ledger.state_at(end)
    agreement = state.in_force(PARTIES)
    first_s = time.perf_counter() - began
    began = time.perf_counter()
    later = ledger.state_at(end + timedelta(minutes=1))
    later.in_force(PARTIES)
    second_s = time.perf_counter() - began

    gc.collect()
    tracemalloc.start()
    copy = ck.Ledger().extend(batch)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(copy) == N  # noqa: S101  # keep the copy alive while measured

    rows = [
        ("append 100,000 events", f"{append_s:.3f} s", f"{N / append_s:,.0f} events/s", "<= 2 s"),
        ("  per append", f"{append_s / N * 1e6:.1f} us", "", ""),
        ("state_at(end), first call", f"{first_s * 1e3:.3f} ms", "", "<= 500 ms"),
        ("state_at(later), second call", f"{second_s * 1e3:.3f} ms", "", "reuses work"),
        ("ledger in memory (tracemalloc)", f"{size / 2**20:.1f} MiB", f"{size / N:.0f} B/event", ""),
    ]  # fmt: skip
    print(f"{'measure':34} {'value':>12} {'rate':>20}  target")
    for name, value, rate, target in rows:
        print(f"{name:34} {value:>12} {rate:>20}  {target}")
    print(
        f"agreement in force at the end: {agreement.proposal_id if agreement else None}"
    )


if __name__ == "__main__":
    main()
