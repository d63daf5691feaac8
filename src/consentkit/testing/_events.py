"""Each kind of event, valid as a record."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from hypothesis import strategies as st

from consentkit._events import (
    Accepted,
    Confirmed,
    Declined,
    Event,
    ImpairmentCleared,
    ImpairmentDeclared,
    LimitDeclared,
    LimitLifted,
    Proposed,
    Revoked,
    SignalGiven,
    Withdrawn,
)
from consentkit._terms import LimitKind, Terms
from consentkit.testing import _terms, _times
from consentkit.testing._draw import (
    _ANY_ID,
    _ANY_TEXT,
    _CUES,
    _DIGESTS,
    _UNKNOWN_CUE,
    CatalogArg,
    _Acts,
    _coin,
    _distinct,
    _given,
    _int,
    _pick,
    _rarely,
    _resolve,
    _text,
)
from consentkit.testing._ids import party_ids
from consentkit.testing._terms import _limit

_PROPOSAL_IDS: Final = st.one_of(st.integers(1, 99).map(lambda n: f"p{n}"), _ANY_ID)
_GRANT_IDS: Final = st.integers(1, 9).map(lambda n: f"g{n}")


@st.composite
def proposals(  # noqa: PLR0913  # each field can be steered
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    times: st.SearchStrategy[datetime] | None = None,
    proposal_ids: st.SearchStrategy[str] | None = None,
    terms: st.SearchStrategy[Terms] | None = None,
) -> Proposed:
    """`Proposed` events whose proposer is a party of their terms."""
    offered = draw(_given(terms, _terms.terms(parties=parties, catalog=catalog)))
    ids = _given(proposal_ids, _PROPOSAL_IDS)
    proposal_id = draw(ids)
    supersedes = None
    if _rarely(draw, 3):
        other = draw(ids)
        supersedes = other if other != proposal_id else None
    return Proposed(
        at=draw(_given(times, _times.times())),
        by=_pick(draw, sorted(offered.parties)),
        proposal_id=proposal_id,
        terms=offered,
        supersedes=supersedes,
    )


def acceptances(
    *,
    parties: st.SearchStrategy[str] | None = None,
    proposal_ids: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
    terms_digests: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Accepted]:
    """`Accepted` events (with ``sha256:`` digests by default)."""
    return st.builds(
        Accepted,
        at=_given(times, _times.times()),
        by=_given(parties, party_ids()),
        proposal_id=_given(proposal_ids, _PROPOSAL_IDS),
        terms_digest=_given(terms_digests, _DIGESTS),
    )


def declines(
    *,
    parties: st.SearchStrategy[str] | None = None,
    proposal_ids: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[Declined]:
    """`Declined` events, with or without a reason."""
    return st.builds(
        Declined,
        at=_given(times, _times.times()),
        by=_given(parties, party_ids()),
        proposal_id=_given(proposal_ids, _PROPOSAL_IDS),
        reason=_ANY_TEXT,
    )


def withdrawals(
    *,
    parties: st.SearchStrategy[str] | None = None,
    proposal_ids: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[Withdrawn]:
    """`Withdrawn` events."""
    return st.builds(
        Withdrawn,
        at=_given(times, _times.times()),
        by=_given(parties, party_ids()),
        proposal_id=_given(proposal_ids, _PROPOSAL_IDS),
    )


@st.composite
def confirmations(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> Confirmed:
    """`Confirmed` events."""
    acts = _Acts.of(_resolve(draw, catalog))
    return Confirmed(
        at=draw(_given(times, _times.times())),
        by=draw(_given(parties, party_ids())),
        activity=acts.activity(draw),
    )


@st.composite
def revocations(  # noqa: PLR0913  # each field can be steered
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    grant_ids: st.SearchStrategy[str] | None = None,
    proposal_ids: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> Revoked:
    """`Revoked` events: of activities, of grant ids (in a proposal or any), or all."""
    acts = _Acts.of(_resolve(draw, catalog))
    kind = _int(draw, 0, 2)
    listed: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    proposal_id = None
    if kind == 0:
        listed = frozenset(acts.activity(draw) for _ in range(_int(draw, 1, 2)))
    elif kind == 1:
        source = _given(grant_ids, _GRANT_IDS)
        ids = frozenset(draw(source) for _ in range(_int(draw, 1, 2)))
        if _coin(draw):
            proposal_id = draw(_given(proposal_ids, _PROPOSAL_IDS))
    return Revoked(
        at=draw(_given(times, _times.times())),
        by=draw(_given(parties, party_ids())),
        activities=listed,
        grants=ids,
        proposal_id=proposal_id,
        reason=_text(draw),
    )


@st.composite
def limit_declarations(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> LimitDeclared:
    """`LimitDeclared` events, each of the declaring party's own limit."""
    acts = _Acts.of(_resolve(draw, catalog))
    party = draw(_given(parties, party_ids()))
    return LimitDeclared(
        at=draw(_given(times, _times.times())),
        by=party,
        limit=_limit(draw, party, acts),
    )


@st.composite
def limit_lifts(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> LimitLifted:
    """`LimitLifted` events, on an activity or on a tag."""
    acts = _Acts.of(_resolve(draw, catalog))
    by_tag = _rarely(draw, 3)
    return LimitLifted(
        at=draw(_given(times, _times.times())),
        by=draw(_given(parties, party_ids())),
        kind=_pick(draw, (LimitKind.HARD, LimitKind.SOFT)),
        activity=None if by_tag else acts.activity(draw),
        tag=acts.tag(draw) if by_tag else None,
    )


def signals_given(
    *,
    parties: st.SearchStrategy[str] | None = None,
    cues: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[SignalGiven]:
    """`SignalGiven` events (the usual cues or any), some with an intensity."""
    return st.builds(
        SignalGiven,
        at=_given(times, _times.times()),
        by=_given(parties, party_ids()),
        cue=_given(cues, st.sampled_from((*_CUES, _UNKNOWN_CUE)) | _ANY_ID),
        intensity=st.none() | st.integers(1, 10),
    )


def impairment_declarations(
    *,
    parties: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[ImpairmentDeclared]:
    """`ImpairmentDeclared` events (anyone may declare anyone, themselves too)."""
    pool = _given(parties, party_ids())
    return st.builds(
        ImpairmentDeclared, at=_given(times, _times.times()), by=pool, party=pool
    )


@st.composite
def impairment_clearances(
    draw: st.DrawFn,
    *,
    parties: st.SearchStrategy[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> ImpairmentCleared:
    """`ImpairmentCleared` events by someone other than the party cleared."""
    by, party = _distinct(draw, _given(parties, party_ids()), 2, 2)
    return ImpairmentCleared(at=draw(_given(times, _times.times())), by=by, party=party)


def events(
    *,
    parties: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[Event]:
    """Any event, each valid as a record (for rule-abiding histories: `ledgers`)."""
    return st.one_of(
        proposals(parties=parties, catalog=catalog, times=times),
        acceptances(parties=parties, times=times),
        declines(parties=parties, times=times),
        withdrawals(parties=parties, times=times),
        confirmations(parties=parties, catalog=catalog, times=times),
        revocations(parties=parties, catalog=catalog, times=times),
        limit_declarations(parties=parties, catalog=catalog, times=times),
        limit_lifts(parties=parties, catalog=catalog, times=times),
        signals_given(parties=parties, times=times),
        impairment_declarations(parties=parties, times=times),
        impairment_clearances(parties=parties, times=times),
    )
