"""How fast consentkit decides: `check` latency by ledger size, `check_plan`, `state_at`.

Run with ``.venv/bin/python benchmarks/engine.py`` (about 15 seconds).

For three ledgers (4 parties x 50 grants, 20 x 500, 20 x 5,000; see
`_scenario.build`) it times `Engine.check(step, ledger)` on a warm ledger --
checked once first, so the ledger's state and the agreement's indexes exist
-- for four representative steps: an ALLOW, a DENY by cap (CK106), a DENY by
hard limit (CK101) and a DENY for want of consent (CK105).  Each call is
timed on its own with `time.perf_counter_ns`; the table shows the median.
Rounds interleave the sizes and steps, so load from other processes spreads
over all of them; the spread of the per-round medians is printed too.

Then `check_plan` over a 1,000-step plan (steps per second), and
`Ledger.state_at` and the first `check` on a freshly built ledger (cold)
against later calls (warm); last, crowded plans in which every step overlaps
every other, each in a fresh process for its memory (``--crowded`` runs only
these).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenario import AT, Policy, Request, Scenario, build, plan, quiet_gc, table

from consentkit import Engine, Ledger, Role, Step

SIZES = ((4, 50), (20, 500), (20, 5000))
KINDS = (
    ("ALLOW", ()),
    ("DENY by cap (CK106)", ("CK106",)),
    ("DENY by hard limit (CK101)", ("CK101",)),
    ("DENY, no consent (CK105)", ("CK105",)),
)
ROUNDS = 15
CALLS = 2000
PLAN_STEPS = 1000
PLAN_RUNS = 25
COLD_RUNS = 5
TARGET_US = 10.0
TARGET_RATIO = 1.5
TARGET_PLAN = 100_000


def label(size: tuple[int, int]) -> str:
    parties, grants = size
    return f"{parties} x {grants:,}"


def pick(scenario: Scenario, policy: Policy, engine: Engine) -> dict[str, Step]:
    """One step of each kind, with exactly the wanted findings when one exists.

    Tries every (actor, recipient, activity) in a fixed order, at the
    intensity the kind needs, and keeps the first whose findings are
    exactly the kind's codes; failing that, the first that carries them.
    """
    exact: dict[str, Step] = {}
    loose: dict[str, Step] = {}
    for actor, recipient, activity in _triples(scenario):
        if len(exact) == len(KINDS):
            break
        give = policy.cap(actor, Role.GIVE, activity)
        receive = policy.cap(recipient, Role.RECEIVE, activity)
        for name, codes in KINDS:
            intensity = _intensity(codes, give, receive)
            if name in exact or intensity is None:
                continue
            step = Request(actor, recipient, activity, intensity).step()
            found = engine.check(step, scenario.ledger)
            if (found.allowed and not codes) or (codes and found.codes == codes):
                exact[name] = step
            elif codes and set(codes) <= set(found.codes):
                loose.setdefault(name, step)
    chosen = {**loose, **exact}
    missing = [name for name, _ in KINDS if name not in chosen]
    if missing:
        raise SystemExit(f"no step of kind {missing} in this scenario")
    return {name: chosen[name] for name, _ in KINDS}


def _triples(scenario: Scenario) -> Iterator[tuple[str, str, str]]:
    """Every (actor, recipient, activity), deepest activities first.

    Deep activities have the most ancestors to look through.
    """
    order = sorted((a.id for a in scenario.catalog), key=lambda a: (-a.count("."), a))
    for activity in order:
        for actor in scenario.parties:
            for recipient in scenario.parties:
                if actor != recipient:
                    yield actor, recipient, activity


def _intensity(codes: tuple[str, ...], give: int, receive: int) -> int | None:
    """The intensity a step of this kind needs, given both sides' best caps."""
    low = min(give, receive)
    if not codes:
        return low or None  # both sides consent (at or below the lower cap)
    if codes == ("CK101",):
        return low or 1  # the limit alone, when both sides consent
    if codes == ("CK106",):
        return low + 1 if 0 < low < 10 else None  # just above a cap
    return 1 if low == 0 else None  # CK105: a side with no grant at all


def time_calls(call: Callable[[], object], count: int) -> list[int]:
    """Nanoseconds taken by each of `count` calls."""
    clock = time.perf_counter_ns
    samples = [0] * count
    for index in range(count):
        start = clock()
        call()
        samples[index] = clock() - start
    return samples


