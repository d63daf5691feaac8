"""consentkit: consent in negotiated power exchange, as typed records and a rule engine.

Limits, negotiations, session protocols and revocations are immutable records;
a ledger keeps their history, append-only and hash-chained; the engine checks
a planned step against the consent in force and explains its answer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from consentkit._catalog import Activity, Catalog, default_catalog
    from consentkit._decision import Allowance, Decision, Finding, PlanDecision, Verdict
    from consentkit._documents import digest, dumps, from_dict, loads, to_dict
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
        ImpairmentCleared,
        ImpairmentDeclared,
        LimitDeclared,
        LimitLifted,
        Proposed,
        Revoked,
        SignalGiven,
        Withdrawn,
    )
    from consentkit._history import Agreement, Entry, Negotiation, NegotiationStatus
    from consentkit._ledger import Ledger
    from consentkit._plan import Plan, Step
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
    from consentkit.rules import DEFAULT_RULES, HouseRules, RuleContext

# The public names load on first use (PEP 562), so that `import consentkit`
# and the command line start fast; type checkers read the imports above.
_EXPORTS: dict[str, str] = {
    "Activity": "consentkit._catalog",
    "Catalog": "consentkit._catalog",
    "default_catalog": "consentkit._catalog",
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
    "Agreement": "consentkit._history",
    "Entry": "consentkit._history",
    "Negotiation": "consentkit._history",
    "NegotiationStatus": "consentkit._history",
    "Ledger": "consentkit._ledger",
    "Plan": "consentkit._plan",
    "Step": "consentkit._plan",
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
    "DEFAULT_RULES": "consentkit.rules",
    "HouseRules": "consentkit.rules",
    "RuleContext": "consentkit.rules",
}

__all__ = [
    "DEFAULT_RULES",
    "Accepted",
    "Activity",
    "Aftercare",
    "Agreement",
    "Allowance",
    "Authority",
    "Catalog",
    "CheckInWithin",
    "ConfirmFirst",
    "Confirmed",
    "ConsentState",
    "ConsentkitError",
    "Decision",
    "Declined",
    "DecodeError",
    "Engine",
    "Entry",
    "Equipment",
    "Finding",
    "Grant",
    "HouseRules",
    "ImpairmentCleared",
    "ImpairmentDeclared",
    "InvalidRecord",
    "Ledger",
    "LedgerError",
    "Limit",
    "LimitDeclared",
    "LimitKind",
    "LimitLifted",
    "MaxDuration",
    "Negotiation",
    "NegotiationStatus",
    "NonverbalSignal",
    "Plan",
    "PlanDecision",
    "Proposed",
    "Protocol",
    "Revoked",
    "Role",
    "RuleContext",
    "Signal",
    "SignalGiven",
    "SignalKind",
    "SignalMeaning",
    "Spotter",
    "Step",
    "TamperedLedger",
    "Terms",
    "Verdict",
    "Window",
    "Withdrawn",
    "check",
    "check_many",
    "check_plan",
    "default_catalog",
    "digest",
    "dumps",
    "envelope",
    "from_dict",
    "json_schema",
    "loads",
    "to_dict",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'consentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
