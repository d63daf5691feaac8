"""consentkit against general-purpose policy engines, on the same consent policy.

Run with ``.venv/bin/python benchmarks/peers.py`` (two to four minutes on a
shared 2-core machine) after ``.venv/bin/pip install -e '.[bench]'``
(cedarpy, casbin, oso; a peer that is not installed is skipped, but the
targets need cedarpy).

By default every timed call decides a step never decided before in this
process, by any of consentkit's calls (fresh mode; see `_fresh`: a question
asked again is asked at a later time, so each step is new), so no cache
keyed by the request can stand in for deciding.  In one run, side by side:

1. `Engine.check` against Cedar with grants as entity data (pre-parsed
   handles, one `cedarpy.is_authorized` call per decision) on 4 x 50,
   20 x 500 and 20 x 5,000 ledgers: rounds of fresh steps, both engines on
   the same requests, taking turns at going first; medians, mean/median,
   speed-ups, and consentkit's largest/smallest ledger ratio.
2. `Engine.check_plan` on fresh 1,000- and 10,000-step plans against
   `cedarpy.is_authorized_batch` over the same requests (entity-data
   encoding: one request per step, as its permit reads both sides); steps
   per second for both and the ratio.
3. Every peer on the ``--parties`` x ``--grants`` scenario (default
   20 x 500), as below, on fresh steps (``--only-targets`` skips it).

Then a summary: each target, the measured value, met or NOT met.
``--repeat`` runs the former benchmark instead: part 3 only, on requests
asked again in every round.

The policy (see `_scenario`): a request (actor, recipient, activity,
intensity) is allowed iff the recipient has a live RECEIVE grant and the
actor a live GIVE grant covering the activity (exactly, or by subtree short
of an ``explicit_only`` activity beneath the grant's) with a cap at or above
the intensity, and no hard limit or withdrawn subtree of either party covers
the activity.  A grant revoked by id is removed from the peers' policies
(consentkit reads the `Revoked` event in its ledger); a withdrawn subtree is
a deny rule, as a hard limit is.

Encodings:

- Cedar, one policy per grant: a ``permit`` per live grant (``resource in``
  the activity for a subtree grant, ``unless`` it lies in an
  ``explicit_only`` activity beneath it; ``when`` the intensity is within
  the cap) and a ``forbid`` per hard limit or withdrawn subtree.  A permit
  speaks for one party in one role, so a decision asks for both sides in
  one `cedarpy.is_authorized_batch` call.
- Cedar, grants as entity data: each party carries, per role and intensity
  level, the subtrees and activities their grants cover at that level; two
  generic policies read them (a ``permit`` asking both sides, a ``forbid``
  for limits); one `cedarpy.is_authorized` call per decision.
- Both Cedar encodings are timed as cedarpy takes them: with the policies
  and entities parsed once into reusable handles (`cedarpy.PolicySet`,
  `cedarpy.Entities`), and as text parsed on every call.
- Casbin, one enforcer: a policy line per live grant and a deny line per
  limit or withdrawn subtree; the matcher calls a custom function for
  subtree coverage and another for the cap.  A line speaks for one party in
  one role, so a decision is two `enforce` calls (the receiving side, then,
  when it passes, the giving side).  Timed with `casbin.Enforcer` and with
  `casbin.FastEnforcer` (policy lines indexed by party).
- Oso: Polar rules over Python classes; parties hand out their grants by
  (role, activity), activities know their ancestors; `Oso.is_allowed`.
- For scale, a Python dict of precomputed answers (no explanation at all).

Every engine's answer is compared with consentkit's verdict on the same
random requests (10,000; the slowest variants on fewer, as printed) and the
counts are printed.  Then each engine is timed, one decision at a time, in
interleaved rounds, consentkit on the same requests right before it; each
speed-up compares medians over the same requests.  In fresh mode every
slice of requests is new; in repeat mode each is the head of one list.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fresh import Fresh, request_of
from _scenario import (
    MAX_INTENSITY,
    Policy,
    Request,
    Scenario,
    build,
    lineage,
    quiet_gc,
    requests,
    subtree_reach,
    table,
)

from consentkit import Catalog, Engine, Grant, Ledger, Role, Step

REQUESTS = 10_000
SIZES = ((4, 50), (20, 500), (20, 5_000))
AGREE = 2_000
CHECKS = 1_000
PLAN_LENGTHS = (1_000, 10_000)
TARGET_SPEEDUP = 7.0
TARGET_GROWTH = 1.5
TARGET_PLAN_RATE = 100_000
TARGET_PLAN_SPEEDUP = 6.0
TARGET_SPREAD = 2.0


@dataclass
class Contender:
    """One engine: how to phrase a request for it, and how to ask it.

    Attributes:
        name: As printed.
        phrase: Turns a request into the engine's own arguments (done before
            timing, so only the decision itself is timed).
        decide: Answers one phrased request: allowed or not.
        timed: How many requests it is timed on in each round.
        checked: How many requests its answers are compared on.
        is_peer: False for the precomputed table (not a policy engine).
    """

    name: str
    phrase: Callable[[Request], Any]
    decide: Callable[[Any], bool]
    timed: int
    checked: int = REQUESTS
    is_peer: bool = True
    samples: list[list[int]] = field(default_factory=list)
    batch: Batch | None = None


@dataclass(frozen=True)
class Batch:
    """An engine's batch API: many phrased requests in one call.

    Attributes:
        call: Decides a list of phrased requests; returns the engine's own
            answers (timed).
        read: Turns those answers into allowed or not (not timed).
    """

    call: Callable[[list[Any]], list[Any]]
    read: Callable[[list[Any]], list[bool]]


def _cap(grant: Grant) -> int:
    return MAX_INTENSITY if grant.max_intensity is None else grant.max_intensity


# -- Cedar -----------------------------------------------------------------


def _entity(kind: str, key: str) -> dict[str, dict[str, str]]:
    return {"__entity": {"type": kind, "id": key}}


def _activity_entities(catalog: Catalog) -> list[dict[str, Any]]:
    """Activities in their full tree, each naming its `Scope`.

    `Scope` is the same tree cut above every ``explicit_only`` activity, so
    ``scope in`` a subtree grant's scope is exactly what the grant covers.
    """
    entities: list[dict[str, Any]] = []
    for activity in catalog:
        parents = catalog.ancestors(activity.id)[:1]
        entities.append(
            {
                "uid": {"type": "Activity", "id": activity.id},
                "attrs": {"scope": _entity("Scope", activity.id)},
                "parents": [{"type": "Activity", "id": p} for p in parents],
            }
        )
        cut = "explicit_only" in activity.tags
        entities.append(
            {
                "uid": {"type": "Scope", "id": activity.id},
                "attrs": {},
                "parents": [] if cut else [{"type": "Scope", "id": p} for p in parents],
            }
        )
    return entities


def _explicit_beneath(catalog: Catalog, activity: str) -> list[str]:
    """The highest ``explicit_only`` activities strictly beneath `activity`."""
    found: list[str] = []
    for below in catalog.descendants(activity):
        if "explicit_only" in catalog[below].tags and not any(
            below.startswith(top + ".") for top in found
        ):
            found.append(below)
    return found


def _grant_policy(catalog: Catalog, grant: Grant) -> str:
    target = f'Activity::"{grant.activity}"'
    op = "in" if grant.include_subtypes else "=="
    text = (
        f'@id("{grant.id}")\n'
        f'permit (principal == Party::"{grant.party}", '
        f'action == Action::"{grant.role.value}", resource {op} {target})'
    )
    if grant.max_intensity is not None:
        text += f"\nwhen {{ context.intensity <= {grant.max_intensity} }}"
    barred = _explicit_beneath(catalog, grant.activity)
    if grant.include_subtypes and barred:
        clauses = " || ".join(f'resource in Activity::"{b}"' for b in barred)
        text += f"\nunless {{ {clauses} }}"
    return text + ";"


def cedar_per_grant(scenario: Scenario, cedarpy: Any) -> list[Contender]:
    """One Cedar permit per grant, one forbid per limit or withdrawn subtree."""
    policies = [_grant_policy(scenario.catalog, g) for g in scenario.live_grants]
    for party in scenario.parties:
        policies.extend(
            f'forbid (principal == Party::"{party}", action, '
            f'resource in Activity::"{subtree}");'
            for subtree in scenario.blocked(party)
        )
    entities = [
        *_activity_entities(scenario.catalog),
        *(
            {"uid": {"type": "Party", "id": p}, "attrs": {}, "parents": []}
            for p in scenario.parties
        ),
    ]
    text = "\n".join(policies)
    entities_text = json.dumps(entities)
    policy_set = cedarpy.PolicySet.from_str(text)
    entity_set = cedarpy.Entities.from_json_str(entities_text)

    def phrase(request: Request) -> list[dict[str, Any]]:
        resource = f'Activity::"{request.activity}"'
        context = {"intensity": request.intensity}
        return [
            {
                "principal": f'Party::"{request.recipient}"',
                "action": 'Action::"receive"',
                "resource": resource,
                "context": context,
            },
            {
                "principal": f'Party::"{request.actor}"',
                "action": 'Action::"give"',
                "resource": resource,
                "context": context,
            },
        ]

    def with_handles(both: list[dict[str, Any]]) -> bool:
        receive, give = cedarpy.is_authorized_batch(both, policy_set, entity_set)
        return bool(receive.allowed and give.allowed)

    def with_text(both: list[dict[str, Any]]) -> bool:
        receive, give = cedarpy.is_authorized_batch(both, text, entities_text)
        return bool(receive.allowed and give.allowed)

    print(f"  Cedar, one policy per grant: {len(policies):,} policies")
    return [
        Contender("Cedar, one policy per grant (handles)", phrase, with_handles, 600),
        Contender(
            "Cedar, one policy per grant (text each call)",
            phrase,
            with_text,
            50,
            checked=150,
        ),
    ]


def cedar_entity_data(scenario: Scenario, cedarpy: Any) -> list[Contender]:
    """Grants as entity data, read by two generic policies."""
    levels = range(1, MAX_INTENSITY + 1)

    def holdings(party: str, role: Role) -> dict[str, Any]:
        own = [g for g in scenario.live_grants if g.party == party and g.role is role]
        return {
            f"l{level}": {
                "sub": [
                    _entity("Scope", g.activity)
                    for g in own
                    if g.include_subtypes and _cap(g) >= level
                ],
                "exact": [
                    _entity("Activity", g.activity)
                    for g in own
                    if not g.include_subtypes and _cap(g) >= level
                ],
            }
            for level in levels
        }

    entities = _activity_entities(scenario.catalog)
    entities.extend(
        {
            "uid": {"type": "Party", "id": party},
            "attrs": {
                "give": holdings(party, Role.GIVE),
                "receive": holdings(party, Role.RECEIVE),
                "blocked": [_entity("Activity", a) for a in scenario.blocked(party)],
            },
            "parents": [],
        }
        for party in scenario.parties
    )

    def side(holder: str, role: str, level: int) -> str:
        held = f"{holder}.{role}.l{level}"
        return f"(resource.scope in {held}.sub || {held}.exact.contains(resource))"

    branches = " ||\n  ".join(
        f"(context.intensity == {level} && "
        f"{side('context.recipient', 'receive', level)} && "
        f"{side('principal', 'give', level)})"
        for level in levels
    )
    text = (
        'permit (principal, action == Action::"do", resource)\n'
        f"when {{\n  {branches}\n}};\n"
        "forbid (principal, action, resource)\n"
        "when { resource in principal.blocked || "
        "resource in context.recipient.blocked };"
    )
    entities_text = json.dumps(entities)
    policy_set = cedarpy.PolicySet.from_str(text)
    entity_set = cedarpy.Entities.from_json_str(entities_text)

    def phrase(request: Request) -> dict[str, Any]:
        return {
            "principal": f'Party::"{request.actor}"',
            "action": 'Action::"do"',
            "resource": f'Activity::"{request.activity}"',
            "context": {
                "intensity": request.intensity,
                "recipient": _entity("Party", request.recipient),
            },
        }

    def with_handles(asked: dict[str, Any]) -> bool:
        return bool(cedarpy.is_authorized(asked, policy_set, entity_set).allowed)

    def with_text(asked: dict[str, Any]) -> bool:
        return bool(cedarpy.is_authorized(asked, text, entities_text).allowed)

    print(
        f"  Cedar, grants as entity data: 2 policies, {len(entities):,} entities "
        f"({len(entities_text) // 1024:,} KiB of JSON)"
    )

    def batch(items: list[dict[str, Any]]) -> list[Any]:
        return list(cedarpy.is_authorized_batch(items, policy_set, entity_set))

    def read(answers: list[Any]) -> list[bool]:
        return [bool(a.allowed) for a in answers]

    return [
        Contender(
            "Cedar, grants as entity data (handles)",
            phrase,
            with_handles,
            2000,
            batch=Batch(batch, read),
        ),
        Contender(
            "Cedar, grants as entity data (text each call)",
            phrase,
            with_text,
            15,
            checked=40,
        ),
    ]


# -- Casbin ----------------------------------------------------------------

CASBIN_MODEL = """
[request_definition]
r = sub, role, act, lvl

