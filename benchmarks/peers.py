"""consentkit against general-purpose policy engines, on the same consent policy.

Run with ``.venv/bin/python benchmarks/peers.py`` (one to two minutes) after
``.venv/bin/pip install cedarpy casbin oso`` (the ``bench`` extra, plus oso
where it installs; a peer that is not installed is skipped).  ``--parties``
and ``--grants`` choose the scenario's size (default 20 x 500).

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
interleaved rounds over the first requests of the same list; each speed-up
compares medians over the same requests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

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

from consentkit import Catalog, Engine, Grant, Role

REQUESTS = 10_000
TARGET_SPEEDUP = 7.0


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
    return [
        Contender("Cedar, grants as entity data (handles)", phrase, with_handles, 2000),
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


def agreement(
    contenders: list[Contender], asked: list[Request], truth: list[bool]
) -> None:
    rows: list[list[str]] = []
    for contender in contenders:
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


def _time(contender: Contender, asked: list[Request], count: int) -> list[int]:
    """Nanoseconds each of the first `count` requests takes `contender`."""
    clock = time.perf_counter_ns
    phrased = [contender.phrase(r) for r in asked[:count]]
    decide = contender.decide
    taken = [0] * len(phrased)
    with quiet_gc():
        for index, item in enumerate(phrased):
            start = clock()
            decide(item)
            taken[index] = clock() - start
    return taken


def timing(contenders: list[Contender], asked: list[Request], rounds: int) -> None:
    """Time each engine; time consentkit on the same requests right before it.

    So every speed-up compares two medians over the same requests, measured
    side by side, and a burst of load from other processes touches both.
    """
    ours, others = contenders[0], contenders[1:]
    paired: dict[str, list[int]] = {c.name: [] for c in others}
    for _ in range(rounds):
        ours.samples.append(_time(ours, asked, ours.timed))
        for contender in others:
            paired[contender.name].extend(_time(ours, asked, contender.timed))
            contender.samples.append(_time(contender, asked, contender.timed))

    def median(rounds_taken: list[list[int]]) -> float:
        return statistics.median(t for taken in rounds_taken for t in taken)

    alone = latency(median(ours.samples))
    rows = [[ours.name, f"{ours.timed * rounds:,}", alone, alone, "-"]]
    speedups: dict[str, float] = {}
    for contender in others:
        theirs = median(contender.samples)
        mine = statistics.median(paired[contender.name])
        speedups[contender.name] = ratio = theirs / mine
        rows.append(
            [
                contender.name,
                f"{contender.timed * rounds:,}",
                latency(theirs),
                latency(mine),
                f"{ratio:,.1f}x" if ratio >= 1 else f"{ratio:.3f}x",
            ]
        )
    print(
        f"median latency per decision ({rounds} rounds; consentkit timed on the "
        "same requests right before each engine, and returns the full decision: "
        "findings, basis, explanation data)"
    )
    header = ["engine", "timed", "median", "consentkit, same requests", "speed-up"]
    print(table(header, rows))
    real = [c for c in others if c.is_peer]
    if real:
        fastest = min(real, key=lambda c: median(c.samples))
        speedup = speedups[fastest.name]
        verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
        print(
            f"target: consentkit >= {TARGET_SPEEDUP:.0f}x faster than the fastest "
            f"peer encoding ({fastest.name}): {speedup:.1f}x, {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--parties", type=int, default=20)
    parser.add_argument("--grants", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()

    scenario = build(args.parties, args.grants)
    policy = Policy(scenario)
    asked = requests(scenario, policy, REQUESTS)
    engine = Engine()
    ledger = scenario.ledger
    truth = [engine.check(r.step(), ledger).allowed for r in asked]  # warms it too
    print(
        f"scenario: {args.parties} parties x {args.grants:,} grants; "
        f"{len(asked):,} random requests, {sum(truth):,} allowed by consentkit; "
        f"Python {sys.version.split()[0]}"
    )
    print("peers:")
    contenders = [
        Contender(
            "consentkit Engine.check",
            lambda r: r.step(),
            lambda step: engine.check(step, ledger).allowed,
            2000,
        ),
        *peers(scenario),
    ]
    answers = policy.table()
    contenders.append(
        Contender(
            "(floor) dict of precomputed answers",
            lambda r: (r.actor, r.recipient, r.activity, r.intensity),
            lambda key: answers.get(key[:3], 0) >= key[3],
            2000,
            is_peer=False,
        )
    )
    print()
    agreement(contenders, asked, truth)
    print()
    timing(contenders, asked, args.rounds)
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
