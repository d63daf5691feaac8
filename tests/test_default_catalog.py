# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The default catalog shipped as package data (`consentkit/data/catalog.json`)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import TypedDict, cast

import pytest

import consentkit

ALLOWED_TAGS = frozenset(
    {
        "impairs_speech",
        "restrains_hands",
        "impairs_vision",
        "restricts_movement",
        "breath_risk",
        "circulation_risk",
        "breaks_skin",
        "electrical",
        "heat",
        "leaves_marks",
        "requires_training",
        "psychological",
        "involves_nudity",
        "recording",
        "explicit_only",
    }
)
EQUIPMENT = frozenset(
    {
        "safety_shears",
        "first_aid_kit",
        "keys",
        "fire_extinguisher",
        "sharps_container",
        "gloves",
    }
)
TOP_LEVEL = frozenset(
    {
        "impact",
        "restraint",
        "sensation",
        "sensory",
        "control",
        "protocol",
        "service",
        "verbal",
        "roleplay",
        "breath",
        "temperature",
        "marks",
        "exposure",
        "psych",
        "intimate",
        "edge",
    }
)
ID_PATTERN = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "catalog.md"


class RawActivity(TypedDict):
    """One activity as written in catalog.json."""

    id: str
    label: str
    tags: list[str]
    requires: list[str]
    description: str


class RawCatalog(TypedDict):
    """The catalog as written in catalog.json."""

    name: str
    version: int
    activities: list[RawActivity]


TEXT = (
    resources.files("consentkit")
    .joinpath("data/catalog.json")
    .read_text(encoding="utf-8")
)
RAW = cast("RawCatalog", json.loads(TEXT))
ACTIVITIES = RAW["activities"]
IDS = [activity["id"] for activity in ACTIVITIES]
BY_ID = {activity["id"]: activity for activity in ACTIVITIES}


def _beneath(parent: str) -> list[str]:
    """Return the ids strictly beneath `parent`, in file order."""
    return [id_ for id_ in IDS if id_.startswith(parent + ".")]


def _tags(id_: str) -> set[str]:
    """Return the tags of an activity in the JSON."""
    return set(BY_ID[id_]["tags"])


def _requires(id_: str) -> set[str]:
    """Return the equipment an activity in the JSON requires."""
    return set(BY_ID[id_]["requires"])


def _cells(row: str) -> list[str]:
    """Split a Markdown table row into its stripped cells."""
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _names(cell: str) -> set[str]:
    """Read a docs cell listing `name`, `name` (or a dash for none)."""
    if cell in {"\N{EN DASH}", "-", ""}:
        return set()
    return {name.strip().strip("`") for name in cell.split(",")}


# Shape and structure


def test_file_is_canonical_json() -> None:
    """The file is 2-space indented UTF-8 JSON with a trailing newline."""
    assert list(RAW) == ["name", "version", "activities"]
    for activity in ACTIVITIES:
        assert list(activity) == ["id", "label", "tags", "requires", "description"]
    assert json.dumps(RAW, indent=2, ensure_ascii=False) + "\n" == TEXT


def test_name_and_version() -> None:
    """The shipped catalog is `default`, version 1."""
    assert RAW["name"] == "default"
    assert RAW["version"] == 1


def test_count_within_bounds() -> None:
    """The catalog holds 60 to 100 activities, category nodes included."""
    assert 60 <= len(ACTIVITIES) <= 100


def test_depth_at_most_four() -> None:
    """No activity id has more than four levels."""
    assert max(id_.count(".") + 1 for id_ in IDS) <= 4


def test_ids_are_valid() -> None:
    """Every id is a dotted path of lowercase segments."""
    bad = [id_ for id_ in IDS if not ID_PATTERN.fullmatch(id_)]
    assert bad == []


def test_ids_are_unique() -> None:
    """No id appears twice."""
    assert len(set(IDS)) == len(IDS)


def test_every_ancestor_present() -> None:
    """Every ancestor of an activity is itself in the catalog."""
    missing = {
        ".".join(id_.split(".")[:depth])
        for id_ in IDS
        for depth in range(1, id_.count(".") + 1)
    } - set(IDS)
    assert missing == set()


def test_sorted_by_id() -> None:
    """Activities are written in id order."""
    assert sorted(IDS) == IDS


def test_top_level_categories() -> None:
    """The top level holds the agreed categories and nothing else."""
    assert {id_ for id_ in IDS if "." not in id_} == TOP_LEVEL


def test_every_category_has_activities() -> None:
    """Every top-level category has at least two activities beneath it."""
    for category in TOP_LEVEL:
        assert len(_beneath(category)) >= 2, category


# Tags and equipment


def test_tags_from_allowed_list() -> None:
    """Activities carry only the tags the rules know."""
    used = {tag for activity in ACTIVITIES for tag in activity["tags"]}
    assert used <= ALLOWED_TAGS


