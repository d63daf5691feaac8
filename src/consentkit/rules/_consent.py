"""The affirmative basis, side by side (SPEC 3.2): CK102, CK105-CK107, CK203."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Final

import attrs

from consentkit._agreements import Agreement
from consentkit._catalog import ancestors_of, covers
from consentkit._decision import Finding
from consentkit._plan import Step
from consentkit._state import memo as terms_memo
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
from consentkit.rules._base import RuleContext, finding, rule, scratch

__all__ = [
    "Side",
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


@attrs.frozen
class Side:
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


def _index(
    context: RuleContext, agreement: Agreement, party: str, role: Role
) -> tuple[dict[str, list[tuple[int, Grant]]], dict[str, list[tuple[int, Grant]]]]:
    memo = terms_memo(context.state, agreement)
    key = ("grants", party, role.value)
    found = memo.get(key)
    if found is None:
        exact: dict[str, list[tuple[int, Grant]]] = {}
        subtree: dict[str, list[tuple[int, Grant]]] = {}
        for position, grant in enumerate(agreement.terms.grants):
            if grant.party == party and grant.role is role:
                table = subtree if grant.include_subtypes else exact
                table.setdefault(grant.activity, []).append((position, grant))
        found = (exact, subtree)
        memo[key] = found
    return found  # type: ignore[return-value]  # memo values are typed by key


def candidates(  # noqa: PLR0913, PLR0917  # the side, spelled out
    context: RuleContext,
    agreement: Agreement,
    party: str,
    role: Role,
    activity: str,
    admits: tuple[str, ...],
) -> tuple[Grant, ...]:
    """`party`'s grants for `role` covering `activity` that admit `admits`.

    They depend on the terms and the catalog alone, so they are remembered
    with the agreement.
    """
    index = context.catalog_index
    memo = terms_memo(context.state, agreement)
    key = ("candidates", index, party, role.value, activity, admits)
    cached = memo.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]  # memo values are typed by key
    exact, subtree = _index(context, agreement, party, role)
    found = list(exact.get(activity, ()))
    lineage = index.lineage.get(activity) or (activity, *ancestors_of(activity))
    for node in lineage:
        for position, grant in subtree.get(node, ()):
            if index.grant_covers(grant, activity):
                found.append((position, grant))
    if len(found) > 1:
        found.sort(key=lambda pair: pair[0])
    result = tuple(
        grant
        for _, grant in found
        if grant.counterparties is None or grant.counterparties.issuperset(admits)
    )
    memo[key] = result
    return result


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
    grant: Grant, step: Step, context: RuleContext, agreement: Agreement
) -> tuple[int, str]:
    """How far `grant` gets through the checks, and what stopped it."""
    revocation = context.state.revocation(agreement, grant, step.activity)
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
    party: str,
    role: Role,
    admits: tuple[str, ...],
    step: Step,
    context: RuleContext,
    agreement: Agreement,
) -> Side:
    found = candidates(context, agreement, party, role, step.activity, admits)
    if not found:
        return Side(party, role, found, None, "CK105", None, "")
    # Try the highest caps first (None highest; terms order among equals):
    # the first candidate to pass is the chosen one (SPEC 3.2).
    ordered = found if len(found) == 1 else sorted(found, key=_cap_order)
    best: tuple[int, int, Grant, str] | None = None  # stage, -position, ...
    for grant in ordered:
        stage, reason = _stage(grant, step, context, agreement)
        if stage == _PASSED:
            return Side(party, role, found, grant, None, None, "")
        rank = (stage, -found.index(grant))
        if best is None or rank > best[:2]:
            best = (*rank, grant, reason)
    if best is None:  # pragma: no cover  # INVARIANT: found is not empty
        raise AssertionError("no candidate")
    return Side(party, role, found, None, CHECK_CODES[best[0]], best[2], best[3])


def _cap_order(grant: Grant) -> int:
    return -(grant.max_intensity or 11)


def sides(step: Step, context: RuleContext) -> tuple[Side, ...]:
    """The step's sides: recipient, actor, then present parties in sorted order.

    Empty when no agreement is in force or the activity is unknown (SPEC 3.1).
    """
    cached = scratch(context).get("sides")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    agreement = context.in_force
    found: tuple[Side, ...] = ()
    if agreement is not None and context.activity(step) is not None:
        actor, recipient = step.actor, step.recipient
        found = (
            _side(recipient, Role.RECEIVE, (actor,), step, context, agreement),
            _side(actor, Role.GIVE, (recipient,), step, context, agreement),
            *(
                _side(
                    p,
                    Role.WITNESS,
                    (actor, recipient),
                    step,
                    context,
                    agreement,
                )
                for p in sorted(step.present)
            ),
        )
    scratch(context)["sides"] = found
    return found


def basis(step: Step, context: RuleContext) -> tuple[str, ...]:
    """The chosen grant of each side, when every side is met."""
    chosen = [side.chosen for side in sides(step, context)]
    if not chosen or any(grant is None for grant in chosen):
        return ()
    return tuple(grant.id for grant in chosen if grant is not None)


def _report(code: str, step: Step, context: RuleContext) -> tuple[Finding, ...]:
    """The findings of `code` among the unmet sides (all codes found in one pass)."""
    found: dict[str, tuple[Finding, ...]] | None = scratch(context).get("side_findings")
    if found is None:
        found = {}
        agreement = context.in_force
        for side in sides(step, context):
            if side.code is None or agreement is None:
                continue
            found[side.code] = (
                *found.get(side.code, ()),
                _finding(side, step, agreement),
            )
        scratch(context)["side_findings"] = found
    return found.get(code, ())


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


@rule("CK102")
def revoked(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate was revoked."""
    return _report("CK102", step, context)


@rule("CK105")
def no_consent(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side has no candidate grant: default deny."""
    return _report("CK105", step, context)


@rule("CK106")
def intensity_cap(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate is capped below the intensity."""
    return _report("CK106", step, context)


@rule("CK107")
def condition_unmet(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate has a condition unmet."""
    return _report("CK107", step, context)


@rule("CK203")
def confirm_first(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.2: a side's furthest-getting candidate awaits its confirmation."""
    return _report("CK203", step, context)
