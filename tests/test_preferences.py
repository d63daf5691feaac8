"""Preference lists (SPEC 6.1): records, effective ratings and standings."""

from __future__ import annotations

import json
import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import consentkit as ck
from consentkit import Preference, Preferences, Rating, Role, testing
from consentkit._preferences import (
    Standing,
    effective_entry,
    effective_rating,
    standing,
    standings,
)

#: A small catalog with an ``explicit_only`` barrier in the middle of a tree.
CATALOG = ck.Catalog(
    name="small",
    version=2,
    activities=(
        ck.Activity(id="impact", label="Impact"),
        ck.Activity(id="impact.hand", label="Hand"),
        ck.Activity(id="impact.hand.face", label="Face", tags={"explicit_only"}),
        ck.Activity(id="impact.hand.face.light", label="Light"),
        ck.Activity(id="impact.cane", label="Cane", tags={"explicit_only"}),
        ck.Activity(id="rope", label="Rope"),
        ck.Activity(id="rope.arms", label="Arms"),
    ),
)
ALL = [a.id for a in CATALOG]


def prefs(*entries: Preference, party: str = "ann") -> Preferences:
    """A list over the small catalog."""
    return Preferences(party=party, entries=entries, catalog="small", catalog_version=2)


def entry(
    activity: str, role: Role | None, rating: Rating, cap: int | None = None
) -> Preference:
    """One entry."""
    return Preference(activity=activity, role=role, rating=rating, max_intensity=cap)


def rating_of(
    found: Preferences, activity: str, role: Role = Role.GIVE
) -> Rating | None:
    """The effective rating in the small catalog."""
    return effective_rating(found, activity, role, CATALOG)


# -- records ----------------------------------------------------------------------


@pytest.mark.parametrize("rating", list(Rating))
def test_any_role_only_with_no_and_hard_no(rating: Rating) -> None:
    """Role None is allowed with NO and HARD_NO only, and the error names `role`."""
    if rating in (Rating.NO, Rating.HARD_NO):
        assert entry("impact", None, rating).role is None
    else:
        with pytest.raises(ck.InvalidRecord) as caught:
            entry("impact", None, rating)
        assert caught.value.field == "role"


@pytest.mark.parametrize("rating", list(Rating))
def test_caps_only_with_positive_or_maybe(rating: Rating) -> None:
    """A cap goes with a positive or MAYBE rating only; the error names the field."""
    if rating in (Rating.FAVORITE, Rating.YES, Rating.OKAY, Rating.MAYBE):
        assert entry("impact", Role.GIVE, rating, 4).max_intensity == 4
    else:
        with pytest.raises(ck.InvalidRecord) as caught:
            entry("impact", Role.GIVE, rating, 4)
        assert caught.value.field == "max_intensity"


def test_ratings_accept_their_values_and_order_best_to_worst() -> None:
    """Values are the lowercase names; rank runs from FAVORITE to HARD_NO."""
    assert Preference(activity="a", role="give", rating="hard_no").rating is (
        Rating.HARD_NO
    )
    assert [r.rank for r in Rating] == list(range(7))
    assert [r for r in Rating if r.positive] == [
        Rating.FAVORITE,
        Rating.YES,
        Rating.OKAY,
    ]


def test_one_entry_per_activity_and_role() -> None:
    """A second entry for the same activity and role is refused, naming both."""
    with pytest.raises(ck.InvalidRecord) as caught:
        prefs(entry("rope", Role.GIVE, Rating.NO), entry("rope", Role.GIVE, Rating.YES))
    assert caught.value.field == "entries"
    assert caught.value.rule == "two entries for `rope` in role `give`"
    both = prefs(entry("rope", Role.GIVE, Rating.YES), entry("rope", None, Rating.NO))
    assert len(both.entries) == 2


@given(testing.preference_lists(catalog=CATALOG), st.randoms())
def test_equal_lists_are_equal_records_with_equal_digests(
    found: Preferences, rng: random.Random
) -> None:
    """Entries are kept sorted, so the order they were given in never matters."""
    shuffled = list(found.entries)
    rng.shuffle(shuffled)
    again = attrs.evolve(found, entries=shuffled)
    assert again == found
    assert ck.digest(again) == ck.digest(found)
    keys = [(e.activity, "" if e.role is None else e.role.value) for e in found.entries]
    assert keys == sorted(keys)


def test_source_sha256_is_a_digest() -> None:
    """A source's sha256 is ``sha256:`` and 64 hex digits."""
    with pytest.raises(ck.InvalidRecord) as caught:
        ck.Source(tool="csv", sha256="abc")
    assert caught.value.field == "sha256"


