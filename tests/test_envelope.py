# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""`envelope` (SPEC 3): the room a step may move in, in agreement with `check`."""

from __future__ import annotations

from datetime import datetime

import attrs

from consentkit import (
    Allowance,
    ConfirmFirst,
    Engine,
    HouseRules,
    Ledger,
    MaxDuration,
    Spotter,
    Step,
    envelope,
)
from helpers import (
    CLIENT,
    DROP,
    MISTRESS,
    RED,
    T0,
    at,
    gives,
    hard,
    pair,
    protocol,
    receives,
    scene,
    soft,
)

DEFAULT = Engine()


def agreeing(
    ledger: Ledger,
    when: datetime = T0,
    *,
    engine: Engine = DEFAULT,
    actor: str = MISTRESS,
    recipient: str = CLIENT,
) -> dict[str, Allowance]:
    """The envelope, after checking it against `check` activity by activity.

    Each listed activity is ALLOW at intensity 1 and at its cap, and not at
    cap + 1; its conditions are the chosen grants' `MaxDuration` and
    `ConfirmFirst`; every unlisted activity is not ALLOW at intensity 1.
    """
    allowances = engine.envelope(ledger, actor, recipient, when)
    listed = {a.activity: a for a in allowances}
    assert len(listed) == len(allowances), "an activity is listed twice"
    agreement = ledger.state_at(when).selected((actor, recipient))
    grants = {} if agreement is None else {g.id: g for g in agreement.terms.grants}
    for activity in engine.catalog:
        probe = Step(
            actor=actor, recipient=recipient, activity=activity.id, intensity=1, at=when
        )
        decision = engine.check(probe, ledger)
        allowance = listed.get(activity.id)
        if allowance is None:
            assert not decision.allowed, f"{activity.id} is ALLOW but not listed"
            continue
        assert decision.allowed, f"{activity.id} is listed but {decision.verdict}"
        cap = allowance.max_intensity
        top = attrs.evolve(probe, intensity=10 if cap is None else cap)
        assert engine.check(top, ledger).allowed, f"{activity.id} at its cap"
        if cap is not None and cap < 10:
            above = attrs.evolve(probe, intensity=cap + 1)
            assert not engine.check(above, ledger).allowed, f"{activity.id} above cap"
        expected: list[MaxDuration | ConfirmFirst] = []
        for grant_id in decision.basis:
            for condition in grants[grant_id].conditions:
                if isinstance(condition, MaxDuration | ConfirmFirst) and (
                    condition not in expected
                ):
                    expected.append(condition)
        assert allowance.conditions == tuple(expected), activity.id
    return listed


def _caps(listed: dict[str, Allowance]) -> dict[str, int | None]:
    return {activity: a.max_intensity for activity, a in listed.items()}


def test_envelope_lists_what_both_sides_granted_with_caps() -> None:
    """Each activity both sides granted is listed with the lower of their caps."""
    ledger = scene(
        grants=[
            *pair("impact.crop", cap=6),
            *pair("impact.spanking", subtypes=True),
            receives("sensation.tickling", cap=3),
            gives("sensation.tickling", cap=5),
            receives("service.domestic"),
        ]
    )
    assert _caps(agreeing(ledger)) == {
        "impact.crop": 6,
        "impact.spanking": None,
        "impact.spanking.hand": None,
        "impact.spanking.paddle": None,
        "sensation.tickling": 3,
    }


def test_envelope_takes_the_highest_passing_candidate() -> None:
    """With two candidates, the envelope uses the chosen one's (higher) cap."""
    ledger = scene(
        grants=[
            receives("impact", cap=3, subtypes=True),
            receives("impact.crop", cap=7),
            gives("impact", subtypes=True),
        ]
    )
    caps = _caps(agreeing(ledger))
    assert caps["impact.crop"] == 7
    assert caps["impact.flogging"] == 3
    assert "impact.face_slap" not in caps


def test_envelope_applies_a_slow_cap() -> None:
    """A SLOW given at intensity 5 caps every listed activity at 4."""
    ledger = (
        scene(grants=[*pair("impact.crop", cap=6), *pair("impact.flogging", cap=3)])
        .signal(by=CLIENT, cue="yellow", at=at(10), intensity=5)
        .signal(by=CLIENT, cue="green", at=at(11))
    )
    assert _caps(agreeing(ledger, at(12))) == {
        "impact.crop": 4,
        "impact.flogging": 3,
    }


def test_envelope_is_empty_while_slowed() -> None:
    """Before the RESUME, nothing is ALLOW, so nothing is listed."""
    ledger = scene(grants=pair("impact.crop")).signal(
        by=CLIENT, cue="yellow", at=at(10), intensity=5
    )
    assert agreeing(ledger, at(10)) == {}


