# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Which agreement governs a step (SPEC 2 and 3.1): CK103, CK104, CK108, CK116."""

from __future__ import annotations

from datetime import timedelta

from consentkit import Ledger, Verdict, Window, check
from helpers import (
    ALLOWED,
    CLIENT,
    FORMED,
    MISTRESS,
    RED,
    T0,
    WINDOW,
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
THREE = (MISTRESS, CLIENT, GUEST)


def _window(start: float, end: float) -> Window:
    return Window(start=at(start), end=at(end))


# -- CK103 no-agreement ---------------------------------------------------


def test_ck103_empty_ledger() -> None:
    """With no agreement formed, a step is DENY with CK103 alone, saying so."""
    decision = check(step("impact.crop"), Ledger())
    assert outcome(decision) == (Verdict.DENY, {"CK103"})
    assert "no agreement has been formed" in decision.findings[0].message


def test_ck103_window_expired() -> None:
    """After the window ends, CK103 says the agreement has expired."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.crop", at=WINDOW.end), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK103"})
    assert "expired" in decision.findings[0].message


def test_ck103_window_not_begun() -> None:
    """Before the window begins, CK103 says it has not begun."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.crop", at=at(-1)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK103"})
    assert "not begun" in decision.findings[0].message


def test_ck103_proposal_still_open() -> None:
    """With a proposal still open, CK103 names it and who has yet to accept."""
    ledger = Ledger().propose(
        by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=FORMED
    )
    ledger = ledger.accept(by=MISTRESS, proposal_id="p1", at=FORMED)
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK103"})
    assert "proposal `p1` is still open" in decision.findings[0].message
    assert "`client`" in decision.findings[0].message


def test_ck103_impaired_acceptance_forms_no_agreement() -> None:
    """An acceptance given while impaired is void: CK103 names the void acceptance."""
    ledger = (
        Ledger()
        .propose(by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=FORMED)
        .accept(by=MISTRESS, proposal_id="p1", at=FORMED)
        .declare_impaired(by=MISTRESS, party=CLIENT, at=FORMED)
        .accept(by=CLIENT, proposal_id="p1", at=FORMED)
    )
    assert ledger.agreements() == ()
    decision = check(step("impact.crop"), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK103"})
    assert (
        "the acceptance by `client` of `p1` was void: given while impaired"
        in decision.findings[0].message
    )


def test_ck103_accepting_again_once_cleared_forms_the_agreement() -> None:
    """A party whose acceptance was void may accept again once cleared."""
    ledger = (
        Ledger()
        .propose(by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=FORMED)
        .accept(by=MISTRESS, proposal_id="p1", at=FORMED)
        .declare_impaired(by=MISTRESS, party=CLIENT, at=FORMED)
        .accept(by=CLIENT, proposal_id="p1", at=FORMED)
        .clear_impaired(by=MISTRESS, party=CLIENT, at=at(-30))
        .accept(by=CLIENT, proposal_id="p1", at=at(-20))
    )
    assert outcome(check(step("impact.crop"), ledger)) == ALLOWED


def test_ck103_proposer_must_accept_too() -> None:
    """Proposing is not accepting: without the proposer's acceptance, no agreement."""
    ledger = (
        Ledger()
        .propose(by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=FORMED)
        .accept(by=CLIENT, proposal_id="p1", at=FORMED)
    )
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK103"})


def test_ck103_step_before_the_agreement_formed() -> None:
    """A step inside the window but before the agreement formed is CK103."""
    ledger = scene(grants=pair("impact.crop"), formed=at(30))
    assert outcome(check(step("impact.crop", at=at(29)), ledger)) == (
        Verdict.DENY,
        {"CK103"},
    )


def test_ck103_step_exactly_at_formation_time() -> None:
    """A step at the very instant the agreement formed is governed by it (boundary)."""
    ledger = scene(grants=pair("impact.crop"), formed=at(30))
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == ALLOWED


def test_ck103_step_exactly_at_window_start() -> None:
    """A step at the window's start is inside the half-open window (boundary)."""
    ledger = scene(grants=pair("impact.crop"))
    assert outcome(check(step("impact.crop", at=WINDOW.start), ledger)) == ALLOWED


def test_ck103_declined_and_withdrawn_proposals_form_nothing() -> None:
    """A declined or withdrawn proposal never governs a step."""
    declined = (
        Ledger()
        .propose(by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=FORMED)
        .accept(by=MISTRESS, proposal_id="p1", at=FORMED)
        .decline(by=CLIENT, proposal_id="p1", at=FORMED)
    )
    withdrawn = (
        Ledger()
        .propose(by=MISTRESS, terms=terms(grants=pair("impact.crop")), at=FORMED)
        .withdraw(by=MISTRESS, proposal_id="p1", at=FORMED)
    )
    for ledger in (declined, withdrawn):
        assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK103"})


# -- CK104 not-a-party ----------------------------------------------------


def test_ck104_present_party_outside_the_agreement() -> None:
    """A present party not in the recipient's agreement is CK104, named."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.crop", present=[GUEST]), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK104"})
    assert decision.findings[0].message.startswith("guest is not a party")
    assert decision.findings[0].refs == ("p1",)


def test_ck104_actor_outside_the_agreement() -> None:
    """An actor not in the recipient's agreement is CK104, named."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.crop", actor=GUEST), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK104"})
    assert "guest" in decision.findings[0].message


def test_ck104_director_outside_the_agreement() -> None:
    """A director is a party of the step: outside the agreement, CK104."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.crop", directed_by=GUEST), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK104"})
    assert "guest" in decision.findings[0].message


def test_ck104_names_every_missing_party() -> None:
    """CK104 names all the step's parties missing from the agreement."""
    ledger = scene(grants=pair("impact.crop"))
    decision = check(step("impact.crop", present=[GUEST, "amy"]), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK104"})
    assert decision.findings[0].message.startswith("amy, guest are not parties")


def test_ck104_all_parties_together_select_a_wider_agreement() -> None:
    """With every party in an agreement, that one is selected and no CK104."""
    ledger = scene(grants=pair("impact.crop"))
    ledger = agree(
        ledger,
        terms(grants=pair("impact.crop"), parties=THREE),
        at=at(-30),
        proposal_id="p2",
    )
    decision = check(step("impact.crop", present=[GUEST]), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK105"})


# -- which agreement -------------------------------------------------------


def test_newer_agreement_replaces_the_older_one_entirely() -> None:
    """A newer agreement replaces an older one entirely, narrowing it here."""
    ledger = scene(grants=[*pair("impact.crop"), *pair("sensation.tickling")])
    ledger = agree(
        ledger, terms(grants=pair("sensation.tickling")), at=at(10), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", at=at(9)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.DENY,
        {"CK105"},
    )


def test_newer_agreement_widens_what_an_older_one_allowed() -> None:
    """A newer agreement can widen too: it replaces the older one entirely."""
    ledger = scene(grants=pair("impact.crop", cap=3))
    ledger = agree(
        ledger, terms(grants=pair("impact.crop", cap=8)), at=at(10), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", 8, at=at(10)), ledger)) == ALLOWED


def test_older_agreement_applies_again_when_the_newer_window_ends() -> None:
    """When the newer window ends, the older agreement applies again."""
    ledger = scene(grants=pair("impact.crop"))
    ledger = agree(
        ledger,
        terms(grants=pair("sensation.tickling"), window=_window(0, 60)),
        at=at(-30),
        proposal_id="p2",
    )
    assert outcome(check(step("impact.crop", at=at(59)), ledger)) == (
        Verdict.DENY,
        {"CK105"},
    )
    assert outcome(check(step("impact.crop", at=at(60)), ledger)) == ALLOWED


def test_newer_agreement_not_yet_begun_leaves_the_older_one() -> None:
    """A newer agreement whose window has not begun is not selected yet."""
    ledger = scene(grants=pair("impact.crop"))
    ledger = agree(
        ledger,
        terms(grants=pair("sensation.tickling"), window=_window(60, 120)),
        at=at(-30),
        proposal_id="p2",
    )
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == ALLOWED
    assert outcome(check(step("impact.crop", at=at(90)), ledger)) == (
        Verdict.DENY,
        {"CK105"},
    )


def test_pair_agreement_is_selected_over_an_older_group_one() -> None:
    """For the pair alone, the newest agreement including them both applies."""
    ledger = agree(
        Ledger(),
        terms(grants=pair("impact.crop"), parties=THREE),
        at=FORMED,
        proposal_id="p1",
    )
    ledger = agree(ledger, terms(grants=[]), at=at(-30), proposal_id="p2")
    assert outcome(check(step("impact.crop"), ledger)) == (Verdict.DENY, {"CK105"})


def test_group_agreement_is_selected_for_a_step_with_a_guest() -> None:
    """A step with a guest is checked against the agreement that includes them."""
    ledger = agree(
        Ledger(),
        terms(grants=pair("impact.crop"), parties=THREE),
        at=FORMED,
        proposal_id="p1",
    )
    ledger = agree(ledger, terms(grants=[]), at=at(-30), proposal_id="p2")
    decision = check(step("impact.crop", directed_by=GUEST), ledger)
    assert outcome(decision) == ALLOWED


# -- CK116 outside-window -------------------------------------------------


def test_ck116_step_ending_exactly_at_the_window_end() -> None:
    """A step ending exactly when the window ends is ALLOW (boundary)."""
    ledger = scene(grants=pair("impact.crop"))
    last = step("impact.crop", at=WINDOW.end - timedelta(minutes=10), minutes=10)
    assert outcome(check(last, ledger)) == ALLOWED


def test_ck116_step_ending_after_the_window_end() -> None:
    """A step ending after the window ends is DENY with CK116."""
    ledger = scene(grants=pair("impact.crop"))
    late = step("impact.crop", at=WINDOW.end - timedelta(minutes=10), minutes=11)
    decision = check(late, ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK116"})
    assert decision.findings[0].refs == ("p1",)


def test_ck116_step_starting_at_the_window_end_has_no_agreement() -> None:
    """The window is half-open: a step starting at its end is CK103, not CK116."""
    ledger = scene(grants=pair("impact.crop"))
    assert outcome(check(step("impact.crop", at=WINDOW.end), ledger)) == (
        Verdict.DENY,
        {"CK103"},
    )


# -- CK108 stopped ----------------------------------------------------------


def test_ck108_stop_ends_the_agreement() -> None:
    """After a STOP, steps are DENY with CK108 naming who gave it and when."""
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="red", at=at(30))
    assert outcome(check(step("impact.crop", at=at(29)), ledger)) == ALLOWED
    decision = check(step("impact.crop", at=at(40)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK108"})
    assert decision.findings[0].message == (
        "agreement `p1` was ended by a STOP: `red` from client at 2026-03-06T20:30:00Z"
    )


def test_ck108_stop_at_the_step_instant_counts() -> None:
    """A STOP at the same instant as a step applies to it (events at t count)."""
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="red", at=at(30))
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )


def test_ck108_stop_by_the_giver_ends_it_too() -> None:
    """Anyone party to the agreement can stop it."""
    ledger = scene(grants=pair("impact.crop")).signal(by=MISTRESS, cue="red", at=at(30))
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )


def test_ck108_unknown_cue_is_a_stop() -> None:
    """A cue the protocol does not define counts as STOP."""
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="mercy", at=at(30))
    decision = check(step("impact.crop", at=at(31)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK108"})
    assert "`mercy` from client" in decision.findings[0].message


def test_ck108_cue_is_read_through_the_givers_agreement_in_force() -> None:
    """A cue is read through the giver's agreement in force: lacking there, a STOP."""
    pair_terms = terms(grants=pair("impact.crop"))
    ledger = agree(Ledger(), pair_terms, at=FORMED, proposal_id="p1")
    ledger = agree(
        ledger,
        terms(
            grants=[],
            parties=(CLIENT, GUEST),
            protocol=protocol(signals=[RED]),
        ),
        at=at(-30),
        proposal_id="p2",
    )
    ledger = ledger.signal(by=CLIENT, cue="yellow", at=at(10))
    assert outcome(check(step("impact.crop", at=at(10)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )


def test_ck108_stop_ends_a_standing_agreement_too() -> None:
    """A STOP ends standing agreements whose window contains it too."""
    standing = _window(-24 * 60, 30 * 24 * 60)
    ledger = scene(grants=pair("impact.crop"), window=standing, formed=at(-24 * 60))
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(-30), proposal_id="p2"
    )
    ledger = ledger.signal(by=CLIENT, cue="red", at=at(60))
    # The session agreement ended ...
    assert outcome(check(step("impact.crop", at=at(120)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )
    # ... and when its window ends, the standing one does not come back.
    assert outcome(check(step("impact.crop", at=at(240)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )


def test_ck108_stopped_agreement_still_counts_when_selecting() -> None:
    """A STOP never brings an older agreement back while the ended newer one runs."""
    ledger = scene(grants=pair("impact.crop"), window=_window(40, 600))
    ledger = agree(
        ledger,
        terms(grants=pair("impact.crop"), window=_window(0, 60)),
        at=at(-30),
        proposal_id="p2",
    )
    # p1's window has not begun at the STOP: only p2 ends.
    ledger = ledger.signal(by=CLIENT, cue="red", at=at(30))
    decision = check(step("impact.crop", at=at(45)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK108"})
    assert decision.findings[0].refs == ("p2",)
    assert outcome(check(step("impact.crop", at=at(60)), ledger)) == ALLOWED


def test_ck108_stop_spares_an_agreement_not_yet_begun() -> None:
    """An agreement whose window has not begun at the STOP is untouched."""
    later = _window(300, 480)
    ledger = scene(grants=pair("impact.crop"))
    ledger = agree(
        ledger,
        terms(grants=pair("impact.crop"), window=later),
        at=at(-30),
        proposal_id="p2",
    )
    ledger = ledger.signal(by=CLIENT, cue="red", at=at(30))
    assert outcome(check(step("impact.crop", at=at(60)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )
    assert outcome(check(step("impact.crop", at=at(360)), ledger)) == ALLOWED


def test_ck108_stop_spares_an_agreement_formed_after_it() -> None:
    """An agreement formed after the STOP, even at the same instant, is untouched."""
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="red", at=at(30))
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(30), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", at=at(30)), ledger)) == ALLOWED


def test_ck108_stop_spares_agreements_of_other_parties() -> None:
    """A STOP ends only agreements its giver is party to."""
    ledger = agree(
        scene(grants=pair("impact.crop")),
        terms(
            grants=[receives("impact.crop", party=GUEST), gives("impact.crop")],
            parties=(MISTRESS, GUEST),
        ),
        at=at(-30),
        proposal_id="p2",
    ).signal(by=CLIENT, cue="red", at=at(30))
    assert outcome(check(step("impact.crop", at=at(40)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )
    guest_step = step("impact.crop", recipient=GUEST, at=at(40))
    assert outcome(check(guest_step, ledger)) == ALLOWED


def test_ck108_signal_with_no_agreement_in_force_is_a_stop() -> None:
    """A signal given with no agreement in force counts as STOP."""
    group = terms(grants=pair("impact.crop"), parties=THREE, window=_window(60, 120))
    ledger = agree(Ledger(), group, at=FORMED, proposal_id="p1")
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=FORMED, proposal_id="p2"
    )
    guest_step = step("impact.crop", present=[], directed_by=GUEST, at=at(90))
    assert outcome(check(guest_step, ledger)) == ALLOWED
    # The client stops the pair's agreement p2; p1 has not begun and is spared.
    ledger = ledger.signal(by=CLIENT, cue="red", at=at(10))
    assert outcome(check(guest_step, ledger)) == ALLOWED
    # Now the client's agreement in force is none (p2 is ended and newest), so a
    # green is read as a STOP, and it ends p1, whose window contains it.
    ledger = ledger.signal(by=CLIENT, cue="green", at=at(80))
    decision = check(guest_step, ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK108"})
    assert decision.findings[0].refs == ("p1",)


def test_ck108_on_the_recipients_agreement_when_none_covers_all() -> None:
    """A stopped agreement of the recipient alone gives CK108, not CK104."""
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="red", at=at(30))
    decision = check(step("impact.crop", present=[GUEST], at=at(40)), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK108"})


def test_ck108_new_agreement_after_a_stop_governs_again() -> None:
    """After a STOP, a newer agreement lets play resume."""
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="red", at=at(30))
    ledger = agree(
        ledger, terms(grants=pair("impact.crop")), at=at(45), proposal_id="p2"
    )
    assert outcome(check(step("impact.crop", at=at(44)), ledger)) == (
        Verdict.DENY,
        {"CK108"},
    )
    assert outcome(check(step("impact.crop", at=at(45)), ledger)) == ALLOWED


def test_t0_is_the_window_start() -> None:
    """The helpers' default window starts at T0 (a guard for the tests above)."""
    assert WINDOW.start == T0


def test_ck108_stands_without_rules_reading_the_agreement() -> None:
    """Under a stopped agreement, no rule that reads it or its protocol reports more."""
    ledger = (
        scene(
            grants=[receives("restraint.gag.ball", cap=1)],
            protocol=protocol(signals=[RED]),
        )
        .signal(by=CLIENT, cue="red", at=at(10))
        .declare_impaired(by=MISTRESS, party=CLIENT, at=at(11))
    )
    gag = step("restraint.gag.ball", 5, at=at(12), minutes=600, present=[GUEST])
    assert outcome(check(gag, ledger)) == (Verdict.DENY, {"CK108"})


def test_ck104_stands_without_rules_reading_the_agreement() -> None:
    """Without an agreement for every party, only CK104 is reported (and no CK109)."""
    ledger = scene(grants=pair("impact.crop")).declare_impaired(
        by=MISTRESS, party=CLIENT, at=at(10)
    )
    decision = check(step("impact.crop", 9, at=at(10), present=[GUEST]), ledger)
    assert outcome(decision) == (Verdict.DENY, {"CK104"})


def test_ck103_stands_without_rules_reading_the_agreement() -> None:
    """With no agreement, a gag with nothing agreed is CK103 alone."""
    assert outcome(check(step("restraint.gag.ball", 10), Ledger())) == (
        Verdict.DENY,
        {"CK103"},
    )
