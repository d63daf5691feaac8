"""Lint (SPEC 6.5): each code on a minimal document and a clean counterpart."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import consentkit
from consentkit import (
    Aftercare,
    Authority,
    CheckInWithin,
    Equipment,
    LimitKind,
    LintFinding,
    LintReport,
    NonverbalSignal,
    Role,
    Severity,
    Spotter,
    Terms,
    Verdict,
    check,
    default_catalog,
    lint,
    testing,
)
from consentkit._coverage import covered
from consentkit._reports import LINT_CODES, path_key
from helpers import (
    CLIENT,
    DROP,
    MISTRESS,
    RED,
    T0,
    YELLOW,
    at,
    gives,
    hard,
    protocol,
    receives,
    scene,
    soft,
    step,
    terms,
    witnesses,
)

CARE = (Aftercare(minutes=20),)
#: Equipment enough for every activity these tests use.
KIT = ("safety_shears", "first_aid_kit", "keys")


def clean(**overrides: object) -> Terms:
    """Terms that lint clean: a capped crop, both sides, aftercare, a STOP."""
    fields: dict[str, object] = {
        "grants": (receives("impact.crop", cap=5), gives("impact.crop", cap=5)),
        "protocol": protocol(aftercare=CARE),
    }
    fields.update(overrides)
    return terms(**fields)  # type: ignore[arg-type]  # the helper's own fields


def paths(report: LintReport, code: str) -> list[str]:
    """The paths of the findings of `code`, in report order."""
    return [f.path for f in report if f.code == code]


def test_the_clean_terms_lint_clean() -> None:
    """The baseline of every case below has no finding at all."""
    assert lint(clean()).findings == ()


def _crop(**kwargs: object) -> tuple:  # type: ignore[type-arg]  # a pair of grants
    return (
        receives("impact.crop", cap=5, **kwargs),  # type: ignore[arg-type]
        gives("impact.crop", cap=5),
    )


def _gag(signals: tuple) -> Terms:  # type: ignore[type-arg]  # signals
    return clean(
        grants=(
            receives("restraint.gag.ball", cap=5),
            gives("restraint.gag.ball", cap=5),
        ),
        protocol=protocol(signals=signals, equipment=KIT, aftercare=CARE),
    )


#: code -> (terms that trigger it, the paths pinned, a clean counterpart).
CASES: dict[str, list[tuple[Terms, list[str], Terms]]] = {
    "CK401": [
        (
            clean(
                grants=(
                    receives("impact.floging", cap=5),
                    gives("impact.floging", cap=5),
                )
            ),
            ["grants[0].activity", "grants[1].activity"],
            clean(
                grants=(
                    receives("impact.flogging", cap=5),
                    gives("impact.flogging", cap=5),
                )
            ),
        ),
        (
            clean(limits=(hard(tag="breaks_skn"),)),
            ["limits[0].tag"],
            clean(limits=(hard(tag="breaks_skin"),)),
        ),
        (
            clean(limits=(soft("impact.canning"),)),
            ["limits[0].activity"],
            clean(limits=(soft("impact.caning"),)),
        ),
        (
            clean(
                protocol=protocol(
                    aftercare=CARE,
                    authority=(
                        Authority(
                            holder=MISTRESS,
                            subject=CLIENT,
                            scope=frozenset({"impact", "impakt"}),
                        ),
                    ),
                )
            ),
            ["protocol.authority[0].scope[1]"],
            clean(
                protocol=protocol(
                    aftercare=CARE,
                    authority=(
                        Authority(
                            holder=MISTRESS, subject=CLIENT, scope=frozenset({"impact"})
                        ),
                    ),
                )
            ),
        ),
    ],
    "CK402": [
        (
            clean(limits=(hard("impact"),)),
            ["grants[0]"],
            clean(limits=(hard("impact.caning"),)),
        ),
        (
            clean(limits=(hard(tag="leaves_marks"),)),
            ["grants[0]"],
            clean(limits=(hard(tag="leaves_marks", roles=(Role.GIVE,)),)),
        ),
        (
            clean(
                grants=(
                    receives("impact.spanking.hand", cap=5),
                    gives("impact.spanking", cap=5, subtypes=True),
                ),
                limits=(hard("impact.spanking", party=MISTRESS),),
            ),
            ["grants[1]"],
            clean(
                grants=(
                    receives("impact.spanking.hand", cap=5),
                    gives("impact.spanking", cap=5, subtypes=True),
                ),
                limits=(hard("impact.spanking.paddle", party=MISTRESS),),
            ),
        ),
    ],
    "CK403": [
        (
            clean(grants=(receives("impact.crop", cap=5),)),
            ["grants[0]"],
            clean(),
        ),
        (
            clean(
                grants=(
                    receives("impact.crop", cap=5),
                    gives("impact.crop", cap=5, counterparties=("ann",)),
                ),
                parties=(MISTRESS, CLIENT, "ann"),
            ),
            ["grants[0]", "grants[1]"],
            clean(
                grants=(
                    receives("impact.crop", cap=5),
                    gives("impact.crop", cap=5, counterparties=(CLIENT,)),
                ),
                parties=(MISTRESS, CLIENT, "ann"),
            ),
        ),
    ],
    "CK404": [
        (
            clean(grants=_crop(conditions=(CheckInWithin(minutes=10),))),
            ["grants[0].conditions[0]"],
            clean(
                grants=_crop(conditions=(CheckInWithin(minutes=10),)),
                protocol=protocol(check_in_minutes=10, aftercare=CARE),
            ),
        ),
        (
            clean(
                grants=_crop(conditions=(Equipment(item="gloves"), NonverbalSignal()))
            ),
            ["grants[0].conditions[0]", "grants[0].conditions[1]"],
            clean(
                grants=_crop(conditions=(Equipment(item="gloves"), NonverbalSignal())),
                protocol=protocol(
                    signals=(RED, DROP), equipment=("gloves",), aftercare=CARE
                ),
            ),
        ),
        (
            clean(
                grants=_crop(conditions=(Spotter(party="ann"),)),
                parties=(MISTRESS, CLIENT, "ann"),
            ),
            ["grants[0].conditions[0]"],
            clean(
                grants=(
                    *_crop(conditions=(Spotter(party="ann"),)),
                    witnesses("impact", party="ann", subtypes=True),
                ),
                parties=(MISTRESS, CLIENT, "ann"),
            ),
        ),
    ],
    "CK405": [
        (
            clean(protocol=protocol(signals=(YELLOW,), aftercare=CARE)),
            ["protocol.signals"],
            clean(protocol=protocol(signals=(YELLOW, RED), aftercare=CARE)),
        )
    ],
    "CK406": [(_gag((RED,)), ["grants[0]"], _gag((RED, DROP)))],
    "CK407": [
        (
            clean(
                grants=(
                    receives("restraint.rope.floor", cap=5),
                    gives("restraint.rope.floor", cap=5),
                )
            ),
            ["grants[0]", "grants[1]"],
            clean(
                grants=(
                    receives("restraint.rope.floor", cap=5),
                    gives("restraint.rope.floor", cap=5),
                ),
                protocol=protocol(equipment=("safety_shears",), aftercare=CARE),
            ),
        )
    ],
    "CK408": [
        (
            clean(
                protocol=protocol(
                    aftercare=CARE,
                    authority=(
                        Authority(
                            holder=MISTRESS,
                            subject=CLIENT,
                            scope=frozenset({"service"}),
                        ),
                    ),
                )
            ),
            ["protocol.authority[0]"],
            clean(
                protocol=protocol(
                    aftercare=CARE,
                    authority=(
                        Authority(
                            holder=MISTRESS, subject=CLIENT, scope=frozenset({"impact"})
                        ),
                    ),
                )
            ),
        )
    ],
    "CK409": [
        (attrs.evolve(clean(), catalog="studio"), ["catalog"], clean()),
        (attrs.evolve(clean(), catalog_version=2), ["catalog_version"], clean()),
    ],
    "CK410": [
        (
            clean(grants=(receives("impact.crop", cap=5), gives("impact.crop", cap=6))),
            ["grants[1]"],
            clean(),
        )
    ],
    "CK411": [
        (
            clean(
                grants=(receives("impact.crop", cap=8), gives("impact.crop", cap=8)),
                protocol=protocol(aftercare=(Aftercare(minutes=5, party=MISTRESS),)),
            ),
            ["grants[0]", "grants[1]"],
            clean(
                grants=(receives("impact.crop", cap=8), gives("impact.crop", cap=8)),
            ),
        ),
        (
            clean(
                grants=(
                    receives("roleplay.interrogation", cap=3),
                    gives("roleplay.interrogation", cap=3),
                ),
                protocol=protocol(),
            ),
            ["grants[0]", "grants[1]"],
            clean(protocol=protocol()),
        ),
    ],
    "CK412": [
        (
            clean(
                grants=(
                    receives("restraint.rope", cap=5, subtypes=True),
                    gives("restraint.rope.floor", cap=5),
                ),
                protocol=protocol(equipment=KIT, aftercare=CARE),
            ),
            ["grants[0]"],
            clean(
                grants=(
                    receives("restraint.rope.floor", cap=5, subtypes=True),
                    gives("restraint.rope.floor", cap=5),
                ),
                protocol=protocol(equipment=KIT, aftercare=CARE),
            ),
        )
    ],
    "CK413": [
        (
            clean(protocol=protocol(aftercare=CARE, sobriety_required=False)),
            ["protocol.sobriety_required"],
            clean(),
        )
    ],
    "CK414": [
        (clean(limits=(soft("impact.crop"),)), ["grants[0]"], clean()),
        (
            clean(limits=(soft(tag="leaves_marks"),)),
            ["grants[0]"],
            clean(limits=(soft(tag="leaves_marks", roles=(Role.GIVE,)),)),
        ),
        (
            clean(limits=(soft("impact.crop"),)),
            ["grants[0]"],
            clean(limits=(soft("impact.caning"),)),
        ),
    ],
}


def test_every_code_has_a_case() -> None:
    """Each of CK401-CK414 has a triggering document and a clean counterpart."""
    assert sorted(CASES) == [f"CK{n}" for n in range(401, 415)]


@pytest.mark.parametrize(
    ("code", "index"),
    [(code, i) for code, cases in CASES.items() for i in range(len(cases))],
)
def test_code_triggers_at_its_paths_and_not_on_the_clean_counterpart(
    code: str, index: int
) -> None:
    """The triggering terms give the code at the pinned paths; the clean ones do not."""
    bad, pinned, good = CASES[code][index]
    report = lint(bad)
    assert paths(report, code) == pinned
    name, severity, _ = LINT_CODES[code]
    for found in report:
        if found.code == code:
            assert (found.rule, found.severity) == (name, severity)
            assert found.message
            assert "\n" not in found.message
    assert paths(lint(good), code) == []


def test_unknown_activity_hint_names_the_nearest_id() -> None:
    """An unknown id's hint names the nearest catalog id, as the spec shows."""
    bad = CASES["CK401"][0][0]
    assert lint(bad).findings[0].hint == "did you mean `impact.flogging`?"
    tag = lint(CASES["CK401"][1][0]).findings[0]
    assert tag.hint == "did you mean `breaks_skin`?"


