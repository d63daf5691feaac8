"""Pins what the public functions return; type-checked by mypy, never run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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

prefs = ck.Preferences(party="a", entries=())
other = ck.Preferences(party="b", entries=())
protocol = ck.Protocol(signals=())
window = ck.Window(start=at, end=at + timedelta(hours=1))
assert_type(ck.compare(prefs, other), ck.Comparison)
assert_type(ck.compare(prefs, other).render(), str)
assert_type(ck.draft_terms([prefs, other], window=window, protocol=protocol), ck.Terms)
assert_type(ck.read_preferences_csv("", "a"), ck.Imported)
assert_type(ck.read_kinklist("", "", "a"), ck.Imported)
assert_type(prefs.effective("impact", ck.Role.GIVE), ck.Rating | None)
assert_type(ck.loads("", "preferences"), ck.Preferences)
assert_type(ck.loads("", "comparison"), ck.Comparison)
assert_type(ck.loads("", "protocol"), ck.Protocol)
