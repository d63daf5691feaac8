"""compare (SPEC 6.2): matches giving against receiving, with mutual reveal (law 12)."""

from __future__ import annotations

import json
import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import consentkit as ck
from consentkit import MatchKind, Preference, Preferences, Rating, Role, testing
from consentkit._preferences import LISTED, UnknownActivitiesError, effective_rating
from test_preferences import CATALOG, entry, prefs

LISTS = testing.preference_lists(catalog=CATALOG, max_entries=10)
OTHERS = testing.preference_lists(
    catalog=CATALOG, max_entries=10, party=st.sampled_from(["bo", "~zed", "Ann"])
)
SIDES = (Role.GIVE, Role.RECEIVE)


def test_each_kind_of_match() -> None:
    """MUTUAL when both are positive, ASK when the lower is MAYBE, TALK for FANTASY."""
    ann = prefs(
        entry("rope.arms", Role.GIVE, Rating.FAVORITE),
        entry("impact.hand", Role.GIVE, Rating.MAYBE),
        entry("impact.cane", Role.GIVE, Rating.OKAY),
    )
    bo = prefs(
        entry("rope.arms", Role.RECEIVE, Rating.YES),
        entry("impact.hand", Role.RECEIVE, Rating.FANTASY),
        entry("impact.cane", Role.RECEIVE, Rating.MAYBE),
        party="bo",
    )
    found = {
        (m.activity, m.giver): m.kind for m in ck.compare(ann, bo, CATALOG).matches
    }
    assert found == {
        ("rope.arms", "ann"): MatchKind.MUTUAL,
        ("impact.hand", "ann"): MatchKind.TALK,
        ("impact.cane", "ann"): MatchKind.ASK,
    }


@pytest.mark.parametrize("rating", [Rating.NO, Rating.HARD_NO, None])
def test_no_hard_no_and_unrated_are_never_listed(rating: Rating | None) -> None:
    """A receiver's NO, HARD_NO or silence lists nothing, and looks the same."""
    ann = prefs(entry("rope", Role.GIVE, Rating.FAVORITE))
    entries = () if rating is None else (entry("rope", Role.RECEIVE, rating),)
    bo = prefs(*entries, party="bo")
    assert ck.compare(ann, bo, CATALOG).matches == ()


def test_both_directions_and_the_order_of_matches() -> None:
    """Each party's giving meets the other's receiving; sorted by activity, giver."""
    ann = prefs(
        entry("rope", Role.GIVE, Rating.YES), entry("rope", Role.RECEIVE, Rating.YES)
    )
    bo = prefs(
        entry("rope", Role.GIVE, Rating.OKAY),
        entry("rope", Role.RECEIVE, Rating.MAYBE),
        party="bo",
    )
    matches = ck.compare(ann, bo, CATALOG).matches
    assert [(m.activity, m.giver, m.receiver, m.kind) for m in matches] == [
        ("rope", "ann", "bo", MatchKind.ASK),
        ("rope", "bo", "ann", MatchKind.MUTUAL),
        ("rope.arms", "ann", "bo", MatchKind.ASK),
        ("rope.arms", "bo", "ann", MatchKind.MUTUAL),
    ]
    assert matches[0].giver_rating is Rating.YES
    assert matches[0].receiver_rating is Rating.MAYBE


def test_the_text_groups_matches_by_category() -> None:
    """The rendering has a heading per category and one line per match, labelled."""
    ann = prefs(
        entry("rope.arms", Role.GIVE, Rating.YES),
        entry("impact.hand", Role.GIVE, Rating.YES),
    )
    bo = prefs(
        entry("rope", Role.RECEIVE, Rating.YES),
        entry("impact", Role.RECEIVE, Rating.YES),
        party="bo",
    )
    text = ck.compare(ann, bo, CATALOG).render(CATALOG)
    assert text.splitlines() == [
        "ann and bo: 2 shared items",
        "",
        "Impact (impact)",
        "  MUTUAL Hand: ann gives (yes), bo receives (yes) [impact.hand]",
        "",
        "Rope (rope)",
        "  MUTUAL Arms: ann gives (yes), bo receives (yes) [rope.arms]",
    ]


