"""Decisions as plain data: verdicts, findings, a step's and a plan's decision."""

from __future__ import annotations

from typing import Any

import attrs

from consentkit import _validate as v
from consentkit._enum import Choice, coerce
from consentkit._pickling import as_tuples
from consentkit._plan import Step
from consentkit._terms import CONDITIONS, Condition
from consentkit._text import one_line
from consentkit._time import format_time

__all__ = [
    "Allowance",
    "Decision",
    "Finding",
    "PlanDecision",
    "Verdict",
    "render_step",
    "worst",
]


class Verdict(Choice):
    """The answer for a step: ALLOW < RENEGOTIATE < DENY in severity."""

    ALLOW = "allow"
    """Every side consents and nothing forbids it."""
    RENEGOTIATE = "renegotiate"
    """The agreement provides a way to consent by a word in the scene (a soft
    limit to address, a confirmation to ask for, a yellow to resolve)."""
    DENY = "deny"
    """Only a new agreement, made outside the scene, could change the answer."""

    @property
    def severity(self) -> int:
        """0 for ALLOW, 1 for RENEGOTIATE, 2 for DENY."""
        return _SEVERITY[self]


_SEVERITY = {Verdict.ALLOW: 0, Verdict.RENEGOTIATE: 1, Verdict.DENY: 2}


def worst(verdicts: list[Verdict]) -> Verdict:
    """The most severe of `verdicts` (ALLOW for none)."""
    return max(verdicts, key=_SEVERITY.__getitem__, default=Verdict.ALLOW)


def _to_verdict(value: Any) -> Any:
    return coerce(Verdict, value)


@attrs.frozen(kw_only=True)
class Finding:
    """One rule's result for a step or a plan.

    Attributes:
        code: The stable rule code, e.g. ``CK101``.
        rule: The rule's stable name, e.g. ``hard-limit``.
        verdict: DENY or RENEGOTIATE; None for advice that changes no verdict.
        message: One line for people.
        refs: Ids and digests of the records behind it (grant ids, proposal
            ids, entry digests).
    """

    code: str = attrs.field(validator=v.party_id)
    rule: str = attrs.field(validator=v.party_id)
    verdict: Verdict | None = attrs.field(
        converter=_to_verdict,
        validator=v.optional(v.enum_member(Verdict)),
    )
    message: str = attrs.field(validator=v.text)
    refs: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )

    @classmethod
    def trusted(
        cls,
        code: str,
        rule: str,
        verdict: Verdict | None,
        message: str,
        refs: tuple[str, ...],
    ) -> Finding:
        """Build a finding from values a built-in rule made, skipping validation."""
        found = object.__new__(cls)
        object.__setattr__(found, "code", code)
        object.__setattr__(found, "rule", rule)
        object.__setattr__(found, "verdict", verdict)
        object.__setattr__(found, "message", message)
        object.__setattr__(found, "refs", refs)
        return found

    def explain(self) -> str:
        """The finding as one line: code, rule name and message.

        Control characters and line breaks in them are shown escaped, so a
        finding always renders as exactly one line (SPEC 3.1).
        """
        return one_line(f"{self.code} {self.rule}: {self.message}")


def render_step(step: Step) -> str:
    """A step in words, as explanations write it."""
    line = (
        f"{step.actor} -> {step.recipient}: {step.activity} at intensity "
        f"{step.intensity}, {format_time(step.at)}"
    )
    if step.duration:
        minutes, seconds = divmod(int(step.duration.total_seconds()), 60)
        parts = [f"{minutes} min"] if minutes else []
        if seconds:
            parts.append(f"{seconds} s")
        line += f" for {' '.join(parts)}"
    if step.present:
        line += f", present: {', '.join(sorted(step.present))}"
    if step.directed_by is not None:
        line += f", directed by {step.directed_by}"
    return line


