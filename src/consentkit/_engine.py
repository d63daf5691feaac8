"""The engine: runs the rules, combines their findings, explains; adds no policy.

Rules decide; the engine only gathers what they say (SPEC 3.1): every rule
runs, the most severe finding sets the verdict, a rule that raises becomes a
DENY `CK900` finding, and an ALLOW always carries its affirmative basis.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, TypeAlias, overload

from consentkit import _many as many
from consentkit._catalog import Catalog, default_catalog
from consentkit._decision import (
    Allowance,
    Decision,
    Finding,
    PlanDecision,
    Verdict,
    worst,
)
from consentkit._history import AgreementFact, History
from consentkit._ledger import Ledger
from consentkit._plan import Plan, Step
from consentkit._state import ConsentState, situation
from consentkit.rules import (
    BUILTIN_CODES,
    DEFAULT_PLAN_RULES,
    DEFAULT_RULES,
    CatalogIndex,
    HouseRules,
    PlanContext,
    Rule,
    RuleContext,
    allowance,
    basis,
    finding,
)
from consentkit.rules._base import rule_error
from consentkit.rules._overlaps import PlanOverlaps

__all__ = ["Engine", "check", "check_many", "check_plan", "default_engine", "envelope"]


class Engine:
    """Checks planned steps against the consent in force, and explains why.

    Args:
        catalog: The activities it knows (default: `default_catalog()`).
        rules: An application's own rules, run after the built-in ones.
        house: A venue's house rules, binding on every step.

    Raises:
        ValueError: A custom rule reuses a built-in code.
        TypeError: Something given as a rule is not one.
    """

    __slots__ = (
        "_calls",
        "_guarded",
        "_index",
        "_last",
        "_quiet",
        "catalog",
        "house",
        "rules",
    )

    def __init__(
        self,
        catalog: Catalog | None = None,
        rules: Iterable[Rule] = (),
        house: HouseRules | None = None,
        *,
        _guarded: bool = True,
    ) -> None:
        self.catalog = default_catalog() if catalog is None else catalog
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.house = house
        for custom in self.rules:
            code = getattr(custom, "code", None)
            if not isinstance(code, str) or not callable(custom):
                raise TypeError(f"rules: `{custom!r}` is not a rule with a `code`")
            if code in BUILTIN_CODES:
                raise ValueError(
                    f"rules: code `{code}` is built in; a custom rule needs its own"
                )
        # Built-in rules are called through their functions (one call less);
        # custom rules are called as given and their results checked.
        self._calls: tuple[_Call, ...] = (
            *((r, r.function, True) for r in DEFAULT_RULES),
            *((r, r, False) for r in self.rules),
        )
        self._index = CatalogIndex(self.catalog)
        #: Whether rules' guards may skip them (off only to test the guards).
        self._guarded = _guarded
        #: Per ledger history, per situation (agreement selected, position):
        #: the rules whose guards do not say they are quiet there.
        self._quiet: weakref.WeakKeyDictionary[History, dict[_Situation, _Calls]] = (
            weakref.WeakKeyDictionary()
        )
        #: The history last asked about, and its answers (a short cut).
        self._last: tuple[History, dict[_Situation, _Calls]] | None = None

    def __repr__(self) -> str:
        return (
            f"Engine(catalog={self.catalog.name!r} v{self.catalog.version}, "
            f"rules={len(self.rules)} custom, house={self.house!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # SPEC 3.5: an engine travels as its catalog, custom rules and house
        # rules; what it derives from them is rebuilt where it lands.
        # The default engine (default catalog, no custom or house rules)
        # travels by reference, as a call giving the shared default engine
        # where it lands, whose caches stay warm from one chunk to the next.
        if not self.rules and self.house is None and self.catalog is default_catalog():
            return (default_engine, ())
        return (Engine, (self.catalog, self.rules, self.house))

    # -- deciding --------------------------------------------------------

    def _active(
        self, history: History, fact: AgreementFact | None, context: RuleContext
    ) -> _Calls:
        """The rules to run in this situation: those whose guards do not hold.

        A guard reads only the situation (SPEC 3.1 leaves the rules to say
        when they cannot report), so its answer is kept per situation.  A
        guard that raises skips nothing: its rule runs, and answers for itself.
        """
        key = (fact, context.state.k)
        last = self._last
        if last is not None and last[0] is history:
            known = last[1]
        else:
            found = self._quiet.get(history)
            if found is None:
                found = {}
                self._quiet[history] = found
            known = found
            self._last = (history, known)
        active = known.get(key)
        if active is None:
            active = tuple(call for call in self._calls if not _quiet(call[0], context))
            known[key] = active
        return active

    def _run(
        self,
        step: Step,
        state: ConsentState,
        plan: tuple[PlanOverlaps, int] | None = None,
    ) -> tuple[Decision, RuleContext]:
        history, fact = situation(state, step.parties)
        agreement = stopped = None
        if fact is not None:
            agreement = fact.agreement
            stopped = fact.stop is not None and fact.stop[0] < state.k
        context = RuleContext._for_engine(  # noqa: SLF001  # the engine's own way in
            state,
            agreement,
            bool(stopped),
            self.catalog,
            self._index,
            self.house,
            step,
            None
            if plan is None
            else (
                functools.partial(plan[0].overlapping, plan[1]),
                functools.partial(plan[0].taken, plan[1]),
            ),
        )
        calls = self._active(history, fact, context) if self._guarded else self._calls
        findings: list[Finding] = []
        for rule, call, trusted in calls:
            try:
                found = call(step, context)
                if not trusted:
                    findings.extend(_findings(found))
                elif found:
                    findings.extend(found)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:  # noqa: BLE001  # SPEC 3.1: fail closed, here only
                findings.append(rule_error(rule, error))
        verdict = _verdict(findings) if findings else Verdict.ALLOW
        chosen: tuple[str, ...] = ()
        if verdict is Verdict.ALLOW:
            chosen = basis(step, context)
            if not chosen:  # pragma: no cover  # INVARIANT: ALLOW needs every side
                verdict = Verdict.DENY
                findings.append(
                    finding("CK900", "no affirmative basis for an ALLOW: refused")
                )
        if len(findings) > 1:
            findings.sort(key=_finding_order)
        return Decision.trusted(verdict, step, tuple(findings), chosen), context

    def check(self, step: Step, ledger: Ledger) -> Decision:
        """Decide one step against the consent in force at `step.at`.

        Raises:
            TypeError: `step` is not a `Step` or `ledger` not a `Ledger`.
        """
        if type(step) is not Step:
            _expect("check", step, Step, Plan, "use `check_plan` for a `Plan`")
        if type(ledger) is not Ledger:
            _expect_ledger("check", ledger)
        return self._run(step, ledger.state_at(step.at))[0]

    def check_plan(self, plan: Plan, ledger: Ledger) -> PlanDecision:
        """Decide each step of `plan` at its own time, then add plan-level advice.

        Raises:
            TypeError: `plan` is not a `Plan` or `ledger` not a `Ledger`.
        """
        _expect("check_plan", plan, Plan, Step, "use `check` for a `Step`")
        _expect_ledger("check_plan", ledger)
        steps = plan.steps
        overlaps = PlanOverlaps(steps, self.catalog, self._index)
        decisions: list[Decision] = []
        agreements = []
        state: ConsentState | None = None
        for position, step in enumerate(steps):
            if state is None or state.at != step.at:
                state = ledger.state_at(step.at)
            decision, context = self._run(step, state, (overlaps, position))
            decisions.append(decision)
            agreements.append(context.agreement)
        advice = self._advise(
            plan,
            PlanContext(
                agreements=tuple(agreements),
                catalog=self.catalog,
                catalog_index=self._index,
            ),
        )
        # A plan rule that failed (CK900) refuses the plan: fail closed.
        verdict = worst(
            [
                *(d.verdict for d in decisions),
                *(f.verdict for f in advice if f.verdict is not None),
            ]
        )
        return PlanDecision.trusted(verdict, tuple(decisions), tuple(advice))

    @staticmethod
    def _advise(plan: Plan, context: PlanContext) -> list[Finding]:
        """The plan rules' advice, each rule under the same guard as a step's."""
        found: list[Finding] = []
        for rule in DEFAULT_PLAN_RULES:
            try:
                found.extend(rule.function(plan, context))
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as error:  # noqa: BLE001  # SPEC 3.1: fail closed, here only
                found.append(rule_error(rule, error))
        return found

    def envelope(
        self, ledger: Ledger, actor: str, recipient: str, at: datetime
    ) -> tuple[Allowance, ...]:
        """Every activity `actor` may do to `recipient` at `at`, with its cap.

        For each catalog activity, a step of zero duration at intensity 1 with
        nobody else present is checked; each ALLOW is listed with the lower of
        the chosen grants' caps and any SLOW cap, and the `MaxDuration` and
        `ConfirmFirst` conditions later steps must still meet.  Activities
        needing a spotter or a confirmation not yet given are not listed.

        Raises:
            TypeError: An argument is not of the kind named.
            ValueError: `at` is a naive time.
        """
        _expect_envelope(ledger, actor, recipient, at)
        state = ledger.state_at(at)
        found: list[Allowance] = []
        for activity in self.catalog:
            step = Step(
                actor=actor,
                recipient=recipient,
                activity=activity.id,
                intensity=1,
                at=at,
            )
            decision, context = self._run(step, state)
            if not decision.allowed:
                continue
            found.append(allowance(step, context))
        return tuple(found)

    # -- many at once (SPEC 3.5) -------------------------------------------

    @overload
    def check_many(
        self,
        items: Iterable[tuple[Plan, Ledger]],
        *,
        executor: Executor | None = None,
        chunksize: int | None = None,
    ) -> list[PlanDecision]: ...
    @overload
    def check_many(
        self,
        items: Iterable[tuple[Step, Ledger]],
        *,
        executor: Executor | None = None,
        chunksize: int | None = None,
    ) -> list[Decision]: ...
    @overload
    def check_many(
        self,
        items: Iterable[tuple[Plan | Step, Ledger]],
        *,
        executor: Executor | None = None,
        chunksize: int | None = None,
    ) -> list[Decision | PlanDecision]: ...
    def check_many(
        self,
        items: Iterable[tuple[Plan | Step, Ledger]],
        *,
        executor: Executor | None = None,
        chunksize: int | None = None,
    ) -> list[Decision] | list[PlanDecision] | list[Decision | PlanDecision]:
        """Decide many plans or steps, each against its ledger, in input order.

        Each answer is what `check_plan` (for a plan) or `check` (for a step)
        gives.  With `executor` -- any `concurrent.futures.Executor`: a
        process pool, Dask's ``Client.get_executor()``, Ray's -- the pairs go
        out in chunks, the engine and each chunk's ledgers pickled once per
        chunk however many of its pairs share them; the answers are equal to
        the serial ones.

        Args:
            items: ``(plan_or_step, ledger)`` pairs; read in full first.
            executor: Where to run the chunks (None: here, one by one).
            chunksize: Pairs per chunk (default: about 32 chunks, of at most
                512 pairs); pairs sharing a ledger are sent together.

        Returns:
            The answers, in the order of `items`.

        Raises:
            TypeError: An item is not a pair of a `Plan` or `Step` and a
                `Ledger` (naming its index; before any work starts), or
                `executor` is not an executor.
            ValueError: `chunksize` is below 1.
        """
        return many.check_many(self, items, executor, chunksize)


def _expect(
    function: str, value: object, wanted: type, swapped: type, hint: str
) -> None:
    """Refuse an argument of the wrong kind with a TypeError saying what was wanted."""
    if isinstance(value, wanted):
        return
    got = type(value).__name__
    detail = hint if isinstance(value, swapped) else f"got a `{got}`"
    if isinstance(value, Ledger):
        detail = "got a `Ledger`: the arguments are (step or plan, ledger)"
    elif isinstance(value, list | tuple) and wanted is Plan:
        detail = f"got a `{got}`: build one with `Plan(steps=...)`"
    raise TypeError(f"{function}: expected a `{wanted.__name__}`; {detail}")


def _expect_envelope(
    ledger: object, actor: object, recipient: object, at: object
) -> None:
    _expect_ledger("envelope", ledger)
    for name, party in (("actor", actor), ("recipient", recipient)):
        if not isinstance(party, str):
            got = type(party).__name__
            raise TypeError(f"envelope: {name}: expected a party id, got a `{got}`")
    if not isinstance(at, datetime):
        got = type(at).__name__
        raise TypeError(f"envelope: at: expected a datetime, got a `{got}`")
    if at.utcoffset() is None:
        raise ValueError("envelope: at: must be timezone-aware, got a naive time")


def _expect_ledger(function: str, ledger: object) -> None:
    if not isinstance(ledger, Ledger):
        raise TypeError(
            f"{function}: expected a `Ledger`, got a `{type(ledger).__name__}`"
        )


def _quiet(rule: Rule, context: RuleContext) -> bool:
    """Whether `rule`'s guard holds in `context`'s situation (False: run it)."""
    guard = getattr(rule, "quiet", None)
    if guard is None:
        return False
    try:
        return bool(guard(context))
    except Exception:  # noqa: BLE001  # the rule runs and answers for itself
        return False


def _finding_order(found: Finding) -> tuple[str, str]:
    return found.code, found.message


_Call: TypeAlias = tuple[Rule, Callable[[Step, RuleContext], Any], bool]
_Calls: TypeAlias = tuple[_Call, ...]
_Situation: TypeAlias = tuple[AgreementFact | None, int]


def _verdict(findings: list[Finding]) -> Verdict:
    """SPEC 3.1: the most severe finding's verdict; ALLOW with none against."""
    verdict = Verdict.ALLOW
    for found in findings:
        if found.verdict is Verdict.DENY:
            return Verdict.DENY
        if found.verdict is Verdict.RENEGOTIATE:
            verdict = Verdict.RENEGOTIATE
    return verdict