[policy_definition]
p = sub, role, act, cap, mode, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.sub == p.sub && (p.role == r.role || p.role == "any") && \
covers(p.act, r.act, p.mode) && within(r.lvl, p.cap)
"""


def casbin_enforcers(scenario: Scenario, casbin: Any) -> list[Contender]:
    """One enforcer holding every grant and limit as a policy line."""
    reach = subtree_reach(scenario.catalog)
    chains = lineage(scenario.catalog)

    def covers(granted: str, asked: str, mode: str) -> bool:
        if mode == "exact":
            return granted == asked
        if mode == "subtree":
            return granted in reach[asked]
        return granted in chains[asked]  # a limit covers its whole subtree

    def within(level: int, cap: str) -> bool:
        return level <= int(cap)

    lines = [
        [
            g.party,
            g.role.value,
            g.activity,
            str(_cap(g)),
            "subtree" if g.include_subtypes else "exact",
            "allow",
        ]
        for g in scenario.live_grants
    ]
    for party in scenario.parties:
        lines.extend(
            [party, "any", subtree, str(MAX_INTENSITY), "limit", "deny"]
            for subtree in scenario.blocked(party)
        )
    logging.getLogger("casbin").setLevel(logging.CRITICAL)
    models = importlib.import_module("casbin.model")

    found: list[Contender] = []
    for fast in (False, True):
        if fast:
            model = models.FastModel([0])
            model.load_model_from_text(CASBIN_MODEL)
            enforcer = casbin.FastEnforcer(model, cache_key_order=[0])
        else:
            model = models.Model()
            model.load_model_from_text(CASBIN_MODEL)
            enforcer = casbin.Enforcer(model)
        enforcer.add_function("covers", covers)
        enforcer.add_function("within", within)
        enforcer.add_policies(lines)

        def decide(asked: tuple[str, str, str, int], e: Any = enforcer) -> bool:
            actor, recipient, activity, level = asked
            return bool(
                e.enforce(recipient, "receive", activity, level)
                and e.enforce(actor, "give", activity, level)
            )

        found.append(
            Contender(
                "Casbin, FastEnforcer (lines by party)" if fast else "Casbin, Enforcer",
                lambda r: (r.actor, r.recipient, r.activity, r.intensity),
                decide,
                600 if fast else 150,
                checked=REQUESTS if fast else 1000,
            )
        )
    print(f"  Casbin: {len(lines):,} policy lines")
    return found


# -- Oso -------------------------------------------------------------------

POLAR = """
allow(actor: Party, "do", request: Ask) if
    not blocked(actor, request.activity) and
    not blocked(request.recipient, request.activity) and
    consents(request.recipient, "receive", request) and
    consents(actor, "give", request);