def test_unknown_id_without_a_near_one_lists_where_to_look() -> None:
    """An id like nothing in the catalog gets a hint on where to find ids."""
    report = lint(clean(limits=(hard("zzz.qqq"),)))
    assert "consentkit catalog" in report.findings[0].hint


def test_findings_sort_by_code_then_path_element_by_element() -> None:
    """`grants[2]` sorts before `grants[10]`, and codes before paths."""
    grants = [receives("impact.crop", cap=5, grant_id=f"r{n}") for n in range(12)]
    report = lint(clean(grants=grants, protocol=protocol(sobriety_required=False)))
    assert paths(report, "CK403") == [f"grants[{n}]" for n in range(12)]
    assert [f.code for f in report] == sorted(f.code for f in report)
    assert report.findings[-1].code == "CK413"
    keys = [
        path_key(p) for p in ("grants[2]", "grants[10]", "grants[10].conditions[0]")
    ]
    assert keys == sorted(keys)


def test_report_properties() -> None:
    """`errors`, `warnings`, `len` and iteration read the findings."""
    report = lint(
        clean(
            grants=(receives("impact.floging", cap=5),),
            protocol=protocol(aftercare=CARE, sobriety_required=False),
        )
    )
    assert len(report) == len(list(report)) == 3
    assert [f.code for f in report.errors] == ["CK401"]
    assert [f.code for f in report.warnings] == ["CK403", "CK413"]
    assert report.at_least(Severity.INFO) == report.findings


