"""Profile `Engine.check` on fresh steps: where a decision's time goes.

Run with ``.venv/bin/python benchmarks/profile_check.py [N]`` (default
20,000 checks).  On the 20 x 500 scenario, after warming the engine on
other steps, it runs cProfile over N checks, each on a step never decided
before (see `_fresh`), and prints the top 30 functions by own time.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fresh import Fresh
from _scenario import Policy, build

from consentkit import Engine


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    scenario = build(20, 500)
    fresh = Fresh(scenario, Policy(scenario))
    engine = Engine()
    ledger = scenario.ledger
    for step in fresh.steps(2_000):  # warm, on steps of their own
        engine.check(step, ledger)
    steps = fresh.steps(count)
    profile = cProfile.Profile()
    profile.enable()
    for step in steps:
        engine.check(step, ledger)
    profile.disable()
    print(f"{count:,} fresh checks on 20 x 500 ({fresh.repeats:,} repeats, later)")
    pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
