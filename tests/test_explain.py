# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Explanations for people: `Decision.explain` and `PlanDecision.explain`, pinned."""

from __future__ import annotations

from datetime import timedelta

from consentkit import (
    Decision,
    Finding,
    Ledger,
    Plan,
    Step,
    Verdict,
    check,
    check_plan,
)
from helpers import (
    CLIENT,
    MISTRESS,
    at,
    pair,
    protocol,
    scene,
    soft,
    step,
    witnesses,
)

GUEST = "guest"


def test_explain_allow_names_the_step_and_its_consent() -> None:
    """An ALLOW shows the whole step and the grants of every side, in order."""
    ledger = scene(
        grants=[*pair("impact.crop", cap=6), witnesses("impact.crop", party=GUEST)],
        parties=(MISTRESS, CLIENT, GUEST),
    )
    s = step(
        "impact.crop", 4, at=at(10), minutes=5, present=[GUEST], directed_by=CLIENT
    )
    assert check(s, ledger).explain() == (
        "ALLOW: mistress -> client: impact.crop at intensity 4, "
        "2026-03-06T20:10:00Z for 5 min, present: guest, directed by client\n"
        "  consent: client-receive-impact.crop, mistress-give-impact.crop, "
        "guest-witness-impact.crop"
    )


def test_explain_deny_with_one_finding() -> None:
    """A DENY shows the step, with minutes and seconds, and the finding."""
    ledger = scene(grants=pair("impact.crop", cap=6))
    s = Step(
        actor=MISTRESS,
        recipient=CLIENT,
        activity="impact.crop",
        intensity=7,
        at=at(10),
        duration=timedelta(seconds=90),
    )
    assert check(s, ledger).explain() == (
        "DENY: mistress -> client: impact.crop at intensity 7, "
        "2026-03-06T20:10:00Z for 1 min 30 s\n"
        "  CK106 intensity-cap: grant `client-receive-impact.crop` of client "
        "(receive `impact.crop`) caps intensity at 6, the step asks 7"
    )


def test_explain_deny_for_both_sides() -> None:
    """Each side without consent gets its own line."""
    ledger = scene(grants=pair("impact.crop"))
    assert check(step("impact.flogging", 2), ledger).explain() == (
        "DENY: mistress -> client: impact.flogging at intensity 2, "
        "2026-03-06T20:00:00Z\n"
        "  CK105 no-consent: client has not consented to receive "
        "`impact.flogging` from mistress in agreement `p1`\n"
        "  CK105 no-consent: mistress has not consented to give "
        "`impact.flogging` to client in agreement `p1`"
    )


def test_explain_lists_findings_sorted_by_code() -> None:
    """Several findings come one per line, sorted by code."""
    ledger = scene(
        grants=pair("impact", subtypes=True), limits=[soft("impact.crop")]
    ).signal(by=CLIENT, cue="yellow", at=at(5), intensity=5)
    assert check(step("impact.crop", 5, at=at(6)), ledger).explain() == (
        "DENY: mistress -> client: impact.crop at intensity 5, "
        "2026-03-06T20:06:00Z\n"
        "  CK114 slowed-cap: client slowed the scene: intensity is capped at 4 "
        "for the rest of `p1`, the step asks 5\n"
        "  CK201 soft-limit: client has a soft limit on `impact.crop` (covers "
        "`impact.crop`) in role receive, agreed in `p1`: ask client to "
        "confirm it in the scene\n"
        "  CK202 slowed: client gave a SLOW: check in and wait for their RESUME"
    )


def test_explain_renegotiate() -> None:
    """A RENEGOTIATE says what word in the scene is awaited."""
    ledger = scene(grants=pair("impact", subtypes=True), limits=[soft("impact.crop")])
    assert check(step("impact.crop", 2), ledger).explain() == (
        "RENEGOTIATE: mistress -> client: impact.crop at intensity 2, "
        "2026-03-06T20:00:00Z\n"
        "  CK201 soft-limit: client has a soft limit on `impact.crop` (covers "
        "`impact.crop`) in role receive, agreed in `p1`: ask client to "
        "confirm it in the scene"
    )