def test_tags_and_requires_are_sorted_sets() -> None:
    """Tags and requires are written as sorted arrays without repeats."""
    for activity in ACTIVITIES:
        for names in (activity["tags"], activity["requires"]):
            assert names == sorted(set(names)), activity["id"]


def test_requires_are_snake_case_equipment() -> None:
    """Required equipment is named in snake_case from the documented list."""
    used = {item for activity in ACTIVITIES for item in activity["requires"]}
    assert all(SNAKE_CASE.fullmatch(item) for item in used)
    assert used == EQUIPMENT


def test_category_nodes_carry_nothing() -> None:
    """Category and family nodes have no tags and require no equipment."""
    for id_ in IDS:
        if _beneath(id_):
            assert BY_ID[id_]["tags"] == [], id_
            assert BY_ID[id_]["requires"] == [], id_


def test_gags_impair_speech() -> None:
    """Every gag impairs speech and carries a breath risk."""
    gags = _beneath("restraint.gag")
    assert len(gags) >= 2
    for gag in gags:
        assert {"impairs_speech", "breath_risk"} <= _tags(gag), gag


def test_hood_impairs_speech_and_vision() -> None:
    """The full hood takes voice and sight and is explicit only."""
    assert {
        "impairs_speech",
        "impairs_vision",
        "breath_risk",
        "explicit_only",
    } <= _tags("sensory.hood")


@pytest.mark.parametrize(
    "activity",
    [
        "restraint.wrap",
        "restraint.rope.arms",
        "restraint.rope.suspension",
        "restraint.cuffs.behind_back",
    ],
)
def test_restrains_hands(activity: str) -> None:
    """A full wrap, a tie of both arms, suspension and cuffs behind bind the hands."""
    assert {"restrains_hands", "restricts_movement"} <= _tags(activity)


def test_floor_rope_leaves_hands_free() -> None:
    """Floor rope bondage restricts movement but leaves the hands free."""
    tags = _tags("restraint.rope.floor")
    assert "restricts_movement" in tags
    assert "restrains_hands" not in tags


def test_breath_activities_are_risky_and_explicit() -> None:
    """Every breath activity carries breath_risk and explicit_only."""
    breath = _beneath("breath")
    assert len(breath) >= 2
    for activity in breath:
        assert {"breath_risk", "explicit_only"} <= _tags(activity), activity


@pytest.mark.parametrize("activity", ["exposure.photo", "exposure.video"])
def test_photo_and_video_are_recordings(activity: str) -> None:
    """Photography and video are recordings and need explicit consent."""
    assert {"recording", "explicit_only"} <= _tags(activity)


def test_every_recording_is_explicit_only() -> None:
    """No recording activity can be reached by a consent to its parent."""
    for activity in ACTIVITIES:
        if "recording" in activity["tags"]:
            assert "explicit_only" in activity["tags"], activity["id"]


def test_blindfold_impairs_vision() -> None:
    """A blindfold takes sight."""
    assert "impairs_vision" in _tags("sensory.blindfold")


@pytest.mark.parametrize(
    "activity",
    [
        *_beneath("edge"),
        *_beneath("breath"),
        *_beneath("intimate"),
        *_beneath("sensation.electro"),
        "restraint.rope.suspension",
        "impact.caning",
        "impact.single_tail",
        "sensory.hood",
    ],
)
def test_high_risk_and_intimate_are_explicit_only(activity: str) -> None:
    """High-risk and intimate activities are covered only by a grant naming them."""
    assert "explicit_only" in _tags(activity)


def test_electrical_activities_are_tagged() -> None:
    """Every electrical stimulation activity is tagged electrical."""
    for activity in _beneath("sensation.electro"):
        assert "electrical" in _tags(activity), activity


def test_rope_requires_safety_shears() -> None:
    """Rope, wraps, gags and the hood require safety shears."""
    cut_free = [
        *_beneath("restraint.rope"),
        *_beneath("restraint.gag"),
        "restraint.wrap",
        "sensory.hood",
    ]
    for activity in cut_free:
        assert "safety_shears" in _requires(activity), activity


def test_locks_require_keys() -> None:
    """Cuffs, the cage and the chastity device require keys."""
    locked = [
        *_beneath("restraint.cuffs"),
        "restraint.enclosure",
        "restraint.chastity_device",
    ]
    for activity in locked:
        assert "keys" in _requires(activity), activity


def test_skin_breaking_requires_first_aid_kit() -> None:
    """Everything that may break the skin requires a first-aid kit."""
    breaking = [a["id"] for a in ACTIVITIES if "breaks_skin" in a["tags"]]
    assert breaking
    for activity in breaking:
        assert "first_aid_kit" in _requires(activity), activity


def test_needles_and_fire_equipment() -> None:
    """Needles need a sharps container and gloves; fire needs an extinguisher."""
    assert {"sharps_container", "gloves", "first_aid_kit"} <= _requires("edge.needles")
    assert "fire_extinguisher" in _requires("edge.fire")
    assert "heat" in _tags("edge.fire")


