"""What parties agree to: limits, grants and their conditions, the protocol, terms."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import attrs

from consentkit import _validate as v
from consentkit._enum import Choice, coerce
from consentkit._pickling import as_tuples

__all__ = [
    "Aftercare",
    "Authority",
    "CheckInWithin",
    "Condition",
    "ConfirmFirst",
    "Equipment",
    "Grant",
    "Limit",
    "LimitKind",
    "MaxDuration",
    "NonverbalSignal",
    "Protocol",
    "Role",
    "Signal",
    "SignalKind",
    "SignalMeaning",
    "Spotter",
    "Terms",
    "Window",
    "describe_condition",
]


class Role(Choice):
    """The part a party takes in a step."""

    GIVE = "give"
    """Performs the activity."""
    RECEIVE = "receive"
    """Has the activity done to them."""
    WITNESS = "witness"
    """Is present while it happens to others."""


class LimitKind(Choice):
    """How firm a limit is."""

    HARD = "hard"
    """Never; no grant can override it."""
    SOFT = "soft"
    """Only once addressed specifically, by a grant or a confirmation in the scene."""


class SignalKind(Choice):
    """How a signal is given."""

    VERBAL = "verbal"
    NONVERBAL = "nonverbal"


class SignalMeaning(Choice):
    """What a signal means."""

    STOP = "stop"
    """Red: the scene ends."""
    SLOW = "slow"
    """Yellow: ease off and check in."""
    RESUME = "resume"
    """Green: carry on."""


_minutes = v.positive_int(v.MAX_MINUTES)
_roles = v.frozen_set(v.enum_member(Role), non_empty=True)


def _roles_of(value: Any) -> Any:
    """A set of roles, each given as a `Role` or its value."""
    found: Any = v.to_frozenset(value)  # not a set when the value was none
    if isinstance(found, frozenset) and any(isinstance(r, str) for r in found):
        return frozenset(coerce(Role, r) for r in found)
    return found


def _to_limit_kind(value: Any) -> Any:
    return coerce(LimitKind, value)


def _to_role(value: Any) -> Any:
    return coerce(Role, value)


def _to_signal_kind(value: Any) -> Any:
    return coerce(SignalKind, value)


def _to_signal_meaning(value: Any) -> Any:
    return coerce(SignalMeaning, value)


@attrs.frozen(kw_only=True)
class Limit:
    """Something a party will not do (HARD) or will do only once addressed (SOFT).

    Attributes:
        party: Whose limit it is.
        kind: HARD or SOFT.
        activity: The activity whose subtree it covers (exactly one of
            `activity` and `tag`).
        tag: The risk tag whose carriers it covers.
        roles: The roles in which it binds the party.
        note: Why, in the party's words ("I have a pacemaker").
    """

    party: str = attrs.field(validator=v.party_id)
    kind: LimitKind = attrs.field(
        converter=_to_limit_kind,
        validator=v.enum_member(LimitKind),
    )
    activity: str | None = attrs.field(
        default=None, validator=v.optional(v.activity_id)
    )
    tag: str | None = attrs.field(default=None, validator=v.optional(v.name))
    roles: frozenset[Role] = attrs.field(
        default=frozenset({Role.GIVE, Role.RECEIVE}),
        converter=_roles_of,
        validator=_roles,
    )
    note: str = attrs.field(default="", validator=v.text)

    def __attrs_post_init__(self) -> None:
        if (self.activity is None) == (self.tag is None):
            raise v.fail(self, "tag", "give exactly one of `activity` and `tag`")


@attrs.frozen(kw_only=True)
class CheckInWithin:
    """The protocol's check-in interval is set and at most `minutes`."""

    minutes: int = attrs.field(validator=_minutes)


@attrs.frozen(kw_only=True)
class NonverbalSignal:
    """The protocol has a non-verbal STOP signal."""


@attrs.frozen(kw_only=True)
class MaxDuration:
    """The step lasts at most `minutes`."""

    minutes: int = attrs.field(validator=_minutes)


@attrs.frozen(kw_only=True)
class Equipment:
    """The protocol lists `item` among its equipment."""

    item: str = attrs.field(validator=v.name)


@attrs.frozen(kw_only=True)
class Spotter:
    """`party` is present in the step."""

    party: str = attrs.field(validator=v.party_id)


@attrs.frozen(kw_only=True)
class ConfirmFirst:
    """The granting party says yes in the scene first ("ask me right before").

    Attributes:
        within_minutes: When set, the confirmation counts only if given at
            most this many minutes before the step.
    """

    within_minutes: int | None = attrs.field(
        default=None, validator=v.optional(_minutes)
    )


