"""Pins what the public functions return; type-checked by mypy, never run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from typing_extensions import assert_type

import consentkit as ck
from consentkit import signing

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

# Receipts (SPEC 8).
key = signing.SigningKey.from_seed(bytes(32))
receipt = signing.sign_receipt(ledger, party="a", key=key, at=at)
assert_type(receipt, ck.Receipt)
assert_type(receipt.at, datetime)
assert_type(key.public_key, signing.PublicKey)
assert_type(signing.verify_receipt(receipt, ledger, {"a": key.public_key}), None)
assert_type(signing.audit(ledger, [receipt], {"a": "z6Mk"}), signing.Audit)
assert_type(signing.audit(ledger, [], {}).ok, bool)
assert_type(signing.sign_document({}, key, created=at), dict[str, Any])
assert_type(signing.verify_document({}), signing.PublicKey)
assert_type(ck.loads("", "receipt"), ck.Receipt)
# The ledger store (consentkit.store).
from consentkit.store import LedgerStore  # noqa: E402  # beside what it pins

store = ck.open_store("sqlite://")
assert_type(store, LedgerStore)
assert_type(store.load("s"), ck.Ledger)
assert_type(store.head("s"), str | None)
assert_type(store.ids(), tuple[str, ...])
assert_type(store.exists("s"), bool)
assert_type(store.update("s", lambda led: led), ck.Ledger)
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
