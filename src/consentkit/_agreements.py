"""What negotiation comes to: agreements, and where a proposal stands."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs

from consentkit import _validate as v
from consentkit._enum import Choice, coerce
from consentkit._pickling import as_tuples
from consentkit._terms import Terms

__all__ = ["Agreement", "FrozenMap", "Negotiation", "NegotiationStatus"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """An immutable, hashable mapping (written as a JSON object)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # SPEC 3.5: the cached hash is not state (string hashes differ
        # between processes); only the mapping travels.
        return (FrozenMap, (self._data,))


def _to_frozen_map(value: Mapping[Any, Any]) -> FrozenMap[Any, Any]:
    if isinstance(value, FrozenMap):
        return value
    if isinstance(value, Mapping):
        return FrozenMap(value)
    return value  # type: ignore[unreachable]  # the validator reports it


def _acceptances(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, FrozenMap):
        raise v.fail(instance, attribute.name, "must be a mapping of party to time")
    for party, moment in value.items():
        if not isinstance(party, str) or not isinstance(moment, datetime):
            raise v.fail(instance, attribute.name, "must map party ids to times")
        if moment.utcoffset() is None:
            raise v.fail(
                instance, f"{attribute.name}.{party}", "must be timezone-aware"
            )


class NegotiationStatus(Choice):
    """Where a proposal stands."""

    OPEN = "open"
    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


def _to_negotiation_status(value: Any) -> Any:
    return coerce(NegotiationStatus, value)


@attrs.frozen(kw_only=True)
class Agreement:
    """Terms every party accepted; formed at the last counted acceptance.

    Attributes:
        proposal_id: The proposal that formed it.
        terms: The terms agreed.
        formed_at: When the last party accepted.
        accepted: Each party's time of counted acceptance.
    """

    proposal_id: str = attrs.field(validator=v.party_id)
    terms: Terms = attrs.field(validator=v.instance_of(Terms))
    formed_at: datetime = attrs.field(converter=v.to_utc, validator=v.aware_time)
    accepted: FrozenMap[str, datetime] = attrs.field(
        converter=_to_frozen_map, validator=_acceptances
    )

    @property
    def parties(self) -> frozenset[str]:
        """The parties bound by it."""
        return self.terms.parties


@attrs.frozen(kw_only=True)
class Negotiation:
    """Where a proposal stands, and who has and has not validly accepted it.

    Attributes:
        proposal_id: The proposal.
        proposer: Who proposed it.
        status: OPEN, AGREED, DECLINED, WITHDRAWN or SUPERSEDED.
        accepted: Parties whose acceptance counts.
        pending: Parties who have yet to accept validly.
    """

    proposal_id: str = attrs.field(validator=v.party_id)
    proposer: str = attrs.field(validator=v.party_id)
    status: NegotiationStatus = attrs.field(
        converter=_to_negotiation_status,
        validator=v.enum_member(NegotiationStatus),
    )
    accepted: frozenset[str] = attrs.field(
        converter=v.to_frozenset, validator=v.party_ids
    )
    pending: frozenset[str] = attrs.field(
        converter=v.to_frozenset, validator=v.party_ids
    )


# SPEC 3.5: records pickle as the tuples of their fields.
as_tuples(Agreement, Negotiation)
