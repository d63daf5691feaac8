# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Pinned examples for the reference evaluator in ``tests/oracle.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from consentkit import (
    Accepted,
    Activity,
    Catalog,
    Confirmed,
    ConfirmFirst,
    Grant,
    Ledger,
    Limit,
    LimitDeclared,
    LimitKind,
    LimitLifted,
    Proposed,
    Protocol,
    Revoked,
    Role,
    Signal,
    SignalGiven,
    SignalKind,
    SignalMeaning,
    Step,
    Terms,
    Window,
    digest,
)
from oracle import Event, decide

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)
WINDOW = Window(start=T0, end=T0 + timedelta(hours=3))

CATALOG = Catalog(
    name="tiny",
    version=1,
    activities=(
        Activity(id="impact", label="Impact"),
        Activity(id="impact.spanking", label="Spanking"),
        Activity(id="impact.crop", label="Crop", tags=frozenset({"leaves_marks"})),
        Activity(id="restraint", label="Restraint"),
        Activity(id="restraint.gag", label="Gag", tags=frozenset({"impairs_speech"})),
        Activity(
            id="restraint.hood",
            label="Hood",
            tags=frozenset({"explicit_only", "impairs_vision"}),
        ),
    ),
)

RED = Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP)
YELLOW = Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW)
GREEN = Signal(cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME)
DROP = Signal(
    cue="drop",
    kind=SignalKind.NONVERBAL,
    meaning=SignalMeaning.STOP,
    needs=frozenset({"free_hand"}),
)
VERBAL_ONLY = Protocol(signals=(RED, YELLOW, GREEN))


def receive(activity: str, conditions: tuple[ConfirmFirst, ...] = ()) -> Grant:
    """A subtree grant by ``sub`` to receive ``activity``."""
    return Grant(
        id=f"sub-{activity}",
        party="sub",
        role=Role.RECEIVE,
        activity=activity,
        include_subtypes=True,
        conditions=conditions,
    )


def give(activity: str) -> Grant:
    """A subtree grant by ``dom`` to give ``activity``."""
    return Grant(
        id=f"dom-{activity}",
        party="dom",
        role=Role.GIVE,
        activity=activity,
        include_subtypes=True,
    )


def agreed(
    *grants: Grant,
    protocol: Protocol = VERBAL_ONLY,
    limits: tuple[Limit, ...] = (),
) -> list[Event]:
    """Events of a proposal by ``dom`` that both ``dom`` and ``sub`` accept."""
    terms = Terms(
        parties=frozenset({"dom", "sub"}),
        window=WINDOW,
        grants=grants,
        limits=limits,
        protocol=protocol,
    )
    return [
        Proposed(at=T0, by="dom", proposal_id="p1", terms=terms),
        Accepted(at=T0, by="dom", proposal_id="p1", terms_digest=digest(terms)),
        Accepted(at=T0, by="sub", proposal_id="p1", terms_digest=digest(terms)),
    ]


def step(
    activity: str = "impact.spanking",
    intensity: int = 5,
    *,
    at: datetime = T0 + timedelta(minutes=10),
    duration: timedelta = timedelta(0),
    present: frozenset[str] = frozenset(),
) -> Step:
    """A step by ``dom`` on ``sub``, by default ten minutes into the window."""
    return Step(
        actor="dom",
        recipient="sub",
        activity=activity,
        intensity=intensity,
        at=at,
        duration=duration,
        present=present,
    )


LATER = T0 + timedelta(minutes=5)


@dataclass(frozen=True)
class House:
    """House rules as the oracle reads them."""

    banned_activities: frozenset[str] = frozenset()
    banned_tags: frozenset[str] = frozenset()


def check(
    events: list[Event], planned: Step, house: House | None = None
) -> tuple[str, frozenset[str]]:
    """Append the events to a ledger (so they obey its rules), then decide."""
    ledger = Ledger()
    for event in events:
        ledger = ledger.append(event)
    return decide([entry.event for entry in ledger], planned, CATALOG, house)