def test_a_match_kind_follows_its_ratings() -> None:
    """A match's kind must be the one its two ratings give."""
    with pytest.raises(ck.InvalidRecord) as caught:
        ck.Match(
            activity="rope",
            giver="ann",
            receiver="bo",
            giver_rating=Rating.YES,
            receiver_rating=Rating.MAYBE,
            kind=ck.MatchKind.MUTUAL,
        )
    assert caught.value.field == "kind"
    with pytest.raises(ck.InvalidRecord) as caught:
        ck.Match(
            activity="rope",
            giver="ann",
            receiver="bo",
            giver_rating=Rating.NO,
            receiver_rating=Rating.YES,
            kind=ck.MatchKind.MUTUAL,
        )
    assert caught.value.field == "giver_rating"


def test_a_comparison_is_of_two_parties_named_in_its_matches() -> None:
    """A comparison names two parties, and its matches only those."""
    match = ck.Match(
        activity="rope",
        giver="ann",
        receiver="cy",
        giver_rating=Rating.YES,
        receiver_rating=Rating.FANTASY,
        kind=ck.MatchKind.TALK,
    )
    with pytest.raises(ck.InvalidRecord) as caught:
        ck.Comparison(parties={"ann", "bo"}, matches=[match])
    assert caught.value.field == "matches[0].receiver"
    with pytest.raises(ck.InvalidRecord):
        ck.Comparison(parties={"ann"}, matches=[])


# -- effective ratings ------------------------------------------------------------


@pytest.mark.parametrize("rating", list(Rating))
def test_each_rating_is_its_own_effective_rating(rating: Rating) -> None:
    """An entry for the activity and role is the effective rating, for that role."""
    found = prefs(entry("rope.arms", Role.GIVE, rating))
    assert rating_of(found, "rope.arms") is rating
    assert rating_of(found, "rope.arms", Role.RECEIVE) is None
    assert rating_of(found, "rope") is None


def test_unrated_is_none() -> None:
    """No entry anywhere above: unrated, never a yes."""
    assert rating_of(prefs(), "impact.hand") is None
    assert ck.Preferences(party="x", entries=()).effective("impact", Role.GIVE) is None


def test_the_nearest_entry_decides() -> None:
    """The nearest of the activity and its ancestors decides."""
    found = prefs(
        entry("impact", Role.GIVE, Rating.OKAY),
        entry("impact.hand", Role.GIVE, Rating.FANTASY),
    )
    assert rating_of(found, "impact") is Rating.OKAY
    assert rating_of(found, "impact.hand") is Rating.FANTASY


def test_hard_no_for_any_role_on_an_ancestor_beats_a_yes_beneath() -> None:
    """A HARD_NO with role None on an ancestor covers every role beneath it."""
    found = prefs(
        entry("impact", None, Rating.HARD_NO),
        entry("impact.hand", Role.GIVE, Rating.FAVORITE),
        entry("impact.hand", Role.RECEIVE, Rating.YES),
    )
    for role in Role:
        assert rating_of(found, "impact.hand", role) is Rating.HARD_NO
        assert rating_of(found, "impact.hand.face.light", role) is Rating.HARD_NO


def test_a_yes_beneath_a_hard_no_for_its_role_is_hard_no() -> None:
    """A HARD_NO for the role covers its subtree; other roles keep their ratings."""
    found = prefs(
        entry("impact", Role.RECEIVE, Rating.HARD_NO),
        entry("impact.hand", Role.RECEIVE, Rating.YES),
        entry("impact.hand", Role.GIVE, Rating.YES),
    )
    assert rating_of(found, "impact.hand", Role.RECEIVE) is Rating.HARD_NO
    assert rating_of(found, "impact.hand", Role.GIVE) is Rating.YES
    entry_found = effective_entry(found, "impact.hand", Role.RECEIVE, CATALOG)
    assert entry_found is not None
    assert entry_found.activity == "impact"


def test_no_for_any_role_reaches_down_but_the_role_entry_wins_at_its_activity() -> None:
    """A NO for any role is inherited; the role's own entry at that activity wins."""
    found = prefs(
        entry("rope", None, Rating.NO),
        entry("rope", Role.GIVE, Rating.YES),
    )
    assert rating_of(found, "rope.arms", Role.GIVE) is Rating.YES
    assert rating_of(found, "rope.arms", Role.RECEIVE) is Rating.NO
    assert rating_of(found, "rope", Role.WITNESS) is Rating.NO


def test_no_rating_reaches_across_an_explicit_only_barrier() -> None:
    """A yes above an explicit_only activity does not reach it or anything beneath."""
    found = prefs(entry("impact", Role.GIVE, Rating.YES))
    assert rating_of(found, "impact.hand") is Rating.YES
    assert rating_of(found, "impact.hand.face") is None
    assert rating_of(found, "impact.hand.face.light") is None
    assert rating_of(found, "impact.cane") is None