consents(party: Party, role: String, request: Ask) if
    grant in party.exact(role, request.activity.id) and
    grant.cap >= request.intensity and
    cut;
consents(party: Party, role: String, request: Ask) if
    node in request.activity.reach and
    grant in party.subtree(role, node) and
    grant.cap >= request.intensity and
    cut;

blocked(party: Party, activity: Act) if
    subtree in party.blocked and subtree in activity.lineage;
"""


@dataclass(frozen=True)
class Act:
    """An activity as Polar sees it: what subtree grants and limits reach it by."""

    id: str
    reach: tuple[str, ...]
    lineage: tuple[str, ...]


@dataclass(frozen=True)
class Held:
    """A grant as Polar sees it."""

    activity: str
    cap: int


class Party:
    """A party: their grants, looked up by (role, activity), and what blocks them."""

    def __init__(self, grants: list[Grant], blocked: tuple[str, ...]) -> None:
        self.blocked = list(blocked)
        self._exact: dict[tuple[str, str], list[Held]] = {}
        self._subtree: dict[tuple[str, str], list[Held]] = {}
        for grant in grants:
            table = self._subtree if grant.include_subtypes else self._exact
            key = (grant.role.value, grant.activity)
            table.setdefault(key, []).append(Held(grant.activity, _cap(grant)))

    def exact(self, role: str, activity: str) -> list[Held]:
        """Grants naming exactly `activity` in `role`."""
        return self._exact.get((role, activity), [])

    def subtree(self, role: str, activity: str) -> list[Held]:
        """Subtree grants on `activity` in `role`."""
        return self._subtree.get((role, activity), [])


@dataclass(frozen=True)
class Ask:
    """The request's resource: to whom, what, how hard."""

    recipient: Party
    activity: Act
    intensity: int


