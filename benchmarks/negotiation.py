"""How fast the tools before the scene are: compare, draft_terms, lint and diff.

Run with ``.venv/bin/python benchmarks/negotiation.py`` (about 10 seconds).

The cases are a table (`CASES`): each has a name, a function that prepares
its inputs and returns the call to time, a target, and optionally a *floor*
-- the least work any implementation must do for the same inputs -- timed
side by side in the same rounds, so the ratio says how far above the
unavoidable the tool is.

compare and draft_terms read full preference lists over the default catalog:
every activity rated for GIVE and for RECEIVE, the ratings and caps drawn
from a seeded random generator, so every run times the same lists.

lint and diff read terms of 20 parties, 500 grants over the default catalog
(GIVE and RECEIVE in matching pairs, mostly capped, half the time naming the
counterparty, a subtree grant where the activity has children one time in
three), 100 hard and soft limits on activities and tags, and a protocol with
a STOP that needs no capability, every item of equipment and aftercare for
everyone.  The counter-proposal changes one grant in ten (a cap, the
subtree, a condition), drops ten grants and adds ten, and changes ten
limits.  Each call is timed on
its own with `time.perf_counter_ns`; the table shows the median of all calls
and the spread of the per-round medians.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenario import quiet_gc, table

from consentkit import (
    Aftercare,
    Catalog,
    CheckInWithin,
    Grant,
    Limit,
    LimitKind,
    Preference,
    Preferences,
    Protocol,
    Rating,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Terms,
    Window,
    compare,
    default_catalog,
    diff,
    draft_terms,
    lint,
)

ROUNDS = 7
SEED = 20260307
T0 = datetime(2026, 3, 7, 19, 0, tzinfo=timezone.utc)
WINDOW = Window(start=T0, end=T0 + timedelta(hours=3))
#: Mostly agreeable ratings, so that drafting has plenty to grant.
WEIGHTS = {
    Rating.FAVORITE: 2,
    Rating.YES: 4,
    Rating.OKAY: 3,
    Rating.MAYBE: 2,
    Rating.FANTASY: 1,
    Rating.NO: 1,
    Rating.HARD_NO: 1,
}

Call = Callable[[], object]


def full_list(party: str, catalog: Catalog, rng: random.Random) -> Preferences:
    """Every activity of `catalog` rated for GIVE and RECEIVE."""
    ratings, weights = list(WEIGHTS), list(WEIGHTS.values())
    entries = []
    for activity in catalog:
        for role in (Role.GIVE, Role.RECEIVE):
            rating = rng.choices(ratings, weights)[0]
            capped = rating in (Rating.FAVORITE, Rating.YES, Rating.OKAY, Rating.MAYBE)
            cap = rng.randint(3, 10) if capped and rng.random() < 0.3 else None
            entries.append(
                Preference(
                    activity=activity.id, role=role, rating=rating, max_intensity=cap
                )
            )
    return Preferences(
        party=party,
        entries=entries,
        catalog=catalog.name,
        catalog_version=catalog.version,
    )


def protocol_for(catalog: Catalog) -> Protocol:
    """A STOP needing no capability, and every item of equipment the catalog asks."""
    equipment = frozenset().union(*(catalog.required_equipment(a.id) for a in catalog))
    stop = Signal(cue="stamp", kind=SignalKind.NONVERBAL, meaning=SignalMeaning.STOP)
    return Protocol(signals=(stop,), equipment=equipment)


def lists(count: int) -> list[Preferences]:
    """`count` full lists of distinct parties."""
    catalog = default_catalog()
    rng = random.Random(SEED + count)
    return [full_list(f"party-{i:02d}", catalog, rng) for i in range(count)]


# -- the cases ---------------------------------------------------------------------


def compare_two() -> Call:
    """Compare of two full lists."""
    a, b = lists(2)
    return lambda: compare(a, b)


def compare_floor() -> Call:
    """The least compare must do: look up each activity's entry, both ways."""
    a, b = lists(2)
    ids = [activity.id for activity in default_catalog()]
    index_a = {(e.activity, e.role): e for e in a.entries}
    index_b = {(e.activity, e.role): e for e in b.entries}

    def floor() -> object:
        return [
            (index_a.get((x, Role.GIVE)), index_b.get((x, Role.RECEIVE))) for x in ids
        ] + [(index_b.get((x, Role.GIVE)), index_a.get((x, Role.RECEIVE))) for x in ids]

    return floor


