"""The preference-list strategies of `consentkit.testing` (SPEC 6.9)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import consentkit as ck
from consentkit import Rating, Role, testing
from consentkit._preferences import LISTED
from test_preferences import CATALOG


@given(testing.preference_lists(catalog=CATALOG))
def test_lists_over_a_catalog_rate_only_its_activities(found: ck.Preferences) -> None:
    """A list drawn over a catalog names it and rates only its activities."""
    assert (found.catalog, found.catalog_version) == ("small", 2)
    assert found.activities <= {a.id for a in CATALOG}
    assert ck.loads(ck.dumps(found), "preferences") == found


@given(testing.preference_lists(catalog=CATALOG, full=True))
def test_full_lists_rate_everything_both_ways(found: ck.Preferences) -> None:
    """A full list rates every activity for giving and for receiving."""
    for activity in CATALOG:
        for role in (Role.GIVE, Role.RECEIVE):
            assert found.get(activity.id, role) is not None


@given(
    testing.preference_lists(
        catalog=CATALOG, min_entries=3, ratings=st.just(Rating.MAYBE)
    )
)
def test_ratings_can_be_steered(found: ck.Preferences) -> None:
    """The ratings strategy given is the one used."""
    assert found.entries
    assert {entry.rating for entry in found.entries} == {Rating.MAYBE}


@given(testing.preference_entries(ratings=st.sampled_from([Rating.NO, Rating.YES])))
def test_entries_are_valid_for_their_rating(entry: ck.Preference) -> None:
    """Any role only with a no; caps only with a positive rating."""
    if entry.role is None:
        assert entry.rating is Rating.NO
    if entry.max_intensity is not None:
        assert entry.rating is Rating.YES


@given(testing.comparisons(catalog=CATALOG))
def test_comparisons_are_of_two_parties(found: ck.Comparison) -> None:
    """A comparison names two parties and lists only ratings it may reveal."""
    assert len(found.parties) == 2  # a comparison is of two lists
    for match in found.matches:
        assert match.giver_rating in LISTED
        assert {match.giver, match.receiver} == found.parties


@given(testing.matches())
def test_matches_carry_the_kind_of_their_ratings(match: ck.Match) -> None:
    """A drawn match is valid: its kind is its ratings' kind."""
    assert match.giver != match.receiver


@given(testing.sources())
def test_sources_are_valid(source: ck.Source) -> None:
    """Sources carry a digest."""
    assert source.sha256.startswith("sha256:")


def test_a_full_list_needs_a_catalog() -> None:
    """`full=True` without a catalog is a usage error."""

    @given(testing.preference_lists(full=True))
    def draw(found: ck.Preferences) -> None:
        raise AssertionError(found)

    try:
        draw()
    except ValueError as error:
        assert "needs a catalog" in str(error)  # noqa: PT017  # hypothesis re-raises
    else:
        raise AssertionError("no error")
