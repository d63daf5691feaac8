"""The catalog and the venue: CK100 and CK115."""

from __future__ import annotations

from collections.abc import Iterable

from consentkit._catalog import covers
from consentkit._coverage import reaches
from consentkit._decision import Finding, Verdict
from consentkit._plan import Step
from consentkit.rules._base import RuleContext, finding, rule

__all__ = ["house_rule", "unknown_activity"]


@rule("CK100", "unknown-activity", Verdict.DENY, "the activity is not in the catalog")
def unknown_activity(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the activity is not in the engine's catalog."""
    if context.activity(step) is not None:
        return ()
    return (
        finding(
            "CK100",
            f"`{step.activity}` is not in catalog `{context.catalog.name}` "
            f"version {context.catalog.version}",
        ),
    )


def _no_house(context: RuleContext) -> bool:
    house = context.house
    return house is None or not (house.banned_activities or house.banned_tags)


@rule(
    "CK115",
    "house-rule",
    Verdict.DENY,
    "the house bans the activity",
    quiet=_no_house,
)
def house_rule(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the house bans an activity reaching the step's, or one of its risks."""
    house = context.house
    activity = context.activity(step)
    if house is None or activity is None:
        return ()
    found = [
        finding("CK115", f"the house bans `{banned}`, {_relation(banned, activity.id)}")
        for banned in sorted(house.banned_activities)
        if reaches(banned, activity.id)
    ]
    risks = context.catalog.risk_tags(activity.id)
    found.extend(
        finding(
            "CK115",
            f"the house bans activities tagged `{tag}`: `{activity.id}`"
            + ("" if tag in activity.tags else " (something beneath it carries it)"),
        )
        for tag in sorted(house.banned_tags & risks)
    )
    return found


def _relation(banned: str, activity: str) -> str:
    """How a ban on `banned` reaches a step on `activity`, in words."""
    if covers(banned, activity):
        return f"which covers `{activity}`"
    return f"which a step on `{activity}` may turn out to be"