def draft(count: int) -> Callable[[], Call]:
    """draft_terms for `count` full lists."""

    def prepare() -> Call:
        found = lists(count)
        protocol = protocol_for(default_catalog())
        return lambda: draft_terms(found, window=WINDOW, protocol=protocol)

    prepare.__doc__ = f"draft_terms for {count} full lists."
    return prepare


def terms_floor(count: int) -> Callable[[], Call]:
    """Build the drafted terms' record again from its own grants and limits."""

    def prepare() -> Call:
        found = lists(count)
        protocol = protocol_for(default_catalog())
        made = draft_terms(found, window=WINDOW, protocol=protocol)
        return lambda: Terms(
            parties=made.parties,
            window=made.window,
            grants=made.grants,
            limits=made.limits,
            protocol=made.protocol,
        )

    return prepare


PARTIES = tuple(f"party-{i:02d}" for i in range(20))
TAGS = ("leaves_marks", "breath_risk", "electrical", "recording", "heat")


def lint_protocol_for(catalog: Catalog) -> Protocol:
    """A STOP needing no capability, every item of equipment, aftercare for all."""
    equipment = frozenset().union(*(catalog.required_equipment(a.id) for a in catalog))
    stop = Signal(cue="stamp", kind=SignalKind.NONVERBAL, meaning=SignalMeaning.STOP)
    return Protocol(
        signals=(stop,),
        equipment=equipment,
        check_in_minutes=10,
        aftercare=(Aftercare(minutes=30),),
    )


def large_terms(grants: int = 500, limits: int = 100, seed: int = SEED) -> Terms:
    """Terms with `grants` grants in matching pairs and `limits` limits."""
    catalog = default_catalog()
    rng = random.Random(seed)
    ids = [a.id for a in catalog]
    parents = {a.rsplit(".", 1)[0] for a in ids if "." in a}
    made: list[Grant] = []
    while len(made) < grants:
        giver, receiver = rng.sample(PARTIES, 2)
        activity = rng.choice(ids)
        subtree = activity in parents and rng.random() < 1 / 3
        cap = rng.randint(3, 6) if rng.random() < 0.8 else None
        named = rng.random() < 0.5
        for party, role, other in (
            (giver, Role.GIVE, receiver),
            (receiver, Role.RECEIVE, giver),
        ):
            made.append(
                Grant(
                    id=f"g{len(made)}",
                    party=party,
                    role=role,
                    activity=activity,
                    counterparties=frozenset({other}) if named else None,
                    max_intensity=cap,
                    include_subtypes=subtree,
                )
            )
    found: list[Limit] = []
    for _ in range(limits):
        party = rng.choice(PARTIES)
        kind = LimitKind.HARD if rng.random() < 0.7 else LimitKind.SOFT
        if rng.random() < 0.8:
            found.append(Limit(party=party, kind=kind, activity=rng.choice(ids)))
        else:
            found.append(Limit(party=party, kind=kind, tag=rng.choice(TAGS)))
    return Terms(
        parties=frozenset(PARTIES),
        window=WINDOW,
        grants=tuple(made[:grants]),
        limits=tuple(found),
        protocol=lint_protocol_for(catalog),
    )


