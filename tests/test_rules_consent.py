# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The affirmative basis, side by side (SPEC 3.2): CK102, CK105-CK107, CK203."""

from __future__ import annotations

from datetime import timedelta

from consentkit import (
    Activity,
    Catalog,
    CheckInWithin,
    ConfirmFirst,
    Engine,
    Equipment,
    MaxDuration,
    NonverbalSignal,
    Spotter,
    Verdict,
    check,
)
from helpers import (
    ALLOWED,
    CLIENT,
    DROP,
    MISTRESS,
    RED,
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
    witnesses,
)

GUEST = "guest"
THREE = (MISTRESS, CLIENT, GUEST)

# -- CK105 no-consent -----------------------------------------------------


def test_ck105_no_grants_is_default_deny() -> None:
    """With no grant at all, a step is DENY with CK105 for both sides."""
    decision = check(step("impact.crop"), scene(grants=[]))
    assert outcome(decision) == (Verdict.DENY, {"CK105"})
    assert len(decision.findings) == 2
    assert decision.basis == ()


def test_ck105_receiving_side_missing() -> None:
    """The one who receives must consent: a giver's grant alone is DENY."""
    decision = check(step("impact.crop"), scene(grants=[gives("impact.crop")]))
    assert outcome(decision) == (Verdict.DENY, {"CK105"})
    assert "client has not consented to receive" in decision.findings[0].message


def test_ck105_giving_side_missing() -> None:
    """The one who does must consent: a recipient's grant alone is DENY."""
    decision = check(step("impact.crop"), scene(grants=[receives("impact.crop")]))
    assert outcome(decision) == (Verdict.DENY, {"CK105"})
    assert "mistress has not consented to give" in decision.findings[0].message


def test_ck105_both_sides_allow_with_their_basis() -> None:
    """With both sides granted, the step is ALLOW and the basis lists both grants."""
    decision = check(step("impact.crop"), scene(grants=pair("impact.crop")))
    assert outcome(decision) == ALLOWED
    assert decision.basis == ("client-receive-impact.crop", "mistress-give-impact.crop")


def test_ck105_grant_without_subtypes_covers_only_its_activity() -> None:
    """A grant without `include_subtypes` does not cover a child activity."""
    ledger = scene(grants=pair("impact.spanking"))
    assert outcome(check(step("impact.spanking"), ledger)) == ALLOWED
    assert outcome(check(step("impact.spanking.hand"), ledger)) == (
        Verdict.DENY,
        {"CK105"},
    )


def test_ck105_subtree_grant_covers_children_not_parents() -> None:
    """A subtree grant covers activities beneath it, never its parent or siblings."""
    ledger = scene(grants=pair("impact.spanking", subtypes=True))
    assert outcome(check(step("impact.spanking.paddle"), ledger)) == ALLOWED
    # A step on `impact` may be caning, which needs a first-aid kit (CK112).
    assert outcome(check(step("impact"), ledger)) == (
        Verdict.DENY,
        {"CK105", "CK112"},
    )
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK105"})


def test_ck105_explicit_only_is_not_covered_by_a_parent_subtree() -> None:
    """A subtree grant on `impact` does not reach `impact.face_slap` (explicit_only)."""
    ledger = scene(grants=pair("impact", subtypes=True))
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED
    assert outcome(check(step("impact.face_slap"), ledger)) == (
        Verdict.DENY,
        {"CK105"},
    )


def test_ck105_explicit_only_covered_by_a_grant_naming_it() -> None:
    """Only a grant naming the explicit_only activity covers it."""
    ledger = scene(
        grants=[
            receives("impact", subtypes=True),
            receives("impact.face_slap"),
            gives("impact", subtypes=True),
            gives("impact.face_slap"),
        ]
    )
    decision = check(step("impact.face_slap"), ledger)
    assert outcome(decision) == ALLOWED
    assert decision.basis == (
        "client-receive-impact.face_slap",
        "mistress-give-impact.face_slap",
    )


