"""The protocol in force (SPEC 3.3): CK109-CK113."""

from __future__ import annotations

from collections.abc import Iterable

from consentkit._catalog import covers
from consentkit._decision import Finding, Verdict
from consentkit._facts import CAPABILITIES
from consentkit._plan import Step
from consentkit.rules._base import (
    RuleContext,
    finding,
    overlap_taken,
    rule,
)

__all__ = [
    "equipment_missing",
    "impaired",
    "no_stop_signal",
    "no_usable_stop_signal",
    "outside_authority",
]


def _nobody_impaired(context: RuleContext) -> bool:
    agreement = context.in_force
    return (
        agreement is None
        or not agreement.terms.protocol.sobriety_required
        or not context.state.anyone_impaired
    )


@rule(
    "CK109",
    "impaired",
    Verdict.DENY,
    "a party is declared impaired",
    quiet=_nobody_impaired,
)
def impaired(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: a party of the step is impaired and the protocol requires sobriety."""
    agreement = context.in_force
    if agreement is None or context.activity(step) is None:
        return ()
    if not context.state.anyone_impaired:
        return ()
    if not agreement.terms.protocol.sobriety_required:
        return ()
    return [
        finding(
            "CK109",
            f"{party} is declared impaired and the protocol of "
            f"`{agreement.proposal_id}` requires sobriety",
            (agreement.proposal_id,),
        )
        for party in sorted(step.parties)
        if context.state.is_impaired(party)
    ]


def _has_stop(context: RuleContext) -> bool:
    facts = context.terms
    return facts is None or bool(facts.stops)


def _stop_always_usable(context: RuleContext) -> bool:
    """Quiet: no agreement, no STOP signal (CK110's), or one nothing can take."""
    facts = context.terms
    return facts is None or not facts.stops or facts.stop_usable(CAPABILITIES)


@rule(
    "CK110",
    "no-stop-signal",
    Verdict.DENY,
    "the protocol has no STOP signal",
    quiet=_has_stop,
)
def no_stop_signal(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the protocol in force defines no STOP signal."""
    agreement = context.in_force
    facts = context.terms
    if agreement is None or facts is None or context.activity(step) is None:
        return ()
    if facts.stops:
        return ()
    return (
        finding(
            "CK110",
            f"the protocol of `{agreement.proposal_id}` defines no STOP signal",
            (agreement.proposal_id,),
        ),
    )


@rule(
    "CK111",
    "no-usable-stop-signal",
    Verdict.DENY,
    "no STOP signal stays usable by the recipient",
    quiet=_stop_always_usable,
)
def no_usable_stop_signal(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: no STOP signal stays usable once this step takes capabilities.

    In a plan, overlapping steps with the same recipient take theirs too.
    """
    agreement, facts = context.in_force, context.terms
    activity = context.activity(step)
    if agreement is None or facts is None or activity is None:
        return ()
    stops = facts.stops
    if not stops:
        return ()  # without STOP signals, CK110 alone
    # SPEC 2: risks are inherited upward, so a step on a category takes what
    # anything beneath it takes.
    taken = context.catalog_index.takes[activity.id] | overlap_taken(context, step)
    if not taken or facts.stop_usable(taken):
        return ()
    lost = " and ".join(sorted(taken))
    if len(stops) == 1:
        needing = f"which `{stops[0].cue}` needs"
    else:
        cues = ", ".join(f"`{s.cue}`" for s in stops)
        needing = f"and each STOP signal ({cues}) needs one of them"
    return (
        finding(
            "CK111",
            f"{step.recipient} could not signal STOP: the step takes away {lost}, "
            + needing,
            (agreement.proposal_id,),
        ),
    )


def _equipped(context: RuleContext) -> bool:
    """Quiet: the protocol lists what every activity of the catalog requires."""
    return context.terms is None or context.terms.equipped


@rule(
    "CK112",
    "equipment-missing",
    Verdict.DENY,
    "required equipment is not listed",
    quiet=_equipped,
)
def equipment_missing(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the activity requires equipment the protocol does not list."""
    agreement, facts = context.in_force, context.terms
    activity = context.activity(step)
    if agreement is None or facts is None or activity is None:
        return ()
    missing = facts.missing_equipment(activity.id)
    if not missing:
        return ()
    items = ", ".join(f"`{item}`" for item in sorted(missing))
    beneath = "" if missing <= activity.requires else " (or something beneath it)"
    return (
        finding(
            "CK112",
            f"`{activity.id}`{beneath} requires {items}, not listed in the protocol of "
            f"`{agreement.proposal_id}`",
            (agreement.proposal_id,),
        ),
    )


def _no_authority(context: RuleContext) -> bool:
    agreement = context.in_force
    return agreement is None or not agreement.terms.protocol.authority


@rule(
    "CK113",
    "outside-authority",
    Verdict.DENY,
    "the director holds no authority",
    quiet=_no_authority,
)
def outside_authority(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: someone has authority over the recipient; the director has none."""
    agreement = context.in_force
    if agreement is None or context.activity(step) is None:
        return ()
    over = [
        a for a in context.state.authorities(agreement) if a.subject == step.recipient
    ]
    director = step.director
    if not over or director == step.recipient:
        return ()
    index = context.catalog_index
    for authority in over:
        if authority.holder != director:
            continue
        if authority.scope is None:
            if any(
                g.party == step.recipient and index.grant_covers(g, step.activity)
                for g in agreement.terms.grants
            ):
                return ()
        elif any(covers(scope, step.activity) for scope in authority.scope):
            return ()
    holders = ", ".join(sorted({a.holder for a in over}))
    return (
        finding(
            "CK113",
            f"{director} directs the step, but authority over {step.recipient} for "
            f"`{step.activity}` rests with {holders}",
            (agreement.proposal_id,),
        ),
    )
