"""What every rule shares: the rule protocol, its context, codes, house rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from consentkit import _validate as v
from consentkit._catalog import Activity, Catalog, ancestors_of, covers
from consentkit._decision import Finding, Verdict
from consentkit._history import Agreement
from consentkit._plan import Step
from consentkit._state import ConsentState
from consentkit._terms import Grant

__all__ = [
    "BUILTIN_CODES",
    "CODES",
    "CatalogIndex",
    "FunctionRule",
    "HouseRules",
    "Rule",
    "RuleContext",
    "finding",
    "rule",
]


#: Every built-in code: (stable name, verdict, when it applies).  Codes are
#: never reused or renumbered.
CODES: Final[dict[str, tuple[str, Verdict | None, str]]] = {
    "CK100": ("unknown-activity", Verdict.DENY, "the activity is not in the catalog"),
    "CK101": ("hard-limit", Verdict.DENY, "a party's hard limit covers the activity"),
    "CK102": ("revoked", Verdict.DENY, "a side's consent was revoked"),
    "CK103": ("no-agreement", Verdict.DENY, "no agreement applies to the recipient"),
    "CK104": (
        "not-a-party",
        Verdict.DENY,
        "a party of the step is not in the agreement",
    ),
    "CK105": ("no-consent", Verdict.DENY, "a side has no grant for the step"),
    "CK106": ("intensity-cap", Verdict.DENY, "a side's grant is capped below it"),
    "CK107": (
        "condition-unmet",
        Verdict.DENY,
        "a condition of a side's grant is unmet",
    ),
    "CK108": ("stopped", Verdict.DENY, "a STOP ended the agreement"),
    "CK109": ("impaired", Verdict.DENY, "a party is declared impaired"),
    "CK110": ("no-stop-signal", Verdict.DENY, "the protocol has no STOP signal"),
    "CK111": (
        "no-usable-stop-signal",
        Verdict.DENY,
        "no STOP signal stays usable by the recipient",
    ),
    "CK112": ("equipment-missing", Verdict.DENY, "required equipment is not listed"),
    "CK113": ("outside-authority", Verdict.DENY, "the director holds no authority"),
    "CK114": ("slowed-cap", Verdict.DENY, "the intensity is above a SLOW's cap"),
    "CK115": ("house-rule", Verdict.DENY, "the house rules ban the activity"),
    "CK116": ("outside-window", Verdict.DENY, "the step ends after the window"),
    "CK201": ("soft-limit", Verdict.RENEGOTIATE, "a soft limit awaits being addressed"),
    "CK202": ("slowed", Verdict.RENEGOTIATE, "a party's SLOW awaits their RESUME"),
    "CK203": ("confirm-first", Verdict.RENEGOTIATE, "a grant awaits its confirmation"),
    "CK301": ("aftercare-missing", None, "a demanding step without aftercare"),
    "CK302": ("check-in-gap", None, "a run of steps longer than the check-in interval"),
    "CK900": ("rule-error", Verdict.DENY, "a rule raised"),
}
BUILTIN_CODES: Final = frozenset(CODES)


def finding(code: str, message: str, refs: Iterable[str] = ()) -> Finding:
    """Build a built-in rule's finding, with the code's name and verdict."""
    name, verdict, _ = CODES[code]
    return Finding.trusted(code, name, verdict, message, tuple(refs))


@attrs.frozen(kw_only=True)
class HouseRules:
    """A venue's rules, binding on every step whatever the parties agreed (CK115).

    Attributes:
        banned_activities: Activity ids banned with their subtrees.
        banned_tags: Risk tags whose carriers are banned.
    """

    banned_activities: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.activity_ids
    )
    banned_tags: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.names
    )


class CatalogIndex:
    """What rules look up in a catalog, computed once per engine."""

    __slots__ = ("activities", "barrier", "catalog", "lineage")

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.activities: dict[str, Activity] = {a.id: a for a in catalog}
        #: For each activity, itself and its ancestors, nearest first.
        self.lineage: dict[str, tuple[str, ...]] = {
            a.id: (a.id, *ancestors_of(a.id)) for a in catalog
        }
        #: For each activity, the deepest `explicit_only` activity at or above it.
        self.barrier: dict[str, str | None] = {}
        for activity in catalog:
            barrier: str | None = None
            for candidate in (activity.id, *ancestors_of(activity.id)):
                found = catalog.get(candidate)
                if found is not None and "explicit_only" in found.tags:
                    barrier = candidate
                    break
            self.barrier[activity.id] = barrier

    def grant_covers(self, grant: Grant, activity: str) -> bool:
        """Whether `grant` covers `activity` (SPEC 2, Grant; law 4).

        Exactly its own activity, or with `include_subtypes` its subtree
        except what lies at or beneath an ``explicit_only`` activity below it.
        """
        if grant.activity == activity:
            return True
        if not grant.include_subtypes or not covers(grant.activity, activity):
            return False
        barrier = self.barrier.get(activity)
        return barrier is None or len(barrier) <= len(grant.activity)


class RuleContext:
    """What a rule may read besides the step.

    Attributes:
        state: The consent state at the step's time.
        agreement: The agreement selected for the step's parties together
            (ended by a STOP or not), or None.
        catalog: The engine's catalog.
        overlapping: In `check_plan`, the plan's other steps overlapping this
            one; empty in `check`.
        house: The engine's house rules, if any.
        in_force: `agreement` unless a STOP ended it (SPEC 3.1); rules that
            read the agreement or its protocol read this one.
        catalog_index: Lookup tables over `catalog`.
        cache: Scratch space for what several rules derive from one step.
    """

    __slots__ = (
        "_activities",
        "_activity",
        "_step",
        "agreement",
        "cache",
        "catalog",
        "catalog_index",
        "house",
        "in_force",
        "overlapping",
        "state",
    )

    def __init__(  # noqa: PLR0913, PLR0917  # the context, spelled out
        self,
        state: ConsentState,
        agreement: Agreement | None,
        catalog: Catalog,
        overlapping: tuple[Step, ...] = (),
        house: HouseRules | None = None,
        index: CatalogIndex | None = None,
    ) -> None:
        self.state = state
        self.agreement = agreement
        self.catalog = catalog
        self.overlapping = overlapping
        self.house = house
        self.catalog_index = CatalogIndex(catalog) if index is None else index
        self.cache: dict[str, Any] = {}
        self.in_force = (
            agreement
            if agreement is not None and state.stop(agreement) is None
            else None
        )
        self._activities = self.catalog_index.activities
        self._step: Step | None = None
        self._activity: Activity | None = None

    def for_step(self, step: Step) -> RuleContext:
        """Remember `step`'s activity, which every rule asks for."""
        self._step = step
        self._activity = self._activities.get(step.activity)
        return self

    def __repr__(self) -> str:
        proposal = None if self.agreement is None else self.agreement.proposal_id
        return f"RuleContext(at={self.state.at}, agreement={proposal!r})"

    def activity(self, step: Step) -> Activity | None:
        """The step's activity, or None when the catalog lacks it."""
        if step is self._step:
            return self._activity
        return self._activities.get(step.activity)


@runtime_checkable
class Rule(Protocol):
    """A rule: a `code`, a `name`, and a call returning findings for a step."""

    @property
    def code(self) -> str:
        """The stable code, e.g. ``CK101`` (custom rules use their own)."""
        ...

    @property
    def name(self) -> str:
        """The stable name, e.g. ``hard-limit``."""
        ...

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Return the findings for `step`."""
        ...


@attrs.frozen
class FunctionRule:
    """A rule made from a function by `rule`."""

    code: str
    name: str
    function: Callable[[Step, RuleContext], Iterable[Finding]] = attrs.field(repr=False)

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Run the rule."""
        return self.function(step, context)


def rule(
    code: str,
) -> Callable[[Callable[[Step, RuleContext], Iterable[Finding]]], FunctionRule]:
    """Make a built-in rule of a function, named by its code's registry entry."""

    def make(
        function: Callable[[Step, RuleContext], Iterable[Finding]],
    ) -> FunctionRule:
        return FunctionRule(code, CODES[code][0], function)

    return make