def test_ck105_one_side_explicit_other_broad_is_denied() -> None:
    """An explicit_only activity needs a grant naming it on every side."""
    ledger = scene(
        grants=[receives("impact.face_slap"), gives("impact", subtypes=True)]
    )
    decision = check(step("impact.face_slap"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK105"})
    assert decision.findings[0].message.startswith("mistress has not consented")


def test_ck105_explicit_only_subtree_needs_naming_the_barrier() -> None:
    """Beneath an explicit_only activity, a grant must name it or something below."""
    catalog = Catalog(
        name="studio",
        version=1,
        activities=(
            Activity(id="play", label="Play"),
            Activity(id="play.film", label="Film", tags=frozenset({"explicit_only"})),
            Activity(id="play.film.face", label="Face on film"),
        ),
    )
    engine = Engine(catalog=catalog)
    broad = scene(grants=pair("play", subtypes=True))
    assert outcome(engine.check(step("play.film.face"), broad)) == (
        Verdict.DENY,
        {"CK105"},
    )
    named = scene(grants=pair("play.film", subtypes=True))
    assert outcome(engine.check(step("play.film.face"), named)) == ALLOWED
    below = scene(grants=pair("play.film.face"))
    assert outcome(engine.check(step("play.film.face"), below)) == ALLOWED


def test_ck105_counterparties_must_admit_the_actor() -> None:
    """A grant limited to other counterparties is no candidate."""
    ledger = scene(
        grants=[
            receives("impact.crop", counterparties=[GUEST]),
            gives("impact.crop"),
        ],
        parties=THREE,
    )
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK105"})


def test_ck105_counterparties_naming_the_actor_admit_them() -> None:
    """A grant naming the actor among its counterparties admits them (boundary)."""
    ledger = scene(
        grants=[
            receives("impact.crop", counterparties=[MISTRESS]),
            gives("impact.crop", counterparties=[CLIENT]),
        ],
        parties=THREE,
    )
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck105_present_party_needs_a_witness_grant() -> None:
    """A party present in the step is a side of its own: no WITNESS grant, DENY."""
    ledger = scene(grants=pair("impact.crop"), parties=THREE)
    decision = check(step("impact.crop", present=[GUEST]), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK105"})
    assert decision.findings[0].message.startswith("guest has not consented to witness")


def test_ck105_witness_grant_must_admit_both_actor_and_recipient() -> None:
    """A WITNESS grant covers a step only when it admits both actor and recipient."""
    one = scene(
        grants=[
            *pair("impact.crop"),
            witnesses("impact.crop", party=GUEST, counterparties=[CLIENT]),
        ],
        parties=THREE,
    )
    assert outcome(check(step("impact.crop", present=[GUEST]), one)) == (
        Verdict.DENY,
        {"CK105"},
    )
    both = scene(
        grants=[*pair("impact.crop"), witnesses("impact.crop", party=GUEST)],
        parties=THREE,
    )
    decision = check(step("impact.crop", present=[GUEST]), both)
    assert outcome(decision) == ALLOWED
    assert decision.basis == (
        "client-receive-impact.crop",
        "mistress-give-impact.crop",
        "guest-witness-impact.crop",
    )
    anyone = scene(
        grants=[
            *pair("impact.crop"),
            witnesses("impact.crop", party=GUEST, counterparties=None),
        ],
        parties=THREE,
    )
    assert outcome(check(step("impact.crop", present=[GUEST]), anyone)) == ALLOWED


def test_ck105_present_parties_follow_in_sorted_order_in_the_basis() -> None:
    """The basis lists recipient, actor, then present parties in sorted order."""
    parties = (MISTRESS, CLIENT, "zed", "amy")
    ledger = scene(
        grants=[
            *pair("impact.crop"),
            witnesses("impact.crop", party="zed"),
            witnesses("impact.crop", party="amy"),
        ],
        parties=parties,
    )
    decision = check(step("impact.crop", present=["zed", "amy"]), ledger)
    assert decision.basis == (
        "client-receive-impact.crop",
        "mistress-give-impact.crop",
        "amy-witness-impact.crop",
        "zed-witness-impact.crop",
    )


def test_ck105_a_grant_in_another_role_is_no_candidate() -> None:
    """A party's GIVE grant does not let them receive."""
    ledger = scene(
        grants=[gives("impact.crop", party=CLIENT), gives("impact.crop")],
    )
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK105"})


# -- CK106 intensity-cap --------------------------------------------------


def test_ck106_intensity_exactly_at_the_cap_is_allowed() -> None:
    """A step at exactly the grant's cap is ALLOW (boundary)."""
    ledger = scene(grants=pair("impact.crop", cap=5))
    assert outcome(check(step("impact.crop", 5), ledger)) == ALLOWED


def test_ck106_intensity_above_the_cap_is_denied() -> None:
    """A step one above the cap is DENY with CK106, naming the grant."""
    ledger = scene(grants=pair("impact.crop", cap=5))
    decision = check(step("impact.crop", 6), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK106"})
    assert decision.findings[0].refs == ("client-receive-impact.crop", "p1")


def test_ck106_the_giver_has_a_cap_too() -> None:
    """The giver's own cap binds as well as the recipient's."""
    ledger = scene(grants=[receives("impact.crop"), gives("impact.crop", cap=3)])
    assert outcome(check(step("impact.crop", 3), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", 4), ledger)) == (Verdict.DENY, {"CK106"})


def test_ck106_any_passing_candidate_meets_the_side() -> None:
    """A side is met when some candidate passes; the highest cap is chosen."""
    ledger = scene(
        grants=[
            receives("impact", cap=3, subtypes=True),
            receives("impact.crop", cap=7),
            gives("impact.crop"),
        ]
    )
    decision = check(step("impact.crop", 2), ledger)
    assert decision.basis == ("client-receive-impact.crop", "mistress-give-impact.crop")
    assert outcome(check(step("impact.crop", 7), ledger)) == ALLOWED


def test_ck106_uncapped_candidate_is_chosen_over_capped_ones() -> None:
    """A candidate with no cap counts as the highest cap."""
    ledger = scene(
        grants=[
            receives("impact.crop", cap=9),
            receives("impact", subtypes=True),
            gives("impact.crop"),
        ]
    )
    decision = check(step("impact.crop", 2), ledger)
    assert decision.basis[0] == "client-receive-impact"


def test_ck106_first_in_the_terms_among_equal_caps() -> None:
    """Among passing candidates of equal cap, the first in the terms is chosen."""
    ledger = scene(
        grants=[
            receives("impact", cap=5, subtypes=True),
            receives("impact.crop", cap=5),
            gives("impact.crop"),
        ]
    )
    assert check(step("impact.crop", 2), ledger).basis[0] == "client-receive-impact"


# -- CK107 condition-unmet ------------------------------------------------


def test_ck107_check_in_interval_exactly_at_the_condition() -> None:
    """`CheckInWithin(15)` is met by a check-in interval of exactly 15 (boundary)."""
    grant = receives("impact.crop", conditions=[CheckInWithin(minutes=15)])
    ledger = scene(
        grants=[grant, gives("impact.crop")], protocol=protocol(check_in_minutes=15)
    )
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck107_check_in_interval_longer_than_the_condition() -> None:
    """A check-in interval longer than asked is CK107."""
    grant = receives("impact.crop", conditions=[CheckInWithin(minutes=15)])
    ledger = scene(
        grants=[grant, gives("impact.crop")], protocol=protocol(check_in_minutes=16)
    )
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK107"})
    assert "check-ins at most every 15 min" in decision.findings[0].message


def test_ck107_check_in_interval_unset() -> None:
    """With no check-in interval in the protocol, `CheckInWithin` is unmet."""
    grant = receives("impact.crop", conditions=[CheckInWithin(minutes=60)])
    ledger = scene(grants=[grant, gives("impact.crop")])
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK107"})


def test_ck107_nonverbal_signal_condition() -> None:
    """`NonverbalSignal` needs a non-verbal STOP in the protocol."""
    grant = receives("impact.crop", conditions=[NonverbalSignal()])
    spoken = scene(grants=[grant, gives("impact.crop")])
    assert outcome(check(step("impact.crop"), spoken)) == (Verdict.DENY, {"CK107"})
    tapped = scene(
        grants=[grant, gives("impact.crop")],
        protocol=protocol(signals=[RED, DROP]),
    )
    assert outcome(check(step("impact.crop"), tapped)) == ALLOWED


def test_ck107_max_duration_exactly() -> None:
    """`MaxDuration(30)` allows a step of exactly 30 minutes and not of 31."""
    grant = receives("impact.crop", conditions=[MaxDuration(minutes=30)])
    ledger = scene(grants=[grant, gives("impact.crop")])
    assert outcome(check(step("impact.crop", minutes=30), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", minutes=31), ledger)) == (
        Verdict.DENY,
        {"CK107"},
    )


def test_ck107_equipment_condition() -> None:
    """`Equipment` needs the item listed in the protocol."""
    grant = receives("impact.crop", conditions=[Equipment(item="arnica")])
    without = scene(grants=[grant, gives("impact.crop")])
    assert outcome(check(step("impact.crop"), without)) == (Verdict.DENY, {"CK107"})
    listed = scene(
        grants=[grant, gives("impact.crop")], protocol=protocol(equipment=["arnica"])
    )
    assert outcome(check(step("impact.crop"), listed)) == ALLOWED


def test_ck107_spotter_condition() -> None:
    """`Spotter` needs that party present, and the spotter needs a WITNESS grant."""
    grant = receives("impact.crop", conditions=[Spotter(party=GUEST)])
    ledger = scene(
        grants=[grant, gives("impact.crop"), witnesses("impact.crop", party=GUEST)],
        parties=THREE,
    )
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK107"})
    assert outcome(check(step("impact.crop", present=[GUEST]), ledger)) == ALLOWED
    unwitnessed = scene(grants=[grant, gives("impact.crop")], parties=THREE)
    assert outcome(check(step("impact.crop", present=[GUEST]), unwitnessed)) == (
        Verdict.DENY,
        {"CK105"},
    )


def test_ck107_furthest_getting_candidate_decides_the_code() -> None:
    """A capped candidate and one with an unmet condition: CK107 (it got further)."""
    ledger = scene(
        grants=[
            receives("impact", cap=2, subtypes=True),
            receives("impact.crop", conditions=[MaxDuration(minutes=5)]),
            gives("impact.crop"),
        ]
    )
    decision = check(step("impact.crop", 4, minutes=10), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK107"})
    assert decision.findings[0].refs == ("client-receive-impact.crop", "p1")


# -- CK102 revoked ---------------------------------------------------------


def test_ck102_revocation_by_activity_subtree() -> None:
    """Revoking a category withdraws consent to everything beneath it."""
    ledger = scene(grants=pair("impact", subtypes=True)).revoke(
        by=CLIENT, activities=["impact"], at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.DENY,
        {"CK102"},
    )


def test_ck102_revocation_is_by_the_step_activity_subtree() -> None:
    """Revoking `impact.spanking` leaves a subtree grant on `impact` good for a crop."""
    ledger = scene(grants=pair("impact", subtypes=True)).revoke(
        by=CLIENT, activities=["impact.spanking"], at=at(10)
    )
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == ALLOWED
    assert outcome(check(step("impact.spanking.hand", at=at(20)), ledger)) == (
        Verdict.DENY,
        {"CK102"},
    )


def test_ck102_revocation_by_grant_id() -> None:
    """Revoking a grant by id withdraws it for every activity it covered."""
    ledger = scene(grants=pair("impact", subtypes=True)).revoke(
        by=CLIENT, grants=["client-receive-impact"], at=at(10)
    )
    decision = check(step("impact.crop", at=at(10)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK102"})
    assert decision.findings[0].refs == ("client-receive-impact", "p1")


def test_ck102_revocation_by_grant_id_narrowed_to_a_proposal() -> None:
    """A grant id revoked in one proposal leaves the same id in another untouched."""
    ledger = scene(grants=pair("impact.crop"))
    ledger = agree(
        ledger,
        terms(
            grants=pair("impact.crop"),
            parties=THREE,
        ),
        at=at(-30),
        proposal_id="p2",
    )
    ledger = ledger.revoke(
        by=CLIENT, grants=["client-receive-impact.crop"], proposal_id="p1", at=at(10)
    )
    # p2 (all three parties) is the newest; it governs the pair too.
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == ALLOWED
    revoked_there = ledger.revoke(
        by=CLIENT, grants=["client-receive-impact.crop"], proposal_id="p2", at=at(30)
    )
    assert outcome(check(step("impact.crop", at=at(30)), revoked_there)) == (
        Verdict.DENY,
        {"CK102"},
    )


def test_ck102_revoking_everything() -> None:
    """Revoking with nothing listed withdraws every grant of the party."""
    ledger = scene(grants=[*pair("impact.crop"), *pair("sensation.tickling")]).revoke(
        by=CLIENT, at=at(10)
    )
    for activity in ("impact.crop", "sensation.tickling"):
        assert outcome(check(step(activity, at=at(10)), ledger)) == (
            Verdict.DENY,
            {"CK102"},
        )


def test_ck102_revocation_by_the_giver() -> None:
    """The one who does may revoke too: their GIVE grant is withdrawn."""
    ledger = scene(grants=pair("impact.crop")).revoke(by=MISTRESS, at=at(10))
    decision = check(step("impact.crop", at=at(10)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK102"})
    assert decision.findings[0].refs == ("mistress-give-impact.crop", "p1")


def test_ck102_revocation_at_the_step_instant_counts() -> None:
    """A revocation at the same instant as the step applies to it."""
    ledger = scene(grants=pair("impact.crop")).revoke(by=CLIENT, at=at(10))
    assert outcome(check(step("impact.crop", at=at(9)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.DENY,
        {"CK102"},
    )


def test_ck102_revocation_wins_over_an_agreement_formed_later() -> None:
    """Revocation wins over an agreement accepted before it and formed after it."""
    ledger = scene(grants=[])
    ledger = ledger.propose(
        by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=at(1), proposal_id="p2"
    )
    ledger = ledger.accept(by=CLIENT, proposal_id="p2", at=at(2))
    ledger = ledger.revoke(by=CLIENT, activities=["impact"], at=at(3))
    ledger = ledger.accept(by=MISTRESS, proposal_id="p2", at=at(4))
    assert outcome(check(step("impact.crop", at=at(5)), ledger)) == (
        Verdict.DENY,
        {"CK102"},
    )


def test_ck102_accepting_again_after_revoking_consents_anew() -> None:
    """A party who accepts a new proposal after revoking consents anew."""
    ledger = scene(grants=pair("impact.crop")).revoke(by=CLIENT, at=at(10))
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(20), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == ALLOWED


def test_ck102_revoked_beats_capped_as_the_furthest_check() -> None:
    """A revoked candidate and a capped one: CK106, the capped one got further."""
    ledger = scene(
        grants=[
            receives("impact", subtypes=True, grant_id="broad"),
            receives("impact.crop", cap=2, grant_id="narrow"),
            gives("impact.crop"),
        ]
    ).revoke(by=CLIENT, grants=["broad"], at=at(10))
    decision = check(step("impact.crop", 5, at=at(10)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK106"})
    assert outcome(check(step("impact.crop", 2, at=at(10)), ledger)) == ALLOWED


# -- CK203 confirm-first --------------------------------------------------


def test_ck203_confirm_first_without_confirmation_is_renegotiate() -> None:
    """A grant that asks to be asked first is RENEGOTIATE until confirmed."""
    grant = receives("impact.crop", conditions=[ConfirmFirst()])
    ledger = scene(grants=[grant, gives("impact.crop")])
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.RENEGOTIATE, {"CK203"})
    assert decision.basis == ()


def test_ck203_confirmation_exactly_within_minutes_before() -> None:
    """A confirmation exactly `within_minutes` before the step counts (boundary)."""
    grant = receives("impact.crop", conditions=[ConfirmFirst(within_minutes=10)])
    ledger = scene(grants=[grant, gives("impact.crop")]).confirm(
        by=CLIENT, activity="impact.crop", at=at(20)
    )
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == ALLOWED
    late = check(step("impact.crop", at=at(30) + timedelta(seconds=1)), ledger)
    assert outcome(late) == (Verdict.RENEGOTIATE, {"CK203"})


def test_ck203_confirmation_at_the_step_instant_counts() -> None:
    """A confirmation given at the very instant of the step counts."""
    grant = receives("impact.crop", conditions=[ConfirmFirst(within_minutes=1)])
    ledger = scene(grants=[grant, gives("impact.crop")]).confirm(
        by=CLIENT, activity="impact.crop", at=at(20)
    )
    assert outcome(check(step("impact.crop", at=at(20)), ledger)) == ALLOWED


def test_ck203_confirmation_of_a_parent_covers_the_activity() -> None:
    """A `Confirmed` for a category covers an activity beneath it."""
    grant = receives("impact.crop", conditions=[ConfirmFirst()])
    ledger = scene(grants=[grant, gives("impact.crop")]).confirm(
        by=CLIENT, activity="impact", at=at(5)
    )
    assert outcome(check(step("impact.crop", at=at(6)), ledger)) == ALLOWED


def test_ck203_confirmation_of_another_activity_does_not_count() -> None:
    """A `Confirmed` for a sibling activity does not count."""
    grant = receives("impact.crop", conditions=[ConfirmFirst()])
    ledger = scene(grants=[grant, gives("impact.crop")]).confirm(
        by=CLIENT, activity="impact.spanking", at=at(5)
    )
    assert outcome(check(step("impact.crop", at=at(6)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK203"},
    )


def test_ck203_confirmation_by_the_other_party_does_not_count() -> None:
    """Only the granting party's confirmation counts."""
    grant = receives("impact.crop", conditions=[ConfirmFirst()])
    ledger = scene(grants=[grant, gives("impact.crop")]).confirm(
        by=MISTRESS, activity="impact.crop", at=at(5)
    )
    assert outcome(check(step("impact.crop", at=at(6)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK203"},
    )


def test_ck203_confirmation_before_the_agreement_formed_does_not_count() -> None:
    """A confirmation given before the step's agreement formed does not count."""
    grant = receives("impact.crop", conditions=[ConfirmFirst()])
    ledger = scene(grants=[]).confirm(by=CLIENT, activity="impact.crop", at=at(-50))
    ledger = agree(ledger, terms(grants=[grant, gives("impact.crop")]), at=at(-40))
    assert outcome(check(step("impact.crop"), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK203"},
    )


def test_ck203_confirmation_while_impaired_does_not_count() -> None:
    """A confirmation given while declared impaired is void."""
    grant = receives("impact.crop", conditions=[ConfirmFirst()])
    ledger = (
        scene(grants=[grant, gives("impact.crop")])
        .declare_impaired(by=MISTRESS, party=CLIENT, at=at(1))
        .confirm(by=CLIENT, activity="impact.crop", at=at(2))
        .clear_impaired(by=MISTRESS, party=CLIENT, at=at(3))
    )
    assert outcome(check(step("impact.crop", at=at(4)), ledger)) == (
        Verdict.RENEGOTIATE,
        {"CK203"},
    )


def test_ck203_comes_after_the_other_checks() -> None:
    """A candidate capped below the step is CK106 even if it awaits confirmation."""
    grant = receives("impact.crop", cap=3, conditions=[ConfirmFirst()])
    ledger = scene(grants=[grant, gives("impact.crop")])
    assert outcome(check(step("impact.crop", 4), ledger)) == (Verdict.DENY, {"CK106"})


def test_ck105_nested_explicit_only_needs_the_deepest_one_named() -> None:
    """Beneath two explicit_only activities, a grant must name the deeper one."""
    explicit = frozenset({"explicit_only"})
    catalog = Catalog(
        name="studio",
        version=1,
        activities=(
            Activity(id="play", label="Play"),
            Activity(id="play.film", label="Film", tags=explicit),
            Activity(id="play.film.face", label="Face on film", tags=explicit),
            Activity(id="play.film.face.close", label="Close-up"),
        ),
    )
    engine = Engine(catalog=catalog)
    outer = scene(grants=pair("play.film", subtypes=True))
    assert outcome(engine.check(step("play.film.face.close"), outer)) == (
        Verdict.DENY,
        {"CK105"},
    )
    inner = scene(grants=pair("play.film.face", subtypes=True))
    assert outcome(engine.check(step("play.film.face.close"), inner)) == ALLOWED