def oso_engine(scenario: Scenario, oso_module: Any) -> list[Contender]:
    reach = subtree_reach(scenario.catalog)
    chains = lineage(scenario.catalog)
    acts = {a: Act(a, reach[a], chains[a]) for a in reach}
    parties = {
        name: Party(
            [g for g in scenario.live_grants if g.party == name],
            scenario.blocked(name),
        )
        for name in scenario.parties
    }
    oso = oso_module.Oso()
    for cls in (Party, Ask, Act, Held):
        oso.register_class(cls)
    oso.load_str(POLAR)

    def phrase(request: Request) -> tuple[Party, Ask]:
        recipient = parties[request.recipient]
        ask = Ask(recipient, acts[request.activity], request.intensity)
        return parties[request.actor], ask

    def decide(asked: tuple[Party, Ask]) -> bool:
        return bool(oso.is_allowed(asked[0], "do", asked[1]))

    return [Contender("Oso (Polar over Python classes)", phrase, decide, 600)]


# -- running ---------------------------------------------------------------


def peers(scenario: Scenario) -> list[Contender]:
    """Every peer that is installed, set up for `scenario`."""
    found: list[Contender] = []
    for module, setups in (
        ("cedarpy", (cedar_entity_data, cedar_per_grant)),
        ("casbin", (casbin_enforcers,)),
        ("oso", (oso_engine,)),
    ):
        try:
            imported = importlib.import_module(module)
        except ImportError:
            print(f"  {module}: not installed, skipped")
            continue
        print(f"  {module} {version(module)}")
        for setup in setups:
            found.extend(setup(scenario, imported))
    return found


