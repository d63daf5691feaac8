"""How fast the command line answers: `consentkit check` end to end, and start-up.

Run with ``.venv/bin/python benchmarks/cli.py`` (about half a minute).

A month-long arrangement between a mistress and a client: one agreement per
evening (proposed at noon, accepted by both), and in each evening's window the
client's confirmations and yellow and green signals, 10,000 events in all.
The plan has 10,000 steps spread over the same evenings, each checked at its
own time.  Both are written as documents to a temporary directory, and
``consentkit check PLAN --ledger LEDGER`` is timed as a subprocess, from
process start to exit: reading and verifying the ledger, reading the plan,
checking every step and printing the explanation.

Then ``consentkit report --ledger LEDGER --plan PLAN --out report.html`` on
the same ledger with a plan of 1,000 steps, and on every example session:
reading, checking and drawing the whole session as one HTML page.

Then ``consentkit --help``: the start-up time, which is mostly the time to
import the package.  Each figure is the median of several runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from consentkit import (
    Grant,
    Ledger,
    Plan,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Step,
    Terms,
    Window,
    dumps,
)

EVENTS = 10_000
STEPS = 10_000
DAYS = 30
CHECK_RUNS = 5
HELP_RUNS = 20
TARGET_CHECK_S = 2.0
REPORT_STEPS = 1_000
REPORT_RUNS = 5
TARGET_REPORT_S = 2.0
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TARGET_HELP_MS = 150.0

FIRST_DAY = datetime(2026, 4, 1, tzinfo=timezone.utc)
EVENING = timedelta(hours=5)
ACTIVITIES = (
    "protocol.honorifics",
    "verbal.commands",
    "service.domestic",
    "restraint.cuffs.leather",
    "sensory.blindfold",
    "impact.spanking.hand",
    "impact.flogging",
    "sensation.tickling",
)
SIGNALS = (
    Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP),
    Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW),
    Signal(cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME),
)


def evening_terms(start: datetime) -> Terms:
    """One evening's terms: both sides of every activity, capped at 7."""
    grants: list[Grant] = []
    for activity in ACTIVITIES:
        name = activity.replace(".", "-")
        grants.append(
            Grant(
                id=f"client-receives-{name}",
                party="client",
                role=Role.RECEIVE,
                activity=activity,
                max_intensity=7,
            )
        )
        grants.append(
            Grant(
                id=f"mistress-gives-{name}",
                party="mistress",
                role=Role.GIVE,
                activity=activity,
            )
        )
    return Terms(
        parties=frozenset({"mistress", "client"}),
        window=Window(start=start, end=start + EVENING),
        grants=tuple(grants),
        protocol=Protocol(signals=SIGNALS, equipment=frozenset({"keys"})),
    )


def ledger() -> Ledger:
    """A month of evenings: an agreement each, then scene events up to `EVENTS`."""
    book = Ledger()
    per_evening = (EVENTS - 3 * DAYS) // DAYS
    extra = (EVENTS - 3 * DAYS) % DAYS
    for day in range(DAYS):
        start = FIRST_DAY + timedelta(days=day, hours=18)
        proposal = f"evening-{day + 1}"
        noon = start - timedelta(hours=6)
        book = book.propose(
            by="mistress", terms=evening_terms(start), at=noon, proposal_id=proposal
        )
        book = book.accept(by="mistress", proposal_id=proposal, at=noon)
        book = book.accept(by="client", proposal_id=proposal, at=noon)
        count = per_evening + (1 if day < extra else 0)
        gap = EVENING / (count + 1)
        for index in range(count):
            moment = start + gap * (index + 1)
            kind = index % 10
            if kind == 7:
                book = book.signal(by="client", cue="yellow", at=moment)
            elif kind == 8:
                book = book.signal(by="client", cue="green", at=moment)
            else:
                activity = ACTIVITIES[index % len(ACTIVITIES)]
                book = book.confirm(by="client", activity=activity, at=moment)
    return book


def plan(count: int = STEPS) -> Plan:
    """`count` steps spread evenly over the evenings, 30 seconds each."""
    per_evening = count // DAYS
    extra = count % DAYS
    steps: list[Step] = []
    for day in range(DAYS):
        start = FIRST_DAY + timedelta(days=day, hours=18)
        count = per_evening + (1 if day < extra else 0)
        gap = EVENING / (count + 1)
        steps.extend(
            Step(
                actor="mistress",
                recipient="client",
                activity=ACTIVITIES[index % len(ACTIVITIES)],
                intensity=1 + index % 9,
                at=start + gap * (index + 1),
                duration=timedelta(seconds=30),
            )
            for index in range(count)
        )
    return Plan(title="A month of evenings", steps=tuple(steps))