def counter(terms: Terms, seed: int = SEED + 1) -> Terms:
    """A counter-proposal: one grant in ten changed, ten dropped, ten added."""
    rng = random.Random(seed)
    grants = list(terms.grants)
    for index in rng.sample(range(len(grants)), len(grants) // 10):
        grant = grants[index]
        change = rng.choice(("cap", "subtree", "condition"))
        if change == "cap":
            grants[index] = attrs.evolve(grant, max_intensity=rng.randint(1, 10))
        elif change == "subtree":
            grants[index] = attrs.evolve(
                grant, include_subtypes=not grant.include_subtypes
            )
        else:
            grants[index] = attrs.evolve(
                grant, conditions=(CheckInWithin(minutes=rng.randint(5, 20)),)
            )
    for index in sorted(rng.sample(range(len(grants)), 10), reverse=True):
        del grants[index]
    grants.extend(
        attrs.evolve(grants[rng.randrange(len(grants))], id=f"new-{n}")
        for n in range(10)
    )
    limits = list(terms.limits)
    for index in rng.sample(range(len(limits)), 10):
        roles = frozenset(Role) if rng.random() < 0.5 else frozenset({Role.RECEIVE})
        limits[index] = attrs.evolve(limits[index], roles=roles)
    return attrs.evolve(terms, grants=tuple(grants), limits=tuple(limits))


# -- the cases ---------------------------------------------------------------------


def lint_large() -> Call:
    """Lint of 500 grants and 100 limits over the default catalog."""
    terms = large_terms()
    catalog = default_catalog()
    return lambda: lint(terms, catalog)


def lint_floor() -> Call:
    """The least lint must do: each grant's coverage and risks, each limit's reach."""
    terms = large_terms()
    catalog = default_catalog()

    def floor() -> object:
        risks = [
            (catalog.risk_tags(g.activity), catalog.required_equipment(g.activity))
            for g in terms.grants
        ]
        reach = [lim.activity in catalog for lim in terms.limits]
        return risks, reach

    return floor


def diff_large() -> Call:
    """Diff of two such terms (the counter changes about a tenth of them)."""
    old = large_terms()
    new = counter(old)
    return lambda: diff(old, new)


def diff_floor() -> Call:
    """The least diff must do: match grants by id and compare the pairs."""
    old = large_terms()
    new = counter(old)

    def floor() -> object:
        before = {g.id: g for g in old.grants}
        after = {g.id: g for g in new.grants}
        limits = set(old.limits) ^ set(new.limits)
        return [
            k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
        ], limits

    return floor


@dataclass(frozen=True)
class Case:
    """One row: what is timed, its target, and the floor it is measured against."""

    name: str
    prepare: Callable[[], Call]
    target_ms: float
    calls: int
    floor: Callable[[], Call] | None = None


CASES: tuple[Case, ...] = (
    Case("compare, 2 full lists", compare_two, 5.0, 200, compare_floor),
    Case("draft_terms, 2 full lists", draft(2), 20.0, 100, terms_floor(2)),
    Case("draft_terms, 10 full lists", draft(10), 1000.0, 5, terms_floor(10)),
    Case("lint, 500 grants and 100 limits", lint_large, 20.0, 30, lint_floor),
    Case("diff, two terms of 500 grants", diff_large, 20.0, 30, diff_floor),
)


def timed(call: Call) -> int:
    start = time.perf_counter_ns()
    call()
    return time.perf_counter_ns() - start


def main() -> int:
    """Time every case; exit 1 when a case misses its target."""
    prepared = [
        (case, case.prepare(), case.floor() if case.floor else None) for case in CASES
    ]
    samples: dict[str, list[int]] = {case.name: [] for case in CASES}
    floors: dict[str, list[int]] = {case.name: [] for case in CASES}
    medians: dict[str, list[float]] = {case.name: [] for case in CASES}
    for _, call, floor in prepared:  # warm up: caches, imports
        call()
        if floor is not None:
            floor()
    for _ in range(ROUNDS):
        for case, call, floor in prepared:
            with quiet_gc():
                found = [timed(call) for _ in range(case.calls)]
                if floor is not None:
                    floors[case.name] += [timed(floor) for _ in range(case.calls)]
            samples[case.name] += found
            medians[case.name].append(statistics.median(found))
    rows = []
    missed = []
    for case in CASES:
        median_ms = statistics.median(samples[case.name]) / 1e6
        spread = medians[case.name]
        floor_ms = (
            statistics.median(floors[case.name]) / 1e6 if floors[case.name] else None
        )
        rows.append(
            [
                case.name,
                f"{median_ms:.2f}",
                f"{min(spread) / 1e6:.2f}-{max(spread) / 1e6:.2f}",
                f"{case.target_ms:g}",
                "-" if floor_ms is None else f"{floor_ms:.3f}",
                "-" if floor_ms is None else f"{median_ms / floor_ms:.0f}x",
                "ok" if median_ms < case.target_ms else "MISSED",
            ]
        )
        if median_ms >= case.target_ms:
            missed.append(case.name)
    print(f"consentkit {version('consentkit')}, Python {sys.version.split()[0]}")
    print(
        table(
            [
                "case",
                "median ms",
                "round medians",
                "target ms",
                "floor ms",
                "x floor",
                "",
            ],
            rows,
        )
    )
    print(
        "\nfloors: compare -- one dictionary lookup per activity, role and direction; "
        "draft_terms -- building the same Terms record from its grants and limits"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