def test_standing_limits_at_the_window_start_count_with_a_ledger() -> None:
    """With a ledger, a standing hard limit in effect at the start kills a grant."""
    ledger = consentkit.Ledger().declare_limit(
        by=CLIENT, limit=hard("impact"), at=at(-120)
    )
    assert paths(lint(clean(), ledger=ledger), "CK402") == ["grants[0]"]
    assert paths(lint(clean()), "CK402") == []
    later = consentkit.Ledger().declare_limit(
        by=CLIENT, limit=hard("impact"), at=at(60)
    )
    assert paths(lint(clean(), ledger=later), "CK402") == []
    lifted = ledger.lift_limit(
        by=CLIENT, kind=LimitKind.HARD, activity="impact", at=at(-60)
    )
    assert paths(lint(clean(), ledger=lifted), "CK402") == []


def test_wrong_arguments_are_type_errors() -> None:
    """Lint refuses what is not terms, a catalog or a ledger, naming what it wanted."""
    with pytest.raises(TypeError, match="Terms"):
        lint("terms")  # type: ignore[arg-type]  # wrong on purpose
    with pytest.raises(TypeError, match="Catalog"):
        lint(clean(), "default")  # type: ignore[arg-type]  # wrong on purpose
    with pytest.raises(TypeError, match="Ledger"):
        lint(clean(), ledger=[])  # type: ignore[arg-type]  # wrong on purpose