def test_both_sides_granted_allows() -> None:
    """A step both the giver and the receiver granted is ALLOW."""
    events = agreed(receive("impact"), give("impact"))
    assert check(events, step()) == ("allow", frozenset())


def test_missing_receiver_grant_is_no_consent() -> None:
    """Without a grant of the recipient, the step is DENY with CK105."""
    events = agreed(give("impact"))
    assert check(events, step()) == ("deny", frozenset({"CK105"}))


def test_standing_hard_limit_denies() -> None:
    """A standing hard limit of the recipient covering the activity is CK101."""
    limit = Limit(party="sub", kind=LimitKind.HARD, activity="impact.crop")
    events = [
        *agreed(receive("impact"), give("impact")),
        LimitDeclared(at=LATER, by="sub", limit=limit),
    ]
    assert check(events, step("impact.crop")) == (
        "deny",
        frozenset({"CK101"}),
    )
    assert check(events, step("impact.spanking")) == ("allow", frozenset())


def test_revoked_activity_denies() -> None:
    """A revocation of the activity's subtree by the recipient is CK102."""
    events = [
        *agreed(receive("impact"), give("impact")),
        Revoked(at=LATER, by="sub", activities=frozenset({"impact.spanking"})),
    ]
    assert check(events, step()) == ("deny", frozenset({"CK102"}))
    # Decisions: a subtree grant on impact stays good for impact.crop.
    assert check(events, step("impact.crop")) == ("allow", frozenset())


def test_revocation_applies_to_an_agreement_formed_after_it() -> None:
    """A revocation after the party accepted wins even if the agreement forms later."""
    proposed, dom_accepts, sub_accepts = agreed(receive("impact"), give("impact"))
    everything = Revoked(at=T0, by="sub")
    late_form = [proposed, sub_accepts, everything, dom_accepts]
    assert check(late_form, step()) == ("deny", frozenset({"CK102"}))
    # Decisions: accepting after revoking consents anew.
    anew = [everything, proposed, dom_accepts, sub_accepts]
    assert check(anew, step()) == ("allow", frozenset())


def test_lift_frees_only_agreements_formed_after_it() -> None:
    """A lifted standing limit still binds an agreement formed before the lift."""
    limit = Limit(party="sub", kind=LimitKind.HARD, activity="impact.crop")
    declared = LimitDeclared(at=T0, by="sub", limit=limit)
    lift = LimitLifted(at=T0, by="sub", kind=LimitKind.HARD, activity="impact.crop")
    events = agreed(receive("impact"), give("impact"))
    crop = step("impact.crop")
    assert check([declared, lift, *events], crop) == ("allow", frozenset())
    assert check([declared, *events, lift], crop) == ("deny", frozenset({"CK101"}))


def test_stop_ends_the_agreement() -> None:
    """A STOP by the recipient ends the agreement: CK108 alone."""
    events = [
        *agreed(receive("impact"), give("impact")),
        SignalGiven(at=LATER, by="sub", cue="red"),
    ]
    assert check(events, step()) == ("deny", frozenset({"CK108"}))
    # A step before the STOP does not see it.
    early = step(at=T0 + timedelta(minutes=1))
    assert check(events, early) == ("allow", frozenset())


def test_unknown_cue_counts_as_stop() -> None:
    """A cue the protocol does not define counts as STOP."""
    events = [
        *agreed(receive("impact"), give("impact")),
        SignalGiven(at=LATER, by="dom", cue="mayday"),
    ]
    assert check(events, step()) == ("deny", frozenset({"CK108"}))


def test_slow_with_intensity_caps_and_slows() -> None:
    """A SLOW at intensity 5 slows (CK202) and caps at 4 (CK114) until RESUME."""
    slowed = [
        *agreed(receive("impact"), give("impact")),
        SignalGiven(at=LATER, by="sub", cue="yellow", intensity=5),
    ]
    assert check(slowed, step(intensity=5)) == (
        "deny",
        frozenset({"CK114", "CK202"}),
    )
    assert check(slowed, step(intensity=4)) == (
        "renegotiate",
        frozenset({"CK202"}),
    )
    resumed = [*slowed, SignalGiven(at=LATER, by="sub", cue="green")]
    assert check(resumed, step(intensity=4)) == ("allow", frozenset())
    assert check(resumed, step(intensity=5)) == (
        "deny",
        frozenset({"CK114"}),
    )


