"""consentkit: consent in negotiated power exchange, as typed records and a rule engine.

Limits, negotiations, session protocols and revocations are immutable records;
a ledger keeps their history, append-only and hash-chained; the engine checks
a planned step against the consent in force and explains its answer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    __version__: str
    from consentkit._agreements import Agreement, Negotiation, NegotiationStatus
    from consentkit._catalog import Activity, Catalog, default_catalog
    from consentkit._compare import compare
    from consentkit._decision import Allowance, Decision, Finding, PlanDecision, Verdict
    from consentkit._diff import diff
    from consentkit._documents import digest, dumps, from_dict, loads, to_dict
    from consentkit._draft import draft_terms
    from consentkit._engine import Engine, check, check_many, check_plan, envelope
    from consentkit._errors import (
        ConsentkitError,
        DecodeError,
        InvalidRecord,
        LedgerError,
        TamperedLedger,
    )
    from consentkit._events import (
        Accepted,
        Confirmed,
        Declined,
        Entry,
        ImpairmentCleared,
        ImpairmentDeclared,
        LimitDeclared,
        LimitLifted,
        Proposed,
        Revoked,
        SignalGiven,
        Withdrawn,
    )
    from consentkit._importers import read_kinklist, read_preferences_csv
    from consentkit._ledger import Ledger
    from consentkit._lint import lint, lint_preferences
    from consentkit._plan import Plan, Step
    from consentkit._preferences import (
        Comparison,
        Imported,
        Match,
        MatchKind,
        Preference,
        Preferences,
        Rating,
        Source,
    )
    from consentkit._receipt import Proof, Receipt
    from consentkit._report import report
    from consentkit._reports import (
        Change,
        Effect,
        LintFinding,
        LintReport,
        Severity,
        TermsDiff,
    )
    from consentkit._schema import json_schema
    from consentkit._state import ConsentState
    from consentkit._terms import (
        Aftercare,
        Authority,
        CheckInWithin,
        ConfirmFirst,
        Equipment,
        Grant,
        Limit,
        LimitKind,
        MaxDuration,
        NonverbalSignal,
        Protocol,
        Role,
        Signal,
        SignalKind,
        SignalMeaning,
        Spotter,
        Terms,
        Window,
    )
    from consentkit.rules import (
        DEFAULT_PLAN_RULES,
        DEFAULT_RULES,
        HouseRules,
        RuleContext,
    )
    from consentkit.store import open_store

# The public names load on first use (PEP 562), so that `import consentkit`
# and the command line start fast; type checkers read the imports above.
_EXPORTS: dict[str, str] = {
    "Activity": "consentkit._catalog",
    "Catalog": "consentkit._catalog",
    "default_catalog": "consentkit._catalog",
    "compare": "consentkit._compare",
    "Allowance": "consentkit._decision",
    "Decision": "consentkit._decision",
    "Finding": "consentkit._decision",
    "PlanDecision": "consentkit._decision",
    "Verdict": "consentkit._decision",
    "digest": "consentkit._documents",
    "dumps": "consentkit._documents",
    "from_dict": "consentkit._documents",
    "loads": "consentkit._documents",
    "to_dict": "consentkit._documents",
    "draft_terms": "consentkit._draft",
    "Engine": "consentkit._engine",
    "check": "consentkit._engine",
    "check_many": "consentkit._engine",
    "check_plan": "consentkit._engine",
    "envelope": "consentkit._engine",
    "ConsentkitError": "consentkit._errors",
    "DecodeError": "consentkit._errors",
    "InvalidRecord": "consentkit._errors",
    "LedgerError": "consentkit._errors",
    "TamperedLedger": "consentkit._errors",
    "Accepted": "consentkit._events",
    "Confirmed": "consentkit._events",
    "Declined": "consentkit._events",
    "ImpairmentCleared": "consentkit._events",
    "ImpairmentDeclared": "consentkit._events",
    "LimitDeclared": "consentkit._events",
    "LimitLifted": "consentkit._events",
    "Proposed": "consentkit._events",
    "Revoked": "consentkit._events",
    "SignalGiven": "consentkit._events",
    "Withdrawn": "consentkit._events",
    "Agreement": "consentkit._agreements",
    "Entry": "consentkit._events",
    "Negotiation": "consentkit._agreements",
    "NegotiationStatus": "consentkit._agreements",
    "read_kinklist": "consentkit._importers",
    "read_preferences_csv": "consentkit._importers",
    "Ledger": "consentkit._ledger",
    "diff": "consentkit._diff",
    "lint": "consentkit._lint",
    "lint_preferences": "consentkit._lint",
    "Plan": "consentkit._plan",
    "Change": "consentkit._reports",
    "Effect": "consentkit._reports",
    "LintFinding": "consentkit._reports",
    "LintReport": "consentkit._reports",
    "Severity": "consentkit._reports",
    "TermsDiff": "consentkit._reports",
    "Step": "consentkit._plan",
    "report": "consentkit._report",
    "Proof": "consentkit._receipt",
    "Receipt": "consentkit._receipt",
    "Comparison": "consentkit._preferences",
    "Imported": "consentkit._preferences",
    "Match": "consentkit._preferences",
    "MatchKind": "consentkit._preferences",
    "Preference": "consentkit._preferences",
    "Preferences": "consentkit._preferences",
    "Rating": "consentkit._preferences",
    "Source": "consentkit._preferences",
    "json_schema": "consentkit._schema",
    "ConsentState": "consentkit._state",
    "Aftercare": "consentkit._terms",
    "Authority": "consentkit._terms",
    "CheckInWithin": "consentkit._terms",
    "ConfirmFirst": "consentkit._terms",
    "Equipment": "consentkit._terms",
    "Grant": "consentkit._terms",
    "Limit": "consentkit._terms",
    "LimitKind": "consentkit._terms",
    "MaxDuration": "consentkit._terms",
    "NonverbalSignal": "consentkit._terms",
    "Protocol": "consentkit._terms",
    "Role": "consentkit._terms",
    "Signal": "consentkit._terms",
    "SignalKind": "consentkit._terms",
    "SignalMeaning": "consentkit._terms",
    "Spotter": "consentkit._terms",
    "Terms": "consentkit._terms",
    "Window": "consentkit._terms",
    "DEFAULT_PLAN_RULES": "consentkit.rules",
    "DEFAULT_RULES": "consentkit.rules",
    "HouseRules": "consentkit.rules",
    "RuleContext": "consentkit.rules",
    "open_store": "consentkit.store",
}

__all__ = [
    "DEFAULT_PLAN_RULES",
    "DEFAULT_RULES",
    "Accepted",
    "Activity",
    "Aftercare",
    "Agreement",
    "Allowance",
    "Authority",
    "Catalog",
    "Change",
    "CheckInWithin",
    "Comparison",
    "ConfirmFirst",
    "Confirmed",
    "ConsentState",
    "ConsentkitError",
    "Decision",
    "Declined",
    "DecodeError",
    "Effect",
    "Engine",
    "Entry",
    "Equipment",
    "Finding",
    "Grant",
    "HouseRules",
    "ImpairmentCleared",
    "ImpairmentDeclared",
    "Imported",
    "InvalidRecord",
    "Ledger",
    "LedgerError",
    "Limit",
    "LimitDeclared",
    "LimitKind",
    "LimitLifted",
    "LintFinding",
    "LintReport",
    "Match",
    "MatchKind",
    "MaxDuration",
    "Negotiation",
    "NegotiationStatus",
    "NonverbalSignal",
    "Plan",
    "PlanDecision",
    "Preference",
    "Preferences",
    "Proof",
    "Proposed",
    "Protocol",
    "Rating",
    "Receipt",
    "Revoked",
    "Role",
    "RuleContext",
    "Severity",
    "Signal",
    "SignalGiven",
    "SignalKind",
    "SignalMeaning",
    "Source",
    "Spotter",
    "Step",
    "TamperedLedger",
    "Terms",
    "TermsDiff",
    "Verdict",
    "Window",
    "Withdrawn",
    "check",
    "check_many",
    "check_plan",
    "compare",
    "default_catalog",
    "diff",
    "digest",
    "draft_terms",
    "dumps",
    "envelope",
    "from_dict",
    "json_schema",
    "lint",
    "lint_preferences",
    "loads",
    "open_store",
    "read_kinklist",
    "read_preferences_csv",
    "report",
    "to_dict",
]


def __getattr__(name: str) -> object:
    if name == "__version__":  # read on first use: the metadata is slow to load
        about = importlib.import_module("consentkit._about")
        globals()[name] = found = about.version()
        return found
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'consentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__", "rules", "testing"})
