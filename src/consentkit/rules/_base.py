"""What every rule shares: the registry of codes, the rule protocol, its context.

A built-in rule is registered once, where it is written::

    @rule("CK116", "outside-window", Verdict.DENY, "the step ends after the window",
          quiet=no_agreement_in_force)
    def outside_window(step, context): ...

That one line gives its code, name, verdict and meaning; `CODES`,
`DEFAULT_RULES`, the reference tables of the docs and `consentkit.testing`
all read the registry.  A plan rule (`plan_rule`) is registered the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import (
    Any,
    Final,
    Generic,
    Protocol,
    SupportsIndex,
    TypeVar,
    runtime_checkable,
)

import attrs

from consentkit import _validate as v
from consentkit._agreements import Agreement
from consentkit._catalog import Activity, Catalog
from consentkit._coverage import taken as capabilities
from consentkit._decision import Finding, Verdict
from consentkit._facts import CatalogIndex, TermsFacts
from consentkit._plan import Plan, Step
from consentkit._state import ConsentState

__all__ = [
    "CODES",
    "CatalogIndex",
    "Derived",
    "FunctionRule",
    "HouseRules",
    "PlanContext",
    "PlanFunctionRule",
    "PlanRule",
    "Rule",
    "RuleContext",
    "built_in",
    "finding",
    "nothing_in_force",
    "overlap_taken",
    "plan_rule",
    "register_code",
    "registered",
    "rule",
    "rule_error",
]

T = TypeVar("T")


#: Every built-in code: (stable name, verdict, when it applies), filled by
#: the registrations (`rule`, `plan_rule`, `register_code`) as the rule
#: modules load.  Codes are never reused or renumbered.
CODES: Final[dict[str, tuple[str, Verdict | None, str]]] = {}


def register_code(code: str, name: str, verdict: Verdict | None, meaning: str) -> None:
    """Enter a built-in code in `CODES`, once.

    Raises:
        ValueError: The code or its name is registered already.
    """
    if code in CODES or any(entry[0] == name for entry in CODES.values()):
        raise ValueError(f"code `{code}` ({name}) is registered twice")
    CODES[code] = (name, verdict, meaning)


register_code("CK900", "rule-error", Verdict.DENY, "a rule raised")


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


class Derived(Generic[T]):
    """A fact about one step that several built-in rules read (SPEC 3.2's sides).

    It is computed once per check, on first use, by `compute`, and kept in
    the check's context, keyed by this object (never by a string).
    """

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[Step, RuleContext], T]) -> None:
        self.compute = compute


class _Fields:
    """The fields of a rule context, writable while the engine fills them in."""

    __slots__ = (
        "_activities",
        "_activity",
        "_derived",
        "_overlapping",
        "_step",
        "_taken",
        "agreement",
        "catalog",
        "catalog_index",
        "house",
        "in_force",
        "state",
        "terms",
    )
    state: ConsentState
    agreement: Agreement | None
    catalog: Catalog
    house: HouseRules | None
    catalog_index: CatalogIndex
    in_force: Agreement | None
    terms: TermsFacts | None
    _overlapping: Sequence[Step] | Callable[[], Sequence[Step]]
    _derived: dict[Derived[Any], Any]
    _activities: Mapping[str, Activity]
    _step: Step | None
    _activity: Activity | None
    _taken: Callable[[], frozenset[str]] | None


class RuleContext(_Fields):
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
        terms: What `in_force`'s terms say, indexed for `catalog` (None
            with no agreement in force).
    """

    __slots__ = ()

    def __new__(  # noqa: PLR0913, PLR0917, PYI034  # the context, spelled out
        cls,
        state: ConsentState,
        agreement: Agreement | None,
        catalog: Catalog,
        overlapping: Sequence[Step] | Callable[[], Sequence[Step]] = (),
        house: HouseRules | None = None,
        index: CatalogIndex | None = None,
        *,
        taken: Callable[[], frozenset[str]] | None = None,
    ) -> RuleContext:
        """A context for rules (see the class); `for_step` names the step."""
        return cls._build(
            state,
            agreement,
            agreement is not None and state.stop(agreement) is not None,
            catalog,
            CatalogIndex(catalog) if index is None else index,
            house,
            None,
            (overlapping, taken),
        )

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        """Everything is filled in by `__new__`."""

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

    @classmethod
    def _for_engine(  # noqa: PLR0913, PLR0917  # the context, spelled out
        cls,
        state: ConsentState,
        agreement: Agreement | None,
        stopped: bool,  # noqa: FBT001  # whether a STOP ended `agreement`
        catalog: Catalog,
        index: CatalogIndex,
        house: HouseRules | None,
        step: Step,
        plan: tuple[Callable[[], Sequence[Step]], Callable[[], frozenset[str]]] | None,
    ) -> RuleContext:
        """The engine's context for `step`, from what the engine already knows."""
        return cls._build(
            state,
            agreement,
            stopped,
            catalog,
            index,
            house,
            step,
            ((), None) if plan is None else plan,
        )

    @classmethod
    def _build(  # noqa: PLR0913, PLR0917  # the context, spelled out
        cls,
        state: ConsentState,
        agreement: Agreement | None,
        stopped: bool,  # noqa: FBT001  # whether a STOP ended `agreement`
        catalog: Catalog,
        index: CatalogIndex,
        house: HouseRules | None,
        step: Step | None,
        plan: tuple[
            Sequence[Step] | Callable[[], Sequence[Step]],
            Callable[[], frozenset[str]] | None,
        ],
    ) -> RuleContext:
        """Fill in the fields as plain ones, then turn read-only.

        The object becomes a `RuleContext` (the same fields, which refuse
        every write) only once it is complete.
        """
        self = _Fields()
        self.state = state
        self.agreement = agreement
        self.catalog = catalog
        self.house = house
        self.catalog_index = index
        self._derived = {}
        if agreement is not None and not stopped:
            self.in_force = agreement
            self.terms = state.facts(agreement, index)
        else:
            self.in_force = None
            self.terms = None
        self._overlapping, self._taken = plan
        activities = index.activities
        self._activities = activities
        self._step = step
        self._activity = None if step is None else activities.get(step.activity)
        self.__class__ = cls
        return self  # type: ignore[return-value]  # it is one now

    def derive(self, fact: Derived[T], step: Step) -> T:
        """`fact` about `step`, computed on first use and kept for this check."""
        if step is not self._step:
            return fact.compute(step, self)  # a step other than the checked one
        found: T = self._derived.get(fact, _MISSING)
        if found is _MISSING:
            found = fact.compute(step, self)
            self._derived[fact] = found
        return found


_MISSING: Final = object()
_NOTHING: Final[frozenset[str]] = frozenset()


def overlap_taken(context: RuleContext, step: Step) -> frozenset[str]:
    """What the steps overlapping `step` with its recipient take away (CK111).

    In `check_plan` the engine answers from a sweep over the plan; a context
    built by hand falls back to reading `overlapping`.
    """
    taken = context._taken  # noqa: SLF001  # the engine's own fact
    if taken is not None:
        return taken()
    if not context._overlapping:  # noqa: SLF001  # `check`: nothing overlaps
        return _NOTHING
    found: set[str] = set()
    for other in context.overlapping:
        if other.recipient == step.recipient and other.activity in context.catalog:
            found |= capabilities(context.catalog.risk_tags(other.activity))
    return frozenset(found)


#: A rule's guard: given the context (before any step is read), whether the
#: rule cannot report.  It reads only the situation -- the agreement selected,
#: the state's events (never its time), the engine's catalog and house rules
#: -- so the engine may ask it once per situation and skip the rule while it
#: holds.  A guard must be sound: when it says quiet, the rule finds nothing.
Guard = Callable[["RuleContext"], bool]


def nothing_in_force(context: RuleContext) -> bool:
    """The guard of a rule that reads only the agreement in force."""
    return context.in_force is None


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
    """A rule made from a function by `rule`.

    Attributes:
        code: Its code.
        name: Its stable name.
        function: What it runs.
        quiet: Its guard, if any: when it holds, the rule finds nothing.
    """

    code: str
    name: str
    function: Callable[[Step, RuleContext], Iterable[Finding]] = attrs.field(repr=False)
    quiet: Guard | None = attrs.field(default=None, repr=False)

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Run the rule."""
        return self.function(step, context)

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # SPEC 3.5: a built-in rule pickles by reference, as its code: its
        # function's module-level name is the rule, not the function.
        if _BUILT_IN.get(self.code) is self:
            return (built_in, (self.code,))
        return super().__reduce_ex__(protocol)


#: The built-in rules made by `rule` and `plan_rule`, by code: these pickle
#: by reference.
_BUILT_IN: Final[dict[str, FunctionRule | PlanFunctionRule]] = {}


def built_in(code: str) -> FunctionRule | PlanFunctionRule:
    """The built-in rule with `code` (how a pickled built-in rule comes back).

    Raises:
        KeyError: No built-in rule has that code.
    """
    import consentkit.rules  # noqa: PLC0415, F401  # loads every rule module

    return _BUILT_IN[code]


def registered() -> tuple[FunctionRule | PlanFunctionRule, ...]:
    """Every built-in rule registered so far, in code order."""
    return tuple(_BUILT_IN[code] for code in sorted(_BUILT_IN))


def rule(
    code: str,
    name: str,
    verdict: Verdict,
    meaning: str,
    *,
    quiet: Guard | None = None,
) -> Callable[[Callable[[Step, RuleContext], Iterable[Finding]]], FunctionRule]:
    """Register a built-in step rule: its code, name, verdict and meaning, once.

    Args:
        code: Its code, new and never reused.
        name: Its stable name.
        verdict: The verdict of its findings.
        meaning: When it applies, in a few words (the reference tables).
        quiet: A sound guard (`Guard`): when it holds, the rule is skipped.
    """

    def make(
        function: Callable[[Step, RuleContext], Iterable[Finding]],
    ) -> FunctionRule:
        register_code(code, name, verdict, meaning)
        made = FunctionRule(code, name, function, quiet)
        _BUILT_IN[code] = made
        return made

    return make


@attrs.frozen(kw_only=True)
class PlanContext:
    """What a plan rule may read besides the plan (SPEC 3.3, advice).

    Attributes:
        agreements: For each step, the agreement selected for its parties
            (ended by a STOP or not), or None.
        catalog: The engine's catalog.
        catalog_index: Lookup tables over `catalog`.
    """

    agreements: tuple[Agreement | None, ...]
    catalog: Catalog
    catalog_index: CatalogIndex


@runtime_checkable
class PlanRule(Protocol):
    """A plan rule: a `code`, a `name`, and a call returning findings for a plan."""

    @property
    def code(self) -> str:
        """The stable code, e.g. ``CK301``."""
        ...

    @property
    def name(self) -> str:
        """The stable name, e.g. ``aftercare-missing``."""
        ...

    def __call__(self, plan: Plan, context: PlanContext) -> Iterable[Finding]:
        """Return the findings for `plan`."""
        ...


@attrs.frozen
class PlanFunctionRule:
    """A plan rule made from a function by `plan_rule`."""

    code: str
    name: str
    function: Callable[[Plan, PlanContext], Iterable[Finding]] = attrs.field(repr=False)

    def __call__(self, plan: Plan, context: PlanContext) -> Iterable[Finding]:
        """Run the rule."""
        return self.function(plan, context)

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        # SPEC 3.5: as a built-in step rule, by reference.
        if _BUILT_IN.get(self.code) is self:
            return (built_in, (self.code,))
        return super().__reduce_ex__(protocol)


def plan_rule(
    code: str, name: str, meaning: str
) -> Callable[[Callable[[Plan, PlanContext], Iterable[Finding]]], PlanFunctionRule]:
    """Register a built-in plan rule, whose findings are advice (no verdict)."""

    def make(
        function: Callable[[Plan, PlanContext], Iterable[Finding]],
    ) -> PlanFunctionRule:
        register_code(code, name, None, meaning)
        made = PlanFunctionRule(code, name, function)
        _BUILT_IN[code] = made
        return made

    return make