def _findings(found: Iterable[Finding]) -> list[Finding]:
    checked = list(found)
    for item in checked:
        if not isinstance(item, Finding):
            raise TypeError("returned something that is not a finding")
    return checked


_default: Engine | None = None


def default_engine() -> Engine:
    """The default engine, built on first use and shared (`check`, `check_many`).

    An engine with the default catalog and neither custom nor house rules
    unpickles as this very engine (SPEC 3.5).
    """
    global _default  # noqa: PLW0603  # built once, on first use
    if _default is None:
        _default = Engine()
    return _default


_engine = default_engine


def check(step: Step, ledger: Ledger) -> Decision:
    """Decide one step with the default engine (`Engine.check`)."""
    return _engine().check(step, ledger)


def check_plan(plan: Plan, ledger: Ledger) -> PlanDecision:
    """Decide a plan with the default engine (`Engine.check_plan`)."""
    return _engine().check_plan(plan, ledger)


@overload
def check_many(
    items: Iterable[tuple[Plan, Ledger]],
    *,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> list[PlanDecision]: ...
@overload
def check_many(
    items: Iterable[tuple[Step, Ledger]],
    *,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> list[Decision]: ...
@overload
def check_many(
    items: Iterable[tuple[Plan | Step, Ledger]],
    *,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> list[Decision | PlanDecision]: ...
def check_many(
    items: Iterable[tuple[Plan | Step, Ledger]],
    *,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> list[Decision] | list[PlanDecision] | list[Decision | PlanDecision]:
    """Decide many pairs with the default engine (`Engine.check_many`)."""
    return _engine().check_many(items, executor=executor, chunksize=chunksize)


def envelope(
    ledger: Ledger, actor: str, recipient: str, at: datetime
) -> tuple[Allowance, ...]:
    """List what `actor` may do to `recipient` at `at`, with the default engine."""
    return _engine().envelope(ledger, actor, recipient, at)