def timer_overhead() -> float:
    """The median cost of one pair of clock reads, in nanoseconds."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(20_000):
        start = clock()
        samples.append(clock() - start)
    return statistics.median(samples)


def us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def bench_check(
    engine: Engine, scenarios: dict[tuple[int, int], Scenario]
) -> dict[tuple[int, int], dict[str, Step]]:
    steps: dict[tuple[int, int], dict[str, Step]] = {}
    for size, scenario in scenarios.items():
        steps[size] = pick(scenario, Policy(scenario), engine)
    samples: dict[tuple[tuple[int, int], str], list[int]] = {}
    round_medians: dict[tuple[tuple[int, int], str], list[float]] = {}
    with quiet_gc():
        for size, scenario in scenarios.items():
            for step in steps[size].values():
                engine.check(step, scenario.ledger)  # warm
        for _ in range(ROUNDS):
            for size, scenario in scenarios.items():
                ledger = scenario.ledger
                for name, step in steps[size].items():
                    taken = time_calls(partial(engine.check, step, ledger), CALLS)
                    samples.setdefault((size, name), []).extend(taken)
                    round_medians.setdefault((size, name), []).append(
                        statistics.median(taken)
                    )

    small, large = SIZES[0], SIZES[-1]
    header = ["step", *(label(s) for s in SIZES), "large/small"]
    rows: list[list[str]] = []
    spread: list[list[str]] = []
    for name, _ in KINDS:
        medians = {s: statistics.median(samples[s, name]) for s in SIZES}
        ratio = medians[large] / medians[small]
        rows.append([name, *(us(medians[s]) for s in SIZES), f"{ratio:.2f}"])
        spread.append(
            [
                name,
                *(
                    f"{us(min(round_medians[s, name]))}-{us(max(round_medians[s, name]))}"
                    for s in SIZES
                ),
            ]
        )
    worst = max(statistics.median(v) for v in samples.values())
    ratios = [float(r[-1]) for r in rows]
    print(
        f"check(step, ledger), warm: median latency per call, us "
        f"({ROUNDS} rounds x {CALLS:,} calls per cell)"
    )
    print(table(header, rows))
    print(
        f"target: <= {TARGET_US:.0f} us at every size -> worst median "
        f"{us(worst)} us: {'met' if worst <= TARGET_US * 1000 else 'NOT met'}; "
        f"large/small <= {TARGET_RATIO} -> worst {max(ratios):.2f}: "
        f"{'met' if max(ratios) <= TARGET_RATIO else 'NOT met'}"
    )
    print()
    print("noise: lowest-highest median of a single round, us")
    print(table(["step", *(label(s) for s in SIZES)], spread))
    print()
    print("steps timed (activity at intensity: findings):")
    for name, _ in KINDS:
        cells = []
        for size in SIZES:
            step = steps[size][name]
            found = engine.check(step, scenarios[size].ledger)
            codes = "+".join(found.codes) or "none"
            cells.append(f"{step.activity} at {step.intensity}: {codes}")
        print(f"  {name}: " + "; ".join(cells))
    return steps


def bench_plan(engine: Engine, scenarios: dict[tuple[int, int], Scenario]) -> None:
    plans = {}
    allowed = {}
    for size, scenario in scenarios.items():
        plans[size] = plan(scenario, Policy(scenario), PLAN_STEPS)
        decided = engine.check_plan(plans[size], scenario.ledger)  # warm
        allowed[size] = sum(d.allowed for d in decided.decisions)
    taken: dict[tuple[int, int], list[int]] = {size: [] for size in scenarios}
    with quiet_gc():
        for _ in range(PLAN_RUNS):  # interleaved, so load spreads over every size
            for size, scenario in scenarios.items():
                call = partial(engine.check_plan, plans[size], scenario.ledger)
                taken[size].extend(time_calls(call, 1))
    rows: list[list[str]] = []
    for size in scenarios:
        median = statistics.median(taken[size])
        best = min(taken[size])
        rate = PLAN_STEPS / (median / 1e9)
        rows.append(
            [
                label(size),
                f"{allowed[size]}/{PLAN_STEPS}",
                f"{median / 1e6:.2f}",
                f"{rate:,.0f}",
                f"{PLAN_STEPS / (best / 1e9):,.0f}",
                "met" if rate >= TARGET_PLAN else "NOT met",
            ]
        )
    print(
        f"check_plan over a {PLAN_STEPS:,}-step plan "
        f"(median of {PLAN_RUNS} interleaved runs; best run alongside)"
    )
    header = ["ledger", "ALLOW steps", "ms per plan", "steps/s", "best run"]
    print(table([*header, f">= {TARGET_PLAN:,}"], rows))


def bench_cold(engine: Engine, steps: dict[tuple[int, int], dict[str, Step]]) -> None:
    rows: list[list[str]] = []
    for size in SIZES:
        scenario = build(*size)
        events = [entry.event for entry in scenario.ledger]
        step = steps[size]["ALLOW"]
        cold_state: list[int] = []
        cold_check: list[int] = []
        clock = time.perf_counter_ns
        for _ in range(COLD_RUNS):
            ledger = Ledger().extend(events)  # fresh: no state asked, no index
            with quiet_gc():
                start = clock()
                ledger.state_at(AT)
                cold_state.append(clock() - start)
                start = clock()
                engine.check(step, ledger)
                cold_check.append(clock() - start)
        ledger = scenario.ledger
        engine.check(step, ledger)
        with quiet_gc():
            warm_state = time_calls(partial(ledger.state_at, AT), 20_000)
            warm_check = time_calls(partial(engine.check, step, ledger), 5000)
        rows.append(
            [
                label(size),
                str(len(events)),
                us(statistics.median(cold_state)),
                us(statistics.median(warm_state)),
                us(statistics.median(cold_check)),
                us(statistics.median(warm_check)),
            ]
        )
    print(
        f"state_at and the first check on a freshly built ledger "
        f"(cold, median of {COLD_RUNS}) against later calls (warm), us"
    )
    print(
        table(
            [
                "ledger",
                "events",
                "state_at cold",
                "state_at warm",
                "check cold",
                "check warm",
            ],
            rows,
        )
    )


CROWDS = (1_000, 2_000, 4_000, 10_000, 50_000)


def _crowd(count: int) -> None:
    """In this process: check a plan of `count` steps that all overlap; print JSON."""
    import json  # noqa: PLC0415
    import resource  # noqa: PLC0415
    from datetime import datetime, timedelta, timezone  # noqa: PLC0415

    import consentkit as ck  # noqa: PLC0415

    start = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)
    grants = [
        ck.Grant(id=f"{party}-{activity}", party=party, role=role, activity=activity)
        for activity in ("restraint.gag.ball", "restraint.rope.arms", "impact.crop")
        for party, role in (("top", ck.Role.GIVE), ("bottom", ck.Role.RECEIVE))
    ]
    signals = [
        ck.Signal(cue="red", kind=ck.SignalKind.VERBAL, meaning=ck.SignalMeaning.STOP),
        ck.Signal(
            cue="drop",
            kind=ck.SignalKind.NONVERBAL,
            meaning=ck.SignalMeaning.STOP,
            needs={"free_hand"},
        ),
    ]
    terms = ck.Terms(
        parties={"top", "bottom"},
        window=ck.Window(start=start, end=start + timedelta(hours=3)),
        grants=grants,
        protocol=ck.Protocol(signals=signals, equipment={"safety_shears"}),
    )
    ledger = ck.Ledger().propose(by="top", terms=terms, at=start, proposal_id="p1")
    ledger = ledger.accept(by="top", proposal_id="p1", at=start)
    ledger = ledger.accept(by="bottom", proposal_id="p1", at=start)
    activities = ("restraint.gag.ball", "impact.crop", "restraint.rope.arms")
    plan = ck.Plan(
        steps=[
            ck.Step(
                actor="top",
                recipient="bottom",
                activity=activities[i % 3],
                intensity=3,
                at=start + timedelta(minutes=1),
                duration=timedelta(minutes=30),
            )
            for i in range(count)
        ]
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    decision = ck.check_plan(plan, ledger)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mib": after / 1024,
                "grown_mib": (after - before) / 1024,
                "verdict": decision.verdict.value,
            }
        )
    )


def bench_crowded() -> None:
    """`check_plan` on plans whose steps all overlap, each in a fresh process."""
    import json  # noqa: PLC0415
    import math  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    rows = []
    first: float | None = None
    for count in CROWDS:
        done = subprocess.run(  # noqa: S603  # this file, our interpreter
            [sys.executable, __file__, "--crowd", str(count)],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(done.stdout)
        per = found["seconds"] / (count * math.log2(count))
        first = per if first is None else first
        rows.append(
            [
                f"{count:,}",
                f"{found['seconds']:.2f} s",
                f"{found['grown_mib']:.0f} MiB",
                f"{found['peak_mib']:.0f} MiB",
                f"{per / first:.2f}",
                found["verdict"],
            ]
        )
    print(
        "check_plan on crowded plans: every step overlaps every other "
        "(target for 10,000: under 1 s and 300 MB; growth no faster than n log n)"
    )
    header = ["steps", "time", "memory grown", "process peak", "t/(n log n) vs 1k"]
    print(table([*header, "verdict"], rows))


def main() -> None:
    if sys.argv[1:2] == ["--crowd"]:
        _crowd(int(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--crowded"]:
        bench_crowded()
        return
    engine = Engine()
    scenarios = {size: build(*size) for size in SIZES}
    print(
        f"consentkit {version('consentkit')}, Python {sys.version.split()[0]}; "
        f"clock overhead {timer_overhead():.0f} ns per timed call (included)"
    )
    print()
    steps = bench_check(engine, scenarios)
    print()
    bench_plan(engine, scenarios)
    print()
    bench_cold(engine, steps)
    print()
    bench_crowded()


if __name__ == "__main__":
    main()
