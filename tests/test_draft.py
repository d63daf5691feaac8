"""draft_terms (SPEC 6.3): exactly the mutual ground (law 11), in any order (law 15)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import (
    ConfirmFirst,
    LimitKind,
    Preferences,
    Rating,
    Role,
    SignalKind,
    SignalMeaning,
    Verdict,
    testing,
)
from consentkit._coverage import grant_covers
from consentkit._preferences import UnknownActivitiesError, standing
from test_preferences import CATALOG, entry, prefs

T0 = datetime(2026, 3, 7, 19, 0, tzinfo=timezone.utc)
WINDOW = ck.Window(start=T0, end=T0 + timedelta(hours=3))
DEFAULT = ck.default_catalog()


def protocol_for(catalog: ck.Catalog) -> ck.Protocol:
    """A protocol that satisfies every risk: a STOP needing nothing, all equipment."""
    equipment = frozenset().union(*(catalog.required_equipment(a.id) for a in catalog))
    return ck.Protocol(
        signals=(
            ck.Signal(
                cue="drop", kind=SignalKind.NONVERBAL, meaning=SignalMeaning.STOP
            ),
        ),
        equipment=equipment,
    )


def draft(lists: Sequence[Preferences], catalog: ck.Catalog = CATALOG) -> ck.Terms:
    """Draft over `catalog` with the window and a protocol satisfying every risk."""
    return ck.draft_terms(
        lists, window=WINDOW, protocol=protocol_for(catalog), catalog=catalog
    )


def agreed(terms: ck.Terms) -> ck.Ledger:
    """A ledger where every party accepted the terms an hour before the window."""
    parties = sorted(terms.parties)
    ledger = ck.Ledger().propose(
        by=parties[0], terms=terms, at=T0 - timedelta(hours=1), proposal_id="p1"
    )
    for party in parties:
        ledger = ledger.accept(by=party, proposal_id="p1", at=T0 - timedelta(hours=1))
    return ledger


def grants_of(terms: ck.Terms, party: str) -> list[ck.Grant]:
    """One party's grants."""
    return [g for g in terms.grants if g.party == party]


# -- law 11: drafting is exact ------------------------------------------------------


def check_exact(lists: Sequence[Preferences], catalog: ck.Catalog) -> None:
    """Every activity and ordered pair: ALLOW (or CK203 alone) exactly on a match."""
    terms = draft(lists, catalog)
    ledger = agreed(terms)
    engine = ck.Engine(catalog=catalog)
    for giver in lists:
        for receiver in lists:
            if giver is receiver:
                continue
            for activity in catalog:
                gives = standing(giver, activity.id, Role.GIVE, catalog)
                receives = standing(receiver, activity.id, Role.RECEIVE, catalog)
                caps = [c for c in (gives.cap, receives.cap) if c is not None]
                top = min(caps, default=10)

                def verdict(
                    intensity: int,
                    activity: str = activity.id,
                    actor: str = giver.party,
                    recipient: str = receiver.party,
                ) -> ck.Decision:
                    step = ck.Step(
                        actor=actor,
                        recipient=recipient,
                        activity=activity,
                        intensity=intensity,
                        at=T0,
                    )
                    return engine.check(step, ledger)

                if gives.acceptable and receives.acceptable:
                    maybe = Rating.MAYBE in (gives.rating, receives.rating)
                    for intensity in {1, top}:
                        decision = verdict(intensity)
                        if maybe:
                            assert decision.verdict is Verdict.RENEGOTIATE, decision
                            assert {f.code for f in decision.findings} == {"CK203"}
                        else:
                            assert decision.verdict is Verdict.ALLOW, decision
                    if top < 10:  # the highest intensity
                        assert verdict(top + 1).verdict is Verdict.DENY
                else:
                    assert verdict(1).verdict is Verdict.DENY


#: Agreeable lists, so that whole categories match (and compress).
AGREEABLE = testing.preference_lists(
    catalog=DEFAULT,
    full=True,
    party=st.just("ann"),
    ratings=st.sampled_from([Rating.YES, Rating.MAYBE, Rating.OKAY]),
)
FULL_OR_SPARSE = st.one_of(
    testing.preference_lists(catalog=DEFAULT, full=True, party=st.just("ann")),
    testing.preference_lists(catalog=DEFAULT, max_entries=30, party=st.just("ann")),
)