def test_the_text_escapes_labels() -> None:
    """A label with a line break cannot print a line of its own."""
    catalog = ck.Catalog(
        name="odd", version=1, activities=(ck.Activity(id="a", label="A\nMUTUAL b"),)
    )
    ann = Preferences(
        party="ann", entries=(entry("a", Role.GIVE, Rating.YES),), catalog="odd"
    )
    bo = Preferences(
        party="bo", entries=(entry("a", Role.RECEIVE, Rating.YES),), catalog="odd"
    )
    text = ck.compare(ann, bo, catalog).render(catalog)
    assert "A\\nMUTUAL b" in text
    assert len(text.splitlines()) == 4


def test_an_empty_comparison_says_so() -> None:
    """Nothing in common is rendered as a sentence, not as nothing."""
    text = ck.compare(prefs(), prefs(party="bo"), CATALOG).render(CATALOG)
    assert text.splitlines() == [
        "ann and bo: 0 shared items",
        "nothing in common yet (that is a fine answer too)",
    ]


def test_the_same_party_twice_is_refused() -> None:
    """Two lists of one party are not a comparison."""
    with pytest.raises(ValueError, match="two lists of party `ann`"):
        ck.compare(prefs(), prefs(), CATALOG)


def test_another_catalog_is_refused_naming_both() -> None:
    """A list rating another catalog is refused, naming both catalogs."""
    other = Preferences(party="bo", entries=())
    with pytest.raises(
        ValueError, match="catalog `default` version 1, not catalog `small` version 2"
    ):
        ck.compare(prefs(), other, CATALOG)


def test_unknown_activities_are_refused_each_named_by_party() -> None:
    """Every unknown id is named, and `unknown` maps each party to their own."""
    ann = prefs(
        entry("rope", Role.GIVE, Rating.YES), entry("zzz", Role.GIVE, Rating.NO)
    )
    bo = prefs(
        entry("aaa.b", Role.RECEIVE, Rating.YES),
        entry("yyy", None, Rating.NO),
        party="bo",
    )
    with pytest.raises(ValueError, match="activities not in catalog") as caught:
        ck.compare(ann, bo, CATALOG)
    error = caught.value
    assert isinstance(error, UnknownActivitiesError)
    assert error.unknown == {"ann": ("zzz",), "bo": ("aaa.b", "yyy")}
    for name in ("zzz", "aaa.b", "yyy"):
        assert f"`{name}`" in str(error)


def test_wrong_arguments_are_type_errors() -> None:
    """A terms record or a list of lists is a TypeError naming what was expected."""
    with pytest.raises(TypeError, match="Preferences"):
        ck.compare(prefs(), [prefs(party="bo")], CATALOG)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Catalog"):
        ck.compare(prefs(), prefs(party="bo"), "small")  # type: ignore[arg-type]


def test_the_default_catalog_by_default() -> None:
    """Without a catalog, lists of the default catalog are compared on it."""
    ann = Preferences(
        party="ann", entries=(entry("impact.spanking", Role.GIVE, Rating.YES),)
    )
    bo = Preferences(party="bo", entries=(entry("impact", Role.RECEIVE, Rating.YES),))
    found = ck.compare(ann, bo)
    assert [m.activity for m in found.matches] == [
        "impact.spanking",
        "impact.spanking.hand",
        "impact.spanking.paddle",
    ]
    assert (found.catalog, found.catalog_version) == ("default", 1)


def test_a_comparison_is_a_document() -> None:
    """A comparison is written and read back as a `comparison` document."""
    ann = prefs(entry("rope", Role.GIVE, Rating.YES))
    bo = prefs(entry("rope", Role.RECEIVE, Rating.MAYBE), party="bo")
    found = ck.compare(ann, bo, CATALOG)
    text = ck.dumps(found)
    assert json.loads(text)["kind"] == "comparison"
    assert ck.loads(text, "comparison") == found


# -- law 12: mutual reveal ---------------------------------------------------------


