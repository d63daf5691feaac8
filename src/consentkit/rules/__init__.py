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

# Each module registers its rules as it loads (`rule`, `plan_rule`): adding a
# rule is writing it, with its registration, in one of these modules.
from consentkit.rules import (  # noqa: F401  # imported to register
    _advice,
    _agreement,
    _consent,
    _house,
    _limits,
    _protocol,
    _signals,
)
from consentkit.rules._base import (
    CODES,
    CatalogIndex,
    Derived,
    FunctionRule,
    HouseRules,
    PlanContext,
    PlanFunctionRule,
    PlanRule,
    Rule,
    RuleContext,
    finding,
    registered,
)
from consentkit.rules._consent import Side, allowance, basis, sides

__all__ = [
    "BUILTIN_CODES",
    "CODES",
    "DEFAULT_PLAN_RULES",
    "DEFAULT_RULES",
    "CatalogIndex",
    "Derived",
    "FunctionRule",
    "HouseRules",
    "PlanContext",
    "PlanFunctionRule",
    "PlanRule",
    "Rule",
    "RuleContext",
    "Side",
    "allowance",
    "basis",
    "finding",
    "sides",
]


# The registry in code order, as the reference tables show it.
for _code, _entry in sorted(CODES.items()):
    del CODES[_code]
    CODES[_code] = _entry
del _code, _entry

#: Every built-in code, registered above: custom rules need codes of their own.
BUILTIN_CODES: Final = frozenset(CODES)

#: The built-in step rules, one per code, in code order.  They always run,
#: save where a rule's guard (`FunctionRule.quiet`) says it cannot report.
DEFAULT_RULES: Final[tuple[FunctionRule, ...]] = tuple(
    r for r in registered() if isinstance(r, FunctionRule)
)

#: The built-in plan rules (advice, SPEC 3.3), in code order.
DEFAULT_PLAN_RULES: Final[tuple[PlanFunctionRule, ...]] = tuple(
    r for r in registered() if isinstance(r, PlanFunctionRule)
)
