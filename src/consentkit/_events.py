"""What happens in a negotiation and a scene: the events a ledger records.

Each event says when (`at`) and who acts (`by`).  Whether an event may be
recorded is a ledger rule (`Ledger.append` raises `LedgerError`); the records
here check only their own fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn, TypeAlias

import attrs

from consentkit import _validate as v
from consentkit._enum import coerce
from consentkit._pickling import as_tuples
from consentkit._terms import Limit, LimitKind, Terms

__all__ = [
    "EVENTS",
    "Accepted",
    "Confirmed",
    "Declined",
    "Entry",
    "Event",
    "ImpairmentCleared",
    "ImpairmentDeclared",
    "LimitDeclared",
    "LimitLifted",
    "Proposed",
    "Revoked",
    "SignalGiven",
    "Withdrawn",
    "unhandled",
]


def _to_limit_kind(value: Any) -> Any:
    return coerce(LimitKind, value)


@attrs.frozen(kw_only=True)
class _Event:
    at: datetime = attrs.field(converter=v.to_utc, validator=v.aware_time)
    by: str = attrs.field(validator=v.party_id)


@attrs.frozen(kw_only=True)
class Proposed(_Event):
    """`by` proposes `terms`, possibly replacing an earlier proposal.

    Attributes:
        at: When.
        by: The proposer, a party of the terms.
        proposal_id: Unique in the ledger.
        terms: What is offered.
        supersedes: An earlier proposal this one replaces.
    """

    proposal_id: str = attrs.field(validator=v.party_id)
    terms: Terms = attrs.field(validator=v.instance_of(Terms))
    supersedes: str | None = attrs.field(default=None, validator=v.optional(v.party_id))

    def __attrs_post_init__(self) -> None:
        if self.supersedes == self.proposal_id:
            raise v.fail(self, "supersedes", "must name an earlier proposal")


@attrs.frozen(kw_only=True)
class Accepted(_Event):
    """`by` accepts the proposal whose terms have digest `terms_digest`.

    Attributes:
        at: When.
        by: A party of the terms.
        proposal_id: The proposal accepted.
        terms_digest: The digest of the terms `by` saw.
    """

    proposal_id: str = attrs.field(validator=v.party_id)
    terms_digest: str = attrs.field(validator=v.digest_text)


@attrs.frozen(kw_only=True)
class Declined(_Event):
    """`by` declines an open proposal, which closes it."""

    proposal_id: str = attrs.field(validator=v.party_id)
    reason: str = attrs.field(default="", validator=v.text)


@attrs.frozen(kw_only=True)
class Withdrawn(_Event):
    """The proposer withdraws an open proposal."""

    proposal_id: str = attrs.field(validator=v.party_id)


@attrs.frozen(kw_only=True)
class Confirmed(_Event):
    """`by` says yes, in the scene, to `activity` (a soft limit, a `ConfirmFirst`)."""

    activity: str = attrs.field(validator=v.activity_id)


@attrs.frozen(kw_only=True)
class Revoked(_Event):
    """`by` withdraws their own consent, at once.

    Attributes:
        at: When.
        by: Whose consent is withdrawn.
        activities: Activity subtrees withdrawn.
        grants: Grant ids of `by` withdrawn.
        proposal_id: Narrows `grants` to that proposal's grants.
        reason: Optional; no reason is needed.

    With both `activities` and `grants` empty, everything is withdrawn, and
    every authority over `by` ends.
    """

    activities: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.activity_ids
    )
    grants: frozenset[str] = attrs.field(
        default=frozenset(), converter=v.to_frozenset, validator=v.party_ids
    )
    proposal_id: str | None = attrs.field(
        default=None, validator=v.optional(v.party_id)
    )
    reason: str = attrs.field(default="", validator=v.text)

    def __attrs_post_init__(self) -> None:
        if self.proposal_id is not None and not self.grants:
            raise v.fail(self, "proposal_id", "may be set only with listed `grants`")

    @property
    def everything(self) -> bool:
        """Whether this withdraws all of `by`'s consent."""
        return not self.activities and not self.grants