def latency(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} us"


def spread(samples: list[int]) -> float:
    """Mean over median: well above 1 when a few calls take far longer."""
    return statistics.fmean(samples) / statistics.median(samples)


def preempted(samples: list[int]) -> int:
    """How many calls took over 1 ms: on a shared machine, mostly time slices lost."""
    return sum(t > 1_000_000 for t in samples)


def label(size: tuple[int, int]) -> str:
    return f"{size[0]} x {size[1]:,}"


def agreement(others: list[Contender], asked: list[Request], truth: list[bool]) -> None:
    """Print how often each engine's answer is consentkit's (`truth`)."""
    rows = [
        [
            "consentkit Engine.check",
            f"{len(truth):,}",
            f"{len(truth):,}",
            "0",
            f"{sum(truth):,}",
        ]
    ]
    for contender in others:
        subset = asked[: contender.checked]
        answers = [contender.decide(contender.phrase(r)) for r in subset]
        same = sum(a == t for a, t in zip(answers, truth, strict=False))
        rows.append(
            [
                contender.name,
                f"{len(subset):,}",
                f"{same:,}",
                f"{len(subset) - same:,}",
                f"{sum(answers):,}",
            ]
        )
    print("agreement with consentkit's verdict (allowed or not), request by request")
    print(table(["engine", "requests", "agree", "disagree", "allowed"], rows))


def _time_each(decide: Callable[[Any], object], items: Sequence[Any]) -> list[int]:
    """Nanoseconds `decide` takes on each item, one call per item."""
    clock = time.perf_counter_ns
    taken = [0] * len(items)
    with quiet_gc():
        for index, item in enumerate(items):
            start = clock()
            decide(item)
            taken[index] = clock() - start
    return taken


def timing(
    ours: Callable[[Step], bool],
    others: list[Contender],
    draw: Callable[[int], list[Step]],
    rounds: int,
    ours_timed: int,
) -> list[float]:
    """Time each engine; time consentkit on the same requests right before it.

    `draw(n)` gives the steps of one timed slice: in fresh mode new steps
    every time, in repeat mode the first `n` of one list.  So every speed-up
    compares two medians over the same requests, measured side by side, and
    a burst of load from other processes touches both.  Returns consentkit's
    mean/median of each cell.
    """
    alone: list[int] = []
    paired: dict[str, list[int]] = {c.name: [] for c in others}
    theirs: dict[str, list[int]] = {c.name: [] for c in others}
    for _ in range(rounds):
        alone.extend(_time_each(ours, draw(ours_timed)))
        for contender in others:
            steps = draw(contender.timed)
            phrased = [contender.phrase(request_of(s)) for s in steps]
            paired[contender.name].extend(_time_each(ours, steps))
            theirs[contender.name].extend(_time_each(contender.decide, phrased))

    mine = latency(statistics.median(alone))
    spreads = [spread(alone)]
    own = f"{spreads[0]:.2f}"
    rows = [["consentkit Engine.check", f"{len(alone):,}", mine, own, mine, own, "-"]]
    speedups: dict[str, float] = {}
    for contender in others:
        them, us_ = theirs[contender.name], paired[contender.name]
        speedups[contender.name] = ratio = statistics.median(them) / statistics.median(
            us_
        )
        spreads.append(spread(us_))
        rows.append(
            [
                contender.name,
                f"{len(them):,}",
                latency(statistics.median(them)),
                f"{spread(them):.2f}",
                latency(statistics.median(us_)),
                f"{spread(us_):.2f}",
                f"{ratio:,.1f}x" if ratio >= 1 else f"{ratio:.3f}x",
            ]
        )
    print(
        f"median latency per decision ({rounds} rounds; consentkit timed on the "
        "same requests right before each engine, and returns the full decision: "
        "findings, basis, explanation data)"
    )
    header = ["engine", "timed", "median", "mean/med"]
    header += ["consentkit, same requests", "mean/med", "speed-up"]
    print(table(header, rows))
    real = [c for c in others if c.is_peer]
    if real:
        fastest = min(real, key=lambda c: statistics.median(theirs[c.name]))
        speedup = speedups[fastest.name]
        verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
        print(
            f"target: consentkit >= {TARGET_SPEEDUP:.0f}x faster than the fastest "
            f"peer encoding ({fastest.name}): {speedup:.1f}x, {verdict}"
        )
    return spreads


