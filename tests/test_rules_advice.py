# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Plan-level advice (SPEC 3.3): CK301 aftercare-missing and CK302 check-in-gap."""

from __future__ import annotations

from consentkit import Aftercare, Plan, PlanDecision, Verdict, check_plan
from helpers import (
    CLIENT,
    MISTRESS,
    at,
    pair,
    protocol,
    scene,
    step,
)


def _codes(result: PlanDecision) -> list[str]:
    return [f.code for f in result.findings]


# -- CK301 aftercare-missing -----------------------------------------------


def test_ck301_demanding_step_without_aftercare() -> None:
    """A step at intensity 7 with no aftercare draws CK301 for each party, as advice."""
    ledger = scene(grants=pair("impact.crop"))
    result = check_plan(Plan(steps=(step("impact.crop", 7),)), ledger)
    assert result.verdict is Verdict.ALLOW
    assert _codes(result) == ["CK301", "CK301"]
    assert all(f.verdict is None for f in result.findings)
    prefix = "step 1 (`impact.crop` at 7) is demanding and the protocol of `p1` "
    assert [f.message for f in result.findings] == [
        prefix + "plans no aftercare for client",
        prefix + "plans no aftercare for mistress",
    ]
    assert result.decisions[0].findings == ()


def test_ck301_intensity_six_is_not_demanding() -> None:
    """Below intensity 7, a step not psychological draws no advice (boundary)."""
    ledger = scene(grants=pair("impact.crop"))
    result = check_plan(Plan(steps=(step("impact.crop", 6),)), ledger)
    assert _codes(result) == []


def test_ck301_psychological_activity_at_any_intensity() -> None:
    """An activity tagged `psychological` is demanding even at intensity 1."""
    ledger = scene(grants=pair("psych.fear"))
    result = check_plan(Plan(steps=(step("psych.fear", 1),)), ledger)
    assert result.verdict is Verdict.ALLOW
    assert _codes(result) == ["CK301", "CK301"]


def test_ck301_aftercare_for_everyone_satisfies_it() -> None:
    """Aftercare with no party covers everyone: no advice."""
    ledger = scene(
        grants=pair("impact.crop"), protocol=protocol(aftercare=[Aftercare(minutes=20)])
    )
    assert _codes(check_plan(Plan(steps=(step("impact.crop", 8),)), ledger)) == []


def test_ck301_the_giver_needs_aftercare_too() -> None:
    """Aftercare only for the client leaves the mistress without it."""
    care = Aftercare(minutes=20, party=CLIENT)
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(aftercare=[care]))
    result = check_plan(Plan(steps=(step("impact.crop", 8),)), ledger)
    assert _codes(result) == ["CK301"]
    assert result.findings[0].message.endswith(f"no aftercare for {MISTRESS}")


def test_ck301_does_not_change_a_deny() -> None:
    """Advice rides beside the verdict: a denied demanding step stays DENY."""
    ledger = scene(grants=pair("impact.crop", cap=5))
    result = check_plan(Plan(steps=(step("impact.crop", 8),)), ledger)
    assert result.verdict is Verdict.DENY
    assert _codes(result) == ["CK301", "CK301"]


def test_ck301_no_agreement_no_advice() -> None:
    """A step with no agreement selected gives no advice."""
    ledger = scene(grants=pair("impact.crop"))
    result = check_plan(Plan(steps=(step("impact.crop", 9, at=at(-30)),)), ledger)
    assert result.verdict is Verdict.DENY
    assert _codes(result) == []


def test_ck301_reported_once_per_party_and_agreement() -> None:
    """Several demanding steps report each party without aftercare once."""
    ledger = scene(grants=pair("impact.crop"))
    plan = Plan(steps=(step("impact.crop", 7), step("impact.crop", 8, at=at(5))))
    assert _codes(check_plan(plan, ledger)) == ["CK301", "CK301"]


# -- CK302 check-in-gap -----------------------------------------------------


def test_ck302_run_longer_than_the_check_in_interval() -> None:
    """Back-to-back steps running 40 minutes with check-ins every 30 draw CK302."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(check_in_minutes=30))
    plan = Plan(
        steps=(
            step("impact.crop", minutes=20),
            step("impact.crop", at=at(20), minutes=20),
        )
    )
    result = check_plan(plan, ledger)
    assert result.verdict is Verdict.ALLOW
    assert _codes(result) == ["CK302"]
    assert result.findings[0].verdict is None
    assert result.findings[0].message == (
        "steps 1-2 run 40 min from 2026-03-06T20:00:00Z without a break, "
        "longer than the check-in interval of 30 min"
    )


def test_ck302_run_exactly_the_check_in_interval() -> None:
    """A run lasting exactly the interval draws no advice (boundary)."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(check_in_minutes=30))
    plan = Plan(
        steps=(
            step("impact.crop", minutes=15),
            step("impact.crop", at=at(15), minutes=15),
        )
    )
    assert _codes(check_plan(plan, ledger)) == []


def test_ck302_a_gap_breaks_the_run() -> None:
    """A gap between steps starts a new run."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(check_in_minutes=30))
    plan = Plan(
        steps=(
            step("impact.crop", minutes=20),
            step("impact.crop", at=at(21), minutes=20),
        )
    )
    assert _codes(check_plan(plan, ledger)) == []


def test_ck302_single_long_step() -> None:
    """One step longer than the interval is a run of its own."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(check_in_minutes=30))
    result = check_plan(Plan(steps=(step("impact.crop", minutes=31),)), ledger)
    assert _codes(result) == ["CK302"]
    assert result.findings[0].message.startswith("steps 1-1 run 31 min")


def test_ck302_without_an_interval_no_advice() -> None:
    """A protocol without a check-in interval gives no CK302."""
    ledger = scene(grants=pair("impact.crop"))
    plan = Plan(steps=(step("impact.crop", minutes=120),))
    assert _codes(check_plan(plan, ledger)) == []


def test_ck302_does_not_change_the_step_verdicts() -> None:
    """CK302 is advice: the steps' decisions carry no finding for it."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(check_in_minutes=10))
    result = check_plan(Plan(steps=(step("impact.crop", minutes=60),)), ledger)
    assert result.verdict is Verdict.ALLOW
    assert result.allowed
    assert result.decisions[0].findings == ()