@attrs.frozen(kw_only=True)
class LimitDeclared(_Event):
    """`by` declares a standing limit of their own; it takes effect at once."""

    limit: Limit = attrs.field(validator=v.instance_of(Limit))


@attrs.frozen(kw_only=True)
class LimitLifted(_Event):
    """`by` lifts their standing limits of `kind` on the activity or tag.

    It takes effect only for agreements formed after it.
    """

    kind: LimitKind = attrs.field(
        converter=_to_limit_kind,
        validator=v.enum_member(LimitKind),
    )
    activity: str | None = attrs.field(
        default=None, validator=v.optional(v.activity_id)
    )
    tag: str | None = attrs.field(default=None, validator=v.optional(v.name))

    def __attrs_post_init__(self) -> None:
        if (self.activity is None) == (self.tag is None):
            raise v.fail(self, "tag", "give exactly one of `activity` and `tag`")


@attrs.frozen(kw_only=True)
class SignalGiven(_Event):
    """`by` gives a signal, read through the protocol of their agreement in force.

    Attributes:
        at: When.
        by: Who gave it.
        cue: The cue; one the protocol does not define counts as STOP.
        intensity: For a SLOW, the intensity in progress when it was given.
    """

    cue: str = attrs.field(validator=v.party_id)
    intensity: int | None = attrs.field(default=None, validator=v.optional(v.intensity))


@attrs.frozen(kw_only=True)
class ImpairmentDeclared(_Event):
    """Anyone declares `party` impaired; consent `party` gives meanwhile is void."""

    party: str = attrs.field(validator=v.party_id)


@attrs.frozen(kw_only=True)
class ImpairmentCleared(_Event):
    """Anyone but `party` clears their impairment."""

    party: str = attrs.field(validator=v.party_id)


Event: TypeAlias = (
    Proposed
    | Accepted
    | Declined
    | Withdrawn
    | Confirmed
    | Revoked
    | LimitDeclared
    | LimitLifted
    | SignalGiven
    | ImpairmentDeclared
    | ImpairmentCleared
)
EVENTS: tuple[type[Event], ...] = (
    Proposed,
    Accepted,
    Declined,
    Withdrawn,
    Confirmed,
    Revoked,
    LimitDeclared,
    LimitLifted,
    SignalGiven,
    ImpairmentDeclared,
    ImpairmentCleared,
)


def unhandled(event: NoReturn) -> NoReturn:
    """Fail on an event no branch handled; type checkers prove it unreachable.

    Every place that branches on the kind of event ends with it (as
    ``typing.assert_never`` would), so an event type added later is a type
    error there, and a refusal at run time, never a silent fall-through.
    """
    raise AssertionError(f"unhandled event `{type(event).__name__}`")


# SPEC 3.5: records pickle as the tuples of their fields.
def _event(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, EVENTS):
        raise v.fail(instance, attribute.name, f"must be an event, got {v.show(value)}")


@attrs.frozen(kw_only=True)
class Entry:
    """One link of the ledger's hash chain.

    Attributes:
        seq: Position, from 0.
        event: What happened.
        prev: The previous entry's digest (None for the first).
        digest: ``sha256:`` of the RFC 8785 form of ``{"prev": prev, "event": event}``.
    """

    seq: int = attrs.field(validator=v.position)
    event: Event = attrs.field(validator=_event)
    prev: str | None = attrs.field(validator=v.optional(v.digest_text))
    digest: str = attrs.field(validator=v.digest_text)

    @classmethod
    def trusted(cls, seq: int, event: Event, prev: str | None, digest: str) -> Entry:
        """Build an entry the ledger computed itself, skipping validation."""
        entry = object.__new__(cls)
        object.__setattr__(entry, "seq", seq)
        object.__setattr__(entry, "event", event)
        object.__setattr__(entry, "prev", prev)
        object.__setattr__(entry, "digest", digest)
        return entry


as_tuples(*EVENTS, Entry)
