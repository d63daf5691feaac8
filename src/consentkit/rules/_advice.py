"""Plan-level advice (SPEC 3.3): CK301 and CK302; they change no verdict."""

from __future__ import annotations

from collections.abc import Sequence

from consentkit._decision import Finding
from consentkit._history import Agreement
from consentkit._plan import Step
from consentkit._time import format_time
from consentkit.rules._base import finding

__all__ = ["aftercare_missing", "check_in_gap"]


def aftercare_missing(
    steps: Sequence[Step],
    agreements: Sequence[Agreement | None],
    psychological: Sequence[bool],
) -> list[Finding]:
    """CK301: a demanding step, and a party of it without aftercare.

    Demanding: intensity 7 or more, or an activity tagged ``psychological``.
    """
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for index, (step, agreement) in enumerate(zip(steps, agreements, strict=True)):
        if agreement is None or not (step.intensity >= 7 or psychological[index]):
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


def check_in_gap(
    steps: Sequence[Step], agreements: Sequence[Agreement | None]
) -> list[Finding]:
    """CK302: a run of steps lasting longer than the check-in interval.

    A run: steps each starting at or before the latest end so far; the
    interval: the smallest among the protocols of the run's steps.
    """
    found: list[Finding] = []
    index = 0
    while index < len(steps):
        start = steps[index].at
        latest = steps[index].end
        last = index
        while last + 1 < len(steps) and steps[last + 1].at <= latest:
            last += 1
            latest = max(latest, steps[last].end)
        intervals = [
            a.terms.protocol.check_in_minutes
            for a in agreements[index : last + 1]
            if a is not None and a.terms.protocol.check_in_minutes is not None
        ]
        if intervals:
            interval = min(intervals)
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
