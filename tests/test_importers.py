"""Importers (SPEC 6.4): spreadsheets with every bad row named, and KinkList links."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import consentkit as ck
from consentkit import DecodeError, Preference, Rating, Role
from consentkit._importers import (
    KINKLIST_ALPHABET,
    _parse_list,
    default_kinklist_mapping,
)

DATA = Path(__file__).parent / "data" / "kinklist"
LIST = (DATA / "kinklist-v1.0.2.txt").read_text("utf-8")
#: The README's test vector, written by the original page's own encoder.
VECTOR = (
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaadgdaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaKn6uBqq1uZ+^FHaaaaaaaa"
)
CELLS = 202


def encode(cells: list[int], *, lossy: bool = False) -> str:
    """A share hash of `cells`: exact, or as the original page writes it."""
    padded = cells + [0] * (-len(cells) % 19)
    chunks = []
    for start in range(0, len(padded), 19):
        number = sum(cell * 6**j for j, cell in enumerate(padded[start : start + 19]))
        digits = ""
        while number:
            number, digit = divmod(number, 71)
            digits = KINKLIST_ALPHABET[digit] + digits
        if lossy:  # the page skips every zero digit below the leading one
            digits = digits[:1] + digits[1:].replace("a", "")
        chunks.append(digits.rjust(8, "a"))
    return "".join(chunks)


# -- the shipped list and the test vector ------------------------------------------


def test_the_fixture_is_the_list_its_readme_describes() -> None:
    """The copied list has the digest, categories, items and cells of its README."""
    digest = hashlib.sha256((DATA / "kinklist-v1.0.2.txt").read_bytes()).hexdigest()
    assert digest == "37548a7526d1255036f0c4c02628f656574a04a09bb1e0c9e5cf0dfe33b65699"
    items = _parse_list(LIST)
    assert len(items) == 115
    assert len({key.split(": ")[0] for key, _ in items}) == 16
    assert sum(len(columns) for _, columns in items) == CELLS
    assert "MIT" in (DATA / "LICENSE").read_text("utf-8")
    assert items[-1][0] == "Pain: Cutting"  # trailing spaces trimmed


def test_the_test_vector_imports_exactly() -> None:
    """The README's vector gives exactly its five ratings, by label not position."""
    imported = ck.read_kinklist(LIST, VECTOR, "ann")
    assert imported.preferences.entries == (
        Preference(activity="breath", role=Role.RECEIVE, rating=Rating.HARD_NO),
        Preference(activity="impact.caning", role=Role.RECEIVE, rating=Rating.MAYBE),
        Preference(activity="impact.spanking", role=Role.GIVE, rating=Rating.OKAY),
        Preference(
            activity="impact.spanking", role=Role.RECEIVE, rating=Rating.FAVORITE
        ),
        Preference(activity="restraint.gag", role=Role.RECEIVE, rating=Rating.YES),
    )
    assert imported.unmapped == ()
    assert imported.undirected == ()
    source = imported.preferences.source
    assert source is not None
    assert source.tool == "kinklist"
    assert source.sha256 == (
        "sha256:37548a7526d1255036f0c4c02628f656574a04a09bb1e0c9e5cf0dfe33b65699"
    )
    # A short non-zero chunk (`aaaaadgd`) may have lost digits: flagged, per SPEC.
    assert imported.lossy
    assert source.lossy


def test_a_whole_link_is_read_by_its_fragment() -> None:
    """A full share link is read from its ``#`` on."""
    link = f"https://example.org/kinklist/#{VECTOR}"
    assert ck.read_kinklist(LIST, link, "ann") == ck.read_kinklist(LIST, VECTOR, "ann")


def test_an_empty_link_imports_nothing_and_is_not_lossy() -> None:
    """All unrated: an empty list, nothing unmapped, nothing lost."""
    imported = ck.read_kinklist(LIST, "a" * 88, "ann")
    assert imported.preferences.entries == ()
    assert not imported.lossy


def test_the_original_encoder_loses_ratings_and_the_import_says_so() -> None:
    """[No, No, Favorite] written by the page reads as [Favorite]: flagged lossy."""
    cells = [5, 5, 1] + [0] * (CELLS - 3)
    written = encode(cells, lossy=True)
    assert written[:8] == "aaaaaaab"
    imported = ck.read_kinklist(LIST, written, "ann")
    assert imported.lossy
    assert imported.unmapped == ("Bodies: Skinny",)  # read as written: a Favorite


def test_general_columns_no_in_any_role_positives_undirected() -> None:
    """A General no is a HARD_NO in any role; a General yes has no direction."""
    items = _parse_list(LIST)
    index = {key: i for i, (key, _) in enumerate(items)}
    position = sum(len(c) for _, c in items[: index["Taboo: Exhibitionism"]])
    chubby = sum(len(c) for _, c in items[: index["Bodies: Chubby"]])
    cells = [0] * CELLS
    cells[position], cells[chubby] = 5, 4
    imported = ck.read_kinklist(LIST, encode(cells), "ann")
    assert imported.preferences.entries == (
        Preference(activity="exposure.observed", role=None, rating=Rating.HARD_NO),
    )
    assert imported.unmapped == ("Bodies: Chubby",)
    assert imported.undirected == ()
    cells[position] = 1
    imported = ck.read_kinklist(LIST, encode(cells), "ann")
    assert imported.preferences.entries == ()
    assert imported.undirected == ("Taboo: Exhibitionism (General)",)