def test_rendering_escapes_record_text() -> None:
    """Control characters and line breaks in a finding render escaped, one line."""
    found = LintFinding(
        code="CK401",
        rule="unknown-activity",
        severity=Severity.ERROR,
        message="bad\nterms.json: CK000 fine\u2028x\a",
        path="grants[0]",
        hint="try\rthis",
    )
    text = LintReport(findings=(found,)).explain("t\n.json")
    assert text.splitlines() == [
        (
            "t\\n.json: grants[0]: CK401 unknown-activity: bad\\nterms.json: CK000 "
            "fine\\u2028x\\u0007"
        ),
        "  hint: try\\rthis",
        "t\\n.json: 1 error, 0 warnings, 0 notes",
    ]


def test_compiler_style_text() -> None:
    """Each finding reads `file: path: code rule: message`, then its hint."""
    text = lint(_gag((RED,))).explain("terms.json")
    first, hint = text.splitlines()[:2]
    assert first.startswith(
        "terms.json: grants[0]: CK406 no-usable-stop-signal: client could not "
        "signal STOP during `restraint.gag.ball`"
    )
    assert hint.startswith("  hint: add a non-verbal STOP signal")


# -- lint agrees with the engine where they overlap ----------------------------


@pytest.mark.parametrize(
    ("code", "engine_code", "activity"),
    [
        ("CK405", "CK110", "impact.crop"),
        ("CK406", "CK111", "restraint.gag.ball"),
        ("CK407", "CK112", "restraint.rope.floor"),
    ],
)
def test_protocol_codes_are_the_engine_s_codes_found_early(
    code: str, engine_code: str, activity: str
) -> None:
    """A step on the flagged grant is refused by the engine with the matching code."""
    bad = CASES[code][0][0]
    assert paths(lint(bad), code)
    ledger = scene(grants=bad.grants, limits=bad.limits, protocol=bad.protocol)
    decision = check(step(activity, at=at(10)), ledger)
    assert decision.verdict is Verdict.DENY
    assert engine_code in decision.codes
    good = CASES[code][0][2]
    ledger = scene(grants=good.grants, limits=good.limits, protocol=good.protocol)
    assert engine_code not in check(step(activity, at=at(10)), ledger).codes


@given(st.data())
def test_a_dead_grant_never_yields_an_allow(data: st.DataObject) -> None:
    """For generated terms, no step using a grant lint calls dead is ALLOW."""
    catalog = default_catalog()
    agreed = data.draw(testing.terms(catalog=catalog, max_parties=3))
    party = data.draw(st.sampled_from(sorted(agreed.parties)))
    extra = data.draw(
        testing.limits(parties=st.just(party), catalog=catalog), label="limit"
    )
    agreed = attrs.evolve(
        agreed, limits=(*agreed.limits, attrs.evolve(extra, kind="hard"))
    )
    dead = {f.refs[0] for f in lint(agreed, catalog) if f.code == "CK402"}
    ledger = scene(
        grants=agreed.grants,
        limits=agreed.limits,
        protocol=agreed.protocol,
        parties=agreed.parties,
        window=agreed.window,
        formed=agreed.window.start - timedelta(hours=1),
    )
    for grant in agreed.grants:
        if grant.id not in dead or grant.role is Role.WITNESS:
            continue
        for activity in covered(grant, catalog):
            for other in sorted(agreed.parties - {grant.party}):
                actor, recipient = (
                    (grant.party, other)
                    if grant.role is Role.GIVE
                    else (other, grant.party)
                )
                decision = check(
                    step(
                        activity,
                        at=agreed.window.start,
                        actor=actor,
                        recipient=recipient,
                    ),
                    ledger,
                )
                assert decision.verdict is not Verdict.ALLOW
                assert grant.id not in decision.basis


# -- law 13 is the drafting branch's; law 15 for lint ---------------------------


def _without_paths(report: LintReport) -> list[tuple[object, ...]]:
    return sorted(
        (f.code, f.rule, f.severity.value, f.message, f.refs, f.hint) for f in report
    )


