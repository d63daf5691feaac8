"""Preference lists, their entries, comparisons and matches (SPEC 6.9)."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from consentkit._compare import compare
from consentkit._preferences import (
    ACCEPTABLE,
    LISTED,
    Comparison,
    Match,
    Preference,
    Preferences,
    Rating,
    Source,
    match_kind,
)
from consentkit._terms import Role
from consentkit.testing._draw import (
    _DIGESTS,
    CatalogArg,
    _Acts,
    _cap,
    _coin,
    _given,
    _int,
    _ledger_catalog,
    _pick,
    _rarely,
    _resolve,
    _text,
)
from consentkit.testing._ids import party_ids

_RATINGS: Final = tuple(Rating)
_ENTRY_ROLES: Final[tuple[Role | None, ...]] = (
    Role.GIVE,
    Role.RECEIVE,
    None,
    Role.WITNESS,
)
_ANY_ROLE_RATINGS: Final = (Rating.NO, Rating.HARD_NO)


def ratings() -> st.SearchStrategy[Rating]:
    """Ratings, every one of them; shrinks towards FAVORITE."""
    return st.sampled_from(_RATINGS)


def _entry(
    draw: st.DrawFn, activity: str, role: Role | None, rating: Rating | None = None
) -> Preference:
    if rating is None:
        rating = _pick(draw, _RATINGS if role is not None else _RATINGS[-2:])
    return Preference(
        activity=activity,
        role=role,
        rating=rating,
        max_intensity=_cap(draw) if rating in ACCEPTABLE else None,
        note=_text(draw) if _rarely(draw, 4) else "",
    )


@st.composite
def preference_entries(
    draw: st.DrawFn,
    *,
    catalog: CatalogArg = None,
    ratings: st.SearchStrategy[Rating] | None = None,
) -> Preference:
    """Single entries of a preference list: any role, or none with NO and HARD_NO."""
    acts = _Acts.of(_resolve(draw, catalog))
    rating = None if ratings is None else draw(ratings)
    roles = _ENTRY_ROLES
    if rating is not None and rating not in _ANY_ROLE_RATINGS:
        roles = (Role.GIVE, Role.RECEIVE, Role.WITNESS)
    return _entry(draw, acts.activity(draw), _pick(draw, roles), rating)


@st.composite
def sources(draw: st.DrawFn) -> Source:
    """Where imported lists came from."""
    return Source(
        tool=_pick(draw, ("kinklist", "csv")),
        file=_pick(draw, ("", "list.csv", "mine.txt")),
        sha256=draw(_DIGESTS),
        lossy=_coin(draw),
    )


@st.composite
def preference_lists(  # noqa: PLR0913  # each shape of a list is a knob
    draw: st.DrawFn,
    *,
    party: st.SearchStrategy[str] | None = None,
    catalog: CatalogArg = None,
    min_entries: int = 0,
    max_entries: int = 12,
    ratings: st.SearchStrategy[Rating] | None = None,
    full: bool = False,
) -> Preferences:
    """Valid preference lists, over `catalog` when given (its name and version).

    `party` draws whose list it is; `min_entries` to `max_entries` entries
    (fewer when ids repeat) rate activities of `catalog` (any ids without
    one) in any role, NO and HARD_NO sometimes for any role; `ratings`
    steers the ratings.  With `full`, every activity of the catalog (which
    is then needed) is rated for GIVE and RECEIVE, plus a few entries more.
    """
    found = _resolve(draw, catalog)
    acts = _Acts.of(found)
    owner = draw(_given(party, party_ids()))
    entries: dict[tuple[str, Role | None], Preference] = {}

    def rating() -> Rating | None:
        return None if ratings is None else draw(ratings)

    if full:
        if found is None:
            raise ValueError("preference_lists(full=True) needs a catalog")
        for each in found:
            for side in (Role.GIVE, Role.RECEIVE):
                entries[each.id, side] = _entry(draw, each.id, side, rating())
    count = _int(draw, min_entries, max(min_entries, max_entries))
    for _ in range(count if not full else _int(draw, 0, 3)):
        activity = acts.activity(draw)
        role = _pick(draw, _ENTRY_ROLES)
        given = rating()
        if role is None and given is not None and given not in _ANY_ROLE_RATINGS:
            role = Role.GIVE
        entries.setdefault((activity, role), _entry(draw, activity, role, given))
    return Preferences(
        party=owner,
        entries=tuple(entries.values()),
        catalog="default" if found is None else found.name,
        catalog_version=1 if found is None else found.version,
        source=draw(sources()) if _rarely(draw, 5) else None,
    )


@st.composite
def comparisons(draw: st.DrawFn, *, catalog: CatalogArg = None) -> Comparison:
    """Comparisons of two generated lists over `catalog` (default: the default one)."""
    found = _ledger_catalog(draw, catalog)
    first, second = draw(st.lists(party_ids(), min_size=2, max_size=2, unique=True))
    return compare(
        draw(preference_lists(party=st.just(first), catalog=found)),
        draw(preference_lists(party=st.just(second), catalog=found)),
        found,
    )


_LISTED: Final = tuple(r for r in Rating if r in LISTED)


@st.composite
def matches(draw: st.DrawFn, *, catalog: CatalogArg = None) -> Match:
    """Single matches: two parties, two ratings of at least FANTASY, their kind."""
    acts = _Acts.of(_resolve(draw, catalog))
    giver, receiver = draw(st.lists(party_ids(), min_size=2, max_size=2, unique=True))
    giving, receiving = _pick(draw, _LISTED), _pick(draw, _LISTED)
    return Match(
        activity=acts.activity(draw),
        giver=giver,
        receiver=receiver,
        giver_rating=giving,
        receiver_rating=receiving,
        kind=match_kind(giving, receiving),
    )