def consentkit_script() -> str:
    """The installed ``consentkit`` console script of this environment."""
    script = Path(sysconfig.get_path("scripts")) / "consentkit"
    if not script.exists():
        sys.exit(f"no console script at {script}: install the package first")
    return str(script)


def timed(command: list[str], runs: int, *, expect: set[int]) -> list[float]:
    """Seconds per run of `command`, from process start to exit."""
    seconds: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
        seconds.append(time.perf_counter() - started)
        if done.returncode not in expect:
            sys.exit(
                f"{' '.join(command)} exited {done.returncode}:\n"
                + done.stderr.decode(errors="replace")
            )
    return seconds


def main() -> int:
    """Build the documents, time the commands, print the figures and targets."""
    script = consentkit_script()
    with tempfile.TemporaryDirectory() as directory:
        ledger_path = Path(directory) / "ledger.json"
        plan_path = Path(directory) / "plan.json"
        built = ledger()
        ledger_path.write_text(dumps(built), encoding="utf-8")
        plan_path.write_text(dumps(plan()), encoding="utf-8")
        print(
            f"ledger: {len(built):,} events, "
            f"{ledger_path.stat().st_size / 2**20:.1f} MiB; "
            f"plan: {STEPS:,} steps, {plan_path.stat().st_size / 2**20:.1f} MiB"
        )
        check = timed(
            [script, "check", str(plan_path), "--ledger", str(ledger_path)],
            CHECK_RUNS,
            expect={0, 1, 3},
        )
        short_path = Path(directory) / "short-plan.json"
        short_path.write_text(dumps(plan(REPORT_STEPS)), encoding="utf-8")
        page = Path(directory) / "report.html"
        drawn = timed(
            [
                script,
                "report",
                "--ledger",
                str(ledger_path),
                "--plan",
                str(short_path),
                "--out",
                str(page),
            ],
            REPORT_RUNS,
            expect={0},
        )
        page_mib = page.stat().st_size / 2**20
        examples = {
            example.name: statistics.median(
                timed(
                    [
                        script,
                        "report",
                        "--ledger",
                        str(example / "ledger.json"),
                        "--plan",
                        str(example / "plan.json"),
                        "--out",
                        str(page),
                    ],
                    REPORT_RUNS,
                    expect={0},
                )
            )
            for example in sorted(p.parent for p in EXAMPLES.glob("*/plan.json"))
        }
    help_runs = timed([script, "--help"], HELP_RUNS, expect={0})
    bare = timed([sys.executable, "-c", "pass"], HELP_RUNS, expect={0})

    check_s = statistics.median(check)
    help_ms = statistics.median(help_runs) * 1000
    bare_ms = statistics.median(bare) * 1000
    check_ok = check_s < TARGET_CHECK_S
    report_s = statistics.median(drawn)
    report_ok = report_s < TARGET_REPORT_S and all(
        seconds < TARGET_REPORT_S for seconds in examples.values()
    )
    help_ok = help_ms < TARGET_HELP_MS
    print(
        f"consentkit check, {STEPS:,} steps x {EVENTS:,} events, end to end: "
        f"median {check_s:.2f} s (min {min(check):.2f}, max {max(check):.2f}); "
        f"target < {TARGET_CHECK_S:.0f} s: {'met' if check_ok else 'NOT met'}"
    )
    print(
        f"consentkit report, {REPORT_STEPS:,} steps x {EVENTS:,} events, end to end: "
        f"median {report_s:.2f} s (min {min(drawn):.2f}, max {max(drawn):.2f}), "
        f"a page of {page_mib:.1f} MiB; "
        f"target < {TARGET_REPORT_S:.0f} s: {'met' if report_ok else 'NOT met'}"
    )
    for name, seconds in examples.items():
        print(f"  consentkit report, example {name}: median {seconds:.2f} s")
    print(
        f"consentkit --help: median {help_ms:.0f} ms "
        f"(min {min(help_runs) * 1000:.0f}); "
        f"target < {TARGET_HELP_MS:.0f} ms: {'met' if help_ok else 'NOT met'} "
        f"(a bare interpreter starts in {bare_ms:.0f} ms)"
    )
    return 0 if check_ok and help_ok and report_ok else 1


if __name__ == "__main__":
    sys.exit(main())
