# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The protocol in force (SPEC 3.3): CK109-CK113."""

from __future__ import annotations

from consentkit import (
    Authority,
    Ledger,
    Plan,
    Signal,
    SignalKind,
    SignalMeaning,
    Step,
    Verdict,
    check,
    check_plan,
    default_catalog,
)
from helpers import (
    ALLOWED,
    CLIENT,
    DROP,
    GREEN,
    MISTRESS,
    RED,
    YELLOW,
    agree,
    at,
    gives,
    outcome,
    pair,
    protocol,
    receives,
    scene,
    step,
    terms,
)

GUEST = "guest"
ASSISTANT = "assistant"
THREE = (MISTRESS, CLIENT, GUEST)

#: A gag (takes `voice`) and a tie of both arms (takes `free_hand`).
GAG = "restraint.gag.ball"
ARMS = "restraint.rope.arms"
BLINDFOLD = "sensory.blindfold"
SHEARS = ("safety_shears",)
#: A non-verbal STOP that needs nothing a gag or a tie takes away.
GRUNTS = Signal(
    cue="three grunts", kind=SignalKind.NONVERBAL, meaning=SignalMeaning.STOP
)
#: A non-verbal STOP given by sight (a card held up where the recipient sees it).
CARD = Signal(
    cue="red card",
    kind=SignalKind.NONVERBAL,
    meaning=SignalMeaning.STOP,
    needs=frozenset({"sight", "free_hand"}),
)


def test_catalog_tags_of_the_capability_activities() -> None:
    """The activities used below carry the tags that take capabilities away."""
    catalog = default_catalog()
    assert "impairs_speech" in catalog[GAG].tags
    assert "restrains_hands" in catalog[ARMS].tags
    assert "impairs_vision" in catalog[BLINDFOLD].tags
    assert "safety_shears" in catalog[GAG].requires
    assert "safety_shears" in catalog[ARMS].requires


# -- CK109 impaired -------------------------------------------------------