Condition: TypeAlias = (
    CheckInWithin | NonverbalSignal | MaxDuration | Equipment | Spotter | ConfirmFirst
)
CONDITIONS: tuple[type[Condition], ...] = (
    CheckInWithin,
    NonverbalSignal,
    MaxDuration,
    Equipment,
    Spotter,
    ConfirmFirst,
)


@attrs.frozen(kw_only=True)
class Grant:
    """`party` consents to take `role` in `activity`, within a cap and conditions.

    Attributes:
        id: Unique within its terms.
        party: Who consents.
        role: GIVE, RECEIVE or WITNESS.
        activity: The activity consented to.
        counterparties: With whom (None: any party of the agreement). A
            WITNESS grant's must include both the actor and the recipient.
        max_intensity: A cap from 1 to 10, or None for no cap of its own.
        include_subtypes: Cover the activity's subtree too, except what lies
            at or beneath an ``explicit_only`` activity below it.
        conditions: What must hold for the grant to count.
    """

    id: str = attrs.field(validator=v.party_id)
    party: str = attrs.field(validator=v.party_id)
    role: Role = attrs.field(converter=_to_role, validator=v.enum_member(Role))
    activity: str = attrs.field(validator=v.activity_id)
    counterparties: frozenset[str] | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(v.to_frozenset),
        validator=v.optional(v.frozen_set(v.party_id, non_empty=True)),
    )
    max_intensity: int | None = attrs.field(
        default=None, validator=v.optional(v.intensity)
    )
    include_subtypes: bool = attrs.field(default=False, validator=v.boolean)
    conditions: tuple[Condition, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(*CONDITIONS)
    )

    def __attrs_post_init__(self) -> None:
        if self.counterparties is not None and self.party in self.counterparties:
            raise v.fail(
                self,
                "counterparties",
                f"must not hold the granting party `{self.party}`",
            )


@attrs.frozen(kw_only=True)
class Signal:
    """A cue agreed in the protocol and what it means.

    Attributes:
        cue: The word or gesture, unique within the protocol.
        kind: VERBAL or NONVERBAL.
        meaning: STOP, SLOW or RESUME.
        needs: The capabilities giving it takes (``voice``, ``free_hand``,
            ``sight``); ``voice`` is implied for a VERBAL signal.
    """

    cue: str = attrs.field(validator=v.party_id)
    kind: SignalKind = attrs.field(
        converter=_to_signal_kind,
        validator=v.enum_member(SignalKind),
    )
    meaning: SignalMeaning = attrs.field(
        converter=_to_signal_meaning,
        validator=v.enum_member(SignalMeaning),
    )
    needs: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.names
    )

    def __attrs_post_init__(self) -> None:
        unknown = self.needs - v.CAPABILITIES
        if unknown:
            raise v.fail(
                self,
                "needs",
                f"unknown capability `{min(unknown)}`: "
                "use `free_hand`, `sight` or `voice`",
            )

    @property
    def all_needs(self) -> frozenset[str]:
        """The capabilities giving it takes, ``voice`` included for a VERBAL signal."""
        if self.kind is SignalKind.VERBAL:
            return self.needs | {"voice"}
        return self.needs


@attrs.frozen(kw_only=True)
class Aftercare:
    """Care after the scene.

    Attributes:
        minutes: How long.
        party: For whom; None means everyone (the giver needs aftercare too).
        notes: What it involves.
    """

    minutes: int = attrs.field(validator=_minutes)
    party: str | None = attrs.field(default=None, validator=v.optional(v.party_id))
    notes: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )


@attrs.frozen(kw_only=True)
class Authority:
    """`holder` directs `subject` in the activities `scope` covers.

    Attributes:
        holder: Who directs.
        subject: Who is directed.
        scope: Activity ids whose subtrees it covers; None covers every
            activity the subject consented to in the agreement.
    """

    holder: str = attrs.field(validator=v.party_id)
    subject: str = attrs.field(validator=v.party_id)
    scope: frozenset[str] | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(v.to_frozenset),
        validator=v.optional(v.frozen_set(v.activity_id, non_empty=True)),
    )

    def __attrs_post_init__(self) -> None:
        if self.holder == self.subject:
            raise v.fail(self, "subject", "must differ from the holder")


