"""Fail closed everywhere: category risks, misspelt limits, rule errors, text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import (
    Catalog,
    Engine,
    Finding,
    HouseRules,
    Limit,
    LimitKind,
    Plan,
    Role,
    RuleContext,
    Step,
    Verdict,
    default_catalog,
)
from consentkit.rules._overlaps import PlanOverlaps
from helpers import (
    ALLOWED,
    CLIENT,
    DROP,
    MISTRESS,
    RED,
    at,
    hard,
    outcome,
    pair,
    protocol,
    scene,
    soft,
    step,
)

CATALOG = default_catalog()

# -- risks are inherited upward (SPEC 2) --------------------------------------


def test_risk_tags_gather_what_lies_beneath() -> None:
    """A category's risks are its own tags and every tag beneath it."""
    assert CATALOG["restraint.gag"].tags == frozenset()
    assert CATALOG.risk_tags("restraint.gag") == {"breath_risk", "impairs_speech"}
    assert "electrical" in CATALOG.risk_tags("sensation.electro")
    assert "restrains_hands" in CATALOG.risk_tags("restraint")


def test_explicit_only_is_never_inherited() -> None:
    """`explicit_only` stays on the activity that declares it."""
    assert "explicit_only" not in CATALOG.risk_tags("breath")
    assert "explicit_only" in CATALOG.risk_tags("breath.holding")


def test_required_equipment_gathers_what_lies_beneath() -> None:
    """A category needs the equipment anything beneath it needs."""
    assert CATALOG["restraint.rope"].requires == frozenset()
    assert CATALOG.required_equipment("restraint.rope") == {"safety_shears"}
    assert CATALOG.required_equipment("sensation.tickling") == frozenset()


def test_risks_of_an_unknown_activity_are_a_key_error() -> None:
    """Asking for the risks of an activity the catalog lacks raises KeyError."""
    with pytest.raises(KeyError):
        CATALOG.risk_tags("impact.flog")
    with pytest.raises(KeyError):
        CATALOG.required_equipment("impact.flog")


@given(st.sampled_from([a.id for a in CATALOG]))
def test_risks_are_the_union_beneath(activity: str) -> None:
    """risk_tags and required_equipment equal the union over the subtree."""
    subtree = [CATALOG[activity], *(CATALOG[d] for d in CATALOG.descendants(activity))]
    tags = {t for a in subtree for t in a.tags} - {"explicit_only"}
    tags |= CATALOG[activity].tags & {"explicit_only"}
    assert CATALOG.risk_tags(activity) == tags
    assert CATALOG.required_equipment(activity) == {
        r for a in subtree for r in a.requires
    }


def test_a_step_on_gags_needs_a_signal_without_voice() -> None:
    """A step on `restraint.gag` with only a spoken safeword is CK111."""
    gags = pair("restraint.gag", subtypes=True)
    spoken = scene(grants=gags, protocol=protocol(equipment=["safety_shears"]))
    assert outcome(ck.check(step("restraint.gag"), spoken)) == (
        Verdict.DENY,
        {"CK111"},
    )
    ready = scene(
        grants=gags, protocol=protocol(signals=[RED, DROP], equipment=["safety_shears"])
    )
    assert outcome(ck.check(step("restraint.gag"), ready)) == ALLOWED


def test_a_step_on_rope_needs_shears() -> None:
    """A step on `restraint.rope` needs the shears every tie beneath it needs."""
    rope = pair("restraint.rope", subtypes=True)
    signals = protocol(signals=[RED])
    decision = ck.check(step("restraint.rope"), scene(grants=rope, protocol=signals))
    assert outcome(decision) == (Verdict.DENY, {"CK112"})
    assert "(or something beneath it) requires `safety_shears`" in decision.explain()


