# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Limits, the catalog and the house (SPEC 3.3): CK100, CK101, CK115, CK201."""

from __future__ import annotations

from consentkit import (
    Activity,
    Catalog,
    Engine,
    Finding,
    HouseRules,
    LimitKind,
    Role,
    RuleContext,
    Step,
    Verdict,
    check,
    digest,
)
from helpers import (
    ALLOWED,
    CLIENT,
    MISTRESS,
    agree,
    at,
    gives,
    hard,
    outcome,
    pair,
    protocol,
    receives,
    scene,
    soft,
    step,
    terms,
    witnesses,
)

# -- CK100 unknown-activity ----------------------------------------------


def test_ck100_unknown_activity_denies_alone() -> None:
    """An activity the catalog lacks is DENY with CK100 and no other built-in code."""
    ledger = scene(grants=pair("impact", subtypes=True), limits=[hard("impact")])
    decision = check(step("impact.mystery"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK100"})
    assert decision.basis == ()


def test_ck100_unknown_activity_without_agreement_is_still_alone() -> None:
    """CK100 stands alone even when no agreement exists (no CK103 beside it)."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.mystery", at=at(-600)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK100"})


def test_ck100_known_activity_of_an_own_catalog_is_judged() -> None:
    """The engine reads activities from its own catalog, not the default one."""
    catalog = Catalog(
        name="studio",
        version=3,
        activities=(
            Activity(id="rope", label="Rope"),
            Activity(id="rope.hojojutsu", label="Hojojutsu"),
        ),
    )
    engine = Engine(catalog=catalog)
    ledger = scene(grants=pair("rope.hojojutsu"))
    assert outcome(engine.check(step("rope.hojojutsu"), ledger)) == ALLOWED
    assert outcome(engine.check(step("impact.crop"), ledger)) == (
        Verdict.DENY,
        {"CK100"},
    )


def test_ck100_custom_rules_still_run_on_unknown_activity() -> None:
    """A custom rule still runs beside CK100 and its finding is kept."""

    class Flag:
        code, name = "X1", "flag"

        def __call__(self, step: Step, context: RuleContext) -> list[Finding]:
            return [
                Finding(
                    code=self.code,
                    rule=self.name,
                    verdict=Verdict.RENEGOTIATE,
                    message="flagged",
                )
            ]

    engine = Engine(rules=[Flag()])
    decision = engine.check(step("impact.mystery"), scene(grants=pair("impact.crop")))
    assert outcome(decision) == (Verdict.DENY, {"CK100", "X1"})


# -- CK101 hard-limit -----------------------------------------------------


def test_ck101_standing_hard_limit_by_subtree_denies() -> None:
    """A standing hard limit on a category denies an activity beneath it."""
    limit = hard("impact")
    ledger = scene(grants=pair("impact.crop")).declare_limit(
        by=CLIENT, limit=limit, at=at(-30)
    )
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101"})
    assert decision.findings[0].message == (
        "client has a hard limit on `impact` (covers `impact.crop`) in role "
        "receive, declared 2026-03-06T19:30:00Z"
    )
    assert decision.findings[0].refs == (digest(limit),)


def test_ck101_hard_limit_in_the_terms_denies_and_refers_to_the_proposal() -> None:
    """A hard limit written into the terms denies and refers to its proposal."""
    ledger = scene(grants=pair("impact.crop"), limits=[hard("impact.crop")])
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101"})
    assert decision.findings[0].refs == ("p1",)


def test_ck101_hard_limit_by_tag_denies() -> None:
    """A hard limit on a tag denies every activity carrying it."""
    ledger = scene(grants=pair("impact.crop"), limits=[hard(tag="leaves_marks")])
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK101"})


def test_ck101_hard_limit_of_the_giver_denies() -> None:
    """The actor's own hard limit binds them in the GIVE role."""
    limit = hard("impact", party=MISTRESS)
    ledger = scene(grants=pair("impact.crop"), limits=[limit])
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK101"})


def test_ck101_hard_limit_overrides_a_grant_naming_the_activity() -> None:
    """No grant overrides a hard limit, not even one naming the activity exactly."""
    ledger = scene(
        grants=[receives("impact.crop", cap=10), gives("impact.crop")],
        limits=[hard("impact")],
    )
    assert check(step("impact.crop"), ledger).verdict is Verdict.DENY


def test_ck101_sibling_activity_is_not_covered() -> None:
    """A hard limit on one subtree leaves its sibling allowed (boundary)."""
    ledger = scene(grants=pair("impact.crop"), limits=[hard("impact.spanking")])
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck101_tag_not_carried_is_not_covered() -> None:
    """A tag limit leaves activities without the tag, in or beneath them, allowed."""
    ledger = scene(grants=pair("sensation.tickling"), limits=[hard(tag="leaves_marks")])
    assert outcome(check(step("sensation.tickling"), ledger)) == ALLOWED


def test_ck101_tag_carried_beneath_a_category_reaches_it() -> None:
    """A step on a category is refused when anything beneath it carries the tag."""
    ledger = scene(grants=pair("impact.spanking"), limits=[hard(tag="leaves_marks")])
    decision = check(step("impact.spanking"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101"})
    assert "something beneath `impact.spanking` carries it" in decision.explain()


def test_ck101_activity_limit_reaches_the_category_above() -> None:
    """A hard limit on caning refuses a step on `impact`, which may be caning."""
    ledger = scene(
        grants=pair("impact", subtypes=True),
        limits=[hard("impact.caning")],
        protocol=protocol(equipment=["first_aid_kit"]),
    )
    decision = check(step("impact"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101"})
    assert "may turn out to be `impact.caning`" in decision.explain()
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck101_limit_in_another_role_does_not_bind() -> None:
    """A hard limit on giving does not stop the same party receiving (boundary)."""
    limit = hard("impact", roles=[Role.GIVE])
    ledger = scene(grants=pair("impact.crop"), limits=[limit])
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck101_witness_role_limit_binds_a_present_party() -> None:
    """A hard limit on witnessing binds a party present in the step."""
    guest = "guest"
    parties = (MISTRESS, CLIENT, guest)
    grants = [*pair("impact.crop"), witnesses("impact.crop", party=guest)]
    s = step("impact.crop", present=[guest])
    assert outcome(check(s, scene(grants=grants, parties=parties))) == ALLOWED
    limited = scene(
        grants=grants,
        parties=parties,
        limits=[hard("impact", party=guest, roles=[Role.WITNESS])],
    )
    assert outcome(check(s, limited)) == (Verdict.DENY, {"CK101"})


def test_ck101_director_takes_no_role() -> None:
    """A director's hard limit in GIVE or RECEIVE does not bind the step they call."""
    boss = "boss"
    ledger = scene(
        grants=pair("impact.crop"),
        parties=(MISTRESS, CLIENT, boss),
        limits=[hard("impact", party=boss)],
    )
    assert outcome(check(step("impact.crop", directed_by=boss), ledger)) == ALLOWED


def test_ck101_standing_limit_binds_without_an_agreement() -> None:
    """A standing hard limit is reported beside CK103 when no agreement applies."""
    ledger = scene(grants=pair("impact.crop")).declare_limit(
        by=CLIENT, limit=hard("impact"), at=at(-30)
    )
    decision = check(step("impact.crop", at=at(600)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101", "CK103"})


def test_ck101_limit_declared_after_the_step_does_not_apply() -> None:
    """A standing limit declared after the step's time does not reach back."""
    ledger = scene(grants=pair("impact.crop")).declare_limit(
        by=CLIENT, limit=hard("impact"), at=at(30)
    )
    assert outcome(check(step("impact.crop", at=at(29)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == (
        Verdict.DENY,
        {"CK101"},
    )


def test_ck101_lift_does_not_free_an_agreement_formed_before_it() -> None:
    """A lifted hard limit still binds an agreement formed before the lift."""
    ledger = (
        scene(grants=pair("impact.crop"), formed=at(-60))
        .declare_limit(by=CLIENT, limit=hard("impact"), at=at(-50))
        .lift_limit(by=CLIENT, kind=LimitKind.HARD, activity="impact", at=at(-20))
    )
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK101"})


def test_ck101_lift_frees_an_agreement_formed_after_it() -> None:
    """A lifted hard limit no longer binds an agreement formed after the lift."""
    declared = (
        scene(grants=[])
        .declare_limit(by=CLIENT, limit=hard("impact"), at=at(-50))
        .lift_limit(by=CLIENT, kind=LimitKind.HARD, activity="impact", at=at(-40))
    )
    ledger = agree(declared, terms(grants=pair("impact.crop")), at=at(-30))
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck101_lift_by_tag_frees_only_the_tag_limit() -> None:
    """Lifting a tag limit leaves a limit on an activity of that tag standing."""
    declared = (
        scene(grants=[])
        .declare_limit(by=CLIENT, limit=hard(tag="leaves_marks"), at=at(-50))
        .declare_limit(by=CLIENT, limit=hard("impact.crop"), at=at(-50))
        .lift_limit(by=CLIENT, kind=LimitKind.HARD, tag="leaves_marks", at=at(-40))
    )
    ledger = agree(
        declared,
        terms(grants=[*pair("impact.crop"), *pair("impact.spanking.hand")]),
        at=at(-30),
    )
    assert outcome(check(step("impact.spanking.hand"), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK101"})


# -- CK115 house-rule -----------------------------------------------------


def test_ck115_house_bans_a_subtree() -> None:
    """A house ban on a category denies an activity beneath it, whatever was agreed."""
    engine = Engine(house=HouseRules(banned_activities=frozenset({"impact"})))
    ledger = scene(grants=pair("impact.crop"))
    assert outcome(engine.check(step("impact.crop"), ledger)) == (
        Verdict.DENY,
        {"CK115"},
    )


def test_ck115_house_ban_on_a_tag_alone() -> None:
    """A house ban on `leaves_marks` denies the crop with CK115 only."""
    engine = Engine(house=HouseRules(banned_tags=frozenset({"leaves_marks"})))
    ledger = scene(grants=pair("impact.crop"))
    assert outcome(engine.check(step("impact.crop"), ledger)) == (
        Verdict.DENY,
        {"CK115"},
    )


def test_ck115_house_leaves_sibling_and_untagged_activities() -> None:
    """House bans reach only their subtree and their tags (boundary)."""
    engine = Engine(
        house=HouseRules(
            banned_activities=frozenset({"impact.spanking"}),
            banned_tags=frozenset({"electrical"}),
        )
    )
    ledger = scene(grants=pair("impact.crop"))
    assert outcome(engine.check(step("impact.crop"), ledger)) == ALLOWED


def test_ck115_house_binds_without_an_agreement() -> None:
    """House rules bind even when no agreement applies (beside CK103)."""
    engine = Engine(house=HouseRules(banned_activities=frozenset({"impact"})))
    ledger = scene(grants=pair("impact.crop"))
    decision = engine.check(step("impact.crop", at=at(600)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK103", "CK115"})


# -- CK201 soft-limit -----------------------------------------------------


def test_ck201_soft_limit_unaddressed_is_renegotiate() -> None:
    """A soft limit on the activity, granted only through a parent, is RENEGOTIATE."""
    ledger = scene(grants=pair("impact", subtypes=True), limits=[soft("impact.crop")])
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.RENEGOTIATE, {"CK201"})
    assert decision.basis == ()


def test_ck201_grant_naming_the_limit_activity_addresses_it() -> None:
    """A candidate grant naming the soft limit's activity addresses it."""
    ledger = scene(
        grants=[receives("impact", subtypes=True), gives("impact", subtypes=True)],
        limits=[soft("impact")],
    )
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck201_grant_naming_something_beneath_the_limit_addresses_it() -> None:
    """A grant naming an activity beneath the soft limit's activity addresses it."""
    ledger = scene(grants=pair("impact.crop"), limits=[soft("impact")])
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck201_tag_limit_is_addressed_only_by_naming_the_activity() -> None:
    """A soft tag limit is addressed by a grant naming the step's activity exactly."""
    limit = soft(tag="leaves_marks")
    broad = scene(grants=pair("impact", subtypes=True), limits=[limit])
    assert outcome(check(step("impact.crop"), broad)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )
    exact = scene(
        grants=[receives("impact.crop"), gives("impact", subtypes=True)],
        limits=[limit],
    )
    assert outcome(check(step("impact.crop"), exact)) == ALLOWED


def test_ck201_confirmation_in_the_scene_addresses_it() -> None:
    """A counted `Confirmed` covering the activity turns CK201 into ALLOW."""
    ledger = scene(
        grants=pair("impact", subtypes=True), limits=[soft("impact.crop")]
    ).confirm(by=CLIENT, activity="impact.crop", at=at(5))
    assert outcome(check(step("impact.crop", at=at(5)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", at=at(4)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_ck201_confirmation_before_the_agreement_does_not_count() -> None:
    """A confirmation given before the agreement formed does not address the limit."""
    ledger = scene(grants=[]).confirm(by=CLIENT, activity="impact.crop", at=at(-50))
    ledger = agree(
        ledger,
        terms(grants=pair("impact", subtypes=True), limits=[soft("impact.crop")]),
        at=at(-40),
    )
    assert outcome(check(step("impact.crop"), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_ck201_confirmation_while_impaired_does_not_count() -> None:
    """A confirmation given while declared impaired is void."""
    ledger = (
        scene(grants=pair("impact", subtypes=True), limits=[soft("impact.crop")])
        .declare_impaired(by=MISTRESS, party=CLIENT, at=at(1))
        .confirm(by=CLIENT, activity="impact.crop", at=at(2))
        .clear_impaired(by=MISTRESS, party=CLIENT, at=at(3))
    )
    assert outcome(check(step("impact.crop", at=at(4)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_ck201_confirmation_by_the_other_party_does_not_count() -> None:
    """Only the limit's own party can address it by confirming."""
    ledger = scene(
        grants=pair("impact", subtypes=True), limits=[soft("impact.crop")]
    ).confirm(by=MISTRESS, activity="impact.crop", at=at(1))
    assert outcome(check(step("impact.crop", at=at(2)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_ck201_standing_soft_limit_applies() -> None:
    """A standing soft limit declared in the scene applies at once."""
    ledger = scene(grants=pair("impact", subtypes=True)).declare_limit(
        by=CLIENT, limit=soft("impact.crop"), at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(9)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_ck201_soft_limit_of_the_giver() -> None:
    """The actor's soft limit in GIVE needs addressing too."""
    ledger = scene(
        grants=[receives("impact.crop"), gives("impact", subtypes=True)],
        limits=[soft("impact.crop", party=MISTRESS)],
    )
    assert outcome(check(step("impact.crop"), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )


def test_ck201_deny_outweighs_renegotiate() -> None:
    """A soft limit beside a cap exceeded gives DENY, both codes reported."""
    ledger = scene(
        grants=[
            receives("impact", cap=3, subtypes=True),
            gives("impact", subtypes=True),
        ],
        limits=[soft("impact.crop")],
    )
    assert outcome(check(step("impact.crop", 4), ledger)) == (
        Verdict.DENY,
        {"CK106", "CK201"},
    )


def test_ck101_standing_limit_lifted_before_the_step_without_agreement() -> None:
    """With no agreement, every lift up to the step counts: CK103 alone."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .declare_limit(by=CLIENT, limit=hard("impact"), at=at(-50))
        .lift_limit(by=CLIENT, kind=LimitKind.HARD, activity="impact", at=at(-40))
    )
    assert outcome(check(step("impact.crop", at=at(600)), ledger)) == (
        Verdict.DENY,
        {"CK103"},
    )


def test_ck101_standing_limit_beside_a_stop() -> None:
    """A standing hard limit is reported beside CK108; the terms' own limits are not."""
    ledger = (
        scene(grants=pair("impact.crop"), limits=[hard("impact.crop", party=MISTRESS)])
        .declare_limit(by=CLIENT, limit=hard("impact"), at=at(-50))
        .signal(by=CLIENT, cue="red", at=at(10))
    )
    decision = check(step("impact.crop", at=at(10)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101", "CK108"})
    [limit_finding] = [f for f in decision.findings if f.code == "CK101"]
    assert limit_finding.message.startswith("client has a hard limit")


def test_ck101_standing_limit_beside_not_a_party() -> None:
    """A standing hard limit is reported beside CK104."""
    ledger = scene(grants=pair("impact.crop")).declare_limit(
        by=CLIENT, limit=hard("impact"), at=at(-50)
    )
    decision = check(step("impact.crop", present=["guest"]), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK101", "CK104"})


def test_ck201_lift_frees_only_agreements_formed_after_it() -> None:
    """A lifted standing soft limit still binds the agreement formed before the lift."""
    ledger = (
        scene(grants=pair("impact", subtypes=True))
        .declare_limit(by=CLIENT, limit=soft("impact.crop"), at=at(-50))
        .lift_limit(by=CLIENT, kind=LimitKind.SOFT, activity="impact.crop", at=at(-40))
    )
    assert outcome(check(step("impact.crop"), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )
    renewed = agree(ledger, terms(grants=pair("impact", subtypes=True)), at=at(-30))
    assert outcome(check(step("impact.crop"), renewed)) == ALLOWED


def test_ck201_soft_limit_of_a_witness() -> None:
    """A present party's soft limit in WITNESS needs addressing too."""
    guest = "guest"
    ledger = scene(
        grants=[*pair("impact.crop"), witnesses("impact", party=guest, subtypes=True)],
        parties=(MISTRESS, CLIENT, guest),
        limits=[soft("impact.crop", party=guest, roles=[Role.WITNESS])],
    )
    assert outcome(check(step("impact.crop", present=[guest]), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK201"},
    )
    confirmed = ledger.confirm(by=guest, activity="impact.crop", at=at(1))
    assert outcome(
        check(step("impact.crop", at=at(1), present=[guest]), confirmed)
    ) == (ALLOWED)


def test_ck100_stands_alone_under_house_rules() -> None:
    """House rules cannot judge an unknown activity either: CK100 alone."""
    engine = Engine(house=HouseRules(banned_activities=frozenset({"impact"})))
    decision = engine.check(step("impact.mystery"), scene(grants=pair("impact.crop")))
    assert outcome(decision) == (Verdict.DENY, {"CK100"})