def floor(policy: Policy) -> Contender:
    """A dict of precomputed answers: no engine, no explanation, for scale."""
    answers = policy.table()
    return Contender(
        "(floor) dict of precomputed answers",
        lambda r: (r.actor, r.recipient, r.activity, r.intensity),
        lambda key: answers.get(key[:3], 0) >= key[3],
        2000,
        is_peer=False,
    )


def repeated(args: argparse.Namespace) -> None:
    """The repeat mode: every engine timed on the same requests round after round."""
    scenario = build(args.parties, args.grants)
    policy = Policy(scenario)
    asked = requests(scenario, policy, REQUESTS)
    steps = [r.step() for r in asked]
    engine = Engine()
    ledger = scenario.ledger
    truth = [engine.check(s, ledger).allowed for s in steps]  # warms it too
    print(
        f"REPEAT mode (requests asked again in every round); scenario: "
        f"{args.parties} parties x {args.grants:,} grants; "
        f"{len(asked):,} random requests, {sum(truth):,} allowed by consentkit; "
        f"Python {sys.version.split()[0]}"
    )
    print("peers:")
    others = [*peers(scenario), floor(policy)]
    print()
    agreement(others, asked, truth)
    print()
    timing(
        lambda step: engine.check(step, ledger).allowed,
        others,
        lambda count: steps[:count],
        args.rounds,
        2000,
    )


# -- fresh mode: the targets -------------------------------------------------


@dataclass
class Side:
    """One ledger of the target comparisons, and where its fresh steps come from."""

    size: tuple[int, int]
    scenario: Scenario
    fresh: Fresh
    cedar: Contender


@dataclass
class Summary:
    """Each target: what it asks, what was measured, and whether it is met."""

    rows: list[list[str]] = field(default_factory=list)
    spreads: list[float] = field(default_factory=list)

    def add(self, target: str, measured: str, met: bool) -> None:  # noqa: FBT001
        """Record one target's line."""
        self.rows.append([target, measured, "met" if met else "NOT met"])


