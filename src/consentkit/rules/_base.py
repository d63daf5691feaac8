"""What every rule shares: the rule protocol, its context, codes, house rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Protocol, SupportsIndex, runtime_checkable

import attrs

from consentkit import _validate as v
from consentkit._agreements import Agreement
from consentkit._catalog import Activity, Catalog, ancestors_of
from consentkit._coverage import grant_covers
from consentkit._coverage import taken as capabilities
from consentkit._decision import Finding, Verdict
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
    "built_in",
    "finding",
    "overlap_taken",
    "rule",
    "rule_error",
    "scratch",
]


#: Every built-in code: (stable name, verdict, when it applies).  Codes are
#: never reused or renumbered.
CODES: Final[dict[str, tuple[str, Verdict | None, str]]] = {
    "CK100": ("unknown-activity", Verdict.DENY, "the activity is not in the catalog"),
    "CK101": ("hard-limit", Verdict.DENY, "a party's hard limit reaches the activity"),
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
    "CK117": (
        "unknown-limit",
        Verdict.DENY,
        "a limit names an activity or tag the catalog does not know",
    ),
    "CK201": ("soft-limit", Verdict.RENEGOTIATE, "a soft limit awaits being addressed"),
    "CK202": ("slowed", Verdict.RENEGOTIATE, "a party's SLOW awaits their RESUME"),
    "CK203": ("confirm-first", Verdict.RENEGOTIATE, "a grant awaits its confirmation"),
    "CK301": ("aftercare-missing", None, "a demanding step without aftercare"),
    "CK302": ("check-in-gap", None, "a run of steps longer than the check-in interval"),
    "CK900": ("rule-error", Verdict.DENY, "a rule raised"),
}
BUILTIN_CODES: Final = frozenset(CODES)


def _safely(read: Callable[[], object], fallback: str) -> str:
    """`read()` as text, or `fallback` when reading or printing it fails."""
    try:
        value = read()
        return value if isinstance(value, str) else fallback
    except Exception:  # noqa: BLE001  # a failing rule's own name may fail too
        return fallback


def rule_error(rule: object, error: BaseException) -> Finding:
    """The CK900 finding for a rule that failed; it never raises (SPEC 3.1).

    Whatever the rule or its error do when asked for their name or text (an
    exception that cannot be printed, a `name` that raises), the finding is
    built, so the engine refuses instead of letting the error escape.
    """
    name = _safely(lambda: rule.name, "")  # type: ignore[attr-defined]
    if not name:
        name = _safely(lambda: type(rule).__name__, "a custom rule")
    code = _safely(lambda: rule.code, "?")  # type: ignore[attr-defined]
    kind = _safely(lambda: type(error).__name__, "an error")
    detail = _safely(lambda: str(error), "")
    detail = detail.splitlines()[0] if detail.strip() else ""
    return finding(
        "CK900",
        f"rule `{name}` ({code}) failed with {kind}"
        + (f": {detail}" if detail else "")
        + "; refused to be safe",
    )


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
    """What rules look up in a catalog, computed once per engine (read-only)."""

    __slots__ = ("activities", "catalog", "lineage")
    catalog: Catalog
    activities: Mapping[str, Activity]
    lineage: Mapping[str, tuple[str, ...]]

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.activities = MappingProxyType({a.id: a for a in catalog})
        #: For each activity, itself and its ancestors, nearest first.
        self.lineage = MappingProxyType(
            {a.id: (a.id, *ancestors_of(a.id)) for a in catalog}
        )

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError(f"catalog index: `{name}` is read-only")
        object.__setattr__(self, name, value)

    def grant_covers(self, grant: Grant, activity: str) -> bool:
        """Whether `grant` covers `activity` (SPEC 2, Grant; law 4)."""
        return grant_covers(grant, activity, self.catalog)


class RuleContext:
    """What a rule may read besides the step; it is read-only (SPEC 3.1).

    Attributes:
        state: The consent state at the step's time.
        agreement: The agreement selected for the step's parties together
            (ended by a STOP or not), or None.
        catalog: The engine's catalog.
        overlapping: In `check_plan`, the plan's other steps overlapping this
            one (a sequence computed on first use); empty in `check`.
        house: The engine's house rules, if any.
        in_force: `agreement` unless a STOP ended it (SPEC 3.1); rules that
            read the agreement or its protocol read this one.
        catalog_index: Lookup tables over `catalog`.
    """

    __slots__ = (
        "_activities",
        "_activity",
        "_overlapping",
        "_scratch",
        "_step",
        "_taken",
        "agreement",
        "catalog",
        "catalog_index",
        "house",
        "in_force",
        "state",
    )
    state: ConsentState
    agreement: Agreement | None
    catalog: Catalog
    house: HouseRules | None
    catalog_index: CatalogIndex
    in_force: Agreement | None
    _overlapping: Sequence[Step] | Callable[[], Sequence[Step]]
    _scratch: dict[str, Any]
    _activities: Mapping[str, Activity]
    _step: Step | None
    _activity: Activity | None
    _taken: Callable[[], frozenset[str]] | None

    def __init__(  # noqa: PLR0913, PLR0917  # the context, spelled out
        self,
        state: ConsentState,
        agreement: Agreement | None,
        catalog: Catalog,
        overlapping: Sequence[Step] | Callable[[], Sequence[Step]] = (),
        house: HouseRules | None = None,
        index: CatalogIndex | None = None,
        *,
        taken: Callable[[], frozenset[str]] | None = None,
    ) -> None:
        put = object.__setattr__
        put(self, "_taken", taken)
        put(self, "state", state)
        put(self, "agreement", agreement)
        put(self, "catalog", catalog)
        put(self, "_overlapping", overlapping)
        put(self, "house", house)
        put(self, "catalog_index", CatalogIndex(catalog) if index is None else index)
        put(self, "_scratch", {})
        put(
            self,
            "in_force",
            agreement
            if agreement is not None and state.stop(agreement) is None
            else None,
        )
        put(self, "_activities", self.catalog_index.activities)
        put(self, "_step", None)
        put(self, "_activity", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"rule context: `{name}` is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"rule context: `{name}` is read-only")

    @property
    def overlapping(self) -> Sequence[Step]:
        """In `check_plan`, the other steps overlapping this one; else empty."""
        found = self._overlapping
        if callable(found):
            found = found()
            object.__setattr__(self, "_overlapping", found)
        return found

    def for_step(self, step: Step) -> RuleContext:
        """Remember `step`'s activity, which every rule asks for."""
        object.__setattr__(self, "_step", step)
        object.__setattr__(self, "_activity", self._activities.get(step.activity))
        return self

    def __repr__(self) -> str:
        proposal = None if self.agreement is None else self.agreement.proposal_id
        return f"RuleContext(at={self.state.at}, agreement={proposal!r})"

    def activity(self, step: Step) -> Activity | None:
        """The step's activity, or None when the catalog lacks it."""
        if step is self._step:
            return self._activity
        return self._activities.get(step.activity)