def test_intimate_contact_requires_gloves() -> None:
    """Genital contact, penetration and fluids require gloves."""
    for activity in _beneath("intimate"):
        if activity != "intimate.kissing":
            assert "gloves" in _requires(activity), activity


# Wording


def test_labels_are_clean_and_unique() -> None:
    """Labels are non-empty, without surrounding whitespace, and unique."""
    labels = [activity["label"] for activity in ACTIVITIES]
    for label in labels:
        assert label
        assert label == label.strip()
    assert len(set(labels)) == len(labels)


def test_descriptions_are_one_sentence() -> None:
    """Each description is one short sentence."""
    for activity in ACTIVITIES:
        description = activity["description"]
        assert description == description.strip(), activity["id"]
        assert description[:1].isupper(), activity["id"]
        assert description.endswith("."), activity["id"]
        assert ". " not in description, activity["id"]
        assert len(description) <= 120, activity["id"]


# The documentation page


def test_docs_list_every_activity() -> None:
    """Every activity id in the JSON appears in docs/catalog.md."""
    text = DOCS.read_text(encoding="utf-8")
    missing = [id_ for id_ in IDS if f"`{id_}`" not in text]
    assert missing == []


def test_docs_table_matches_json() -> None:
    """The docs' table of all activities agrees with the JSON row by row."""
    table = DOCS.read_text(encoding="utf-8").split("## All activities", 1)[1]
    rows = {}
    for line in table.splitlines():
        if line.startswith("| `"):
            id_, label, tags, requires = _cells(line)
            rows[id_.strip("`")] = (label, _names(tags), _names(requires))
    expected = {
        activity["id"]: (
            activity["label"],
            set(activity["tags"]),
            set(activity["requires"]),
        )
        for activity in ACTIVITIES
    }
    assert rows == expected


def test_docs_category_table_matches_json() -> None:
    """The docs' table of categories agrees with the JSON."""
    levels = DOCS.read_text(encoding="utf-8").split("## Levels", 1)[1]
    rows = {}
    for line in levels.split("## Tags", 1)[0].splitlines():
        if line.startswith("| `"):
            id_, label, description = _cells(line)
            rows[id_.strip("`")] = (label, description)
    expected = {
        id_: (BY_ID[id_]["label"], BY_ID[id_]["description"]) for id_ in TOP_LEVEL
    }
    assert rows == expected


def test_docs_state_the_count() -> None:
    """The docs state how many activities the catalog holds."""
    text = DOCS.read_text(encoding="utf-8")
    assert f"with {len(ACTIVITIES)} activities" in text


def test_docs_name_every_tag_and_item() -> None:
    """The docs explain every tag and every equipment name."""
    text = DOCS.read_text(encoding="utf-8")
    for name in ALLOWED_TAGS | EQUIPMENT:
        assert f"| `{name}` |" in text, name


# Through the loader


def test_default_catalog_matches_json() -> None:
    """default_catalog() loads exactly the activities of the JSON."""
    catalog = consentkit.default_catalog()
    assert catalog.name == RAW["name"]
    assert catalog.version == RAW["version"]
    assert [activity.id for activity in catalog] == IDS
    for activity in catalog:
        raw = BY_ID[activity.id]
        assert activity.label == raw["label"]
        assert activity.tags == frozenset(raw["tags"])
        assert activity.requires == frozenset(raw["requires"])
        assert activity.description == raw["description"]


def test_default_catalog_lookups() -> None:
    """Lookups, ancestry and coverage work on the shipped catalog."""
    catalog = consentkit.default_catalog()
    assert catalog["impact.spanking.hand"].label == "Hand spanking"
    assert catalog.get("impact.spanking.hand") is catalog["impact.spanking.hand"]
    assert catalog.get("impact.spanking.belt") is None
    with pytest.raises(KeyError):
        catalog["impact.spanking.belt"]
    assert "restraint.rope.arms" in catalog
    assert "restraint.rope.belt" not in catalog
    assert set(catalog.ancestors("impact.spanking.hand")) == {
        "impact.spanking",
        "impact",
    }
    assert set(catalog.descendants("restraint.gag")) == set(_beneath("restraint.gag"))
    assert catalog.covers("impact", "impact.spanking.hand")
    assert not catalog.covers("impact.spanking", "impact")


def test_default_catalog_tagged() -> None:
    """tagged() finds the same activities as the JSON for every tag."""
    catalog = consentkit.default_catalog()
    for tag in ALLOWED_TAGS:
        expected = {a["id"] for a in ACTIVITIES if tag in a["tags"]}
        assert {activity.id for activity in catalog.tagged(tag)} == expected, tag
    speechless = {activity.id for activity in catalog.tagged("impairs_speech")}
    assert {"restraint.gag.ball", "sensory.hood"} <= speechless
