"""lint_preferences (SPEC 6.5) and law 13: drafts lint clean of CK401-CK403."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import Preference, Preferences, Rating, Role, testing
from consentkit._cli import main
from test_draft import DEFAULT, WINDOW, protocol_for

LISTS = st.one_of(
    testing.preference_lists(catalog=DEFAULT, full=True, party=st.just("ann")),
    testing.preference_lists(catalog=DEFAULT, max_entries=30, party=st.just("ann")),
)


@settings(max_examples=max(10, settings().max_examples // 5))
@given(LISTS, LISTS.map(lambda p: attrs.evolve(p, party="bo")))
def test_law_13_drafts_lint_clean(ann: Preferences, bo: Preferences) -> None:
    """Terms drafted from any two valid lists carry no CK401, CK402 or CK403."""
    terms = ck.draft_terms(
        (ann, bo), window=WINDOW, protocol=protocol_for(DEFAULT), catalog=DEFAULT
    )
    codes = {f.code for f in ck.lint(terms, DEFAULT)}
    assert not codes & {"CK401", "CK402", "CK403"}, ck.lint(terms).explain("draft")


@settings(max_examples=max(10, settings().max_examples // 2))
@given(
    st.lists(
        testing.preference_lists(catalog=DEFAULT, max_entries=20),
        min_size=3,
        max_size=3,
        unique_by=lambda p: p.party,
    )
)
def test_law_13_with_three_parties(lists: list[Preferences]) -> None:
    """Three parties' drafts lint clean of CK401-CK403 too."""
    terms = ck.draft_terms(
        lists, window=WINDOW, protocol=protocol_for(DEFAULT), catalog=DEFAULT
    )
    assert not {f.code for f in ck.lint(terms, DEFAULT)} & {"CK401", "CK402", "CK403"}


def _list(*entries: Preference, **options: object) -> Preferences:
    return Preferences(party="bo", entries=entries, **options)  # type: ignore[arg-type]


def test_unknown_activity_is_ck401_with_a_hint() -> None:
    """An entry on an activity the catalog lacks is CK401, with the nearest id."""
    report = ck.lint_preferences(
        _list(Preference(activity="impact.floging", role=Role.GIVE, rating=Rating.YES))
    )
    assert [(f.code, f.path) for f in report] == [("CK401", "entries[0].activity")]
    assert report.findings[0].hint == "did you mean `impact.flogging`?"


def test_clean_list_has_no_findings() -> None:
    """A list of known activities with no shadowed rating is clean."""
    clean = _list(
        Preference(activity="impact", role=Role.RECEIVE, rating=Rating.HARD_NO),
        Preference(activity="impact.crop", role=Role.GIVE, rating=Rating.YES),
    )
    assert ck.lint_preferences(clean).findings == ()


@pytest.mark.parametrize(
    ("hard_role", "yes_role", "shadowed"),
    [
        (None, Role.RECEIVE, True),
        (Role.RECEIVE, Role.RECEIVE, True),
        (Role.RECEIVE, Role.GIVE, False),
    ],
)
def test_positive_beneath_own_hard_no_is_ck415(
    hard_role: Role | None, yes_role: Role, shadowed: bool
) -> None:
    """A yes beneath one's own hard no (in its role, or any role) is CK415."""
    report = ck.lint_preferences(
        _list(
            Preference(activity="impact", role=hard_role, rating=Rating.HARD_NO),
            Preference(activity="impact.crop", role=yes_role, rating=Rating.FAVORITE),
        )
    )
    assert [(f.code, f.path) for f in report] == (
        [("CK415", "entries[1].rating")] if shadowed else []
    )


def test_maybe_beneath_hard_no_is_not_ck415() -> None:
    """CK415 is about positive ratings only (boundary)."""
    report = ck.lint_preferences(
        _list(
            Preference(activity="impact", role=None, rating=Rating.HARD_NO),
            Preference(activity="impact.crop", role=Role.GIVE, rating=Rating.MAYBE),
        )
    )
    assert report.findings == ()


def test_hard_no_at_the_same_activity_in_any_role_shadows() -> None:
    """A hard no for any role at the very activity shadows a yes in one role."""
    report = ck.lint_preferences(
        _list(
            Preference(activity="impact.crop", role=None, rating=Rating.HARD_NO),
            Preference(activity="impact.crop", role=Role.GIVE, rating=Rating.YES),
        )
    )
    assert [f.code for f in report] == ["CK415"]


@pytest.mark.parametrize(
    ("options", "path"),
    [({"catalog": "studio"}, "catalog"), ({"catalog_version": 2}, "catalog_version")],
)
def test_catalog_mismatch_is_ck409(options: dict[str, object], path: str) -> None:
    """A list rated against another catalog or version is CK409 at that field."""
    report = ck.lint_preferences(_list(**options))
    assert [(f.code, f.path) for f in report] == [("CK409", path)]


def test_wrong_kinds_are_type_errors() -> None:
    """lint_preferences refuses what is not a preference list or catalog."""
    with pytest.raises(TypeError, match="lint_preferences needs `Preferences`"):
        ck.lint_preferences("bo")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="catalog must be a `Catalog`"):
        ck.lint_preferences(_list(), catalog="default")  # type: ignore[arg-type]


def test_cli_lints_a_preference_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`consentkit lint` reads a preferences document and exits 1 on an error."""
    path = tmp_path / "bo.json"
    bad = _list(Preference(activity="impact.floging", role=Role.GIVE, rating="yes"))
    path.write_text(ck.dumps(bad), encoding="utf-8")
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert "entries[0].activity: CK401 unknown-activity" in out
    clean = tmp_path / "clean.json"
    clean.write_text(ck.dumps(_list()), encoding="utf-8")
    assert main(["lint", str(clean)]) == 0
