"""What is planned: a step (one activity, one actor, one recipient) and a plan."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from consentkit import _validate as v
from consentkit._pickling import as_tuples

__all__ = ["Plan", "Step"]


@attrs.frozen(kw_only=True)
class Step:
    """One planned activity: `actor` does `activity` to `recipient`.

    Attributes:
        actor: Who gives (role GIVE).
        recipient: Who receives (role RECEIVE); differs from the actor.
        activity: The activity id.
        intensity: 1 to 10.
        at: When it starts.
        duration: How long; it covers ``[at, at + duration]``.
        present: Further parties in the room (role WITNESS), spotters too.
        directed_by: Who called for it (None: the actor).
    """

    actor: str = attrs.field(validator=v.party_id)
    recipient: str = attrs.field(validator=v.party_id)
    activity: str = attrs.field(validator=v.activity_id)
    intensity: int = attrs.field(validator=v.intensity)
    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware_time)
    duration: timedelta = attrs.field(default=timedelta(0), validator=v.whole_seconds)
    present: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.party_ids
    )
    directed_by: str | None = attrs.field(
        default=None, validator=v.optional(v.party_id)
    )

    def __attrs_post_init__(self) -> None:
        if self.recipient == self.actor:
            raise v.fail(self, "recipient", "must differ from the actor")
        try:
            self.at + self.duration  # the end must be a time
        except OverflowError:
            raise v.fail(self, "duration", "must end before the year 10000") from None
        both = self.present & {self.actor, self.recipient}
        if both:
            raise v.fail(
                self, "present", f"must not hold the actor or recipient `{min(both)}`"
            )

    @property
    def end(self) -> datetime:
        """When the step ends (``at + duration``)."""
        return self.at + self.duration

    @property
    def parties(self) -> frozenset[str]:
        """Actor, recipient, present parties and the director when set."""
        parties = self.present | {self.actor, self.recipient}
        if self.directed_by is not None:
            parties = parties | {self.directed_by}
        return parties

    @property
    def director(self) -> str:
        """Who called for the step: `directed_by`, else the actor."""
        return self.actor if self.directed_by is None else self.directed_by


@attrs.frozen(kw_only=True)
class Plan:
    """Steps in time order, with an optional title."""

    steps: tuple[Step, ...] = attrs.field(
        converter=v.to_tuple, validator=v.instances(Step, non_empty=True)
    )
    title: str = attrs.field(default="", validator=v.text)

    def __attrs_post_init__(self) -> None:
        for index in range(1, len(self.steps)):
            if self.steps[index].at < self.steps[index - 1].at:
                raise v.fail(self, f"steps[{index}].at", "steps must be in time order")


# SPEC 3.5: records pickle as the tuples of their fields.
as_tuples(Step, Plan)