def overlap_taken(context: RuleContext, step: Step) -> frozenset[str]:
    """What the steps overlapping `step` with its recipient take away (CK111).

    In `check_plan` the engine answers from a sweep over the plan; a context
    built by hand falls back to reading `overlapping`.
    """
    taken = context._taken  # noqa: SLF001  # the engine's own fact
    if taken is not None:
        return taken()
    found: set[str] = set()
    for other in context.overlapping:
        if other.recipient == step.recipient and other.activity in context.catalog:
            found |= capabilities(context.catalog.risk_tags(other.activity))
    return frozenset(found)


def scratch(context: RuleContext) -> dict[str, Any]:
    """The built-in rules' shared cache for one step's check.

    Private to consentkit: a custom rule is handed a context it cannot write.
    """
    return context._scratch  # noqa: SLF001  # the one way in


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

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # SPEC 3.5: a built-in rule pickles by reference, as its code: its
        # function's module-level name is the rule, not the function.
        if _BUILT_IN.get(self.code) is self:
            return (built_in, (self.code,))
        return super().__reduce_ex__(protocol)


#: The built-in rules made by `rule`, by code: these pickle by reference.
_BUILT_IN: Final[dict[str, FunctionRule]] = {}


def built_in(code: str) -> Rule:
    """The built-in rule with `code` (how a pickled built-in rule comes back).

    Raises:
        KeyError: No built-in rule has that code.
    """
    from consentkit.rules import DEFAULT_RULES  # noqa: PLC0415  # the package is above

    for found in DEFAULT_RULES:
        if found.code == code:
            return found
    raise KeyError(code)


def rule(
    code: str,
) -> Callable[[Callable[[Step, RuleContext], Iterable[Finding]]], FunctionRule]:
    """Make a built-in rule of a function, named by its code's registry entry."""

    def make(
        function: Callable[[Step, RuleContext], Iterable[Finding]],
    ) -> FunctionRule:
        made = FunctionRule(code, CODES[code][0], function)
        _BUILT_IN[code] = made
        return made

    return make