def test_explain_no_agreement() -> None:
    """With nothing agreed, the explanation says so."""
    assert check(step("impact.crop", 2, at=at(-30)), Ledger()).explain() == (
        "DENY: mistress -> client: impact.crop at intensity 2, "
        "2026-03-06T19:30:00Z\n"
        "  CK103 no-agreement: no agreement for client: no agreement has been formed"
    )


def test_explain_plan_with_steps_and_advice() -> None:
    """A plan's explanation: its verdict, each step numbered, then the advice."""
    ledger = scene(
        grants=pair("impact.crop", cap=6), protocol=protocol(check_in_minutes=20)
    ).signal(by=CLIENT, cue="red", at=at(40))
    plan = Plan(
        steps=(
            step("impact.crop", 7, minutes=15),
            step("impact.crop", 3, at=at(15), minutes=10),
            step("impact.crop", 3, at=at(45)),
        )
    )
    assert check_plan(plan, ledger).explain() == (
        "plan: DENY\n"
        "step 1: DENY: mistress -> client: impact.crop at intensity 7, "
        "2026-03-06T20:00:00Z for 15 min\n"
        "  CK106 intensity-cap: grant `client-receive-impact.crop` of client "
        "(receive `impact.crop`) caps intensity at 6, the step asks 7\n"
        "step 2: ALLOW: mistress -> client: impact.crop at intensity 3, "
        "2026-03-06T20:15:00Z for 10 min\n"
        "  consent: client-receive-impact.crop, mistress-give-impact.crop\n"
        "step 3: DENY: mistress -> client: impact.crop at intensity 3, "
        "2026-03-06T20:45:00Z\n"
        "  CK108 stopped: agreement `p1` was ended by a STOP: `red` from client "
        "at 2026-03-06T20:40:00Z\n"
        "advice: CK301 aftercare-missing: step 1 (`impact.crop` at 7) is "
        "demanding and the protocol of `p1` plans no aftercare for client\n"
        "advice: CK301 aftercare-missing: step 1 (`impact.crop` at 7) is "
        "demanding and the protocol of `p1` plans no aftercare for mistress\n"
        "advice: CK302 check-in-gap: steps 1-2 run 25 min from "
        "2026-03-06T20:00:00Z without a break, longer than the check-in "
        "interval of 20 min"
    )


def test_explain_plan_all_allowed_without_advice() -> None:
    """An allowed plan without advice lists its steps only."""
    ledger = scene(grants=pair("impact.crop"))
    plan = Plan(steps=(step("impact.crop", 2), step("impact.crop", 3, at=at(5))))
    assert check_plan(plan, ledger).explain() == (
        "plan: ALLOW\n"
        "step 1: ALLOW: mistress -> client: impact.crop at intensity 2, "
        "2026-03-06T20:00:00Z\n"
        "  consent: client-receive-impact.crop, mistress-give-impact.crop\n"
        "step 2: ALLOW: mistress -> client: impact.crop at intensity 3, "
        "2026-03-06T20:05:00Z\n"
        "  consent: client-receive-impact.crop, mistress-give-impact.crop"
    )


def test_finding_explain_is_one_line() -> None:
    """A finding explains itself as code, rule name and message."""
    found = Finding(
        code="CK115",
        rule="house-rule",
        verdict=Verdict.DENY,
        message="the house bans `impact`, which covers `impact.crop`",
    )
    assert found.explain() == (
        "CK115 house-rule: the house bans `impact`, which covers `impact.crop`"
    )


def test_explain_formats_and_never_re_decides() -> None:
    """`explain` renders the decision it is given, whatever its contents."""
    decision = Decision(verdict=Verdict.DENY, step=step("impact.crop"))
    assert decision.explain() == (
        "DENY: mistress -> client: impact.crop at intensity 1, 2026-03-06T20:00:00Z"
    )