def check_targets(
    engine: Engine, sides: list[Side], rounds: int, summary: Summary
) -> None:
    """`Engine.check` against Cedar (grants as entity data) at every size."""
    rows: list[list[str]] = []
    for side in sides:
        steps = side.fresh.steps(AGREE)
        ledger = side.scenario.ledger
        truth = [engine.check(s, ledger).allowed for s in steps]  # warms it too
        theirs = [side.cedar.decide(side.cedar.phrase(request_of(s))) for s in steps]
        same = sum(a == b for a, b in zip(truth, theirs, strict=True))
        rows.append(
            [label(side.size), f"{len(steps):,}", f"{same:,}", f"{sum(truth):,}"]
        )
    print(
        "agreement of Cedar (grants as entity data) with consentkit, on fresh "
        "steps (also the warm-up; none of them is timed)"
    )
    print(table(["ledger", "requests", "agree", "allowed"], rows))
    print()

    ours: dict[tuple[int, int], list[int]] = {side.size: [] for side in sides}
    theirs_taken: dict[tuple[int, int], list[int]] = {s.size: [] for s in sides}
    for round_ in range(rounds):
        for side in sides:
            ledger = side.scenario.ledger
            steps = side.fresh.steps(CHECKS)
            phrased = [side.cedar.phrase(request_of(s)) for s in steps]

            def check(step: Step, ledger: Ledger = ledger) -> bool:
                return engine.check(step, ledger).allowed

            if round_ % 2:  # take turns at going first
                theirs_taken[side.size].extend(_time_each(side.cedar.decide, phrased))
                ours[side.size].extend(_time_each(check, steps))
            else:
                ours[side.size].extend(_time_each(check, steps))
                theirs_taken[side.size].extend(_time_each(side.cedar.decide, phrased))

    rows = []
    for side in sides:
        mine, them = ours[side.size], theirs_taken[side.size]
        ratio = statistics.median(them) / statistics.median(mine)
        summary.spreads.append(spread(mine))
        rows.append(
            [
                label(side.size),
                f"{len(mine):,}",
                latency(statistics.median(mine)),
                f"{spread(mine):.2f}",
                f"{preempted(mine):,}",
                latency(statistics.median(them)),
                f"{spread(them):.2f}",
                f"{ratio:.1f}x",
            ]
        )
        summary.add(
            f"check {label(side.size)}: >= {TARGET_SPEEDUP:.0f}x Cedar entity data",
            f"{ratio:.1f}x",
            ratio >= TARGET_SPEEDUP,
        )
    small, large = sides[0].size, sides[-1].size
    growth = statistics.median(ours[large]) / statistics.median(ours[small])
    summary.add(
        f"check {label(large)} / {label(small)} median: <= {TARGET_GROWTH}",
        f"{growth:.2f}",
        growth <= TARGET_GROWTH,
    )
    print(
        f"Engine.check against Cedar, grants as entity data (handles): latency per "
        f"decision, each call on a step never decided before ({rounds} rounds x "
        f"{CHECKS:,} fresh steps per ledger; both engines on the same requests, "
        "taking turns at going first)"
    )
    header = ["ledger", "timed", "consentkit median", "mean/med", "> 1 ms"]
    header += ["Cedar median", "mean/med", "speed-up"]
    print(table(header, rows))
    print(f"consentkit {label(large)} / {label(small)}: {growth:.2f}")


@dataclass
class PlanCell:
    """One ledger and plan length: each run's time per engine, and the answers."""

    side: Side
    length: int
    ours: list[int] = field(default_factory=list)
    theirs: list[int] = field(default_factory=list)
    agree: int = 0
    allowed: int = 0


def _plan_round(engine: Engine, cell: PlanCell, cedar_first: bool) -> None:  # noqa: FBT001
    """Decide one fresh plan with each engine, timing each once."""
    side = cell.side
    batch = side.cedar.batch
    if batch is None:  # pragma: no cover  # INVARIANT: the handles variant has one
        raise AssertionError("no batch API")
    plan = side.fresh.plan(cell.length)
    phrased = [side.cedar.phrase(request_of(s)) for s in plan.steps]
    ledger = side.scenario.ledger
    clock = time.perf_counter_ns
    with quiet_gc():
        for turn in ("cedar", "ours") if cedar_first else ("ours", "cedar"):
            start = clock()
            if turn == "ours":
                decided = engine.check_plan(plan, ledger)
                cell.ours.append(clock() - start)
            else:
                answers = batch.call(phrased)
                cell.theirs.append(clock() - start)
    mine = [d.allowed for d in decided.decisions]
    cell.agree += sum(a == b for a, b in zip(mine, batch.read(answers), strict=True))
    cell.allowed += sum(mine)


