"""The rules the engine runs, and what a custom rule needs.

A rule is any object with a `code`, a `name` and a call
``rule(step, context) -> Iterable[Finding]``.  The built-in rules
(`DEFAULT_RULES`) always run; an application adds its own with
``Engine(rules=...)``, under codes of its own.

Example:
    >>> from consentkit import Finding, Verdict
    >>> class NoLateNights:
    ...     code, name = "HOUSE1", "no-late-nights"
    ...     def __call__(self, step, context):
    ...         if step.at.hour >= 23:
    ...             yield Finding(code=self.code, rule=self.name, verdict=Verdict.DENY,
    ...                           message="the studio closes at 23:00")
"""

from __future__ import annotations

from typing import Final

from consentkit.rules._agreement import (
    no_agreement,
    not_a_party,
    outside_window,
    stopped,
)
from consentkit.rules._base import (
    BUILTIN_CODES,
    CODES,
    CatalogIndex,
    FunctionRule,
    HouseRules,
    Rule,
    RuleContext,
    finding,
)
from consentkit.rules._consent import (
    Side,
    condition_unmet,
    confirm_first,
    intensity_cap,
    no_consent,
    revoked,
    sides,
)
from consentkit.rules._house import house_rule, unknown_activity
from consentkit.rules._limits import hard_limit, soft_limit, unknown_limit
from consentkit.rules._protocol import (
    equipment_missing,
    impaired,
    no_stop_signal,
    no_usable_stop_signal,
    outside_authority,
)
from consentkit.rules._signals import slowed, slowed_cap

__all__ = [
    "BUILTIN_CODES",
    "CODES",
    "DEFAULT_RULES",
    "CatalogIndex",
    "FunctionRule",
    "HouseRules",
    "Rule",
    "RuleContext",
    "Side",
    "finding",
    "sides",
]

#: The built-in step rules, one per code, in code order.  They always run.
DEFAULT_RULES: Final[tuple[Rule, ...]] = (
    unknown_activity,
    hard_limit,
    revoked,
    no_agreement,
    not_a_party,
    no_consent,
    intensity_cap,
    condition_unmet,
    stopped,
    impaired,
    no_stop_signal,
    no_usable_stop_signal,
    equipment_missing,
    outside_authority,
    slowed_cap,
    house_rule,
    outside_window,
    unknown_limit,
    soft_limit,
    slowed,
    confirm_first,
)
