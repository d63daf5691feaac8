"""consentkit: consent in negotiated power exchange, as typed records and a rule engine.

Limits, negotiations, session protocols and revocations are immutable records;
a ledger keeps their history, append-only and hash-chained; the engine checks
a planned step against the consent in force and explains its answer.
"""

from __future__ import annotations

from consentkit._catalog import Activity, Catalog, default_catalog
from consentkit._decision import Allowance, Decision, Finding, PlanDecision, Verdict
from consentkit._documents import digest, dumps, from_dict, loads, to_dict
from consentkit._engine import Engine, check, check_plan, envelope
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
