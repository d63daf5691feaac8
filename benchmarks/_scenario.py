"""Shared builders for the benchmarks: a consent ledger of a chosen size, and requests.

A scenario is one agreement among `parties` people holding `grants` grants
spread over the default catalog's activities (roles GIVE and RECEIVE, some
covering a subtree, most capped), a few hard limits on whole categories
(some agreed in the terms, some declared later as standing limits) and a few
revocations (of grants by id and of activity subtrees).

Nothing else in it can refuse a step: grants carry no conditions, the
protocol has a STOP signal that needs nothing (so no activity takes it
away), it lists every piece of equipment the catalog asks for, nobody is
impaired and there are no soft limits or authority.  So consentkit's verdict
on a request is exactly the one of the simple policy that `Policy` spells
out, and that the peer engines encode:

    a request (actor, recipient, activity, intensity) is allowed iff the
    recipient has a live RECEIVE grant and the actor a live GIVE grant, each
    covering the activity (exactly, or by subtree short of an
    ``explicit_only`` activity beneath the grant's) with a cap at or above
    the intensity, and no hard limit or withdrawn subtree of either party
    covers the activity.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from consentkit import (
    Catalog,
    Grant,
    Ledger,
    Limit,
    LimitKind,
    Plan,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Step,
    Terms,
    Window,
    default_catalog,
)

__all__ = [
    "AT",
    "MAX_INTENSITY",
    "Policy",
    "Request",
    "Scenario",
    "build",
    "lineage",
    "plan",
    "quiet_gc",
    "requests",
    "subtree_reach",
    "table",
]

START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
"""When the agreement's window opens."""
AT = START + timedelta(hours=6)
"""When requests are checked: after every event of the ledger."""
MAX_INTENSITY = 10
PROPOSAL = "p1"


@dataclass(frozen=True)
class Request:
    """One question: may `actor` do `activity` to `recipient` at `intensity`?"""

    actor: str
    recipient: str
    activity: str
    intensity: int

    def step(self, at: datetime = AT) -> Step:
        """The consentkit step asking the same question at `at`."""
        return Step(
            actor=self.actor,
            recipient=self.recipient,
            activity=self.activity,
            intensity=self.intensity,
            at=at,
        )


@dataclass(frozen=True)
class Scenario:
    """A ledger and, side by side, the policy facts it was built from.

    Attributes:
        catalog: The catalog the grants name activities of.
        ledger: Proposal, acceptances, standing limits and revocations.
        parties: Everyone in the agreement.
        grants: Every grant of the agreement, revoked ones included.
        revoked: Ids of the grants withdrawn by id.
        withdrawn: For each party, the activity subtrees they withdrew.
        hard_limits: For each party, the categories under their hard limits.
    """

    catalog: Catalog
    ledger: Ledger
    parties: tuple[str, ...]
    grants: tuple[Grant, ...]
    revoked: frozenset[str]
    withdrawn: Mapping[str, tuple[str, ...]]
    hard_limits: Mapping[str, tuple[str, ...]]

    @property
    def live_grants(self) -> tuple[Grant, ...]:
        """The grants not withdrawn by id."""
        return tuple(g for g in self.grants if g.id not in self.revoked)

    def blocked(self, party: str) -> tuple[str, ...]:
        """The subtrees `party` may take no part in: hard limits and withdrawals."""
        return (*self.hard_limits.get(party, ()), *self.withdrawn.get(party, ()))