def test_soft_limit_needs_a_confirmation() -> None:
    """A soft tag limit not addressed is CK201 until the party confirms."""
    soft = Limit(party="sub", kind=LimitKind.SOFT, tag="leaves_marks")
    events = agreed(receive("impact"), give("impact"), limits=(soft,))
    crop = step("impact.crop")
    assert check(events, crop) == ("renegotiate", frozenset({"CK201"}))
    confirmed = [*events, Confirmed(at=LATER, by="sub", activity="impact.crop")]
    assert check(confirmed, crop) == ("allow", frozenset())


def test_confirm_first_waits_for_a_confirmation() -> None:
    """A ConfirmFirst condition is CK203 until a Confirmed in time."""
    ask = receive("impact", conditions=(ConfirmFirst(within_minutes=5),))
    events = agreed(ask, give("impact"))
    assert check(events, step()) == ("renegotiate", frozenset({"CK203"}))
    confirmed = [*events, Confirmed(at=LATER, by="sub", activity="impact")]
    assert check(confirmed, step()) == ("allow", frozenset())
    # Ten minutes after the confirmation is too late for a five-minute window.
    late = step(at=LATER + timedelta(minutes=10))
    assert check(confirmed, late) == ("renegotiate", frozenset({"CK203"}))


def test_no_agreement_while_a_proposal_is_open() -> None:
    """With only the proposer's acceptance, no agreement formed: CK103."""
    events = agreed(receive("impact"), give("impact"))[:2]
    assert check(events, step()) == ("deny", frozenset({"CK103"}))


def test_third_party_outside_the_agreement() -> None:
    """A present party the agreement does not include is CK104."""
    events = agreed(receive("impact"), give("impact"))
    watched = step(present=frozenset({"guest"}))
    assert check(events, watched) == ("deny", frozenset({"CK104"}))


def test_gag_without_nonverbal_stop() -> None:
    """A gag leaves no usable verbal STOP: CK111; a dropped object fixes it."""
    grants = (receive("restraint"), give("restraint"))
    gag = step("restraint.gag")
    events = agreed(*grants)
    assert check(events, gag) == ("deny", frozenset({"CK111"}))
    with_drop = agreed(*grants, protocol=Protocol(signals=(RED, DROP)))
    assert check(with_drop, gag) == ("allow", frozenset())


def test_explicit_only_needs_its_own_grant() -> None:
    """A subtree grant does not cover an explicit_only child: CK105."""
    events = agreed(receive("restraint"), give("restraint"))
    hood = step("restraint.hood")
    assert check(events, hood) == ("deny", frozenset({"CK105"}))
    named = agreed(receive("restraint.hood"), give("restraint.hood"))
    assert check(named, hood) == ("allow", frozenset())


def test_unknown_activity_stands_alone() -> None:
    """An activity outside the catalog is CK100 and nothing else."""
    assert check([], step("breath.choke")) == (
        "deny",
        frozenset({"CK100"}),
    )


def test_house_rule_bans_a_tag_even_without_agreement() -> None:
    """A banned tag is CK115, reported beside CK103."""
    house = House(banned_tags=frozenset({"leaves_marks"}))
    crop = step("impact.crop")
    assert check([], crop, house) == (
        "deny",
        frozenset({"CK103", "CK115"}),
    )


def test_step_must_end_within_the_window() -> None:
    """A step ending after the window's end is CK116; ending at it is fine."""
    events = agreed(receive("impact"), give("impact"))
    start = WINDOW.end - timedelta(minutes=10)
    exact = step(at=start, duration=timedelta(minutes=10))
    over = step(at=start, duration=timedelta(minutes=11))
    assert check(events, exact) == ("allow", frozenset())
    assert check(events, over) == ("deny", frozenset({"CK116"}))