def test_ck109_impaired_recipient_denies() -> None:
    """A party declared impaired stops all play when the protocol requires sobriety."""
    ledger = scene(grants=pair("impact.crop")).declare_impaired(
        by=MISTRESS, party=CLIENT, at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(9)), ledger)) == ALLOWED
    decision = check(step("impact.crop", at=at(10)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK109"})
    assert decision.findings[0].message.startswith("client is declared impaired")


def test_ck109_impaired_actor_denies() -> None:
    """The actor being impaired denies as well."""
    ledger = scene(grants=pair("impact.crop")).declare_impaired(
        by=CLIENT, party=MISTRESS, at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.DENY,
        {"CK109"},
    )


def test_ck109_impaired_director_denies() -> None:
    """A director is a party of the step: impaired, CK109."""
    ledger = scene(grants=pair("impact.crop"), parties=THREE).declare_impaired(
        by=CLIENT, party=GUEST, at=at(10)
    )
    decision = check(step("impact.crop", at=at(10), directed_by=GUEST), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK109"})
    assert decision.findings[0].message.startswith("guest is declared impaired")


def test_ck109_impaired_bystander_outside_the_step_does_not_matter() -> None:
    """A party of the agreement who is not in the step does not stop it."""
    ledger = scene(grants=pair("impact.crop"), parties=THREE).declare_impaired(
        by=CLIENT, party=GUEST, at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == ALLOWED


def test_ck109_cleared_impairment_allows_again() -> None:
    """Once cleared by someone else, play may go on."""
    ledger = (
        scene(grants=pair("impact.crop"))
        .declare_impaired(by=MISTRESS, party=CLIENT, at=at(10))
        .clear_impaired(by=MISTRESS, party=CLIENT, at=at(20))
    )
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == ALLOWED


def test_ck109_sobriety_not_required() -> None:
    """When the protocol does not require sobriety, impairment is no CK109."""
    ledger = scene(
        grants=pair("impact.crop"), protocol=protocol(sobriety_required=False)
    ).declare_impaired(by=MISTRESS, party=CLIENT, at=at(10))
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == ALLOWED


# -- CK110 no-stop-signal -------------------------------------------------


def test_ck110_protocol_without_stop_signal() -> None:
    """A protocol with yellow and green but no STOP denies every step."""
    ledger = scene(
        grants=pair("impact.crop"), protocol=protocol(signals=[YELLOW, GREEN])
    )
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK110"})
    assert decision.findings[0].refs == ("p1",)


def test_ck110_protocol_without_any_signal() -> None:
    """A protocol with no signal at all denies every step."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(signals=[]))
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK110"})


def test_ck110_stands_alone_without_ck111() -> None:
    """Without STOP signals, a gag draws CK110 alone, not CK111 too."""
    ledger = scene(
        grants=pair(GAG), protocol=protocol(signals=[YELLOW], equipment=SHEARS)
    )
    assert outcome(check(step(GAG), ledger)) == (Verdict.DENY, {"CK110"})


def test_ck110_nonverbal_stop_is_enough() -> None:
    """A single non-verbal STOP satisfies the rule (boundary)."""
    ledger = scene(grants=pair("impact.crop"), protocol=protocol(signals=[DROP]))
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


# -- CK111 no-usable-stop-signal ------------------------------------------


def test_ck111_gag_with_only_a_spoken_stop() -> None:
    """A gag takes the voice: with only a spoken STOP, CK111."""
    ledger = scene(grants=pair(GAG), protocol=protocol(equipment=SHEARS))
    decision = check(step(GAG), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK111"})
    assert decision.findings[0].message == (
        "client could not signal STOP: the step takes away voice, which `red` needs"
    )


def test_ck111_gag_with_a_hand_signal() -> None:
    """A gag leaves a STOP by dropping a held object usable."""
    ledger = scene(
        grants=pair(GAG), protocol=protocol(signals=[RED, DROP], equipment=SHEARS)
    )
    assert outcome(check(step(GAG), ledger)) == ALLOWED


def test_ck111_arm_tie_with_only_a_hand_signal() -> None:
    """A tie of both arms takes the free hand: with only a dropping STOP, CK111."""
    ledger = scene(
        grants=pair(ARMS), protocol=protocol(signals=[DROP], equipment=SHEARS)
    )
    assert outcome(check(step(ARMS), ledger)) == (Verdict.DENY, {"CK111"})


def test_ck111_arm_tie_with_a_spoken_stop() -> None:
    """A tie of both arms leaves the voice: a spoken STOP stays usable."""
    ledger = scene(
        grants=pair(ARMS), protocol=protocol(signals=[DROP, RED], equipment=SHEARS)
    )
    assert outcome(check(step(ARMS), ledger)) == ALLOWED


def test_ck111_blindfold_takes_sight() -> None:
    """A blindfold takes sight: a STOP that needs it is unusable."""
    only_card = scene(grants=pair(BLINDFOLD), protocol=protocol(signals=[CARD]))
    assert outcome(check(step(BLINDFOLD), only_card)) == (Verdict.DENY, {"CK111"})
    with_red = scene(grants=pair(BLINDFOLD), protocol=protocol(signals=[CARD, RED]))
    assert outcome(check(step(BLINDFOLD), with_red)) == ALLOWED


def test_ck111_signal_surviving_a_step_is_enough_in_check() -> None:
    """In `check`, one step alone is judged: gag and tie each leave one STOP."""
    ledger = scene(
        grants=[*pair(GAG), *pair(ARMS)],
        protocol=protocol(signals=[RED, DROP], equipment=SHEARS),
    )
    assert outcome(check(step(GAG, minutes=20), ledger)) == ALLOWED
    assert outcome(check(step(ARMS, minutes=30), ledger)) == ALLOWED


def test_ck111_overlapping_gag_and_arm_tie_leave_no_signal() -> None:
    """A gag and an arm tie overlapping in a plan leave neither voice nor free hand."""
    ledger = scene(
        grants=[*pair(GAG), *pair(ARMS)],
        protocol=protocol(signals=[RED, DROP], equipment=SHEARS),
    )
    plan = Plan(steps=(step(ARMS, minutes=30), step(GAG, at=at(10), minutes=10)))
    result = check_plan(plan, ledger)
    assert result.verdict is Verdict.DENY
    assert [outcome(d) for d in result.decisions] == [
        (Verdict.DENY, {"CK111"}),
        (Verdict.DENY, {"CK111"}),
    ]
    assert "takes away free_hand and voice" in result.decisions[0].findings[0].message


def test_ck111_overlapping_steps_with_a_surviving_signal() -> None:
    """A STOP needing neither voice nor hands survives gag and tie together."""
    ledger = scene(
        grants=[*pair(GAG), *pair(ARMS)],
        protocol=protocol(signals=[RED, DROP, GRUNTS], equipment=SHEARS),
    )
    plan = Plan(steps=(step(ARMS, minutes=30), step(GAG, at=at(10), minutes=10)))
    result = check_plan(plan, ledger)
    assert [outcome(d) for d in result.decisions] == [ALLOWED, ALLOWED]


def test_ck111_steps_in_sequence_do_not_overlap() -> None:
    """A gag after the tie has ended leaves the hands free again."""
    ledger = scene(
        grants=[*pair(GAG), *pair(ARMS)],
        protocol=protocol(signals=[RED, DROP], equipment=SHEARS),
    )
    plan = Plan(steps=(step(ARMS, minutes=30), step(GAG, at=at(31), minutes=10)))
    result = check_plan(plan, ledger)
    assert [outcome(d) for d in result.decisions] == [ALLOWED, ALLOWED]


def test_ck111_steps_touching_at_an_instant_overlap() -> None:
    """Steps cover `[at, at + duration]`: one starting as the other ends overlaps it."""
    ledger = scene(
        grants=[*pair(GAG), *pair(ARMS)],
        protocol=protocol(signals=[RED, DROP], equipment=SHEARS),
    )
    plan = Plan(steps=(step(ARMS, minutes=30), step(GAG, at=at(30), minutes=10)))
    result = check_plan(plan, ledger)
    assert [outcome(d) for d in result.decisions] == [
        (Verdict.DENY, {"CK111"}),
        (Verdict.DENY, {"CK111"}),
    ]


def test_ck111_overlapping_step_on_another_recipient_takes_nothing() -> None:
    """Overlapping steps on another recipient take nothing from this one."""
    ledger = scene(
        grants=[
            *pair(GAG),
            receives(ARMS, party=GUEST),
            gives(ARMS),
        ],
        parties=THREE,
        protocol=protocol(signals=[RED, DROP], equipment=SHEARS),
    )
    plan = Plan(
        steps=(
            step(ARMS, recipient=GUEST, minutes=30),
            step(GAG, at=at(10), minutes=10),
        )
    )
    result = check_plan(plan, ledger)
    assert [outcome(d) for d in result.decisions] == [ALLOWED, ALLOWED]


# -- CK112 equipment-missing ----------------------------------------------


def test_ck112_required_equipment_missing() -> None:
    """A gag needs safety shears in the protocol: without them, CK112."""
    ledger = scene(grants=pair(GAG), protocol=protocol(signals=[RED, DROP]))
    decision = check(step(GAG), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK112"})
    assert "`safety_shears`" in decision.findings[0].message


def test_ck112_required_equipment_listed() -> None:
    """With the shears listed, the gag is allowed (boundary)."""
    ledger = scene(
        grants=pair(GAG), protocol=protocol(signals=[RED, DROP], equipment=SHEARS)
    )
    assert outcome(check(step(GAG), ledger)) == ALLOWED


def test_ck112_names_every_missing_item() -> None:
    """CK112 names each required item the protocol lacks."""
    ledger = scene(grants=pair("edge.needles"), protocol=protocol(equipment=["gloves"]))
    decision = check(step("edge.needles"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK112"})
    assert "`first_aid_kit`, `sharps_container`" in decision.findings[0].message


# -- CK113 outside-authority ----------------------------------------------


def _authority(
    scope: frozenset[str] | None = frozenset({"impact"}),
    *,
    client_gives: tuple[str, ...] = (),
    with_authority: bool = True,
) -> Ledger:
    """Mistress, client and assistant; the mistress may hold authority over the client.

    The client receives a crop and tickling from the assistant, who gives both.
    """
    authority = (
        [Authority(holder=MISTRESS, subject=CLIENT, scope=scope)]
        if with_authority
        else []
    )
    return scene(
        grants=[
            receives("impact.crop"),
            receives("sensation.tickling"),
            gives("impact.crop", party=ASSISTANT),
            gives("sensation.tickling", party=ASSISTANT),
            *(gives(activity, party=CLIENT) for activity in client_gives),
        ],
        parties=(MISTRESS, CLIENT, ASSISTANT),
        protocol=protocol(authority=authority),
    )


def _by_assistant(
    activity: str, *, directed_by: str | None = None, minute: float = 0
) -> Step:
    return step(activity, actor=ASSISTANT, directed_by=directed_by, at=at(minute))


def test_ck113_actor_without_authority_denies() -> None:
    """Under someone's authority, a step the actor calls for themselves is CK113."""
    decision = check(_by_assistant("impact.crop"), _authority())
    assert outcome(decision) == (Verdict.DENY, {"CK113"})
    assert decision.findings[0].message == (
        "assistant directs the step, but authority over client for "
        "`impact.crop` rests with mistress"
    )


def test_ck113_holder_directing_within_scope_allows() -> None:
    """The holder directing a step within the scope is allowed."""
    decision = check(_by_assistant("impact.crop", directed_by=MISTRESS), _authority())
    assert outcome(decision) == ALLOWED


def test_ck113_holder_directing_outside_scope_denies() -> None:
    """The holder directing a step outside the scope is CK113."""
    ledger = _authority()
    assert outcome(
        check(_by_assistant("sensation.tickling", directed_by=MISTRESS), ledger)
    ) == (Verdict.DENY, {"CK113"})


def test_ck113_recipient_directing_allows() -> None:
    """The recipient may always call for a step on themselves."""
    decision = check(_by_assistant("impact.crop", directed_by=CLIENT), _authority())
    assert outcome(decision) == ALLOWED


def test_ck113_no_authority_anyone_may_direct() -> None:
    """With no authority over the recipient, the actor directs themselves."""
    decision = check(_by_assistant("impact.crop"), _authority(with_authority=False))
    assert outcome(decision) == ALLOWED


def test_ck113_unscoped_authority_covers_what_the_subject_granted() -> None:
    """Unscoped authority covers every activity some grant of the subject covers."""
    ledger = _authority(None)
    for activity in ("impact.crop", "sensation.tickling"):
        decision = check(_by_assistant(activity, directed_by=MISTRESS), ledger)
        assert outcome(decision) == ALLOWED


def test_ck113_unscoped_authority_reads_grants_in_any_role() -> None:
    """A grant of the subject in any role brings an activity into unscoped authority."""
    ledger = _authority(None, client_gives=("service.domestic",))
    decision = check(_by_assistant("service.domestic", directed_by=MISTRESS), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK105"})


def test_ck113_unscoped_authority_stops_where_the_subject_granted_nothing() -> None:
    """Unscoped authority does not cover what the subject never consented to."""
    ledger = _authority(None)
    decision = check(_by_assistant("service.domestic", directed_by=MISTRESS), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK105", "CK113"})


def test_ck113_unscoped_authority_still_covers_a_revoked_grant() -> None:
    """A revoked grant still counts for unscoped authority: CK102 alone reports it."""
    ledger = _authority(None).revoke(by=CLIENT, activities=["impact.crop"], at=at(10))
    decision = check(
        _by_assistant("impact.crop", directed_by=MISTRESS, minute=10), ledger
    )
    assert outcome(decision) == (Verdict.DENY, {"CK102"})


def test_ck113_revoking_everything_ends_authority() -> None:
    """When the subject revokes everything, the authority over them ends."""
    ledger = _authority().revoke(by=CLIENT, at=at(10))
    before = check(_by_assistant("impact.crop", minute=9), ledger)
    assert outcome(before) == (Verdict.DENY, {"CK113"})
    after = check(_by_assistant("impact.crop", minute=10), ledger)
    assert outcome(after) == (Verdict.DENY, {"CK102"})


def test_ck113_revoking_some_activities_keeps_authority() -> None:
    """A partial revocation does not end the authority."""
    ledger = _authority().revoke(by=CLIENT, activities=["impact.crop"], at=at(10))
    decision = check(_by_assistant("impact.crop", minute=10), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK102", "CK113"})


def test_ck113_authority_ends_with_its_agreement() -> None:
    """A newer agreement without the authority frees the recipient from it."""
    ledger = _authority()
    ledger = agree(
        ledger,
        terms(
            grants=[
                receives("impact.crop"),
                gives("impact.crop", party=ASSISTANT),
            ],
            parties=(MISTRESS, CLIENT, ASSISTANT),
        ),
        at=at(10),
        proposal_id="p2",
    )
    assert outcome(check(_by_assistant("impact.crop", minute=10), ledger)) == ALLOWED
