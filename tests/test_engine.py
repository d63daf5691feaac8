# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The engine (SPEC 3, 3.1): running rules, combining, custom rules, CK900, the docs."""

from __future__ import annotations

import doctest
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from consentkit import (
    DEFAULT_RULES,
    Engine,
    Finding,
    Plan,
    RuleContext,
    Step,
    Verdict,
    check,
    check_plan,
    default_catalog,
)
from consentkit.rules import CODES
from helpers import (
    ALLOWED,
    at,
    outcome,
    pair,
    receives,
    scene,
    soft,
    step,
)

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "decisions-engine.md"
PLAN_CODES = frozenset({"CK301", "CK302"})


class Raising:
    """A custom rule that fails."""

    code, name = "STUDIO1", "studio-hours"

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Fail."""
        raise RuntimeError("opening hours not loaded")


class Flagging:
    """A custom rule that always adds one finding with the given verdict."""

    name = "flag"

    def __init__(
        self, code: str = "STUDIO2", verdict: Verdict | None = Verdict.RENEGOTIATE
    ) -> None:
        self.code = code
        self.verdict = verdict

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Flag every step."""
        return [
            Finding(
                code=self.code,
                rule=self.name,
                verdict=self.verdict,
                message="ask the front desk",
                refs=("desk",),
            )
        ]