def test_envelope_leaves_out_limits() -> None:
    """Hard limits and unaddressed soft limits keep activities out."""
    ledger = scene(
        grants=pair("impact", subtypes=True),
        limits=[hard(tag="leaves_marks"), soft("impact.spanking")],
    )
    assert _caps(agreeing(ledger)) == {}
    # Without the tag limit only the soft limit's reach stays out: it reaches
    # `impact.spanking`, the activities beneath it, and `impact` above it.
    ledger = scene(
        grants=pair("impact", subtypes=True),
        limits=[soft("impact.spanking")],
        protocol=protocol(equipment=["first_aid_kit"]),
    )
    assert set(_caps(agreeing(ledger))) == {
        "impact.crop",
        "impact.flogging",
    }


def test_envelope_lists_max_duration_conditions() -> None:
    """The chosen grants' `MaxDuration` conditions come with the allowance."""
    ledger = scene(
        grants=[
            receives("impact.crop", conditions=[MaxDuration(minutes=30)]),
            gives("impact.crop", conditions=[MaxDuration(minutes=20)]),
        ]
    )
    listed = agreeing(ledger)
    assert listed["impact.crop"].conditions == (
        MaxDuration(minutes=30),
        MaxDuration(minutes=20),
    )


def test_envelope_needs_a_confirmation_given() -> None:
    """A `ConfirmFirst` grant is listed only once confirmed, with its condition."""
    grant = receives("impact.crop", conditions=[ConfirmFirst(within_minutes=15)])
    ledger = scene(grants=[grant, gives("impact.crop")])
    assert agreeing(ledger, at(10)) == {}
    confirmed = ledger.confirm(by=CLIENT, activity="impact.crop", at=at(5))
    listed = agreeing(confirmed, at(10))
    assert listed["impact.crop"].conditions == (ConfirmFirst(within_minutes=15),)
    assert agreeing(confirmed, at(21)) == {}


def test_envelope_leaves_out_what_needs_a_spotter() -> None:
    """An activity that needs a spotter present is not listed."""
    guest = "guest"
    grant = receives("impact.crop", conditions=[Spotter(party=guest)])
    ledger = scene(
        grants=[grant, gives("impact.crop"), *pair("impact.flogging")],
        parties=(MISTRESS, CLIENT, guest),
    )
    assert _caps(agreeing(ledger)) == {"impact.flogging": None}


def test_envelope_leaves_out_what_the_protocol_cannot_support() -> None:
    """A gag is listed only with shears at hand and a STOP that survives it."""
    gag = "restraint.gag.ball"
    spoken = scene(grants=pair(gag), protocol=protocol(equipment=["safety_shears"]))
    assert agreeing(spoken) == {}
    ready = scene(
        grants=pair(gag),
        protocol=protocol(signals=[RED, DROP], equipment=["safety_shears"]),
    )
    assert _caps(agreeing(ready)) == {gag: None}


def test_envelope_respects_house_rules() -> None:
    """House bans keep activities out of the envelope."""
    engine = Engine(house=HouseRules(banned_tags=frozenset({"leaves_marks"})))
    ledger = scene(
        grants=[*pair("sensation", subtypes=True)],
        protocol=protocol(equipment=["first_aid_kit"]),
    )
    # Everything that may leave marks is out, categories above it included.
    assert _caps(agreeing(ledger, engine=engine)) == {
        "sensation.electro": None,
        "sensation.soft_touch": None,
        "sensation.tickling": None,
    }


def test_envelope_empty_without_agreement_or_after_stop() -> None:
    """With no agreement, or after a STOP, nothing is listed."""
    assert agreeing(Ledger()) == {}
    ledger = scene(grants=pair("impact.crop")).signal(by=CLIENT, cue="red", at=at(5))
    assert _caps(agreeing(ledger, at(4))) == {"impact.crop": None}
    assert agreeing(ledger, at(5)) == {}


def test_envelope_is_directional() -> None:
    """The envelope of the client on the mistress is what they granted that way."""
    ledger = scene(
        grants=[
            *pair("impact.crop"),
            receives("service.foot_worship", party=MISTRESS),
            gives("service.foot_worship", party=CLIENT),
        ]
    )
    assert _caps(agreeing(ledger, actor=CLIENT, recipient=MISTRESS)) == {
        "service.foot_worship": None
    }


def test_module_envelope_uses_a_default_engine() -> None:
    """`consentkit.envelope` answers as a default `Engine()` does."""
    ledger = scene(grants=pair("impact.crop", cap=4))
    assert envelope(ledger, MISTRESS, CLIENT, T0) == Engine().envelope(
        ledger, MISTRESS, CLIENT, T0
    )