def subtree_reach(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """For each activity, the activities a subtree grant may name to cover it.

    Itself and its ancestors, nearest first, up to the first ``explicit_only``
    one met on the way up (a subtree grant above an ``explicit_only``
    activity does not reach beneath it).
    """
    reach: dict[str, tuple[str, ...]] = {}
    for activity in catalog:
        found: list[str] = []
        for node in (activity.id, *catalog.ancestors(activity.id)):
            found.append(node)
            if "explicit_only" in catalog[node].tags:
                break
        reach[activity.id] = tuple(found)
    return reach


def lineage(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """For each activity, itself and all its ancestors (what limits reach it by)."""
    return {a.id: (a.id, *catalog.ancestors(a.id)) for a in catalog}


@dataclass
class Policy:
    """The simple policy in plain Python, straight from the scenario's facts.

    Used to pick requests, to cross-check consentkit, and as the floor: a
    precomputed table answering ``allowed`` with no explanation.
    """

    scenario: Scenario
    #: False: a naive reading that ignores ``explicit_only``, limits,
    #: withdrawals and revocations (to find requests where they matter).
    strict: bool = True
    reach: dict[str, tuple[str, ...]] = field(init=False)
    lineage: dict[str, tuple[str, ...]] = field(init=False)
    #: (party, role, activity) -> the highest cap of a live exact grant.
    exact: dict[tuple[str, Role, str], int] = field(init=False)
    #: (party, role, activity) -> the highest cap of a live subtree grant.
    subtree: dict[tuple[str, Role, str], int] = field(init=False)

    def __post_init__(self) -> None:
        catalog = self.scenario.catalog
        self.lineage = lineage(catalog)
        self.reach = subtree_reach(catalog) if self.strict else self.lineage
        self.exact = {}
        self.subtree = {}
        scenario = self.scenario
        for grant in scenario.live_grants if self.strict else scenario.grants:
            table = self.subtree if grant.include_subtypes else self.exact
            key = (grant.party, grant.role, grant.activity)
            cap = MAX_INTENSITY if grant.max_intensity is None else grant.max_intensity
            table[key] = max(cap, table.get(key, 0))

    def cap(self, party: str, role: Role, activity: str) -> int:
        """The highest intensity `party`'s live grants allow in `role` (0: none)."""
        best = self.exact.get((party, role, activity), 0)
        for node in self.reach[activity]:
            best = max(best, self.subtree.get((party, role, node), 0))
        return best

    def blocked(self, party: str, activity: str) -> bool:
        """Whether a hard limit or a withdrawal of `party` covers `activity`."""
        if not self.strict:
            return False
        chain = self.lineage[activity]
        return any(node in chain for node in self.scenario.blocked(party))

    def ceiling(self, actor: str, recipient: str, activity: str) -> int:
        """The highest intensity allowed for the pair and activity (0: none)."""
        if self.blocked(actor, activity) or self.blocked(recipient, activity):
            return 0
        return min(
            self.cap(recipient, Role.RECEIVE, activity),
            self.cap(actor, Role.GIVE, activity),
        )

    def allows(self, request: Request) -> bool:
        """The simple policy's answer."""
        ceiling = self.ceiling(request.actor, request.recipient, request.activity)
        return request.intensity <= ceiling

    def table(self) -> dict[tuple[str, str, str], int]:
        """Every (actor, recipient, activity) with a ceiling above 0, precomputed."""
        parties = self.scenario.parties
        found: dict[tuple[str, str, str], int] = {}
        for activity in self.scenario.catalog:
            for actor in parties:
                for recipient in parties:
                    if actor == recipient:
                        continue
                    ceiling = self.ceiling(actor, recipient, activity.id)
                    if ceiling:
                        found[actor, recipient, activity.id] = ceiling
        return found


def _protocol(catalog: Catalog) -> Protocol:
    equipment: set[str] = set()
    for activity in catalog:
        equipment |= activity.requires
    return Protocol(
        signals=(
            Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP),
            Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW),
            # Stamping a foot takes neither voice, hands nor sight.
            Signal(cue="stamp", kind=SignalKind.NONVERBAL, meaning=SignalMeaning.STOP),
        ),
        check_in_minutes=10,
        equipment=frozenset(equipment),
    )


