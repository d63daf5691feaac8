"""Limits (SPEC 3.3): CK101 hard limits and CK201 soft limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

from consentkit._agreements import Agreement
from consentkit._catalog import Activity, covers
from consentkit._coverage import addresses
from consentkit._decision import Finding, Verdict
from consentkit._plan import Step
from consentkit._terms import Limit, LimitKind, Role
from consentkit._time import format_time
from consentkit.rules._base import Derived, RuleContext, finding, rule
from consentkit.rules._consent import sides

__all__ = ["hard_limit", "roles", "soft_limit", "unknown_limit"]


def roles(step: Step) -> list[tuple[str, Role]]:
    """Each party of the step who takes a role, with that role.

    The director takes none unless they also act, receive or are present.
    """
    found = [(step.recipient, Role.RECEIVE), (step.actor, Role.GIVE)]
    if step.present:
        found.extend((party, Role.WITNESS) for party in sorted(step.present))
    return found


def _target(limit: Limit) -> str:
    return f"`{limit.activity}`" if limit.activity is not None else f"tag `{limit.tag}`"


_Applying: TypeAlias = list[tuple[str, Role, Limit, Activity]]


def _compute_applying(step: Step, context: RuleContext) -> tuple[_Applying, _Applying]:
    hard: _Applying = []
    soft: _Applying = []
    activity = context.activity(step)
    if activity is None:
        return hard, soft
    agreement = context.in_force
    state, index = context.state, context.catalog_index
    for party, role in roles(step):
        limits = state.limit_index(party, agreement, index)
        for limit in limits.reaching(activity.id):
            if role in limit.roles:
                found = hard if limit.kind is LimitKind.HARD else soft
                found.append((party, role, limit, activity))
    return hard, soft


#: The limits in effect reaching the step, each with its party and role: the
#: hard ones (CK101) and the soft ones (CK201), found in one pass.
_APPLYING: Derived[tuple[_Applying, _Applying]] = Derived(_compute_applying)


def _no_limits(context: RuleContext) -> bool:
    """Quiet: no party has a limit of any kind, in the terms or standing."""
    agreement = context.in_force
    return not context.state.any_standing_limits and (
        agreement is None or not agreement.terms.limits
    )


def _all_limits_known(context: RuleContext) -> bool:
    """Quiet: every limit in effect, of every party, names what the catalog knows."""
    if _no_limits(context):
        return True
    agreement = context.in_force
    state, index = context.state, context.catalog_index
    parties = set(state.standing_parties)
    if agreement is not None:
        parties |= agreement.parties
    return not any(
        state.limit_index(party, agreement, index).unknown for party in parties
    )


def _no_soft_limits(context: RuleContext) -> bool:
    """Quiet: no soft limit in the terms in force, and none standing."""
    terms = context.terms
    if terms is None or _no_limits(context):
        return True
    soft = LimitKind.SOFT
    return soft not in terms.limit_kinds and soft not in context.state.standing_kinds()


def _reach(limit: Limit, activity: Activity) -> str:
    """How a limit reaches the step's activity, in words (SPEC 2)."""
    if limit.activity is None:
        if limit.tag in activity.tags:
            return f"covers `{activity.id}`"
        return f"something beneath `{activity.id}` carries it"
    if covers(limit.activity, activity.id):
        return f"covers `{activity.id}`"
    return f"a step on `{activity.id}` may turn out to be `{limit.activity}`"


def _where(
    limit: Limit, agreement: Agreement | None, context: RuleContext
) -> tuple[str, tuple[str, ...]]:
    """Where a limit comes from, in words, and the records behind it."""
    declared = context.state.standing_digest(limit)
    if declared is not None:
        at, digest = declared
        return f"declared {format_time(at)}", (digest,)
    if agreement is not None:
        return f"agreed in `{agreement.proposal_id}`", (agreement.proposal_id,)
    return "standing", ()  # pragma: no cover  # INVARIANT: one of the two


@rule(
    "CK101",
    "hard-limit",
    Verdict.DENY,
    "a party's hard limit reaches the activity",
    quiet=_no_limits,
)
def hard_limit(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: a party has a hard limit in effect covering the activity in their role.

    Standing limits bind even when no agreement is in force (docs/decisions.md).
    """
    agreement = context.in_force
    found: list[Finding] = []
    for party, role, limit, activity in context.derive(_APPLYING, step)[0]:
        where, refs = _where(limit, agreement, context)
        note = f" ({limit.note})" if limit.note else ""
        found.append(
            finding(
                "CK101",
                f"{party} has a hard limit on {_target(limit)} "
                f"({_reach(limit, activity)}) in role {role.value}, {where}{note}",
                refs,
            )
        )
    return found


@rule(
    "CK201",
    "soft-limit",
    Verdict.RENEGOTIATE,
    "a soft limit awaits being addressed",
    quiet=_no_soft_limits,
)
def soft_limit(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: a soft limit in effect, not addressed by a grant nor a confirmation."""
    agreement = context.in_force
    if agreement is None:
        return ()
    applying = context.derive(_APPLYING, step)[1]
    if not applying:
        return ()
    by_party = {side.party: side for side in sides(step, context)}
    found: list[Finding] = []
    for party, role, limit, activity in applying:
        side = by_party.get(party)
        candidates = side.candidates if side is not None else ()
        if any(addresses(limit, g.activity, activity.id) for g in candidates):
            continue
        confirmed = any(
            covers(c.activity, activity.id)
            for c in context.state.confirmations(party, agreement)
        )
        if confirmed:
            continue
        where, refs = _where(limit, agreement, context)
        found.append(
            finding(
                "CK201",
                f"{party} has a soft limit on {_target(limit)} "
                f"({_reach(limit, activity)}) in role {role.value}, {where}: ask "
                f"{party} to confirm it in the scene",
                refs,
            )
        )
    return found


@rule(
    "CK117",
    "unknown-limit",
    Verdict.DENY,
    "a limit names an activity or tag the catalog does not know",
    quiet=_all_limits_known,
)
def unknown_limit(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: a limit in effect names what the catalog cannot tell.

    An activity not in the catalog, or a tag no activity carries and SPEC 2
    does not name: nobody can tell what it forbids, so it fails closed.
    """
    if context.activity(step) is None:
        return ()  # CK100 alone
    agreement = context.in_force
    state, index = context.state, context.catalog_index
    found: list[Finding] = []
    for party, role in roles(step):
        for limit in state.limit_index(party, agreement, index).unknown:
            if role not in limit.roles:
                continue
            where, refs = _where(limit, agreement, context)
            what = (
                f"activity `{limit.activity}`, which is not in catalog "
                f"`{context.catalog.name}`"
                if limit.activity is not None
                else f"tag `{limit.tag}`, which no activity of catalog "
                f"`{context.catalog.name}` carries"
            )
            found.append(
                finding(
                    "CK117",
                    f"{party} has a {limit.kind.value} limit on {what} "
                    f"(in role {role.value}, {where}): nobody can tell what it "
                    "forbids, so it is refused to be safe",
                    refs,
                )
            )
    return found