def test_two_items_on_one_activity_keep_the_worse_rating() -> None:
    """Orgasm control (favorite) and denial (no) on one activity: the no wins."""
    items = _parse_list(LIST)
    index = {key: i for i, (key, _) in enumerate(items)}
    cells = [0] * CELLS
    for key, value in (
        ("Domination: Orgasm control", 1),
        ("Domination: Orgasm denial", 5),
    ):
        cells[sum(len(c) for _, c in items[: index[key]]) + 1] = value  # Submissive
    imported = ck.read_kinklist(LIST, encode(cells), "ann")
    assert imported.preferences.entries == (
        Preference(
            activity="control.orgasm_permission",
            role=Role.RECEIVE,
            rating=Rating.HARD_NO,
        ),
    )


@given(st.lists(st.integers(0, 5), min_size=CELLS, max_size=CELLS))
def test_any_exact_link_imports_every_mapped_rating(cells: list[int]) -> None:
    """Every rated cell of a mapped item arrives (the worse on shared activities)."""
    imported = ck.read_kinklist(LIST, encode(cells), "ann")
    mapping = default_kinklist_mapping()
    expected: dict[tuple[str, Role | None], Rating] = {}
    ratings = {
        1: Rating.FAVORITE,
        2: Rating.YES,
        3: Rating.OKAY,
        4: Rating.MAYBE,
        5: Rating.HARD_NO,
    }
    position = 0
    unmapped = []
    for key, columns in _parse_list(LIST):
        values = cells[position : position + len(columns)]
        position += len(columns)
        if any(values) and key not in mapping:
            unmapped.append(key)
        for (role, _), value in zip(columns, values, strict=True):
            if not value or key not in mapping or (role is None and value != 5):
                continue
            for activity in mapping[key]:
                held = expected.get((activity, role))
                rating = ratings[value]
                if held is None or rating.rank > held.rank:
                    expected[activity, role] = rating
    found = {(e.activity, e.role): e.rating for e in imported.preferences.entries}
    assert found == expected
    assert list(imported.unmapped) == unmapped


def test_a_link_of_the_wrong_length_is_refused() -> None:
    """A link that does not fit the list is refused, saying how long it must be."""
    with pytest.raises(DecodeError, match="must be 88 characters for a list of 202"):
        ck.read_kinklist(LIST, "abc", "ann")


def test_characters_outside_the_alphabet_are_refused_each_by_position() -> None:
    """Each bad character is named with its position."""
    bad = "a" * 10 + "~" + "a" * 70 + "?" + "a" * 6
    with pytest.raises(DecodeError) as caught:
        ck.read_kinklist(LIST, bad, "ann")
    assert [path for path, _ in caught.value.problems] == ["hash[10]", "hash[81]"]


def test_an_impossible_chunk_is_refused() -> None:
    """A chunk whose value no encoder can write is refused, not wrapped around."""
    with pytest.raises(DecodeError, match="holds no valid ratings"):
        ck.read_kinklist(LIST, "@" * 8 + "a" * 80, "ann")


def test_a_malformed_list_is_refused_line_by_line() -> None:
    """Unknown columns and stray lines are each reported with their line."""
    text = "#Pain\n(Giving, Watching)\n* Caning\nhello\n"
    with pytest.raises(DecodeError) as caught:
        ck.read_kinklist(text, "aaaaaaaa", "ann")
    assert [path for path, _ in caught.value.problems] == ["list line 2", "list line 4"]
    with pytest.raises(DecodeError, match="before its category"):
        ck.read_kinklist("* Caning\n", "aaaaaaaa", "ann")


def test_a_custom_mapping_replaces_the_default() -> None:
    """Items map through the mapping given, and nothing else."""
    imported = ck.read_kinklist(LIST, VECTOR, "ann", {"Pain: Spanking": ["impact"]})
    assert {(e.activity, e.role) for e in imported.preferences.entries} == {
        ("impact", Role.GIVE),
        ("impact", Role.RECEIVE),
    }
    assert imported.unmapped == (
        "Restrictive: Gag",
        "Misc. Fetish: Breath play",
        "Pain: Caning",
    )


# -- the shipped mapping ------------------------------------------------------------


