"""Signals in the scene (SPEC 2, A SLOW): CK114 and CK202."""

from __future__ import annotations

from collections.abc import Iterable

from consentkit._decision import Finding, Verdict
from consentkit._plan import Step
from consentkit.rules._base import RuleContext, finding, rule

__all__ = ["slowed", "slowed_cap"]


def _nobody_slowed(context: RuleContext) -> bool:
    agreement = context.in_force
    return agreement is None or not context.state.slows(agreement)


@rule(
    "CK114",
    "slowed-cap",
    Verdict.DENY,
    "the intensity is above a SLOW's cap",
    quiet=_nobody_slowed,
)
def slowed_cap(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the intensity is above a cap a SLOW with an intensity set."""
    agreement = context.in_force
    if agreement is None or not context.state.slows(agreement):
        return ()
    if context.activity(step) is None:
        return ()
    found: list[Finding] = []
    for party in sorted(step.parties):
        cap = context.state.slow_cap(agreement, party)
        if cap is not None and step.intensity > cap:
            found.append(
                finding(
                    "CK114",
                    f"{party} slowed the scene: intensity is capped at {cap} for the "
                    f"rest of `{agreement.proposal_id}`, "
                    f"the step asks {step.intensity}",
                    (agreement.proposal_id,),
                )
            )
    return found


@rule(
    "CK202",
    "slowed",
    Verdict.RENEGOTIATE,
    "a party's SLOW awaits their RESUME",
    quiet=_nobody_slowed,
)
def slowed(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: a party of the step gave a SLOW and no RESUME since."""
    agreement = context.in_force
    if agreement is None or not context.state.slows(agreement):
        return ()
    if context.activity(step) is None:
        return ()
    waiting = context.state.slowed(agreement) & step.parties
    return [
        finding(
            "CK202",
            f"{party} gave a SLOW: check in and wait for their RESUME",
            (agreement.proposal_id,),
        )
        for party in sorted(waiting)
    ]
