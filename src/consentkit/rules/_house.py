"""The catalog and the venue: CK100 and CK115."""

from __future__ import annotations

from collections.abc import Iterable

from consentkit._catalog import covers
from consentkit._decision import Finding
from consentkit._plan import Step
from consentkit.rules._base import RuleContext, finding, rule

__all__ = ["house_rule", "unknown_activity"]


@rule("CK100")
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


@rule("CK115")
def house_rule(step: Step, context: RuleContext) -> Iterable[Finding]:
    """SPEC 3.3: the engine's house rules ban the activity (subtree) or a tag of it."""
    house = context.house
    activity = context.activity(step)
    if house is None or activity is None:
        return ()
    found = [
        finding("CK115", f"the house bans `{banned}`, which covers `{activity.id}`")
        for banned in sorted(house.banned_activities)
        if covers(banned, activity.id)
    ]
    found.extend(
        finding("CK115", f"the house bans activities tagged `{tag}`: `{activity.id}`")
        for tag in sorted(house.banned_tags & activity.tags)
    )
    return found
