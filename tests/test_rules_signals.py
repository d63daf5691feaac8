# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Signals in the scene (SPEC 2, A SLOW; 3.3): CK114 and CK202."""

from __future__ import annotations

from consentkit import Verdict, check
from helpers import (
    ALLOWED,
    CLIENT,
    MISTRESS,
    agree,
    at,
    gives,
    outcome,
    pair,
    receives,
    scene,
    step,
    terms,
)

GUEST = "guest"
THREE = (MISTRESS, CLIENT, GUEST)


# -- CK202 slowed -----------------------------------------------------------


def test_ck202_slow_awaits_a_resume() -> None:
    """After a yellow, steps involving its giver are RENEGOTIATE until green."""
    ledger = scene(grants=pair("impact.crop")).signal(
        by=CLIENT, cue="yellow", at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(9)), ledger)) == ALLOWED
    decision = check(step("impact.crop", at=at(10)), ledger)
    assert outcome(decision) == (Verdict.RENEGOTIATE, {"CK202"})
    assert decision.findings[0].message == (
        "client gave a SLOW: check in and wait for their RESUME"
    )


def test_ck202_resume_clears_the_slow() -> None:
    """A green from the slowed party clears CK202."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10))
        .signal(by=CLIENT, cue="green", at=at(15))
    )
    assert outcome(check(step("impact.crop", at=at(14)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK202"},
    )
    assert outcome(check(step("impact.crop", at=at(15)), ledger)) == ALLOWED


def test_ck202_resume_by_someone_else_does_not_clear_it() -> None:
    """Only the one who slowed can resume: the other party's green does not count."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10))
        .signal(by=MISTRESS, cue="green", at=at(15))
    )
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK202"},
    )