@given(st.data())
def test_law_15_lint_is_deterministic(data: st.DataObject) -> None:
    """Reordering grants and limits changes only lint's paths."""
    catalog = default_catalog()
    agreed = data.draw(testing.terms(catalog=catalog))
    shuffled = attrs.evolve(
        agreed,
        grants=data.draw(st.permutations(agreed.grants)),
        limits=data.draw(st.permutations(agreed.limits)),
    )
    first, second = lint(agreed, catalog), lint(shuffled, catalog)
    assert _without_paths(first) == _without_paths(second)
    assert lint(agreed, catalog) == first
    assert consentkit.digest(lint(agreed, catalog)) == consentkit.digest(first)


def test_law_15_paths_follow_the_order() -> None:
    """Moved grants are reported at their new places."""
    agreed = CASES["CK403"][0][0]
    moved = attrs.evolve(
        agreed, grants=(gives("service.domestic", cap=5), *agreed.grants)
    )
    assert paths(lint(moved), "CK403") == ["grants[0]", "grants[1]"]


REPORT_KINDS: list[Callable[[], object]] = [lambda: lint(_gag((RED,)))]


@pytest.mark.parametrize("build", REPORT_KINDS)
def test_report_round_trips_as_a_lint_document(build: Callable[[], object]) -> None:
    """A report is written as a `lint` document and read back equal."""
    report = build()
    text = consentkit.dumps(report)
    assert '"kind": "lint"' in text
    assert consentkit.loads(text, "lint") == report


def test_window_is_not_read_by_lint() -> None:
    """Lint reads no clock: the same terms in another window lint the same."""
    moved = attrs.evolve(
        clean(),
        window=consentkit.Window(
            start=T0 + timedelta(days=9), end=T0 + timedelta(days=10)
        ),
    )
    assert lint(moved) == lint(clean())


def test_docs_code_table_matches_the_registry() -> None:
    """The docs page's table lists every lint code with its rule and severity."""
    page = Path(__file__).parent.parent / "docs" / "lint.md"
    rows = re.findall(
        r"^\| (CK4\d\d) \| ([a-z-]+) \| ([a-z]+) \|",
        page.read_text("utf-8"),
        re.MULTILINE,
    )
    assert rows == [
        (code, name, severity.value) for code, (name, severity, _) in LINT_CODES.items()
    ]


@given(testing.terms(), testing.catalogs())
def test_lint_reads_any_terms_against_any_catalog(
    agreed: Terms, catalog: consentkit.Catalog
) -> None:
    """Lint never fails: any terms, any catalog, a report of known codes."""
    report = lint(agreed, catalog)
    for found in report:
        assert found.code in LINT_CODES
        assert (found.rule, found.severity) == LINT_CODES[found.code][:2]
    assert ("CK409" in {f.code for f in report}) == (
        (agreed.catalog, agreed.catalog_version) != (catalog.name, catalog.version)
    )


ENGINE_CODES = {"CK405": "CK110", "CK406": "CK111", "CK407": "CK112"}


@given(st.data())
def test_protocol_findings_agree_with_the_engine(data: st.DataObject) -> None:
    """For generated terms, a step on a grant CK405-CK407 flag gets CK110-CK112."""
    catalog = default_catalog()
    agreed = data.draw(testing.terms(catalog=catalog, max_parties=3))
    if data.draw(st.booleans()):
        kept = [s for s in agreed.protocol.signals if data.draw(st.booleans())]
        agreed = attrs.evolve(
            agreed, protocol=attrs.evolve(agreed.protocol, signals=tuple(kept))
        )
    by_id = {g.id: g for g in agreed.grants}
    flagged = [
        (found.code, by_id[found.refs[0]] if found.refs else agreed.grants[0])
        for found in lint(agreed, catalog)
        if found.code in ENGINE_CODES and (found.refs or agreed.grants)
    ]
    ledger = scene(
        grants=agreed.grants,
        limits=agreed.limits,
        protocol=agreed.protocol,
        parties=agreed.parties,
        window=agreed.window,
        formed=agreed.window.start - timedelta(hours=1),
    )
    for code, grant in flagged:
        other = min(grant.counterparties or agreed.parties - {grant.party})
        actor, recipient = (
            (other, grant.party) if grant.role is Role.RECEIVE else (grant.party, other)
        )
        planned = step(
            grant.activity, at=agreed.window.start, actor=actor, recipient=recipient
        )
        assert ENGINE_CODES[code] in check(planned, ledger).codes