@attrs.frozen(kw_only=True)
class Protocol:
    """How the scene is run: signals, check-ins, equipment, aftercare, authority.

    Attributes:
        signals: The agreed signals; cues are unique.
        check_in_minutes: The check-in interval, or None.
        equipment: Safety equipment at hand (``safety_shears``, ...).
        aftercare: Aftercare for each party (or everyone).
        authority: Who directs whom, within what scope.
        expectations: Agreed rules of conduct, in words.
        sobriety_required: Whether an impaired party stops all play (CK109).
    """

    signals: tuple[Signal, ...] = attrs.field(
        converter=v.to_tuple, validator=v.instances(Signal)
    )
    check_in_minutes: int | None = attrs.field(
        default=None, validator=v.optional(_minutes)
    )
    equipment: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.names
    )
    aftercare: tuple[Aftercare, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(Aftercare)
    )
    authority: tuple[Authority, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(Authority)
    )
    expectations: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )
    sobriety_required: bool = attrs.field(default=True, validator=v.boolean)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for index, signal in enumerate(self.signals):
            if signal.cue in seen:
                raise v.fail(
                    self, f"signals[{index}].cue", f"duplicate cue `{signal.cue}`"
                )
            seen.add(signal.cue)


@attrs.frozen(kw_only=True)
class Window:
    """The half-open span ``[start, end)`` in which terms apply."""

    start: datetime = attrs.field(converter=v.to_utc, validator=v.aware_time)
    end: datetime = attrs.field(converter=v.to_utc, validator=v.aware_time)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise v.fail(self, "end", "must be after `start`")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


@attrs.frozen(kw_only=True)
class Terms:
    """What a proposal offers: who, when, grants, limits and the protocol.

    Attributes:
        parties: Everyone bound by the terms (at least two).
        window: When they apply.
        grants: What each party consents to; ids unique.
        limits: Limits agreed in the terms.
        protocol: How the scene is run.
        catalog: The name of the catalog negotiated against.
        catalog_version: Its version.
    """

    parties: frozenset[str] = attrs.field(
        converter=v.to_frozenset, validator=v.party_ids
    )
    window: Window = attrs.field(validator=v.instance_of(Window))
    grants: tuple[Grant, ...] = attrs.field(
        converter=v.to_tuple, validator=v.instances(Grant)
    )
    limits: tuple[Limit, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(Limit)
    )
    protocol: Protocol = attrs.field(validator=v.instance_of(Protocol))
    catalog: str = attrs.field(default="default", validator=v.party_id)
    catalog_version: int = attrs.field(default=1, validator=v.positive_int(2**31 - 1))

    def __attrs_post_init__(self) -> None:
        if len(self.parties) < 2:
            raise v.fail(self, "parties", "must name at least two parties")
        ids: set[str] = set()
        for index, grant in enumerate(self.grants):
            if grant.id in ids:
                raise v.fail(
                    self, f"grants[{index}].id", f"duplicate grant id `{grant.id}`"
                )
            ids.add(grant.id)
        for where, party in self._named_parties():
            if party not in self.parties:
                raise v.fail(self, where, f"`{party}` is not one of the parties")

    def _named_parties(self) -> list[tuple[str, str]]:
        named: list[tuple[str, str]] = []
        for i, grant in enumerate(self.grants):
            named.append((f"grants[{i}].party", grant.party))
            named.extend(
                (f"grants[{i}].counterparties", p)
                for p in sorted(grant.counterparties or ())
            )
            named.extend(
                (f"grants[{i}].conditions[{j}].party", c.party)
                for j, c in enumerate(grant.conditions)
                if isinstance(c, Spotter)
            )
        named.extend(
            (f"limits[{i}].party", lim.party) for i, lim in enumerate(self.limits)
        )
        for i, auth in enumerate(self.protocol.authority):
            named.append((f"protocol.authority[{i}].holder", auth.holder))
            named.append((f"protocol.authority[{i}].subject", auth.subject))
        named.extend(
            (f"protocol.aftercare[{i}].party", care.party)
            for i, care in enumerate(self.protocol.aftercare)
            if care.party is not None
        )
        return named


# SPEC 3.5: records pickle as the tuples of their fields.
as_tuples(
    Limit,
    CheckInWithin,
    NonverbalSignal,
    MaxDuration,
    Equipment,
    Spotter,
    ConfirmFirst,
    Grant,
    Signal,
    Aftercare,
    Authority,
    Protocol,
    Window,
    Terms,
)


def describe_condition(condition: Condition) -> str:  # noqa: PLR0911  # one per kind
    """A condition in words, as explanations and lint write it."""
    if isinstance(condition, CheckInWithin):
        return f"check-ins at most every {condition.minutes} min"
    if isinstance(condition, NonverbalSignal):
        return "a non-verbal STOP signal"
    if isinstance(condition, MaxDuration):
        return f"a step of at most {condition.minutes} min"
    if isinstance(condition, Equipment):
        return f"`{condition.item}` at hand"
    if isinstance(condition, Spotter):
        return f"{condition.party} present as spotter"
    if condition.within_minutes is None:
        return "a confirmation in the scene first"
    return f"a confirmation in the scene within {condition.within_minutes} min before"