class Silent:
    """A custom rule that never finds anything."""

    code, name = "STUDIO3", "silent"

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Find nothing."""
        return ()


class Recording:
    """A custom rule that records the contexts it is given."""

    code, name = "STUDIO4", "recording"

    def __init__(self) -> None:
        self.seen: list[tuple[Step, RuleContext]] = []

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        """Record and find nothing."""
        self.seen.append((step, context))
        return ()


# -- combining ------------------------------------------------------------


def test_default_rules_cover_each_step_code_once() -> None:
    """The built-in step rules are one per code, in code order, named as registered."""
    codes = [rule.code for rule in DEFAULT_RULES]
    assert codes == sorted(set(CODES) - PLAN_CODES - {"CK900"})
    for rule in DEFAULT_RULES:
        assert rule.name == CODES[rule.code][0]


def test_allow_needs_no_finding_and_carries_its_basis() -> None:
    """An ALLOW has no finding at all and names the grants it rests on."""
    decision = check(step("impact.crop"), scene(grants=pair("impact.crop")))
    assert decision.allowed
    assert decision.findings == ()
    assert decision.basis == ("client-receive-impact.crop", "mistress-give-impact.crop")


def test_most_severe_finding_sets_the_verdict() -> None:
    """DENY outweighs RENEGOTIATE; every finding is still reported."""
    ledger = scene(
        grants=pair("impact", cap=4, subtypes=True), limits=[soft("impact.crop")]
    ).signal(by="client", cue="yellow", at=at(5))
    decision = check(step("impact.crop", 5, at=at(5)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK106", "CK201", "CK202"})
    assert decision.basis == ()


def test_findings_are_sorted_by_code() -> None:
    """Findings come sorted by code, whatever order the rules ran in."""
    engine = Engine(rules=[Flagging("AAA1", Verdict.DENY)])
    ledger = scene(
        grants=pair("impact", cap=4, subtypes=True), limits=[soft("impact.crop")]
    )
    decision = engine.check(step("impact.crop", 5), ledger)
    assert decision.codes == ("AAA1", "CK106", "CK201")


def test_renegotiate_has_no_basis() -> None:
    """A RENEGOTIATE is not an ALLOW: it carries no basis."""
    decision = check(
        step("impact.crop"),
        scene(grants=pair("impact", subtypes=True), limits=[soft("impact.crop")]),
    )
    assert decision.verdict is Verdict.RENEGOTIATE
    assert not decision.allowed
    assert decision.basis == ()


def test_module_check_uses_a_default_engine() -> None:
    """`consentkit.check` answers as a default `Engine()` does."""
    ledger = scene(grants=pair("impact.crop", cap=3))
    for intensity in (3, 4):
        s = step("impact.crop", intensity)
        assert check(s, ledger) == Engine().check(s, ledger)


def test_check_plan_decides_each_step_at_its_own_time() -> None:
    """Each step of a plan is checked against the state at its own time."""
    ledger = scene(grants=pair("impact.crop")).signal(by="client", cue="red", at=at(30))
    plan = Plan(steps=(step("impact.crop", at=at(20)), step("impact.crop", at=at(40))))
    result = check_plan(plan, ledger)
    assert [outcome(d) for d in result.decisions] == [
        ALLOWED,
        (Verdict.DENY, {"CK108"}),
    ]
    assert result.verdict is Verdict.DENY
    assert not result.allowed


def test_check_plan_verdict_is_the_worst_step() -> None:
    """A plan's verdict is its worst step's; RENEGOTIATE beats ALLOW."""
    ledger = scene(grants=pair("impact", subtypes=True), limits=[soft("impact.crop")])
    plan = Plan(steps=(step("impact.spanking.hand"), step("impact.crop", at=at(5))))
    result = check_plan(plan, ledger)
    assert result.verdict is Verdict.RENEGOTIATE


# -- custom rules and CK900 ----------------------------------------------


def test_ck900_raising_rule_denies_naming_it() -> None:
    """A custom rule that raises turns an ALLOW into DENY with CK900 naming it."""
    ledger = scene(grants=pair("impact.crop"))
    decision = Engine(rules=[Raising()]).check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK900"})
    finding = decision.findings[0]
    assert finding.rule == "rule-error"
    assert "`studio-hours` (STUDIO1)" in finding.message
    assert "RuntimeError: opening hours not loaded" in finding.message
    assert decision.basis == ()


def test_ck900_raising_while_iterating_denies() -> None:
    """A rule whose findings fail while being read is a CK900 too."""

    class Lazy:
        code, name = "STUDIO5", "lazy"

        def __call__(self, step: Step, context: RuleContext) -> Iterator[Finding]:
            yield from ()
            raise KeyError(step.activity)

    decision = Engine(rules=[Lazy()]).check(
        step("impact.crop"), scene(grants=pair("impact.crop"))
    )
    assert outcome(decision) == (Verdict.DENY, {"CK900"})
    assert "`lazy` (STUDIO5)" in decision.findings[0].message


def test_ck900_non_finding_result_denies() -> None:
    """A custom rule returning something that is not a finding is CK900."""

    class Sloppy:
        code, name = "STUDIO6", "sloppy"

        def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
            return ["fine by me"]  # type: ignore[list-item]  # wrong on purpose

    decision = Engine(rules=[Sloppy()]).check(
        step("impact.crop"), scene(grants=pair("impact.crop"))
    )
    assert outcome(decision) == (Verdict.DENY, {"CK900"})
    assert "`sloppy` (STUDIO6)" in decision.findings[0].message


def test_ck900_non_iterable_result_denies() -> None:
    """A custom rule returning None instead of findings is CK900."""

    class Forgetful:
        code, name = "STUDIO7", "forgetful"

        def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
            return None  # type: ignore[return-value]  # wrong on purpose

    decision = Engine(rules=[Forgetful()]).check(
        step("impact.crop"), scene(grants=pair("impact.crop"))
    )
    assert outcome(decision) == (Verdict.DENY, {"CK900"})


def test_ck900_in_a_plan_denies_every_step() -> None:
    """In `check_plan`, a raising rule makes every step DENY with CK900."""
    ledger = scene(grants=pair("impact.crop"))
    plan = Plan(steps=(step("impact.crop"), step("impact.crop", at=at(5))))
    result = Engine(rules=[Raising()]).check_plan(plan, ledger)
    assert result.verdict is Verdict.DENY
    assert [outcome(d) for d in result.decisions] == [(Verdict.DENY, {"CK900"})] * 2


def test_ck900_silent_custom_rule_changes_nothing() -> None:
    """A custom rule that finds nothing leaves the ALLOW and its basis (boundary)."""
    ledger = scene(grants=pair("impact.crop"))
    decision = Engine(rules=[Silent()]).check(step("impact.crop"), ledger)
    assert outcome(decision) == ALLOWED
    assert decision.basis == check(step("impact.crop"), ledger).basis


@pytest.mark.parametrize("code", sorted(CODES))
def test_ck900_custom_rule_reusing_a_builtin_code_is_refused(code: str) -> None:
    """A custom rule under a built-in code raises ValueError at construction."""
    with pytest.raises(ValueError, match=code):
        Engine(rules=[Flagging(code)])


def test_custom_rule_without_a_code_is_refused() -> None:
    """Something that is not a rule is refused at construction."""
    with pytest.raises(TypeError):
        Engine(rules=[object()])  # type: ignore[list-item]  # wrong on purpose


def test_custom_rule_finding_shows_up_and_counts() -> None:
    """A custom rule's finding is reported and its verdict combines with the rest."""
    ledger = scene(grants=pair("impact.crop"))
    decision = Engine(rules=[Flagging()]).check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.RENEGOTIATE, {"STUDIO2"})
    assert decision.findings[0].refs == ("desk",)
    assert decision.basis == ()