@attrs.frozen(kw_only=True)
class Decision:
    """The engine's answer for one step, with every finding behind it.

    Attributes:
        verdict: The most severe finding's verdict; ALLOW with none.
        step: The step decided.
        findings: Every rule's findings, sorted by code.
        basis: For an ALLOW, the chosen grant of each side (recipient,
            actor, then present parties in sorted order); empty otherwise.
    """

    verdict: Verdict = attrs.field(
        converter=_to_verdict, validator=v.enum_member(Verdict)
    )
    step: Step = attrs.field(validator=v.instance_of(Step))
    findings: tuple[Finding, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(Finding)
    )
    basis: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )

    @classmethod
    def trusted(
        cls,
        verdict: Verdict,
        step: Step,
        findings: tuple[Finding, ...],
        basis: tuple[str, ...],
    ) -> Decision:
        """Build a decision from values the engine made, skipping validation."""
        decision = object.__new__(cls)
        object.__setattr__(decision, "verdict", verdict)
        object.__setattr__(decision, "step", step)
        object.__setattr__(decision, "findings", findings)
        object.__setattr__(decision, "basis", basis)
        return decision

    @property
    def allowed(self) -> bool:
        """Whether the verdict is ALLOW."""
        return self.verdict is Verdict.ALLOW

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the findings, in order."""
        return tuple(f.code for f in self.findings)

    def explain(self) -> str:
        """Render the decision for people: the verdict, then one line per finding."""
        lines = [f"{self.verdict.name}: {render_step(self.step)}"]
        if self.allowed:
            lines.append(f"  consent: {', '.join(self.basis)}")
        lines.extend(f"  {finding.explain()}" for finding in self.findings)
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class PlanDecision:
    """The engine's answer for a plan.

    Attributes:
        verdict: The worst step verdict (DENY, too, when a plan rule failed).
        decisions: One decision per step, in plan order.
        findings: Plan-level advice (verdict None), and a CK900 finding for
            a plan rule that failed.
    """

    verdict: Verdict = attrs.field(
        converter=_to_verdict, validator=v.enum_member(Verdict)
    )
    decisions: tuple[Decision, ...] = attrs.field(
        converter=v.to_tuple, validator=v.instances(Decision)
    )
    findings: tuple[Finding, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(Finding)
    )

    @classmethod
    def trusted(
        cls,
        verdict: Verdict,
        decisions: tuple[Decision, ...],
        findings: tuple[Finding, ...],
    ) -> PlanDecision:
        """Build a plan's decision from values already checked, skipping validation."""
        decision = object.__new__(cls)
        object.__setattr__(decision, "verdict", verdict)
        object.__setattr__(decision, "decisions", decisions)
        object.__setattr__(decision, "findings", findings)
        return decision

    @property
    def allowed(self) -> bool:
        """Whether every step is ALLOW."""
        return self.verdict is Verdict.ALLOW

    def explain(self) -> str:
        """Render the plan's decision: the verdict, each step, then the advice."""
        lines = [f"plan: {self.verdict.name}"]
        for index, decision in enumerate(self.decisions, start=1):
            body = decision.explain().splitlines()
            lines.append(f"step {index}: {body[0]}")
            lines.extend(body[1:])
        lines.extend(f"advice: {finding.explain()}" for finding in self.findings)
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class Allowance:
    """One activity the actor may do to the recipient now, and within what.

    Attributes:
        activity: The activity id.
        max_intensity: The effective cap (None: no cap).
        conditions: The `MaxDuration` and `ConfirmFirst` conditions of the
            chosen grants, which later steps must still meet.
    """

    activity: str = attrs.field(validator=v.activity_id)
    max_intensity: int | None = attrs.field(validator=v.optional(v.intensity))
    conditions: tuple[Condition, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(*CONDITIONS)
    )


# SPEC 3.5: records pickle as the tuples of their fields.
as_tuples(Finding, Decision, PlanDecision, Allowance)
