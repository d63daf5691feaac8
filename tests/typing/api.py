"""Pins what the public functions return; type-checked by mypy, never run."""

from __future__ import annotations

from datetime import datetime, timezone

from typing_extensions import assert_type

import consentkit as ck

at = datetime(2026, 3, 1, tzinfo=timezone.utc)
ledger = ck.Ledger()
step = ck.Step(actor="a", recipient="b", activity="impact", intensity=1, at=at)
plan = ck.Plan(steps=[step])
engine = ck.Engine()

assert_type(ledger.state_at(at), ck.ConsentState)
assert_type(ledger.head, str | None)
assert_type(ledger.agreements(), tuple[ck.Agreement, ...])
assert_type(ledger.negotiation("p1"), ck.Negotiation)
assert_type(ledger.append(ck.Confirmed(at=at, by="a", activity="impact")), ck.Ledger)
assert_type(ck.check(step, ledger), ck.Decision)
assert_type(ck.check_plan(plan, ledger), ck.PlanDecision)
assert_type(ck.envelope(ledger, "a", "b", at), tuple[ck.Allowance, ...])
assert_type(engine.check(step, ledger), ck.Decision)
assert_type(ck.check_many([(plan, ledger)]), list[ck.PlanDecision])
assert_type(engine.check_many([(step, ledger)]), list[ck.Decision])
mixed: list[tuple[ck.Plan | ck.Step, ck.Ledger]] = [(plan, ledger), (step, ledger)]
assert_type(engine.check_many(mixed), list[ck.Decision | ck.PlanDecision])
assert_type(ck.default_catalog(), ck.Catalog)
assert_type(ck.digest(step), str)
assert_type(ck.from_dict(ck.Step, {}), ck.Step)
assert_type(ck.check(step, ledger).allowed, bool)
assert_type(ck.check(step, ledger).verdict, ck.Verdict)