def test_the_mapping_names_real_items_and_default_catalog_activities() -> None:
    """Every mapped item is in the list, every target in the default catalog."""
    items = {key for key, _ in _parse_list(LIST)}
    catalog = ck.default_catalog()
    raw = json.loads(
        resources.files("consentkit")
        .joinpath("data/kinklist-mapping.json")
        .read_text("utf-8")
    )
    source = ck.read_kinklist(LIST, "a" * 88, "x").preferences.source
    assert source is not None
    assert raw["list_sha256"] == source.sha256
    for key, activities in default_kinklist_mapping().items():
        assert key in items, key
        assert activities, key
        for activity in activities:
            assert activity in catalog, (key, activity)
    for key in raw["notes"]:
        assert key in items, key


def test_the_mapping_leaves_what_has_no_counterpart_unmapped() -> None:
    """Bodies, groupings, surrealism, toys and most taboo items stay unmapped."""
    mapping = default_kinklist_mapping()
    for category in ("Bodies", "Groupings", "Surrealism", "Toys", "Fluids", "Clothing"):
        assert not [key for key in mapping if key.startswith(category + ": ")]
    assert (
        "Pain: Cutting" not in mapping
    )  # a blade drawn without cutting is not cutting
    assert "Domination: Domestic servitude" not in mapping  # the roles would invert


def test_imports_are_checked_against_the_catalog_when_compared() -> None:
    """An imported list on the default catalog compares without unknown ids."""
    ann = ck.read_kinklist(LIST, VECTOR, "ann").preferences
    bo = ck.Preferences(
        party="bo",
        entries=(Preference(activity="impact", role=Role.GIVE, rating=Rating.YES),),
    )
    kinds = {m.activity: m.kind for m in ck.compare(ann, bo).matches}
    assert kinds["impact.spanking"] is ck.MatchKind.MUTUAL


# -- spreadsheets -------------------------------------------------------------------


def test_a_spreadsheet_is_read() -> None:
    """Rows become entries; caps, notes (quoted, multi-line) and any role too."""
    text = (
        "activity,role,rating,max_intensity,note\n"
        "impact.spanking,receive,favorite,6,\n"
        'impact,any,hard_no,,"not my\nface"\n'
        "\n"
        "restraint.gag , GIVE , Maybe ,,\n"
    )
    imported = ck.read_preferences_csv(text, "ann")
    assert imported.preferences.entries == (
        Preference(
            activity="impact", role=None, rating=Rating.HARD_NO, note="not my\nface"
        ),
        Preference(
            activity="impact.spanking",
            role=Role.RECEIVE,
            rating=Rating.FAVORITE,
            max_intensity=6,
        ),
        Preference(activity="restraint.gag", role=Role.GIVE, rating=Rating.MAYBE),
    )
    assert (imported.unmapped, imported.undirected, imported.lossy) == ((), (), False)
    source = imported.preferences.source
    assert source is not None
    assert source.sha256 == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_every_bad_row_is_reported_with_its_line() -> None:
    """Each bad row is named by its line, with the column and the rule."""
    text = (
        "activity,role,rating,max_intensity,note\n"
        "impact,give,yes,,\n"
        'rope,give,"so\nso",,\n'
        "Impact,give,yes,,\n"
        "rope,sideways,yes,,\n"
        "rope,give,no,4,\n"
        "rope,any,yes,,\n"
        "impact,give,okay,,\n"
        "rope,give,yes,11,\n"
        "rope,give\n"
    )
    with pytest.raises(DecodeError) as caught:
        ck.read_preferences_csv(text, "ann")
    problems = caught.value.problems
    assert [path for path, _ in problems] == [
        f"line {n}" for n in (3, 5, 6, 7, 8, 9, 10, 11)
    ]
    messages = [message for _, message in problems]
    assert messages[0].startswith("rating: must be one of")
    assert messages[1].startswith("activity: must be a dotted activity id")
    assert messages[2].startswith("role: must be")
    assert messages[3].startswith("max_intensity: must be none")
    assert messages[4].startswith("role: must be a role")
    assert (
        messages[5]
        == "a second row for `impact` in role `give` (the first is on line 2)"
    )
    assert messages[6].startswith("max_intensity: must be 1..10")
    assert messages[7] == "has 2 cells, the header 5"


def test_a_bad_header_is_reported() -> None:
    """Unknown, missing and doubled columns are each named; nothing else is read."""
    with pytest.raises(DecodeError) as caught:
        ck.read_preferences_csv("activity,rating,rating,colour\nx,y,z,w\n", "ann")
    assert [message for _, message in caught.value.problems] == [
        (
            "unknown column `'colour'`; columns: "
            "activity, role, rating, max_intensity, note"
        ),
        "the header lacks the column `role`",
        "the column `rating` appears twice",
    ]
    with pytest.raises(DecodeError, match=r"header .* is missing"):
        ck.read_preferences_csv("\n\n", "ann")


def test_a_spreadsheet_of_the_minimal_columns_is_read() -> None:
    """The cap and note columns may be left out."""
    imported = ck.read_preferences_csv(
        "activity,role,rating\nrope,receive,okay\n", "bo"
    )
    assert imported.preferences.entries == (
        Preference(activity="rope", role=Role.RECEIVE, rating=Rating.OKAY),
    )
