"""Plan-level advice (SPEC 3.3): CK301 and CK302; they change no verdict."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from consentkit._agreements import Agreement
from consentkit._decision import Finding
from consentkit._plan import Plan, Step
from consentkit._time import format_time
from consentkit.rules._base import PlanContext, finding, plan_rule

__all__ = ["aftercare_missing", "check_in_gap"]


@plan_rule("CK301", "aftercare-missing", "a demanding step without aftercare")
def aftercare_missing(plan: Plan, context: PlanContext) -> Iterable[Finding]:
    """CK301: a demanding step, and a party of it without aftercare.

    Demanding: intensity 7 or more, or an activity whose risks (SPEC 2)
    include ``psychological``.  The agreement is the one selected for the
    step (SPEC 3.3), ended by a STOP or not; a step without one gets no advice.
    """
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for index, (step, agreement) in enumerate(
        zip(plan.steps, context.agreements, strict=True)
    ):
        if agreement is None or not _demanding(step, context):
            continue
        care = agreement.terms.protocol.aftercare
        if any(a.party is None for a in care):
            continue
        cared = {a.party for a in care}
        for party in sorted(step.parties - cared):
            if (party, agreement.proposal_id) in seen:
                continue
            seen.add((party, agreement.proposal_id))
            found.append(
                finding(
                    "CK301",
                    f"step {index + 1} (`{step.activity}` at {step.intensity}) is "
                    f"demanding and the protocol of `{agreement.proposal_id}` plans "
                    f"no aftercare for {party}",
                    (agreement.proposal_id,),
                )
            )
    return found


def _demanding(step: Step, context: PlanContext) -> bool:
    if step.intensity >= 7:  # SPEC 3.3's threshold
        return True
    catalog = context.catalog
    return step.activity in catalog and "psychological" in catalog.risk_tags(
        step.activity
    )


@plan_rule("CK302", "check-in-gap", "a run of steps longer than the check-in interval")
def check_in_gap(plan: Plan, context: PlanContext) -> Iterable[Finding]:
    """CK302: a run of steps lasting longer than the check-in interval.

    A run: steps each starting at or before the latest end so far; the
    interval: that of the protocol of the agreement selected for the run's
    first step (SPEC 3.3); a run whose first step has none gets no advice.
    """
    return _gaps(plan.steps, context.agreements)


def _gaps(
    steps: Sequence[Step], agreements: Sequence[Agreement | None]
) -> list[Finding]:
    found: list[Finding] = []
    index = 0
    while index < len(steps):
        start = steps[index].at
        latest = steps[index].end
        last = index
        while last + 1 < len(steps) and steps[last + 1].at <= latest:
            last += 1
            latest = max(latest, steps[last].end)
        first = agreements[index]
        interval = None if first is None else first.terms.protocol.check_in_minutes
        if interval is not None:
            length = latest - start
            if length.total_seconds() > interval * 60:
                minutes = int(length.total_seconds()) // 60
                found.append(
                    finding(
                        "CK302",
                        f"steps {index + 1}-{last + 1} run {minutes} min from "
                        f"{format_time(start)} without a break, longer than "
                        f"the check-in interval of {interval} min",
                    )
                )
        index = last + 1
    return found
