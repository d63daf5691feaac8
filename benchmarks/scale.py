"""Many checks at once: `check_many` on two processes against serial; ledgers that pickle.

Run: ``.venv/bin/python benchmarks/scale.py`` (about a minute).  Targets (issue 16):

- 4,000 five-step plans over 200 ledgers: `check_many` on a pool of two
  processes at least 1.6x as fast as serially (on a machine of two cores);
- a 2,000-entry ledger unpickles at least 10x faster than `loads` reads its
  document, and its pickle is at most 1.5x the document's size.

The plans and ledgers: 200 scenarios of `_scenario.build` (4 parties holding
60 grants, a few hard limits and revocations), each ledger lengthened by 40
confirmations, and 20 plans of 5 steps per ledger drawn as `_scenario.plan`
draws them (ALLOWs, refusals by cap, limits and missing consent).  The pool is
timed warm (started before, as a platform keeps one) and cold (started in the
timed run, as ``consentkit check-many --jobs 2`` does); the serial run gets
each ledger fresh, as a re-check after loading the ledgers would (and, for
comparison, warm from an earlier check).  Answers are checked equal to the
serial ones.  Other work on the machine slows wall-clock times, so the CPU
time each side spent is printed too.

The 2,000-entry ledgers: the scene-heavy mix of `benchmarks/ledger.py` (a
negotiation every 1,000 events, then confirmations and signals), and a
negotiation-heavy one (a proposal of 12 grants, its acceptances, and scene
events, every 20 entries).  Times are the best of several runs.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenario import AT, Policy, build, quiet_gc, table
from ledger import events as scene_events

import consentkit as ck

LEDGERS = 200
PLANS_PER_LEDGER = 20
STEPS = 5
ENTRIES = 2_000
START = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def best(run: Callable[[], object], times: int) -> float:
    """The shortest of `times` runs, in seconds."""
    found = []
    for _ in range(times):
        with quiet_gc():
            began = time.perf_counter()
            run()
            found.append(time.perf_counter() - began)
    return min(found)


# -- the workload of many plans ------------------------------------------------


def session(
    allowed: list[tuple[tuple[str, str, str], int]], rng: random.Random
) -> ck.Plan:
    """A planned session of five steps, a minute and a half apart.

    Each step is one the ledger allowed when the session was planned (an
    activity and intensity within both sides' grants); one plan in five has
    a step that has since gone over a cap or outside the consent given.
    """
    steps = []
    at = AT
    off = rng.randrange(STEPS) if rng.random() < 0.2 else -1
    for index in range(STEPS):
        (actor, recipient, activity), ceiling = rng.choice(allowed)
        intensity = rng.randint(1, ceiling)
        if index == off:
            if ceiling < 10:
                intensity = ceiling + 1
            else:
                actor, recipient = recipient, actor
        steps.append(
            ck.Step(
                actor=actor,
                recipient=recipient,
                activity=activity,
                intensity=intensity,
                at=at,
                duration=timedelta(minutes=3 if index == 2 else 1),
            )
        )
        at += timedelta(seconds=90)
    return ck.Plan(steps=steps, title="planned session")


def workload() -> list[tuple[ck.Plan, ck.Ledger]]:
    """4,000 five-step plans, 20 on each of 200 ledgers, interleaved."""
    rng = random.Random(3)
    per_ledger: list[list[tuple[ck.Plan, ck.Ledger]]] = []
    seed = 0
    while len(per_ledger) < LEDGERS:
        seed += 1
        scenario = build(parties=4, grants=60, seed=seed)
        allowed = sorted(Policy(scenario).table().items())
        if len(allowed) < 10:  # too little consent to plan a session on
            continue
        ledger = scenario.ledger
        at = ledger[-1].event.at
        for n in range(40):
            at += timedelta(seconds=5)
            party = scenario.parties[n % len(scenario.parties)]
            activity = scenario.grants[n % len(scenario.grants)].activity
            ledger = ledger.confirm(by=party, activity=activity, at=at)
        if at >= AT:  # pragma: no cover  # INVARIANT: the events come first
            raise AssertionError("the ledger's events run past AT")
        per_ledger.append(
            [(session(allowed, rng), ledger) for _ in range(PLANS_PER_LEDGER)]
        )
    # A platform's list is in no particular order: the plans of a ledger are
    # spread out, as check_many will find them.
    return [group[k] for k in range(PLANS_PER_LEDGER) for group in per_ledger]


def fresh(items: list[tuple[ck.Plan, ck.Ledger]]) -> list[tuple[ck.Plan, ck.Ledger]]:
    """The same pairs with each ledger a fresh copy (one per ledger, shared)."""
    copies: dict[int, ck.Ledger] = {}
    for _, ledger in items:
        if id(ledger) not in copies:
            copies[id(ledger)] = pickle.loads(pickle.dumps(ledger))  # noqa: S301
    return [(plan, copies[id(ledger)]) for plan, ledger in items]


_barrier: Any = None


def _hold(barrier: Any) -> None:
    """Worker initializer: keep the barrier that `_cpu` waits at."""
    global _barrier  # noqa: PLW0603  # one per worker process
    _barrier = barrier


def _cpu() -> tuple[int, float]:
    """This worker's id and CPU time, once both workers are asked."""
    _barrier.wait()
    return os.getpid(), time.process_time()


def _workers_cpu(pool: ProcessPoolExecutor) -> float:
    """The CPU time both workers of `pool` have spent so far."""
    found = dict(future.result() for future in [pool.submit(_cpu) for _ in range(2)])
    if len(found) != 2:  # pragma: no cover  # INVARIANT: the barrier holds both
        raise SystemExit("could not reach both workers")
    return sum(found.values())


def many_plans() -> None:
    """Time `check_many` serially and on two processes."""
    items = workload()
    engine = ck.Engine()
    expected = engine.check_many(items)
    verdicts = {v: sum(d.verdict is v for d in expected) for v in ck.Verdict}
    print(
        f"{len(items):,} plans of {STEPS} steps over {LEDGERS} ledgers of "
        f"{min(len(ledger) for _, ledger in items)} entries; verdicts: "
        + ", ".join(f"{v.value} {n:,}" for v, n in verdicts.items())
        + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    # A re-check after a catalog change reads each ledger and checks it once:
    # each serial run gets ledgers fresh from a pickle, caches cold, as the
    # workers do.  Checked again, warm, it is faster; both are shown.
    copies = [fresh(items) for _ in range(3)]
    serial_cpu = 0.0
    serials = []
    for copy in copies:
        began, wall = time.process_time(), time.perf_counter()
        engine.check_many(copy)
        serials.append(time.perf_counter() - wall)
        serial_cpu = time.process_time() - began
    serial = min(serials)
    serial_warm = best(lambda: engine.check_many(items), 3)

    barrier = multiprocessing.Barrier(2)
    with ProcessPoolExecutor(2, initializer=_hold, initargs=(barrier,)) as pool:
        if engine.check_many(items, executor=pool) != expected:
            raise SystemExit("the answers on two processes differ from serial ones")
        warm = best(lambda: engine.check_many(items, executor=pool), 3)
        # CPU time of one more run: here, and in each worker (asked both at once).
        workers_before = _workers_cpu(pool)
        began = time.process_time()
        engine.check_many(items, executor=pool)
        main_cpu = time.process_time() - began
        workers_cpu = _workers_cpu(pool) - workers_before

    # Started in the run, as `consentkit check-many --jobs 2` does.
    colds: list[float] = []
    for _ in range(2):
        wall = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            engine.check_many(items, executor=pool)
        colds.append(time.perf_counter() - wall)
    cold = min(colds)

    steps = len(items) * STEPS
    rows = [
        [
            "serial, ledgers fresh",
            f"{serial:.2f} s",
            f"{steps / serial:,.0f}",
            "1.00x",
            "",
        ],
        [
            "serial, ledgers warm (checked before)",
            f"{serial_warm:.2f} s",
            f"{steps / serial_warm:,.0f}",
            f"{serial / serial_warm:.2f}x",
            "",
        ],
        [
            "2 processes, warm pool",
            f"{warm:.2f} s",
            f"{steps / warm:,.0f}",
            f"{serial / warm:.2f}x",
            "PASS" if serial / warm >= 1.6 else "FAIL",
        ],
        [
            "2 processes, pool started in the run",
            f"{cold:.2f} s",
            f"{steps / cold:,.0f}",
            f"{serial / cold:.2f}x",
            "",
        ],
    ]
    print(table(["check_many", "time", "steps/s", "speed-up", ">= 1.6x"], rows))
    # With other work on the machine, wall-clock time measures the machine
    # too; CPU time says what the two processes cost, whatever the load.
    total = main_cpu + workers_cpu
    floor = max(main_cpu, total / 2)
    print(
        f"CPU time of a run: serial {serial_cpu:.2f} s; on the warm pool "
        f"{main_cpu:.2f} s here and {workers_cpu:.2f} s in the workers (overhead "
        f"{total - serial_cpu:+.2f} s); on two idle cores such a run takes at "
        f"least {floor:.2f} s, {serial_cpu / floor:.2f}x serial"
    )


# -- one long ledger, pickled and read -------------------------------------------


def negotiation_heavy(n: int) -> ck.Ledger:
    """A history of `n` entries: every 20, a proposal of 12 grants and its acceptances."""
    rng = random.Random(5)
    activities = [a.id for a in ck.default_catalog() if "." in a.id][:60]
    parties = ("ann", "bo", "cy")
    signals = (
        ck.Signal(cue="red", kind=ck.SignalKind.VERBAL, meaning=ck.SignalMeaning.STOP),
        ck.Signal(
            cue="yellow", kind=ck.SignalKind.VERBAL, meaning=ck.SignalMeaning.SLOW
        ),
        ck.Signal(
            cue="green", kind=ck.SignalKind.VERBAL, meaning=ck.SignalMeaning.RESUME
        ),
    )
    ledger = ck.Ledger()
    at = START
    session = 0
    while len(ledger) < n:
        session += 1
        pair = rng.sample(parties, 2)
        grants = []
        for index in range(6):
            activity = rng.choice(activities)
            cap = rng.randint(3, 10)
            grants.extend(
                [
                    ck.Grant(id=f"r{index}", party=pair[0], role=ck.Role.RECEIVE,
                             activity=activity, max_intensity=cap),
                    ck.Grant(id=f"g{index}", party=pair[1], role=ck.Role.GIVE,
                             activity=activity),
                ]
            )  # fmt: skip
        terms = ck.Terms(
            parties=pair,
            window=ck.Window(start=at, end=at + timedelta(hours=4)),
            grants=grants,
            limits=[ck.Limit(party=pair[0], kind=ck.LimitKind.HARD, activity="breath")],
            protocol=ck.Protocol(signals=signals, check_in_minutes=15),
        )
        proposal = f"s{session}"
        at += timedelta(minutes=1)
        ledger = ledger.propose(by=pair[0], terms=terms, at=at, proposal_id=proposal)
        for party in pair:
            at += timedelta(seconds=30)
            ledger = ledger.accept(by=party, proposal_id=proposal, at=at)
        while len(ledger) % 20 and len(ledger) < n:
            at += timedelta(seconds=rng.randint(10, 120))
            roll = rng.random()
            if roll < 0.6:
                ledger = ledger.confirm(
                    by=rng.choice(pair), activity=rng.choice(grants).activity, at=at
                )
            elif roll < 0.9:
                cue = "yellow" if rng.random() < 0.5 else "green"
                ledger = ledger.signal(by=pair[0], cue=cue, at=at, intensity=None)
            else:
                ledger = ledger.revoke(
                    by=pair[0], activities={rng.choice(grants).activity}, at=at
                )
        at += timedelta(hours=5)
    return ledger


def one_ledger(label: str, ledger: ck.Ledger) -> list[str]:
    """Time `loads` of the document against `pickle.loads`, and compare sizes."""
    document = ck.dumps(ledger).encode("utf-8")
    pickled = pickle.dumps(ledger, protocol=pickle.HIGHEST_PROTOCOL)
    oldest = pickle.dumps(ledger, protocol=2)
    if not pickle.loads(pickled) == ledger == ck.loads(document, "ledger"):  # noqa: S301
        raise SystemExit("the ledger did not come back equal")
    read = best(lambda: ck.loads(document, "ledger"), 5)
    unpickle = best(lambda: pickle.loads(pickled), 30)  # noqa: S301  # our own bytes
    dump = best(lambda: pickle.dumps(ledger, protocol=pickle.HIGHEST_PROTOCOL), 30)
    size = len(pickled) / len(document)
    speed = read / unpickle
    return [
        label,
        f"{len(document) / 1024:,.0f} KiB",
        f"{len(pickled) / 1024:,.0f} KiB ({size:.2f}x)",
        f"{len(oldest) / 1024:,.0f} KiB ({len(oldest) / len(document):.2f}x)",
        f"{read * 1000:.1f} ms",
        f"{unpickle * 1000:.2f} ms",
        f"{dump * 1000:.2f} ms",
        f"{speed:.1f}x",
        "PASS" if speed >= 10 and size <= 1.5 else "FAIL",
    ]


def ledgers() -> None:
    """Both 2,000-entry ledgers."""
    rows = [
        one_ledger("scene-heavy", ck.Ledger().extend(scene_events(ENTRIES))),
        one_ledger("negotiation-heavy", negotiation_heavy(ENTRIES)),
    ]
    print(
        table(
            [
                f"{ENTRIES:,} entries",
                "document",
                "pickle (v5)",
                "pickle (v2)",
                "loads",
                "unpickle",
                "pickle",
                "loads/unpickle",
                ">= 10x, <= 1.5x",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    many_plans()
    print()
    ledgers()
