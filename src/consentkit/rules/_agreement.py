"""Which agreement governs a step (SPEC 3.1): CK103, CK104, CK108, CK116."""

from __future__ import annotations

from collections.abc import Iterable

from consentkit._decision import Finding, Verdict
from consentkit._plan import Step
from consentkit._time import format_time
from consentkit.rules._base import RuleContext, finding, nothing_in_force, rule

__all__ = ["no_agreement", "not_a_party", "outside_window", "stopped"]


def _stop_message(context: RuleContext, proposal_id: str) -> str:
    agreement = next(
        a for a in context.state.agreements if a.proposal_id == proposal_id
    )
    stop = context.state.stop(agreement)
    if stop is None:  # pragma: no cover  # INVARIANT: only asked for ended agreements
        return f"agreement `{proposal_id}` was ended"
    reason = context.state.stop_reason(agreement)
    return (
        f"agreement `{proposal_id}` was ended by a STOP: `{stop.cue}` "
        f"from {stop.by} at {format_time(stop.at)}" + (f" ({reason})" if reason else "")
    )


def _running(context: RuleContext) -> bool:
    """Quiet: an agreement is selected for the step's parties, not stopped."""
    return context.in_force is not None


def _selected(context: RuleContext) -> bool:
    return context.agreement is not None


@rule(
    "CK108",
    "stopped",
    Verdict.DENY,
    "a STOP ended the agreement",
    quiet=_running,
)
def stopped(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.1: the agreement for the step was ended by a STOP."""
    if context.activity(step) is None:
        return ()
    agreement = context.agreement
    if agreement is None:
        agreement = context.state.selected((step.recipient,))
    if agreement is None or context.state.stop(agreement) is None:
        return ()
    return (
        finding(
            "CK108",
            _stop_message(context, agreement.proposal_id),
            (agreement.proposal_id,),
        ),
    )


@rule(
    "CK104",
    "not-a-party",
    Verdict.DENY,
    "a party of the step is not in the agreement",
    quiet=_selected,
)
def not_a_party(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.1: the recipient's agreement does not include every party of the step."""
    if context.activity(step) is None or context.agreement is not None:
        return ()
    agreement = context.state.selected((step.recipient,))
    if agreement is None or context.state.stop(agreement) is not None:
        return ()
    missing = sorted(step.parties - agreement.parties)
    names = ", ".join(missing)
    return (
        finding(
            "CK104",
            f"{names} {'is' if len(missing) == 1 else 'are'} not "
            f"{'a party' if len(missing) == 1 else 'parties'} of agreement "
            f"`{agreement.proposal_id}` with {step.recipient}",
            (agreement.proposal_id,),
        ),
    )


@rule(
    "CK103",
    "no-agreement",
    Verdict.DENY,
    "no agreement applies to the recipient",
    quiet=_selected,
)
def no_agreement(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.1: no agreement is selected for the recipient; say why."""
    if context.activity(step) is None or context.agreement is not None:
        return ()
    if context.state.selected((step.recipient,)) is not None:
        return ()
    why = context.state.why_no_agreement(step.recipient)
    return (finding("CK103", f"no agreement for {step.recipient}: {why}"),)


@rule(
    "CK116",
    "outside-window",
    Verdict.DENY,
    "the step ends after the window",
    quiet=nothing_in_force,
)
def outside_window(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the step ends after its agreement's window ends."""
    agreement = context.in_force
    if agreement is None or context.activity(step) is None:
        return ()
    end = agreement.terms.window.end
    if step.end <= end:
        return ()
    return (
        finding(
            "CK116",
            f"the step ends at {format_time(step.end)}, after agreement "
            f"`{agreement.proposal_id}` ends at {format_time(end)}",
            (agreement.proposal_id,),
        ),
    )