def build(parties: int, grants: int, seed: int = 7) -> Scenario:
    """A scenario with `parties` parties holding `grants` grants between them."""
    rng = random.Random(seed)
    catalog = default_catalog()
    names = tuple(f"party{i:02d}" for i in range(parties))
    activities = [a.id for a in catalog]
    has_children = {a.id for a in catalog if catalog.descendants(a.id)}
    categories = sorted(a for a in activities if "." not in a)

    made: list[Grant] = []
    for index in range(grants):
        activity = rng.choice(activities)
        made.append(
            Grant(
                id=f"g{index}",
                party=names[index % parties],
                role=rng.choice((Role.GIVE, Role.RECEIVE)),
                activity=activity,
                include_subtypes=activity in has_children and rng.random() < 0.5,
                max_intensity=None if rng.random() < 0.2 else rng.randint(3, 10),
            )
        )

    # A few hard limits on whole categories: half in the terms, half declared
    # later as standing limits, each on a category the party had consented
    # to something in (a change of mind: the limit wins over the grant).
    limited = rng.sample(names, max(2, parties // 4))
    hard_limits: dict[str, tuple[str, ...]] = {}
    agreed: list[Limit] = []
    standing: list[Limit] = []
    for index, party in enumerate(limited):
        if index % 2 == 0:
            category = rng.choice(categories)
        else:
            own = [g for g in made if g.party == party]
            # Prefer a grant some other party's grant answers (same activity,
            # the other role), so the limit is what refuses a step between them.
            answered = [
                g
                for g in own
                if any(
                    h.activity == g.activity
                    and h.role is not g.role
                    and h.party != party
                    for h in made
                )
            ]
            category = rng.choice(answered or own).activity.split(".")[0]
        hard_limits[party] = (*hard_limits.get(party, ()), category)
        limit = Limit(party=party, kind=LimitKind.HARD, activity=category)
        (agreed if index % 2 == 0 else standing).append(limit)

    terms = Terms(
        parties=frozenset(names),
        window=Window(start=START, end=START + timedelta(days=7)),
        grants=tuple(made),
        limits=tuple(agreed),
        protocol=_protocol(catalog),
    )
    at = START + timedelta(minutes=1)
    ledger = Ledger().propose(by=names[0], terms=terms, at=at, proposal_id=PROPOSAL)
    for party in names:
        at += timedelta(seconds=10)
        ledger = ledger.accept(by=party, proposal_id=PROPOSAL, at=at)
    for limit in standing:
        at += timedelta(seconds=10)
        ledger = ledger.declare_limit(by=limit.party, limit=limit, at=at)

    # A few revocations: by grant id, and of a mid-level activity's subtree.
    revoked: set[str] = set()
    withdrawn: dict[str, tuple[str, ...]] = {}
    for index in range(3 + grants // 1000):
        at += timedelta(seconds=10)
        if index % 2 == 0:
            party = rng.choice(names)
            own = [g for g in made if g.party == party]
            ids = {g.id for g in rng.sample(own, min(2, len(own)))}
            revoked |= ids
            ledger = ledger.revoke(by=party, grants=ids, at=at)
        else:
            party = rng.choice(names)
            activity = rng.choice(sorted(has_children - set(categories)))
            withdrawn[party] = (*withdrawn.get(party, ()), activity)
            ledger = ledger.revoke(by=party, activities={activity}, at=at)

    if at >= AT:  # pragma: no cover  # INVARIANT: the events come before AT
        raise AssertionError("the ledger's events run past AT")
    return Scenario(
        catalog=catalog,
        ledger=ledger,
        parties=names,
        grants=tuple(made),
        revoked=frozenset(revoked),
        withdrawn=withdrawn,
        hard_limits=hard_limits,
    )


def requests(
    scenario: Scenario, policy: Policy, count: int, seed: int = 11
) -> list[Request]:
    """`count` random requests, a third of each kind.

    - Uniform: any two parties, any activity, any intensity (mostly refused
      for want of consent).
    - Near: an (actor, recipient, activity) the policy allows at some
      intensity, at an intensity around its ceiling (ALLOWs and refusals by
      cap).
    - Edge: one a naive reading would allow that the policy does not, or
      allows only lower (``explicit_only`` under a subtree grant, a hard
      limit, a withdrawn subtree, a revoked grant).
    """
    rng = random.Random(seed)
    activities = [a.id for a in scenario.catalog]
    allowed = policy.table()
    naive = Policy(scenario, strict=False).table()
    pools = [
        sorted(allowed.items()),
        sorted((k, v) for k, v in naive.items() if allowed.get(k, 0) < v),
    ]
    found: list[Request] = []
    while len(found) < count:
        pool = pools[len(found) % 3 - 1] if len(found) % 3 else []
        if pool:
            (actor, recipient, activity), ceiling = rng.choice(pool)
            ceiling = max(ceiling, allowed.get((actor, recipient, activity), 0))
            intensity = min(
                MAX_INTENSITY, max(1, ceiling + rng.choice((-2, -1, 0, 0, 1, 2)))
            )
        else:
            actor, recipient = rng.sample(scenario.parties, 2)
            activity = rng.choice(activities)
            intensity = rng.randint(1, MAX_INTENSITY)
        found.append(Request(actor, recipient, activity, intensity))
    return found


def plan(scenario: Scenario, policy: Policy, length: int, seed: int = 13) -> Plan:
    """A plan of `length` steps a minute and a half apart, some overlapping."""
    picked = requests(scenario, policy, length, seed)
    at = AT

    def steps() -> Iterator[Step]:
        nonlocal at
        for index, request in enumerate(picked):
            step = request.step(at)
            minutes = 3 if index % 5 == 0 else 1
            yield Step(
                actor=step.actor,
                recipient=step.recipient,
                activity=step.activity,
                intensity=step.intensity,
                at=step.at,
                duration=timedelta(minutes=minutes),
            )
            at += timedelta(seconds=90)

    return Plan(steps=tuple(steps()), title=f"{length} steps")


# -- reporting -------------------------------------------------------------


@contextmanager
def quiet_gc() -> Iterator[None]:
    """Collect, then keep the collector out of a timed loop (as `timeit` does)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
