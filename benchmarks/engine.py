"""How fast consentkit decides: `check` latency by ledger size, `check_plan`, `state_at`.

Run with ``.venv/bin/python benchmarks/engine.py`` (about a minute).

Every timed call decides a step never decided before in this process (see
`_fresh`: a question asked again is asked at a later time), so no cache
keyed by the request can stand in for deciding; ``--repeat`` times the same
step and the same plan over and over instead, as this script used to.

For three ledgers (4 parties x 50 grants, 20 x 500, 20 x 5,000; see
`_scenario.build`) it times `Engine.check(step, ledger)` on a warm ledger --
checked first, so the ledger's state and the agreement's indexes exist --
for four kinds of step: an ALLOW, a DENY by cap (CK106), a DENY by hard
limit (CK101) and a DENY for want of consent (CK105).  For each kind and
ledger up to `POOL` questions with exactly that finding are found (random
(actor, recipient, activity) triples); the timed steps cycle through them,
each step new.  Each call is timed on its own with `time.perf_counter_ns`;
the table shows the median, and mean/median per cell.  Rounds interleave
the sizes and kinds, so load from other processes spreads over all of them;
the spread of the per-round medians is printed too.

Then `check_plan` over fresh 1,000- and 10,000-step plans (steps per second;
every plan built beforehand and decided once while timed; the engine warmed
on another plan), and `Ledger.state_at` and the first `check` on a freshly
built ledger (cold) against later calls (warm); last, crowded plans in which
every step overlaps every other, each in a fresh process for its memory
(``--crowded`` runs only these).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fresh import Fresh
from _scenario import AT, Policy, Request, Scenario, build, quiet_gc, table

from consentkit import Engine, Ledger, Plan, Role, Step

SIZES = ((4, 50), (20, 500), (20, 5000))
KINDS = (
    ("ALLOW", ()),
    ("DENY by cap (CK106)", ("CK106",)),
    ("DENY by hard limit (CK101)", ("CK101",)),
    ("DENY, no consent (CK105)", ("CK105",)),
)
ROUNDS = 15
CALLS = 1000
POOL = 40
PLAN_RUNS = {1_000: 15, 10_000: 5}
COLD_RUNS = 5
TARGET_US = 10.0
TARGET_RATIO = 1.5
TARGET_PLAN = 100_000
TARGET_SPREAD = 2.0

Size = tuple[int, int]


def label(size: Size) -> str:
    parties, grants = size
    return f"{parties} x {grants:,}"


class Source:
    """Where the timed steps of one ledger come from, fresh or repeated.

    Fresh: each step asks one of the kind's questions, in turn, at a time it
    was never asked before.  Repeat: the kind's first question at `AT`, the
    same step every time.
    """

    def __init__(
        self, scenario: Scenario, engine: Engine, *, repeat: bool = False
    ) -> None:
        self.scenario = scenario
        self.repeat = repeat
        self.fresh = Fresh(scenario, Policy(scenario))
        self.questions = pools(scenario, self.fresh, engine)
        self._turn = dict.fromkeys(self.questions, 0)
        self._same = {k: self.fresh.step(q[0]) for k, q in self.questions.items()}

    def steps(self, kind: str, count: int) -> list[Step]:
        """`count` steps of `kind` to time."""
        if self.repeat:
            return [self._same[kind]] * count
        questions = self.questions[kind]
        turn = self._turn[kind]
        self._turn[kind] = turn + count
        return [
            self.fresh.step(questions[(turn + i) % len(questions)])
            for i in range(count)
        ]

    def plans(self, length: int, count: int) -> list[Plan]:
        """`count` plans of `length` steps to time."""
        if self.repeat:
            return [self.fresh.plan(length)] * count
        return [self.fresh.plan(length) for _ in range(count)]


def pools(scenario: Scenario, fresh: Fresh, engine: Engine) -> dict[str, list[Request]]:
    """Up to `POOL` questions of each kind, with exactly its findings when any exist.

    Tries (actor, recipient, activity) triples in a random order, at the
    intensity the kind needs (the policy picks the likely kind; the engine
    confirms it), and keeps those whose findings are exactly the kind's
    codes; for a kind with none, those that carry them.  The checks that
    confirm them warm the engine; their steps count as asked.
    """
    policy = fresh.policy
    exact: dict[str, list[Request]] = {name: [] for name, _ in KINDS}
    loose: dict[str, list[Request]] = {name: [] for name, _ in KINDS}
    for actor, recipient, activity in _triples(scenario):
        if all(len(found) >= POOL for found in exact.values()):
            break
        give = policy.cap(actor, Role.GIVE, activity)
        receive = policy.cap(recipient, Role.RECEIVE, activity)
        blocked = policy.blocked(actor, activity) or policy.blocked(recipient, activity)
        for name, codes in KINDS:
            intensity = _intensity(codes, give, receive)
            if (
                len(exact[name]) >= POOL
                or intensity is None
                or blocked != (codes == ("CK101",))
            ):
                continue
            request = Request(actor, recipient, activity, intensity)
            found = engine.check(fresh.step(request), scenario.ledger)
            if (found.allowed and not codes) or (codes and found.codes == codes):
                exact[name].append(request)
            elif codes and set(codes) <= set(found.codes):
                loose[name].append(request)
    chosen = {name: exact[name] or loose[name][:POOL] for name, _ in KINDS}
    missing = [name for name, found in chosen.items() if not found]
    if missing:
        raise SystemExit(f"no step of kind {missing} in this scenario")
    return chosen


def _triples(scenario: Scenario) -> Iterator[tuple[str, str, str]]:
    """Every (actor, recipient, activity), in a random order (fixed seed)."""
    found = [
        (actor, recipient, activity.id)
        for activity in scenario.catalog
        for actor in scenario.parties
        for recipient in scenario.parties
        if actor != recipient
    ]
    random.Random(5).shuffle(found)
    return iter(found)


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


def time_each(call: Callable[[Step], object], steps: Sequence[Step]) -> list[int]:
    """Nanoseconds taken by each call, one call per step."""
    clock = time.perf_counter_ns
    samples = [0] * len(steps)
    for index, step in enumerate(steps):
        start = clock()
        call(step)
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


def spread(samples: list[int]) -> float:
    """Mean over median: well above 1 when a few calls take far longer."""
    return statistics.fmean(samples) / statistics.median(samples)


def preempted(samples: list[int]) -> int:
    """How many calls took over 1 ms: on a shared machine, mostly time slices lost."""
    return sum(t > 1_000_000 for t in samples)


def bench_check(engine: Engine, sources: dict[Size, Source]) -> None:
    samples: dict[tuple[Size, str], list[int]] = {}
    round_medians: dict[tuple[Size, str], list[float]] = {}
    for _ in range(ROUNDS):
        for size, source in sources.items():
            ledger = source.scenario.ledger

            def check(step: Step, ledger: Ledger = ledger) -> object:
                return engine.check(step, ledger)

            for name, _ in KINDS:
                steps = source.steps(name, CALLS)
                with quiet_gc():
                    taken = time_each(check, steps)
                samples.setdefault((size, name), []).extend(taken)
                round_medians.setdefault((size, name), []).append(
                    statistics.median(taken)
                )

    small, large = SIZES[0], SIZES[-1]
    header = ["step", *(label(s) for s in SIZES), "large/small"]
    rows: list[list[str]] = []
    noise: list[list[str]] = []
    spreads: list[list[str]] = []
    for name, _ in KINDS:
        medians = {s: statistics.median(samples[s, name]) for s in SIZES}
        ratio = medians[large] / medians[small]
        rows.append([name, *(us(medians[s]) for s in SIZES), f"{ratio:.2f}"])
        noise.append(
            [
                name,
                *(
                    f"{us(min(round_medians[s, name]))}-{us(max(round_medians[s, name]))}"
                    for s in SIZES
                ),
            ]
        )
        spreads.append(
            [
                name,
                *(
                    f"{spread(samples[s, name]):.2f} ({preempted(samples[s, name])})"
                    for s in SIZES
                ),
            ]
        )
    worst = max(statistics.median(v) for v in samples.values())
    worst_spread = max(spread(v) for v in samples.values())
    ratios = [float(r[-1]) for r in rows]
    fresh = "fresh steps, each decided once" if not _repeat(sources) else "REPEATED"
    print(
        f"check(step, ledger), warm: median latency per call, us "
        f"({ROUNDS} rounds x {CALLS:,} calls per cell; {fresh})"
    )
    print(table(header, rows))
    print(
        f"target: <= {TARGET_US:.0f} us at every size -> worst median "
        f"{us(worst)} us: {'met' if worst <= TARGET_US * 1000 else 'NOT met'}; "
        f"large/small <= {TARGET_RATIO} -> worst {max(ratios):.2f}: "
        f"{'met' if max(ratios) <= TARGET_RATIO else 'NOT met'}; "
        f"mean/median <= {TARGET_SPREAD:.0f} -> worst {worst_spread:.2f}: "
        f"{'met' if worst_spread <= TARGET_SPREAD else 'NOT met'}"
    )
    print()
    print(
        "mean/median per cell (in brackets: calls over 1 ms, mostly time slices lost)"
    )
    print(table(["step", *(label(s) for s in SIZES)], spreads))
    print()
    print("noise: lowest-highest median of a single round, us")
    print(table(["step", *(label(s) for s in SIZES)], noise))
    print()
    print(
        "questions timed per kind (distinct (actor, recipient, activity, "
        "intensity); the first one's activity at intensity: findings):"
    )
    for name, _ in KINDS:
        cells = []
        for size in SIZES:
            source = sources[size]
            first = source.questions[name][0]
            found = engine.check(source.fresh.step(first), source.scenario.ledger).codes
            cells.append(
                f"{len(source.questions[name])} ({first.activity} at "
                f"{first.intensity}: {'+'.join(found) or 'none'})"
            )
        print(f"  {name}: " + "; ".join(cells))


def _repeat(sources: dict[Size, Source]) -> bool:
    return next(iter(sources.values())).repeat


def bench_plan(engine: Engine, sources: dict[Size, Source]) -> None:
    cells = [(size, length) for size in sources for length in PLAN_RUNS]
    plans = {
        (size, length): sources[size].plans(length, PLAN_RUNS[length])
        for size, length in cells
    }
    for source in sources.values():  # warm on a plan of its own
        engine.check_plan(source.fresh.plan(1_000), source.scenario.ledger)
    taken: dict[tuple[Size, int], list[int]] = {cell: [] for cell in cells}
    allowed: dict[tuple[Size, int], int] = dict.fromkeys(cells, 0)
    clock = time.perf_counter_ns
    for run in range(max(PLAN_RUNS.values())):  # interleaved: load spreads over all
        for size, length in cells:
            if run >= PLAN_RUNS[length]:
                continue
            plan = plans[size, length][run]
            ledger = sources[size].scenario.ledger
            with quiet_gc():
                start = clock()
                decided = engine.check_plan(plan, ledger)
                taken[size, length].append(clock() - start)
            allowed[size, length] += sum(d.allowed for d in decided.decisions)
    rows: list[list[str]] = []
    for size, length in cells:
        runs = taken[size, length]
        median = statistics.median(runs)
        rate = length / (median / 1e9)
        rows.append(
            [
                label(size),
                f"{length:,}",
                f"{len(runs)}",
                f"{allowed[size, length]:,}/{length * len(runs):,}",
                f"{median / 1e6:.2f}",
                f"{rate:,.0f}",
                f"{length / (min(runs) / 1e9):,.0f}",
                f"{spread(runs):.2f}",
                "met" if rate >= TARGET_PLAN else "NOT met",
            ]
        )
    kind = "the same plan each run" if _repeat(sources) else "a fresh plan each run"
    print(
        f"check_plan over 1,000- and 10,000-step plans ({kind}; median of the "
        "interleaved runs; best run alongside)"
    )
    header = ["ledger", "steps", "runs", "ALLOW steps", "ms per plan", "steps/s"]
    header += ["best run", "mean/med", f">= {TARGET_PLAN:,}"]
    print(table(header, rows))


def bench_cold(engine: Engine, sources: dict[Size, Source]) -> None:
    rows: list[list[str]] = []
    clock = time.perf_counter_ns
    for size in SIZES:
        source = sources[size]
        events = [entry.event for entry in source.scenario.ledger]
        cold_state: list[int] = []
        cold_check: list[int] = []
        for step in source.steps("ALLOW", COLD_RUNS):
            ledger = Ledger().extend(events)  # fresh: no state asked, no index
            with quiet_gc():
                start = clock()
                ledger.state_at(AT)
                cold_state.append(clock() - start)
                start = clock()
                engine.check(step, ledger)
                cold_check.append(clock() - start)
        steps = source.steps("ALLOW", 5000)

        def state(_: Step, ledger: Ledger = source.scenario.ledger) -> object:
            return ledger.state_at(AT)

        def check(step: Step, ledger: Ledger = source.scenario.ledger) -> object:
            return engine.check(step, ledger)

        with quiet_gc():
            warm_state = time_each(state, steps * 4)
            warm_check = time_each(check, steps)
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
        f"(cold, median of {COLD_RUNS}) against later calls (warm; ALLOW steps), us"
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
    repeat = "--repeat" in sys.argv[1:]
    engine = Engine()
    sources = {size: Source(build(*size), engine, repeat=repeat) for size in SIZES}
    print(
        f"consentkit {version('consentkit')}, Python {sys.version.split()[0]}; "
        f"clock overhead {timer_overhead():.0f} ns per timed call (included); "
        + (
            "REPEAT mode: the same step and the same plan timed again and again"
            if repeat
            else "every timed call decides a step never decided before"
        )
    )
    print()
    bench_check(engine, sources)
    print()
    bench_plan(engine, sources)
    print()
    bench_cold(engine, sources)
    print()
    bench_crowded()
    for size, source in sources.items():
        print(
            f"({label(size)}: {source.fresh.handed:,} steps handed out, "
            f"{source.fresh.repeats:,} of them a question asked before, later)"
        )


if __name__ == "__main__":
    main()
