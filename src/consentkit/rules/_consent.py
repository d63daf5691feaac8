"""The affirmative basis, side by side (SPEC 3.2): CK102, CK105-CK107, CK203."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final, NamedTuple

from consentkit._agreements import Agreement
from consentkit._catalog import covers
from consentkit._decision import Allowance, Finding, Verdict
from consentkit._facts import TermsFacts
from consentkit._history import Revocations
from consentkit._plan import Step
from consentkit._terms import (
    CheckInWithin,
    Condition,
    ConfirmFirst,
    Equipment,
    Grant,
    MaxDuration,
    NonverbalSignal,
    Role,
    SignalKind,
    SignalMeaning,
    Spotter,
    describe_condition,
)
from consentkit._time import format_time
from consentkit.rules._base import Derived, RuleContext, finding, nothing_in_force, rule

__all__ = [
    "Side",
    "allowance",
    "basis",
    "condition_unmet",
    "confirm_first",
    "intensity_cap",
    "no_consent",
    "revoked",
    "sides",
]

# The checks a candidate passes in order (SPEC 3.2); a failure at stage i
# yields CHECK_CODES[i].  Stage 4 means the candidate passed every check.
CHECK_CODES: Final = ("CK102", "CK106", "CK107", "CK203")
_PASSED: Final = 4
_VERB: Final = {Role.GIVE: "give", Role.RECEIVE: "receive", Role.WITNESS: "witness"}


class Side(NamedTuple):
    """One side of a step: a party, their role, and how their grants fare.

    Attributes:
        party: Whose side.
        role: RECEIVE, GIVE or WITNESS.
        candidates: Their grants in the agreement for that role covering the
            activity whose counterparties admit the others, in terms order.
        chosen: The passing candidate with the highest cap, or None.
        code: None when met; else CK105 (no candidate) or the code of the
            check at which the furthest-getting candidate failed.
        culprit: That furthest-getting candidate.
        reason: What failed, in words.
    """

    party: str
    role: Role
    candidates: tuple[Grant, ...]
    chosen: Grant | None
    code: str | None
    culprit: Grant | None
    reason: str


def _condition_met(  # one answer per kind of condition
    condition: Condition, step: Step, agreement: Agreement
) -> bool:
    protocol = agreement.terms.protocol
    if isinstance(condition, CheckInWithin):
        interval = protocol.check_in_minutes
        return interval is not None and interval <= condition.minutes
    if isinstance(condition, NonverbalSignal):
        return any(
            s.kind is SignalKind.NONVERBAL and s.meaning is SignalMeaning.STOP
            for s in protocol.signals
        )
    if isinstance(condition, MaxDuration):
        return step.duration <= timedelta(minutes=condition.minutes)
    if isinstance(condition, Equipment):
        return condition.item in protocol.equipment
    if isinstance(condition, Spotter):
        return condition.party in step.present
    return True  # ConfirmFirst is checked on its own (CK203)


def _confirmed(
    condition: ConfirmFirst,
    grant: Grant,
    step: Step,
    context: RuleContext,
    agreement: Agreement,
) -> bool:
    for confirmation in context.state.confirmations(grant.party, agreement):
        if not covers(confirmation.activity, step.activity):
            continue
        within = condition.within_minutes
        if within is None or step.at - confirmation.at <= timedelta(minutes=within):
            return True
    return False


def _stage(
    grant: Grant,
    step: Step,
    context: RuleContext,
    agreement: Agreement,
    revoked: Revocations | None,
) -> tuple[int, str]:
    """How far `grant` gets through the checks, and what stopped it."""
    if revoked is not None:
        revocation = revoked.find(grant.id, step.activity)
        if revocation is not None:
            return 0, f"revoked by {revocation.by} at {format_time(revocation.at)}"
    if grant.max_intensity is not None and grant.max_intensity < step.intensity:
        return (
            1,
            f"caps intensity at {grant.max_intensity}, the step asks {step.intensity}",
        )
    confirm: list[ConfirmFirst] = []
    for condition in grant.conditions:
        if isinstance(condition, ConfirmFirst):
            confirm.append(condition)
        elif not _condition_met(condition, step, agreement):
            return 2, f"needs {describe_condition(condition)}"
    for condition in confirm:
        if not _confirmed(condition, grant, step, context, agreement):
            return (
                3,
                f"needs {describe_condition(condition)}: none covers `{step.activity}`",
            )
    return _PASSED, ""


def _side(  # noqa: PLR0913, PLR0917  # the side, spelled out
    facts: TermsFacts,
    party: str,
    role: Role,
    admits: tuple[str, ...],
    step: Step,
    context: RuleContext,
    agreement: Agreement,
) -> Side:
    found = facts.candidates(party, role, step.activity, admits)
    grants = found.grants
    if not grants:
        return Side(party, role, grants, None, "CK105", None, "")
    # Try the highest caps first (None highest; terms order among equals):
    # the first candidate to pass is the chosen one (SPEC 3.2).
    best: tuple[int, int, Grant, str] | None = None  # stage, -position, ...
    revoked = context.state.revocations(agreement, party)
    for grant in found.by_cap:
        stage, reason = _stage(grant, step, context, agreement, revoked)
        if stage == _PASSED:
            return Side(party, role, grants, grant, None, None, "")
        rank = (stage, -grants.index(grant))
        if best is None or rank > best[:2]:
            best = (*rank, grant, reason)
    if best is None:  # pragma: no cover  # INVARIANT: found is not empty
        raise AssertionError("no candidate")
    return Side(party, role, grants, None, CHECK_CODES[best[0]], best[2], best[3])


def _sides(step: Step, context: RuleContext) -> tuple[Side, ...]:
    agreement, facts = context.in_force, context.terms
    if agreement is None or facts is None or context.activity(step) is None:
        return ()
    actor, recipient = step.actor, step.recipient
    found = (
        _side(facts, recipient, Role.RECEIVE, (actor,), step, context, agreement),
        _side(facts, actor, Role.GIVE, (recipient,), step, context, agreement),
    )
    if not step.present:
        return found
    return (
        *found,
        *(
            _side(facts, p, Role.WITNESS, (actor, recipient), step, context, agreement)
            for p in sorted(step.present)
        ),
    )


#: The step's sides (SPEC 3.2): one computation the five consent codes read.
_SIDES: Derived[tuple[Side, ...]] = Derived(_sides)


def sides(step: Step, context: RuleContext) -> tuple[Side, ...]:
    """The step's sides: recipient, actor, then present parties in sorted order.

    Empty when no agreement is in force or the activity is unknown (SPEC 3.1).
    """
    return context.derive(_SIDES, step)


def basis(step: Step, context: RuleContext) -> tuple[str, ...]:
    """The chosen grant of each side, when every side is met."""
    chosen = [side.chosen for side in sides(step, context)]
    if not chosen or any(grant is None for grant in chosen):
        return ()
    return tuple(grant.id for grant in chosen if grant is not None)


def allowance(step: Step, context: RuleContext) -> Allowance:
    """What an allowed `step` leaves open to later ones (`Engine.envelope`).

    The lower of the chosen grants' caps and any SLOW cap of a party of the
    step, and the `MaxDuration` and `ConfirmFirst` conditions of the chosen
    grants, which later steps must still meet.
    """
    chosen = [side.chosen for side in sides(step, context) if side.chosen]
    caps = [g.max_intensity for g in chosen if g.max_intensity is not None]
    agreement = context.in_force
    if agreement is not None:
        for party in sorted(step.parties):
            slow = context.state.slow_cap(agreement, party)
            if slow is not None:
                caps.append(slow)
    conditions: list[Condition] = []
    for grant in chosen:
        for condition in grant.conditions:
            if isinstance(condition, MaxDuration | ConfirmFirst) and (
                condition not in conditions
            ):
                conditions.append(condition)
    return Allowance(
        activity=step.activity,
        max_intensity=min(caps) if caps else None,
        conditions=tuple(conditions),
    )


def _side_findings(step: Step, context: RuleContext) -> dict[str, tuple[Finding, ...]]:
    found: dict[str, tuple[Finding, ...]] = {}
    agreement = context.in_force
    for side in sides(step, context):
        if side.code is None or agreement is None:
            continue
        found[side.code] = (*found.get(side.code, ()), _finding(side, step, agreement))
    return found


#: The findings of the unmet sides, by code (all five codes in one pass).
_SIDE_FINDINGS: Derived[dict[str, tuple[Finding, ...]]] = Derived(_side_findings)


def _finding(side: Side, step: Step, agreement: Agreement) -> Finding:
    code = side.code or "CK105"
    verb = _VERB[side.role]
    if side.culprit is None:
        others = (
            f"from {step.actor}"
            if side.role is Role.RECEIVE
            else f"to {step.recipient}"
            if side.role is Role.GIVE
            else f"{step.actor} and {step.recipient}"
        )
        message = (
            f"{side.party} has not consented to {verb} `{step.activity}` "
            f"{others} in agreement `{agreement.proposal_id}`"
        )
        return finding(code, message, (agreement.proposal_id,))
    message = (
        f"grant `{side.culprit.id}` of {side.party} ({verb} "
        f"`{side.culprit.activity}`) {side.reason}"
    )
    return finding(code, message, (side.culprit.id, agreement.proposal_id))


def _nothing_revoked(context: RuleContext) -> bool:
    return context.terms is None or not context.state.any_revocations


def _uncapped(context: RuleContext) -> bool:
    return context.terms is None or not context.terms.capped


def _unconditional(context: RuleContext) -> bool:
    return context.terms is None or not context.terms.conditions


def _nothing_to_confirm(context: RuleContext) -> bool:
    return context.terms is None or not context.terms.confirm_first


@rule(
    "CK102",
    "revoked",
    Verdict.DENY,
    "a side's consent was revoked",
    quiet=_nothing_revoked,
)
def revoked(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate was revoked."""
    return context.derive(_SIDE_FINDINGS, step).get("CK102", ())


@rule(
    "CK105",
    "no-consent",
    Verdict.DENY,
    "a side has no grant for the step",
    quiet=nothing_in_force,
)
def no_consent(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side has no candidate grant: default deny."""
    return context.derive(_SIDE_FINDINGS, step).get("CK105", ())


@rule(
    "CK106",
    "intensity-cap",
    Verdict.DENY,
    "a side's grant is capped below it",
    quiet=_uncapped,
)
def intensity_cap(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate is capped below the intensity."""
    return context.derive(_SIDE_FINDINGS, step).get("CK106", ())


@rule(
    "CK107",
    "condition-unmet",
    Verdict.DENY,
    "a condition of a side's grant is unmet",
    quiet=_unconditional,
)
def condition_unmet(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate has a condition unmet."""
    return context.derive(_SIDE_FINDINGS, step).get("CK107", ())


@rule(
    "CK203",
    "confirm-first",
    Verdict.RENEGOTIATE,
    "a grant awaits its confirmation",
    quiet=_nothing_to_confirm,
)
def confirm_first(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate awaits its confirmation."""
    return context.derive(_SIDE_FINDINGS, step).get("CK203", ())