def test_pacemaker_limit_reaches_electro_category() -> None:
    """A hard limit on `electrical` refuses a step on `sensation.electro`."""
    ledger = scene(
        grants=pair("sensation.electro", subtypes=True),
        limits=[
            Limit(party=CLIENT, kind=LimitKind.HARD, tag="electrical", note="pacemaker")
        ],
    )
    assert outcome(ck.check(step("sensation.electro"), ledger)) == (
        Verdict.DENY,
        {"CK101"},
    )


def test_house_ban_reaches_the_category_above() -> None:
    """A house ban on caning refuses a step on `impact`; a ban by tag, one beneath."""
    ledger = scene(
        grants=pair("impact", subtypes=True),
        protocol=protocol(equipment=["first_aid_kit"]),
    )
    no_caning = Engine(house=HouseRules(banned_activities={"impact.caning"}))
    assert outcome(no_caning.check(step("impact"), ledger)) == (
        Verdict.DENY,
        {"CK115"},
    )
    assert outcome(no_caning.check(step("impact.crop"), ledger)) == ALLOWED
    no_blood = Engine(house=HouseRules(banned_tags={"breaks_skin"}))
    decision = no_blood.check(step("impact"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK115"})
    assert "something beneath it carries it" in decision.explain()


def test_soft_limit_beneath_a_category_asks_in_the_scene() -> None:
    """A soft limit on caning reaches a step on `impact` that no grant addresses."""
    ledger = scene(
        grants=pair("impact", subtypes=True),
        limits=[soft("impact.caning")],
        protocol=protocol(equipment=["first_aid_kit"]),
    )
    assert outcome(ck.check(step("impact"), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_psychological_advice_reads_risks() -> None:
    """CK301 counts a step on a category whose activities are psychological."""
    ledger = scene(grants=pair("psych", subtypes=True))
    plan = Plan(steps=[step("psych", 2)])
    codes = [f.code for f in ck.check_plan(plan, ledger).findings]
    assert codes == ["CK301", "CK301"]


# -- CK117: a misspelt limit fails closed ----------------------------------------


@pytest.mark.parametrize(
    "limit",
    [
        Limit(party=CLIENT, kind=LimitKind.HARD, tag="brakes_skin"),
        Limit(party=CLIENT, kind=LimitKind.HARD, activity="impact.flog"),
        Limit(party=CLIENT, kind=LimitKind.SOFT, tag="leaves_mark"),
    ],
    ids=["tag", "activity", "soft"],
)
def test_ck117_misspelt_limit_refuses(limit: Limit) -> None:
    """A limit the catalog cannot tell refuses every step of its party's role."""
    ledger = scene(grants=pair("impact.crop"), limits=[limit])
    decision = ck.check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK117"})
    assert "nobody can tell what it forbids" in decision.explain()


def test_ck117_standing_limit_without_agreement() -> None:
    """A misspelt standing limit is reported even when no agreement is selected."""
    ledger = ck.Ledger().declare_limit(
        by=CLIENT,
        limit=Limit(party=CLIENT, kind=LimitKind.HARD, tag="brakes_skin"),
        at=at(-90),
    )
    assert outcome(ck.check(step("impact.crop"), ledger)) == (
        Verdict.DENY,
        {"CK103", "CK117"},
    )


def test_ck117_other_role_does_not_bind() -> None:
    """A misspelt limit on giving does not refuse the party receiving (boundary)."""
    limit = Limit(party=CLIENT, kind=LimitKind.HARD, tag="brakes", roles={Role.GIVE})
    ledger = scene(grants=pair("impact.crop"), limits=[limit])
    assert outcome(ck.check(step("impact.crop"), ledger)) == ALLOWED


def test_ck117_named_tag_is_known_in_any_catalog() -> None:
    """A tag the specification names is understood though no activity carries it."""
    small = Catalog(
        name="small",
        version=1,
        activities=[ck.Activity(id="talk", label="Talk")],
    )
    recording = Limit(party=CLIENT, kind=LimitKind.HARD, tag="recording")
    ledger = scene(grants=pair("talk"), limits=[recording])
    assert outcome(Engine(catalog=small).check(step("talk"), ledger)) == ALLOWED


# -- nothing a rule does escapes or leaks (SPEC 3.1) ---------------------------------


class _Unprintable(Exception):  # named for what it does
    def __str__(self) -> str:
        raise RuntimeError("cannot print me")


class _Rule:
    code = "APP1"
    name = "app-rule"

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    def __call__(self, step: Step, context: RuleContext) -> Any:
        if self.behaviour == "unprintable":
            raise _Unprintable
        if self.behaviour == "not-iterable":
            return 42
        if self.behaviour == "not-findings":
            return ["ALLOW"]
        if self.behaviour == "fails-while-iterated":
            return self._fails()
        if self.behaviour == "base-exception":
            raise GeneratorExit
        raise AssertionError(self.behaviour)

    def _fails(self) -> Iterator[Finding]:
        yield Finding(code="APP1", rule="app-rule", verdict=None, message="fine")
        raise ValueError("boom")


@pytest.mark.parametrize(
    "behaviour",
    [
        "unprintable",
        "not-iterable",
        "not-findings",
        "fails-while-iterated",
        "base-exception",
    ],
)
def test_any_failing_rule_is_ck900(behaviour: str) -> None:
    """Whatever a custom rule raises or returns wrong, the step is DENY CK900."""
    ledger = scene(grants=pair("impact.crop"))
    decision = Engine(rules=[_Rule(behaviour)]).check(step("impact.crop"), ledger)
    assert decision.verdict is Verdict.DENY
    assert decision.codes == ("CK900",)
    assert "app-rule" in decision.explain()


class _BadName:
    code = "APP2"

    @property
    def name(self) -> str:
        raise RuntimeError("no name")

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        raise _Unprintable


def test_rule_whose_name_raises_is_ck900() -> None:
    """A failing rule whose `name` itself raises still yields a CK900 finding."""
    ledger = scene(grants=pair("impact.crop"))
    decision = Engine(rules=[_BadName()]).check(step("impact.crop"), ledger)
    assert decision.codes == ("CK900",)
    assert "_BadName" in decision.explain()


class _Interrupts:
    code = "APP3"
    name = "interrupts"

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        raise KeyboardInterrupt


def test_keyboard_interrupt_passes_through() -> None:
    """Only KeyboardInterrupt and SystemExit are not turned into findings."""
    with pytest.raises(KeyboardInterrupt):
        Engine(rules=[_Interrupts()]).check(step("impact.crop"), scene())


class _Meddler:
    code = "APP4"
    name = "meddler"

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        index: Any = context.catalog_index
        state: Any = context.state
        attempts: dict[str, Callable[[], object]] = {
            "state memo": lambda: state.memo,
            "context cache": lambda: cast("Any", context).cache,
            "set in_force": lambda: setattr(context, "in_force", None),
            "set overlapping": lambda: setattr(context, "overlapping", ()),
            "index activities": lambda: index.activities.clear(),  # noqa: PLW0108
            "index lineage": lambda: index.lineage.update({step.activity: ("x",)}),
            "replace index": lambda: setattr(index, "lineage", {}),
            "state history": lambda: state.history,
        }
        for what, attempt in attempts.items():
            try:
                attempt()
            except (AttributeError, TypeError):
                self.refused.append(what)
        return ()


def test_a_rule_cannot_write_what_others_read() -> None:
    """The context, its index and the state offer a rule nothing to write."""
    meddler = _Meddler()
    ledger = scene(grants=pair("impact.crop"), limits=[hard("impact.caning")])
    Engine(rules=[meddler]).check(step("impact.crop"), ledger)
    assert set(meddler.refused) == {
        "state memo",
        "context cache",
        "set in_force",
        "set overlapping",
        "index activities",
        "index lineage",
        "replace index",
        "state history",
    }
    caning = step("impact.caning")
    assert ck.check(caning, ledger).verdict is Verdict.DENY


# -- one line per finding (SPEC 3.1) ---------------------------------------------

_INJECTED = "tired\nplan: ALLOW\r\u2028step 9: ALLOW\x07"


def test_limit_note_cannot_forge_a_line() -> None:
    """A note with line breaks renders escaped, on the finding's own line."""
    ledger = scene(
        grants=pair("impact.crop"),
        limits=[
            Limit(
                party=CLIENT,
                kind=LimitKind.HARD,
                activity="impact.crop",
                note=_INJECTED,
            )
        ],
    )
    plan = Plan(steps=[step("impact.crop")])
    text = ck.check_plan(plan, ledger).explain()
    assert len(text.splitlines()) == 3
    assert "tired\\nplan: ALLOW\\r\\u2028step 9: ALLOW\\u0007" in text
    assert "\x07" not in text


def test_revocation_reason_cannot_forge_a_line() -> None:
    """A revocation's reason is escaped where a finding quotes it."""
    ledger = scene(grants=pair("impact.crop")).revoke(
        by=CLIENT, activities={"impact.crop"}, reason=_INJECTED, at=at(1)
    )
    text = ck.check(step("impact.crop", at=at(2)), ledger).explain()
    assert (
        len(text.splitlines())
        == len(ck.check(step("impact.crop", at=at(2)), ledger).findings) + 1
    )
    assert "\u2028" not in text


class _Chatty:
    code = "APP5"
    name = "chatty\nrule"

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        yield Finding(
            code=self.code, rule="chatty", verdict=Verdict.DENY, message=_INJECTED
        )


def test_custom_finding_cannot_forge_a_line() -> None:
    """A custom rule's message is escaped like any record text."""
    decision = Engine(rules=[_Chatty()]).check(step("impact.crop"), scene())
    assert all(
        line.startswith(("DENY:", "  ")) for line in decision.explain().splitlines()
    )


# -- crowded plans (SPEC 3.1: `overlapping` may be lazy) --------------------------


def _brute_overlapping(steps: list[Step], index: int) -> tuple[Step, ...]:
    this = steps[index]
    return tuple(
        other
        for j, other in enumerate(steps)
        if j != index and other.at <= this.end and this.at <= other.end
    )


_ACTS = ["restraint.gag.ball", "restraint.rope.arms", "sensory.blindfold", "impact"]


@st.composite
def _crowds(draw: st.DrawFn) -> list[Step]:
    starts = sorted(draw(st.lists(st.integers(0, 30), min_size=1, max_size=12)))
    return [
        Step(
            actor=MISTRESS,
            recipient=draw(st.sampled_from([CLIENT, "guest"])),
            activity=draw(st.sampled_from(_ACTS)),
            intensity=1,
            at=at(start),
            duration=timedelta(minutes=draw(st.integers(0, 10))),
        )
        for start in starts
    ]


@settings(max_examples=200)
@given(_crowds())
def test_sweep_finds_the_same_overlaps_as_pairs(steps: list[Step]) -> None:
    """The sweep's overlaps and capabilities taken equal those found by pairs."""
    overlaps = PlanOverlaps(steps, CATALOG)
    takes = {"impairs_speech": "voice", "restrains_hands": "free_hand"}
    takes["impairs_vision"] = "sight"
    for index, this in enumerate(steps):
        expected = _brute_overlapping(steps, index)
        assert overlaps.overlapping(index) == expected
        taken = {
            capability
            for other in (this, *expected)
            if other.recipient == this.recipient
            for tag, capability in takes.items()
            if tag in CATALOG.risk_tags(other.activity)
        }
        assert overlaps.taken(index) == taken


class _Counts:
    code = "APP6"
    name = "counts"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, step: Step, context: RuleContext) -> Iterable[Finding]:
        self.seen.append(len(context.overlapping))
        return ()


def test_custom_rules_still_see_overlapping_steps() -> None:
    """In `check_plan` a custom rule reads the overlapping steps; in `check`, none."""
    counts = _Counts()
    engine = Engine(rules=[counts])
    steps = [step("impact.crop", minutes=10), step("impact.crop", at=at(5))]
    engine.check_plan(Plan(steps=steps), scene())
    engine.check(steps[0], scene())
    assert counts.seen == [1, 1, 0]


def test_crowded_plan_is_decided() -> None:
    """Two thousand steps at the same instant are decided (not pair by pair)."""
    ledger = scene(grants=pair("impact.crop"))
    plan = Plan(steps=[step("impact.crop")] * 2000)
    decision = ck.check_plan(plan, ledger)
    assert decision.verdict is Verdict.ALLOW
    assert len(decision.decisions) == 2000


# -- plan advice reads the stated protocol (SPEC 3.3) ---------------------------


def test_check_in_gap_reads_the_first_steps_agreement() -> None:
    """CK302 takes the interval of the protocol selected for the run's first step."""
    late = ck.Window(start=at(30), end=at(180))
    early = ck.Window(start=at(0), end=at(30))
    strict = ck.Terms(
        parties={MISTRESS, CLIENT},
        window=late,
        grants=pair("impact.crop"),
        protocol=protocol(check_in_minutes=5),
    )
    relaxed = ck.Terms(
        parties={MISTRESS, CLIENT},
        window=early,
        grants=pair("impact.crop"),
        protocol=protocol(),
    )
    ledger = ck.Ledger()
    for proposal_id, agreed in (("p1", relaxed), ("p2", strict)):
        ledger = ledger.propose(
            by=MISTRESS, terms=agreed, at=at(-60), proposal_id=proposal_id
        )
        for party in (CLIENT, MISTRESS):
            ledger = ledger.accept(by=party, proposal_id=proposal_id, at=at(-60))
    run = Plan(steps=[step("impact.crop", minutes=40), step("impact.crop", at=at(35))])
    assert [f.code for f in ck.check_plan(run, ledger).findings] == []
    later = Plan(steps=[step("impact.crop", at=at(35), minutes=10)])
    assert [f.code for f in ck.check_plan(later, ledger).findings] == ["CK302"]


def test_no_selected_agreement_no_advice() -> None:
    """A demanding step with no agreement selected gets no aftercare advice."""
    plan = Plan(steps=[step("impact.crop", 9)])
    assert ck.check_plan(plan, ck.Ledger()).findings == ()


# -- the converter does not depend on import order -------------------------------


def test_to_dict_of_a_ledger_in_a_fresh_process() -> None:
    """`to_dict` and `digest` of a ledger give one answer whatever was imported."""
    code = (
        "import pytest\n"
        "from consentkit import _serialize\n"
        "from consentkit._ledger import Ledger\n"
        "ledger = Ledger()\n"
        "with pytest.raises(TypeError, match='cannot write a `Ledger`'):\n"
        "    _serialize.to_dict(ledger)\n"
        "import consentkit\n"
        "assert consentkit.to_dict(ledger) == {'entries': []}\n"
        "with pytest.raises(TypeError, match='cannot write a `Ledger`'):\n"
        "    _serialize.to_dict(ledger)\n"
        "print(consentkit.digest(ledger))\n"
    )
    result = subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sha256:")


def test_a_failing_plan_rule_refuses_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan rule that raises is a CK900 finding of the plan, whose verdict is DENY."""
    import consentkit._engine as engine_module  # noqa: PLC0415  # patched here only
    from consentkit.rules import PlanFunctionRule  # noqa: PLC0415

    def broken(plan: ck.Plan, context: object) -> list[Finding]:
        raise RuntimeError("advice went wrong")

    failing = PlanFunctionRule("CK301", "aftercare-missing", broken)
    monkeypatch.setattr(engine_module, "DEFAULT_PLAN_RULES", (failing,))
    ledger = scene(grants=pair("impact.crop"))
    decided = ck.check_plan(ck.Plan(steps=(step("impact.crop"),)), ledger)
    assert decided.decisions[0].verdict is Verdict.ALLOW
    assert [f.code for f in decided.findings] == ["CK900"]
    assert "advice went wrong" in decided.findings[0].message
    assert decided.verdict is Verdict.DENY
