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
assert_type(ck.default_catalog(), ck.Catalog)
assert_type(ck.digest(step), str)
assert_type(ck.from_dict(ck.Step, {}), ck.Step)
assert_type(ck.check(step, ledger).allowed, bool)
assert_type(ck.check(step, ledger).verdict, ck.Verdict)

terms = ck.Terms(
    parties={"a", "b"},
    window=ck.Window(start=at, end=at.replace(day=2)),
    grants=[],
    protocol=ck.Protocol(signals=[]),
)
assert_type(ck.lint(terms), ck.LintReport)
assert_type(ck.lint(terms, ledger=ledger).findings, tuple[ck.LintFinding, ...])
assert_type(ck.diff(terms, terms), ck.TermsDiff)
assert_type(ck.diff(terms, terms).for_party("a"), tuple[ck.Change, ...])
assert_type(ck.loads("", "lint"), ck.LintReport)
assert_type(ck.loads("", "terms_diff"), ck.TermsDiff)