def plan_targets(
    engine: Engine, sides: list[Side], rounds: int, summary: Summary
) -> None:
    """`check_plan` on fresh plans against Cedar's batch API on the same requests."""
    for side in sides:  # warm both on a plan of their own
        _plan_round(engine, PlanCell(side, PLAN_LENGTHS[0]), cedar_first=False)
    cells = [PlanCell(side, length) for side in sides for length in PLAN_LENGTHS]
    for round_ in range(rounds):
        for cell in cells:
            _plan_round(engine, cell, cedar_first=round_ % 2 == 1)

    rows: list[list[str]] = []
    worst_rate: dict[int, float] = {}
    worst_ratio: dict[int, float] = {}
    for cell in cells:
        side, length, mine, them = cell.side, cell.length, cell.ours, cell.theirs
        rate = length / (statistics.median(mine) / 1e9)
        their_rate = length / (statistics.median(them) / 1e9)
        ratio = statistics.median(them) / statistics.median(mine)
        worst_rate[length] = min(rate, worst_rate.get(length, rate))
        worst_ratio[length] = min(ratio, worst_ratio.get(length, ratio))
        summary.spreads.append(spread(mine))
        rows.append(
            [
                label(side.size),
                f"{length:,}",
                f"{statistics.median(mine) / 1e6:.1f}",
                f"{rate:,.0f}",
                f"{spread(mine):.2f}",
                f"{statistics.median(them) / 1e6:.1f}",
                f"{their_rate:,.0f}",
                f"{spread(them):.2f}",
                f"{ratio:.1f}x",
                f"{cell.agree:,}/{length * len(mine):,}",
                f"{cell.allowed:,}",
            ]
        )
    print(
        f"check_plan on fresh plans against cedarpy.is_authorized_batch over the "
        f"same requests ({rounds} rounds; each plan decided once, by each engine; "
        "taking turns at going first).  Cedar encoding: grants as entity data, "
        "handles, one request per step (its permit reads both sides)"
    )
    header = ["ledger", "steps", "consentkit ms", "steps/s", "mean/med"]
    header += ["Cedar ms", "steps/s", "mean/med", "speed-up", "agree", "allowed"]
    print(table(header, rows))
    for length in PLAN_LENGTHS:
        summary.add(
            f"check_plan {length:,} steps: >= {TARGET_PLAN_RATE:,} steps/s "
            "(worst ledger)",
            f"{worst_rate[length]:,.0f}",
            worst_rate[length] >= TARGET_PLAN_RATE,
        )
        summary.add(
            f"check_plan {length:,} steps: >= {TARGET_PLAN_SPEEDUP:.0f}x Cedar "
            "batch (worst ledger)",
            f"{worst_ratio[length]:.1f}x",
            worst_ratio[length] >= TARGET_PLAN_SPEEDUP,
        )


def fresh(args: argparse.Namespace) -> None:
    """The fresh mode: every timed call on a step never decided before."""
    try:
        cedarpy = importlib.import_module("cedarpy")
    except ImportError:
        raise SystemExit(
            "the targets need cedarpy: pip install -e '.[bench]'"
        ) from None
    print(
        f"FRESH mode: every timed call decides a step never decided before in "
        f"this process; Python {sys.version.split()[0]}, consentkit "
        f"{version('consentkit')}, cedarpy {version('cedarpy')}"
    )
    print("ledgers:")
    engine = Engine()
    sides: list[Side] = []
    for size in SIZES:
        scenario = build(*size)
        fresh_steps = Fresh(scenario, Policy(scenario))
        cedar = cedar_entity_data(scenario, cedarpy)[0]
        sides.append(Side(size, scenario, fresh_steps, cedar))
    summary = Summary()
    print()
    check_targets(engine, sides, args.check_rounds, summary)
    print()
    plan_targets(engine, sides, args.plan_rounds, summary)

    if not args.only_targets:
        size = (args.parties, args.grants)
        side = next((s for s in sides if s.size == size), None)
        if side is None:
            scenario = build(*size)
            side = Side(
                size, scenario, Fresh(scenario, Policy(scenario)), sides[0].cedar
            )
        print(f"\nevery peer, on {label(size)}:")
        others = [*peers(side.scenario), floor(side.fresh.policy)]
        ledger = side.scenario.ledger
        steps = side.fresh.steps(REQUESTS)
        truth = [engine.check(s, ledger).allowed for s in steps]
        print()
        agreement(others, [request_of(s) for s in steps], truth)
        print()
        spreads = timing(
            lambda step: engine.check(step, ledger).allowed,
            others,
            side.fresh.steps,
            args.rounds,
            2000,
        )
        print(f"consentkit's worst mean/median in this table: {max(spreads):.2f}")
        sides.append(side)

    worst = max(summary.spreads)
    summary.add(
        f"consentkit mean/median, every target cell: <= {TARGET_SPREAD:.0f}",
        f"{worst:.2f}",
        worst <= TARGET_SPREAD,
    )
    print()
    print("fresh steps handed out (a repeat asks an earlier step's question later):")
    seen: set[int] = set()
    for side in sides:
        if id(side.fresh) not in seen:
            seen.add(id(side.fresh))
            print(
                f"  {label(side.size)}: {side.fresh.handed:,} steps, "
                f"{side.fresh.repeats:,} repeats"
            )
    print()
    print("summary")
    print(table(["target", "measured", "verdict"], summary.rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--parties", type=int, default=20)
    parser.add_argument("--grants", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check-rounds", type=int, default=10)
    parser.add_argument("--plan-rounds", type=int, default=5)
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="the old timing: the same requests in every round, every peer",
    )
    parser.add_argument(
        "--only-targets",
        action="store_true",
        help="fresh mode: skip the table of every peer",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if args.repeat:
        repeated(args)
    else:
        fresh(args)
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