def listed(found: Preferences) -> dict[tuple[str, Role], Rating]:
    """What compare may read of a list: its ratings of at least FANTASY."""
    shown: dict[tuple[str, Role], Rating] = {}
    for activity in CATALOG:
        for role in SIDES:
            rating = effective_rating(found, activity.id, role, CATALOG)
            if rating is not None and rating in LISTED:
                shown[activity.id, role] = rating
    return shown


@st.composite
def same_reveal(draw: st.DrawFn, found: Preferences) -> Preferences:
    """Another list with the same ratings of at least FANTASY, and any no's at all."""
    shown = listed(found)
    entries: dict[tuple[str, Role | None], Preference] = {
        key: Preference(activity=key[0], role=key[1], rating=rating)
        for key, rating in shown.items()
    }
    for activity in CATALOG:
        subtree = (activity.id, *CATALOG.descendants(activity.id))
        for role in (Role.GIVE, Role.RECEIVE, Role.WITNESS, None):
            if (activity.id, role) in entries or not draw(st.booleans()):
                continue
            roles = SIDES if role is None else (role,)
            covers_a_yes = any((m, r) in shown for m in subtree for r in roles)
            choices = [Rating.NO]
            if not covers_a_yes:
                choices.append(Rating.HARD_NO)
            if role is Role.WITNESS:
                choices = list(Rating)
            rating = draw(st.sampled_from(choices))
            entries[activity.id, role] = Preference(
                activity=activity.id, role=role, rating=rating
            )
    again = attrs.evolve(found, entries=tuple(entries.values()))
    # What was not listed must stay so: stop any listed rating from above
    # reaching it with a NO of its own, from the top of the tree down.
    for activity in sorted(CATALOG, key=lambda a: a.id.count(".")):
        for role in SIDES:
            now = effective_rating(again, activity.id, role, CATALOG)
            if (activity.id, role) not in shown and now in LISTED:
                entries[activity.id, role] = Preference(
                    activity=activity.id, role=role, rating=Rating.NO
                )
                again = attrs.evolve(found, entries=tuple(entries.values()))
    return again


@given(LISTS, OTHERS, st.data())
def test_law_12_mutual_reveal(
    a: Preferences, b: Preferences, data: st.DataObject
) -> None:
    """Compare reads each list only through its ratings of at least FANTASY."""
    b = attrs.evolve(b, party=b.party if b.party != a.party else "other")
    a_again = data.draw(same_reveal(a))
    b_again = data.draw(same_reveal(b))
    assert listed(a_again) == listed(a)
    expected = ck.compare(a, b, CATALOG)
    assert ck.compare(a_again, b, CATALOG) == expected
    assert ck.compare(a, b_again, CATALOG) == expected
    assert ck.compare(a_again, b_again, CATALOG) == expected


@given(LISTS, OTHERS)
def test_matches_are_exactly_the_pairs_both_list(
    a: Preferences, b: Preferences
) -> None:
    """A pair is listed exactly when both effective ratings are at least FANTASY."""
    b = attrs.evolve(b, party=b.party if b.party != a.party else "other")
    found = {(m.activity, m.giver): m for m in ck.compare(a, b, CATALOG).matches}
    for giver, receiver in ((a, b), (b, a)):
        gives, receives = listed(giver), listed(receiver)
        for activity in CATALOG:
            key = (activity.id, giver.party)
            both = (activity.id, Role.GIVE) in gives and (
                activity.id,
                Role.RECEIVE,
            ) in receives
            assert (key in found) == both
            if both:
                assert found[key].giver_rating is gives[activity.id, Role.GIVE]
                assert found[key].receiver_rating is receives[activity.id, Role.RECEIVE]


# -- law 15: determinism ------------------------------------------------------------


@given(LISTS, OTHERS, st.randoms())
def test_law_15_compare_ignores_every_order(
    a: Preferences, b: Preferences, rng: random.Random
) -> None:
    """The order of the lists and of their entries never changes the comparison."""
    b = attrs.evolve(b, party=b.party if b.party != a.party else "other")
    shuffled = list(b.entries)
    rng.shuffle(shuffled)
    expected = ck.compare(a, b, CATALOG)
    again = ck.compare(attrs.evolve(b, entries=shuffled), a, CATALOG)
    assert again == expected
    assert ck.digest(again) == ck.digest(expected)