def test_a_no_does_not_reach_across_the_barrier_either() -> None:
    """Only a HARD_NO crosses the barrier: a NO above leaves it unrated."""
    found = prefs(entry("impact", None, Rating.NO))
    assert rating_of(found, "impact.cane") is None


def test_a_hard_no_covers_its_subtree_barrier_or_not() -> None:
    """A HARD_NO above an explicit_only activity reaches it and all beneath it."""
    found = prefs(
        entry("impact", Role.GIVE, Rating.HARD_NO),
        entry("impact.hand.face", Role.GIVE, Rating.YES),
    )
    assert rating_of(found, "impact.hand.face.light") is Rating.HARD_NO
    assert rating_of(found, "impact.cane") is Rating.HARD_NO


def test_beneath_a_barrier_ratings_come_from_the_barrier_down() -> None:
    """The explicit_only activity, rated itself, passes its rating down."""
    found = prefs(
        entry("impact", Role.GIVE, Rating.YES),
        entry("impact.hand.face", Role.GIVE, Rating.MAYBE, 3),
    )
    assert rating_of(found, "impact.hand.face.light") is Rating.MAYBE


def test_an_unknown_activity_is_a_key_error() -> None:
    """Asking about an activity outside the catalog fails, never guesses."""
    with pytest.raises(KeyError):
        rating_of(prefs(), "nowhere")


# -- standings --------------------------------------------------------------------


def test_a_standing_is_the_worst_over_the_subtree_with_the_lowest_cap() -> None:
    """The worst effective rating over X and beneath it, and the lowest cap."""
    found = prefs(
        entry("rope", Role.GIVE, Rating.FAVORITE, 8),
        entry("rope.arms", Role.GIVE, Rating.OKAY, 5),
    )
    assert standing(found, "rope", Role.GIVE, CATALOG) == Standing(
        rating=Rating.OKAY, cap=5
    )
    assert standing(found, "rope.arms", Role.GIVE, CATALOG) == Standing(
        rating=Rating.OKAY, cap=5
    )


def test_an_unrated_member_makes_the_standing_unrated() -> None:
    """A yes on a category with an unrated explicit_only member is not agreed."""
    found = prefs(entry("impact", Role.GIVE, Rating.YES))
    assert standing(found, "impact", Role.GIVE, CATALOG).rating is None
    assert not standing(found, "impact", Role.GIVE, CATALOG).acceptable
    assert standing(found, "impact.hand", Role.GIVE, CATALOG).rating is None
    found = prefs(
        entry("impact", Role.GIVE, Rating.YES),
        entry("impact.hand.face", Role.GIVE, Rating.MAYBE),
        entry("impact.cane", Role.GIVE, Rating.YES, 2),
    )
    assert standing(found, "impact", Role.GIVE, CATALOG) == Standing(
        rating=Rating.MAYBE, cap=2
    )


@given(testing.preference_lists(catalog=CATALOG, max_entries=10))
def test_standings_in_one_pass_equal_standing_per_activity(found: Preferences) -> None:
    """`standings` gives, for every activity, what `standing` gives for it alone."""
    for role in (Role.GIVE, Role.RECEIVE):
        table = standings(found, role, CATALOG)
        assert table == {a: standing(found, a, role, CATALOG) for a in ALL}


@given(testing.preference_lists(catalog=CATALOG, max_entries=10))
def test_a_standing_is_never_better_than_any_member(found: Preferences) -> None:
    """No activity beneath X is rated worse than X's standing, nor capped lower."""
    for activity in ALL:
        found_standing = standing(found, activity, Role.GIVE, CATALOG)
        if found_standing.rating is None:
            continue
        for member in (activity, *CATALOG.descendants(activity)):
            member_entry = effective_entry(found, member, Role.GIVE, CATALOG)
            assert member_entry is not None
            assert member_entry.rating.rank <= found_standing.rating.rank
            if member_entry.max_intensity is not None:
                assert found_standing.cap is not None
                assert found_standing.cap <= member_entry.max_intensity


def test_a_preferences_document_is_read_strictly_with_every_problem() -> None:
    """Every bad field of every entry is reported at its JSON path."""
    data = {
        "party": "ann",
        "entries": [
            {"activity": "impact", "role": "give", "rating": "sure"},
            {"activity": "Impact", "role": "any", "rating": "no", "colour": 1},
            {"activity": "rope", "role": None, "rating": "yes"},
        ],
        "source": {"tool": "csv", "sha256": "x"},
    }
    document = {"format": "consentkit", "version": 1, "kind": "preferences"}
    with pytest.raises(ck.DecodeError) as caught:
        ck.loads(json.dumps({**document, "data": data}))
    assert [path for path, _ in caught.value.problems] == [
        "data.entries[0].rating",
        "data.entries[1].activity",
        "data.entries[1].role",
        "data.entries[1].colour",
        "data.entries[2].role",
        "data.source.sha256",
    ]