def test_ck202_resume_while_impaired_does_not_count() -> None:
    """A RESUME given while declared impaired is void, even once cleared."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10))
        .declare_impaired(by=MISTRESS, party=CLIENT, at=at(11))
        .signal(by=CLIENT, cue="green", at=at(12))
        .clear_impaired(by=MISTRESS, party=CLIENT, at=at(13))
    )
    assert outcome(check(step("impact.crop", at=at(12)), ledger)) == (
        Verdict.DENY,
        {"CK109", "CK202"},
    )
    assert outcome(check(step("impact.crop", at=at(14)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK202"},
    )


def test_ck202_slow_by_the_giver() -> None:
    """The one who does may slow the scene too."""
    ledger = scene(grants=pair("impact.crop")).signal(
        by=MISTRESS, cue="yellow", at=at(10)
    )
    decision = check(step("impact.crop", at=at(10)), ledger)
    assert outcome(decision) == (Verdict.RENEGOTIATE, {"CK202"})
    assert decision.findings[0].message.startswith("mistress gave a SLOW")


def test_ck202_slow_does_not_touch_steps_without_its_giver() -> None:
    """A SLOW binds steps involving its giver, not others under the agreement."""
    ledger = scene(
        grants=[*pair("impact.crop"), receives("impact.crop", party=GUEST)],
        parties=THREE,
    ).signal(by=CLIENT, cue="yellow", at=at(10))
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK202"},
    )
    guest_step = step("impact.crop", recipient=GUEST, at=at(10))
    assert outcome(check(guest_step, ledger)) == ALLOWED


def test_ck202_slow_marks_every_agreement_in_force_for_its_parties() -> None:
    """A SLOW marks each agreement of its giver in force for its own parties."""
    ledger = scene(
        grants=[
            *pair("impact.crop"),
            gives("impact.crop", party=GUEST, counterparties=[CLIENT]),
        ],
        parties=THREE,
    )
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(-30), proposal_id="p2"
    )
    ledger = ledger.signal(by=CLIENT, cue="yellow", at=at(10))
    pair_step = step("impact.crop", at=at(10))
    assert check(pair_step, ledger).findings[0].refs == ("p2",)
    guest_step = step("impact.crop", actor=GUEST, at=at(10))
    decision = check(guest_step, ledger)
    assert outcome(decision) == (Verdict.RENEGOTIATE, {"CK202"})
    assert decision.findings[0].refs == ("p1",)


def test_ck202_slow_does_not_reach_an_agreement_formed_after_it() -> None:
    """A new agreement formed after the SLOW starts unslowed."""
    ledger = scene(grants=pair("impact.crop")).signal(
        by=CLIENT, cue="yellow", at=at(10)
    )
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(20), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == ALLOWED


def test_ck202_slow_at_the_step_instant_counts() -> None:
    """A yellow at the very instant of the step applies to it."""
    ledger = scene(grants=pair("impact.crop")).signal(
        by=CLIENT, cue="yellow", at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK202"},
    )


# -- CK114 slowed-cap -------------------------------------------------------


def test_ck114_slow_at_intensity_i_allows_i_minus_one() -> None:
    """After a yellow at intensity 6 and a green, 5 is ALLOW and 6 is CK114."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10), intensity=6)
        .signal(by=CLIENT, cue="green", at=at(15))
    )
    assert outcome(check(step("impact.crop", 5, at=at(20)), ledger)) == ALLOWED
    decision = check(step("impact.crop", 6, at=at(20)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK114"})
    assert decision.findings[0].message == (
        "client slowed the scene: intensity is capped at 5 for the rest of `p1`, "
        "the step asks 6"
    )


def test_ck114_before_resume_both_codes() -> None:
    """Before the green, the cap and the pending SLOW are both reported."""
    ledger = scene(grants=pair("impact.crop")).signal(
        by=CLIENT, cue="yellow", at=at(10), intensity=6
    )
    assert outcome(check(step("impact.crop", 5, at=at(10)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK202"},
    )
    assert outcome(check(step("impact.crop", 6, at=at(10)), ledger)) == (
        Verdict.DENY,
        {"CK114", "CK202"},
    )


def test_ck114_resume_clears_ck202_but_not_ck114() -> None:
    """A RESUME clears the pending SLOW, never the cap it set."""
    slowed = scene(grants=pair("impact.crop")).signal(
        by=CLIENT, cue="yellow", at=at(10), intensity=4
    )
    resumed = slowed.signal(by=CLIENT, cue="green", at=at(12))
    assert outcome(check(step("impact.crop", 7, at=at(11)), slowed)) == (
        Verdict.DENY,
        {"CK114", "CK202"},
    )
    assert outcome(check(step("impact.crop", 7, at=at(12)), resumed)) == (
        Verdict.DENY,
        {"CK114"},
    )


def test_ck114_several_caps_combine_to_the_lowest() -> None:
    """Two SLOWs with intensities cap at the lower of the two."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10), intensity=4)
        .signal(by=CLIENT, cue="green", at=at(11))
        .signal(by=CLIENT, cue="yellow", at=at(20), intensity=8)
        .signal(by=CLIENT, cue="green", at=at(21))
    )
    assert outcome(check(step("impact.crop", 3, at=at(30)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", 4, at=at(30)), ledger)) == (
        Verdict.DENY,
        {"CK114"},
    )


def test_ck114_slow_at_intensity_one_allows_nothing() -> None:
    """A yellow at intensity 1 caps at 0: no step remains allowed."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10), intensity=1)
        .signal(by=CLIENT, cue="green", at=at(11))
    )
    assert outcome(check(step("impact.crop", 1, at=at(12)), ledger)) == (
        Verdict.DENY,
        {"CK114"},
    )


def test_ck114_cap_by_the_giver_binds_too() -> None:
    """A SLOW with an intensity by the actor caps steps involving them."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=MISTRESS, cue="yellow", at=at(10), intensity=3)
        .signal(by=MISTRESS, cue="green", at=at(11))
    )
    assert outcome(check(step("impact.crop", 3, at=at(12)), ledger)) == (
        Verdict.DENY,
        {"CK114"},
    )


def test_ck114_cap_lasts_only_for_the_rest_of_its_agreement() -> None:
    """A newer agreement formed after the SLOW carries no cap."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .signal(by=CLIENT, cue="yellow", at=at(10), intensity=3)
        .signal(by=CLIENT, cue="green", at=at(11))
    )
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(20), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", 8, at=at(20)), ledger)) == ALLOWED