def test_custom_rule_adds_but_never_removes() -> None:
    """Custom rules run after the built-in ones, which always run."""
    ledger = scene(grants=[])
    decision = Engine(rules=[Flagging(verdict=Verdict.RENEGOTIATE)]).check(
        step("impact.crop"), ledger
    )
    assert outcome(decision) == (Verdict.DENY, {"CK105", "STUDIO2"})


def test_custom_advice_finding_changes_no_verdict() -> None:
    """A custom finding with verdict None is reported and leaves the ALLOW."""
    ledger = scene(grants=pair("impact.crop"))
    decision = Engine(rules=[Flagging(verdict=None)]).check(step("impact.crop"), ledger)
    assert decision.verdict is Verdict.ALLOW
    assert decision.codes == ("STUDIO2",)


def test_rule_context_in_check() -> None:
    """A rule sees the state at the step's time, the selected agreement, the catalog."""
    recording = Recording()
    ledger = scene(grants=pair("impact.crop"))
    Engine(rules=[recording]).check(step("impact.crop", at=at(10)), ledger)
    [(seen, context)] = recording.seen
    assert seen == step("impact.crop", at=at(10))
    assert context.state.at == at(10)
    assert context.agreement is not None
    assert context.agreement.proposal_id == "p1"
    assert context.catalog == default_catalog()
    assert context.overlapping == ()


def test_rule_context_in_check_plan_lists_overlapping_steps() -> None:
    """In `check_plan`, a rule sees the plan's other steps overlapping this one."""
    recording = Recording()
    ledger = scene(grants=[*pair("impact.crop"), receives("sensation.tickling")])
    first = step("impact.crop", minutes=10)
    second = step("sensation.tickling", at=at(5), minutes=10)
    third = step("impact.crop", at=at(30))
    Engine(rules=[recording]).check_plan(Plan(steps=(first, second, third)), ledger)
    overlapping = {s: c.overlapping for s, c in recording.seen}
    assert overlapping == {first: (second,), second: (first,), third: ()}


def test_rule_context_without_agreement() -> None:
    """With no agreement selected, a rule sees `agreement` None."""
    recording = Recording()
    Engine(rules=[recording]).check(step("impact.crop", at=at(-30)), scene())
    assert recording.seen[0][1].agreement is None


# -- the docs page ----------------------------------------------------------


def _doc_blocks() -> list[tuple[int, str]]:
    """Each ```python block of the page holding `>>>`, with its fence line number."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    blocks: list[tuple[int, str]] = []
    for match in re.finditer(
        r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE
    ):
        if ">>>" in match.group(1):
            lineno = text.count("\n", 0, match.start(1))
            blocks.append((lineno, match.group(1)))
    return blocks


def test_docs_examples_run() -> None:
    """Every `>>>` example of the decisions page runs and prints what the page shows."""
    blocks = _doc_blocks()
    assert len(blocks) >= len(CODES)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner()
    report: list[str] = []
    globs: dict[str, object] = {"__name__": "decisions_engine_page"}
    for lineno, source in blocks:
        test = parser.get_doctest(
            source, globs, f"decisions-engine.md:{lineno}", str(DOCS_PAGE), lineno
        )
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs  # later blocks build on earlier ones
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0, "".join(report)


def test_docs_rule_table_matches_the_registry() -> None:
    """The page's rule table lists every code with its registered name and verdict."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (CK\d{3}) \| ([a-z-]+) \| ([A-Za-z]+) \| (.+) \|$",
        text,
        flags=re.MULTILINE,
    )
    table = {code: (name, verdict) for code, name, verdict, _ in rows}
    assert len(rows) == len(table), "a code appears twice in the table"
    expected = {
        code: (name, "advice" if verdict is None else verdict.name)
        for code, (name, verdict, _) in CODES.items()
    }
    assert table == expected


def test_docs_have_a_worked_example_per_code() -> None:
    """Each code has its own section on the page, with at least one example."""
    text = DOCS_PAGE.read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    by_code = {section.split()[0]: section for section in sections}
    for code, (name, _, _) in CODES.items():
        assert code in by_code, f"no section for {code}"
        section = by_code[code]
        assert section.split("\n", 1)[0] == f"{code} {name}"
        assert "```python\n>>>" in section, f"no example for {code}"
