"""Fresh steps: each one a question never handed out before in this process.

A timed call on a step decided before could be answered by a cache keyed by
the request instead of being decided.  So the benchmarks time consentkit on
steps handed out by `Fresh`, one per timed call, and never hand the same step
out twice: no step is decided twice in a timed run.

The questions come from `_scenario.requests` (its mix of uniform, near-cap
and edge requests), drawn in chunks with a new seed each time.  A small
scenario has few distinct questions (4 parties x 50 grants allow only a
handful of (actor, recipient, activity) triples), so a question may come up
again; it is then asked at a later time: each repeat of a question moves its
step `SHIFT` later than the last time it was asked, still after every event
of the ledger and well inside the agreement's window, so the consent in
force is the same and so is the verdict.  `Fresh.repeats` counts the steps
asking the same question as an earlier step (at another time).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from _scenario import AT, Policy, Request, Scenario, requests

from consentkit import Plan, Step

__all__ = ["PLAN_SPACING", "SHIFT", "Fresh", "request_of"]

SHIFT = timedelta(seconds=2)
"""How much later a question asked again is asked each time."""
PLAN_SPACING = timedelta(seconds=45)
"""The time between the starts of two steps of a fresh plan."""
CHUNK = 20_000
PLANS_START = AT + timedelta(hours=12)
"""Fresh plans start here, past the times single steps move to when repeated."""
LATEST = AT + timedelta(days=6, hours=12)
"""Every fresh step starts before this: inside the 7-day window, after AT."""


def request_of(step: Step) -> Request:
    """The question a step asks, without its time."""
    return Request(step.actor, step.recipient, step.activity, step.intensity)


class Fresh:
    """Hands out steps on one scenario, never the same (question, time) twice."""

    def __init__(self, scenario: Scenario, policy: Policy, seed: int = 1000) -> None:
        self.scenario = scenario
        self.policy = policy
        self._seed = seed
        self._queue: list[Request] = []
        self._seen: set[tuple[Request, datetime]] = set()
        self._next: dict[tuple[Request, datetime], datetime] = {}
        self._asked: set[Request] = set()
        self._plans = 0
        #: Steps handed out.
        self.handed = 0
        #: Steps whose question an earlier step asked, at another time.
        self.repeats = 0

    def requests(self, count: int) -> list[Request]:
        """The next `count` questions of the random mix (repeats possible)."""
        while len(self._queue) < count:
            self._seed += 1
            self._queue.extend(
                reversed(requests(self.scenario, self.policy, CHUNK, self._seed))
            )
        return [self._queue.pop() for _ in range(count)]

    def step(
        self, request: Request, at: datetime = AT, duration: timedelta | None = None
    ) -> Step:
        """A step asking `request` at `at`, or later if it was asked then."""
        base = at
        at = self._next.get((request, base), base)
        while (request, at) in self._seen:
            at += SHIFT
        self._seen.add((request, at))
        self._next[request, base] = at + SHIFT
        if at >= LATEST or (base < PLANS_START <= at):  # pragma: no cover
            raise AssertionError("a fresh step moved out of its stretch of time")
        self.handed += 1
        if request in self._asked:
            self.repeats += 1
        else:
            self._asked.add(request)
        return Step(
            actor=request.actor,
            recipient=request.recipient,
            activity=request.activity,
            intensity=request.intensity,
            at=at,
            duration=timedelta(0) if duration is None else duration,
        )

    def steps(self, count: int) -> list[Step]:
        """`count` fresh steps of the random mix, each at `AT` or later."""
        return [self.step(r) for r in self.requests(count)]

    def plan(self, length: int) -> Plan:
        """A fresh plan: `length` steps `PLAN_SPACING` apart, in the agreement window.

        Each step lasts 30 s, every fifth 60 s (overlapping the next).  Plans
        start 12 hours after `AT`, past the times single steps are moved to,
        each a second later than the one before, so no two plans share a
        start time; a step whose question was asked at its time moves later
        by `SHIFT`, less than the spacing, so the plan stays in time order.
        A 10,000-step plan spans 5.2 days and ends inside the window.
        """
        start = PLANS_START + timedelta(seconds=self._plans)
        self._plans += 1
        found: list[Step] = []
        for index, request in enumerate(self.requests(length)):
            at = start + index * PLAN_SPACING
            seconds = 60 if index % 5 == 0 else 30
            step = self.step(request, at, timedelta(seconds=seconds))
            if step.at - at >= PLAN_SPACING:  # pragma: no cover
                raise AssertionError("a plan step moved past the next one")
            found.append(step)
        return Plan(steps=tuple(found), title=f"{length} fresh steps")