@settings(max_examples=max(10, settings().max_examples // 5))
@given(FULL_OR_SPARSE, FULL_OR_SPARSE.map(lambda p: attrs.evolve(p, party="bo")))
def test_law_11_drafting_is_exact(ann: Preferences, bo: Preferences) -> None:
    """On the default catalog, the drafted terms allow exactly the mutual ground."""
    check_exact((ann, bo), DEFAULT)


@settings(max_examples=max(10, settings().max_examples // 5))
@given(AGREEABLE, AGREEABLE.map(lambda p: attrs.evolve(p, party="bo")))
def test_law_11_on_agreeable_lists(ann: Preferences, bo: Preferences) -> None:
    """Where whole categories match, compressed grants keep every cap and condition."""
    check_exact((ann, bo), DEFAULT)


@settings(max_examples=max(10, settings().max_examples // 2))
@given(
    st.lists(
        testing.preference_lists(catalog=CATALOG, max_entries=14),
        min_size=3,
        max_size=3,
        unique_by=lambda p: p.party,
    )
)
def test_law_11_with_three_parties(lists: list[Preferences]) -> None:
    """With three parties, every ordered pair gets exactly its own mutual ground."""
    check_exact(lists, CATALOG)


@settings(max_examples=max(10, settings().max_examples // 2))
@given(
    testing.preference_lists(catalog=CATALOG, max_entries=14, party=st.just("ann")),
    testing.preference_lists(catalog=CATALOG, max_entries=14, party=st.just("bo")),
)
def test_law_11_across_explicit_only_barriers(
    ann: Preferences, bo: Preferences
) -> None:
    """In a catalog of nested barriers, compressed grants never reach a non-match."""
    check_exact((ann, bo), CATALOG)


# -- law 15: determinism ------------------------------------------------------------


@given(
    st.lists(
        testing.preference_lists(catalog=CATALOG, max_entries=10),
        min_size=2,
        max_size=4,
        unique_by=lambda p: p.party,
    ),
    st.randoms(),
)
def test_law_15_draft_ignores_every_order(
    lists: list[Preferences], rng: random.Random
) -> None:
    """The order of the lists and of their entries never changes the terms' digest."""
    expected = draft(lists)
    shuffled = []
    for item in lists:
        entries = list(item.entries)
        rng.shuffle(entries)
        shuffled.append(attrs.evolve(item, entries=entries))
    rng.shuffle(shuffled)
    again = draft(shuffled)
    assert again == expected
    assert ck.digest(again) == ck.digest(expected)


@given(
    st.lists(
        testing.preference_lists(catalog=CATALOG, max_entries=10),
        min_size=2,
        max_size=4,
        unique_by=lambda p: p.party,
    )
)
def test_drafted_grant_ids_are_readable_valid_and_unique(
    lists: list[Preferences],
) -> None:
    """Grant ids are valid ids, distinct, and readable unless too long."""
    terms = draft(lists)
    ids = [g.id for g in terms.grants]
    assert len(set(ids)) == len(ids)
    several = len(lists) > 2  # ids name the other party beyond two
    for grant in terms.grants:
        assert len(grant.id) <= 128  # SPEC 2, identifiers
        (other,) = sorted(grant.counterparties or ())
        verb = "gives" if grant.role is Role.GIVE else "receives"
        natural = f"{grant.party}-{verb}-{grant.activity}"
        if several:
            natural += f"-{'to' if grant.role is Role.GIVE else 'from'}-{other}"
        if len(natural) <= 128:
            assert grant.id == natural


# -- examples -------------------------------------------------------------------------


def pair(
    *entries: tuple[str, Role | None, Rating, int | None],
) -> tuple[Preferences, Preferences]:
    """Ann's list from `entries` and Bo's, who receives rope and impact gladly."""
    ann = prefs(*(entry(*e) for e in entries))
    bo = prefs(
        entry("rope", Role.RECEIVE, Rating.YES),
        entry("impact", Role.RECEIVE, Rating.YES),
        entry("impact.hand.face", Role.RECEIVE, Rating.YES),
        entry("impact.cane", Role.RECEIVE, Rating.YES),
        party="bo",
    )
    return ann, bo


@pytest.mark.parametrize("rating", [Rating.FAVORITE, Rating.YES, Rating.OKAY])
def test_a_positive_rating_becomes_a_plain_grant_pair(rating: Rating) -> None:
    """Positive on both sides: a GIVE and a RECEIVE grant, each naming the other."""
    terms = draft(pair(("rope", Role.GIVE, rating, 6)))
    (give,) = grants_of(terms, "ann")
    (receive,) = grants_of(terms, "bo")
    assert (give.id, give.role, give.activity) == ("ann-gives-rope", Role.GIVE, "rope")
    assert give.counterparties == frozenset({"bo"})
    assert give.max_intensity == 6
    assert give.include_subtypes
    assert give.conditions == ()
    assert (receive.id, receive.role, receive.counterparties) == (
        "bo-receives-rope",
        Role.RECEIVE,
        frozenset({"ann"}),
    )
    assert receive.max_intensity is None
    assert terms.limits == ()


def test_maybe_becomes_a_grant_that_asks_first() -> None:
    """A MAYBE side's grant carries ConfirmFirst; the other side's does not."""
    terms = draft(pair(("rope", Role.GIVE, Rating.MAYBE, None)))
    (give,) = grants_of(terms, "ann")
    (receive,) = grants_of(terms, "bo")
    assert give.conditions == (ConfirmFirst(),)
    assert receive.conditions == ()


@pytest.mark.parametrize("rating", [Rating.FANTASY, Rating.NO])
def test_fantasy_and_no_give_nothing(rating: Rating) -> None:
    """FANTASY and NO draft neither a grant nor a limit: a private no stays private."""
    terms = draft(pair(("rope", Role.GIVE, rating, None)))
    assert terms.grants == ()
    assert terms.limits == ()


def test_hard_no_becomes_a_hard_limit_in_its_role() -> None:
    """A HARD_NO for a role is a hard limit in that role, with the note."""
    ann = prefs(
        ck.Preference(
            activity="rope",
            role=Role.RECEIVE,
            rating=Rating.HARD_NO,
            note="my shoulder",
        )
    )
    terms = draft((ann, prefs(party="bo")))
    assert terms.limits == (
        ck.Limit(
            party="ann",
            kind=LimitKind.HARD,
            activity="rope",
            roles=frozenset({Role.RECEIVE}),
            note="my shoulder",
        ),
    )


def test_hard_no_in_any_role_limits_all_three_roles() -> None:
    """A HARD_NO for any role limits giving, receiving and witnessing."""
    terms = draft(
        pair(
            ("impact", None, Rating.HARD_NO, None),
            ("rope", Role.GIVE, Rating.YES, None),
        )
    )
    (limit,) = terms.limits
    assert limit.roles == frozenset(Role)
    assert {g.activity for g in terms.grants} == {"rope"}


def test_a_uniform_subtree_is_one_grant_and_a_mixed_one_is_not() -> None:
    """Rope matches alike throughout: one grant; impact differs beneath: one each."""
    terms = draft(
        pair(
            ("rope", Role.GIVE, Rating.YES, None),
            ("impact", Role.GIVE, Rating.YES, None),
            ("impact.hand", Role.GIVE, Rating.YES, 4),
            ("impact.hand.face", Role.GIVE, Rating.YES, None),
            ("impact.cane", Role.GIVE, Rating.MAYBE, None),
        )
    )
    found = {
        (g.activity, g.include_subtypes, g.max_intensity)
        for g in grants_of(terms, "ann")
    }
    assert found == {
        ("rope", True, None),
        ("impact", False, 4),  # capped by its hand member, and the cane asks first
        ("impact.hand", False, 4),
        ("impact.hand.face", True, None),
        ("impact.cane", False, None),
    }


def test_a_compressed_grant_does_not_stand_for_an_explicit_only_member() -> None:
    """A subtree grant stops at a barrier; the barrier's match has its own grant."""
    ann, bo = pair(
        ("impact", Role.GIVE, Rating.YES, None),
        ("impact.hand.face", Role.GIVE, Rating.YES, None),
        ("impact.cane", Role.GIVE, Rating.YES, None),
    )
    terms = draft((ann, bo))
    activities = {g.activity: g for g in grants_of(terms, "ann")}
    assert activities["impact"].include_subtypes
    assert not grant_covers(activities["impact"], "impact.cane", CATALOG)
    assert "impact.cane" in activities
    assert activities["impact.hand.face"].include_subtypes


def test_an_unrated_member_leaves_its_category_ungranted() -> None:
    """A yes above unrated explicit-only members grants nothing that holds them."""
    ann, bo = pair(
        ("impact", Role.GIVE, Rating.YES, None), ("rope", Role.GIVE, Rating.YES, None)
    )
    terms = draft((ann, bo))
    assert {g.activity for g in grants_of(terms, "ann")} == {"rope"}


def test_three_parties_name_the_other_in_ids_and_counterparties() -> None:
    """Beyond two parties, ids end in -to-/-from- the other party."""
    ann = prefs(entry("rope", Role.GIVE, Rating.YES))
    bo = prefs(entry("rope", Role.RECEIVE, Rating.YES), party="bo")
    cy = prefs(entry("rope", Role.RECEIVE, Rating.MAYBE), party="cy")
    terms = draft((cy, ann, bo))
    assert terms.parties == {"ann", "bo", "cy"}
    assert [(g.id, g.counterparties) for g in terms.grants] == [
        ("ann-gives-rope-to-bo", frozenset({"bo"})),
        ("bo-receives-rope-from-ann", frozenset({"ann"})),
        ("ann-gives-rope-to-cy", frozenset({"cy"})),
        ("cy-receives-rope-from-ann", frozenset({"ann"})),
    ]
    assert terms.grants[3].conditions == (ConfirmFirst(),)


def test_long_party_ids_give_short_stable_valid_ids() -> None:
    """Ids beyond 128 characters are shortened the same way every time."""
    long_a, long_b = "a" * 120 + " x", "b" * 128
    ann = prefs(entry("rope", Role.GIVE, Rating.YES), party=long_a)
    bo = prefs(entry("rope", Role.RECEIVE, Rating.YES), party=long_b)
    cy = prefs(entry("rope", Role.RECEIVE, Rating.YES), party="cy")
    terms = draft((ann, bo, cy))
    ids = [g.id for g in terms.grants]
    assert all(len(i) <= 128 for i in ids)  # SPEC 2
    assert len(set(ids)) == len(ids)
    assert all(
        i.startswith(("a" * 100, "b" * 100, "cy-receives-rope-from-")) for i in ids
    )
    assert draft((cy, bo, ann)).grants == terms.grants


def test_ids_that_would_collide_are_told_apart() -> None:
    """Party ids holding "-gives-" cannot make two grants share an id."""
    parties = ("a", "a-gives-x-to-b", "b", "b-gives-y-to-c", "c")
    lists = [
        prefs(
            entry("rope", Role.GIVE, Rating.YES),
            entry("rope", Role.RECEIVE, Rating.YES),
            party=party,
        )
        for party in parties
    ]
    terms = draft(lists)
    ids = [g.id for g in terms.grants]
    assert len(set(ids)) == len(ids) == 2 * 5 * 4


def test_lists_of_another_catalog_are_refused_naming_both() -> None:
    """A list rating another catalog or version is refused, naming both."""
    ann = prefs(entry("rope", Role.GIVE, Rating.YES))
    bo = attrs.evolve(prefs(party="bo"), catalog_version=3)
    with pytest.raises(
        ValueError, match="catalog `small` version 3, not catalog `small` version 2"
    ):
        draft((ann, bo))


def test_unknown_activities_are_refused_every_one_named() -> None:
    """Every unknown id of every list is named, by party."""
    ann = prefs(
        entry("ropes", Role.GIVE, Rating.YES), entry("zz.top", None, Rating.HARD_NO)
    )
    bo = prefs(entry("rope.legs", Role.RECEIVE, Rating.YES), party="bo")
    cy = prefs(entry("rope", Role.RECEIVE, Rating.YES), party="cy")
    with pytest.raises(UnknownActivitiesError) as caught:
        draft((ann, bo, cy))
    assert caught.value.unknown == {"ann": ("ropes", "zz.top"), "bo": ("rope.legs",)}
    assert "`ropes`, `zz.top`" in str(caught.value)
    assert "`rope.legs`" in str(caught.value)


def test_fewer_than_two_lists_or_a_party_twice_is_refused() -> None:
    """Terms need two parties or more, each with one list."""
    with pytest.raises(ValueError, match="at least 2"):
        draft((prefs(),))
    with pytest.raises(ValueError, match="two lists of party `ann`"):
        draft((prefs(), prefs()))


def test_wrong_arguments_are_type_errors() -> None:
    """A list passed alone, or a window that is not a Window, is a TypeError."""
    with pytest.raises(TypeError, match="sequence"):
        ck.draft_terms(
            prefs(),  # type: ignore[arg-type]
            window=WINDOW,
            protocol=protocol_for(CATALOG),
            catalog=CATALOG,
        )
    with pytest.raises(TypeError, match="Window"):
        ck.draft_terms(
            [prefs(), prefs(party="bo")],
            window=(T0, T0),  # type: ignore[arg-type]
            protocol=protocol_for(CATALOG),
            catalog=CATALOG,
        )


def test_the_terms_name_the_catalog_window_and_protocol() -> None:
    """Catalog name and version come from the catalog; window and protocol as given."""
    terms = draft(pair(("rope", Role.GIVE, Rating.YES, None)))
    assert (terms.catalog, terms.catalog_version) == ("small", 2)
    assert terms.window == WINDOW
    assert terms.protocol == protocol_for(CATALOG)
