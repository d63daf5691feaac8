"""Build the example sessions: a ledger, a plan and the expected verdicts for each.

Each example is written with the `Ledger` API the way an application would
record a negotiation, then saved as consentkit documents:

    examples/<name>/ledger.json    the negotiation and the scene, hash-chained
    examples/<name>/plan.json      the steps to check
    examples/<name>/expected.json  the verdicts a practitioner expects

The expected verdicts and codes are written here by hand, from the
specification, not computed by the engine: the tests run the engine on every
example and compare.  Run ``python examples/build.py`` to rewrite the files;
``python examples/build.py --check`` only says whether they are current.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import consentkit
from consentkit import (
    Aftercare,
    CheckInWithin,
    Grant,
    Ledger,
    Limit,
    LimitKind,
    Plan,
    Protocol,
    Role,
    Signal,
    SignalKind,
    SignalMeaning,
    Step,
    Terms,
    Window,
)

HERE = Path(__file__).resolve().parent

MISTRESS = "mistress"
CLIENT = "client"
ASSISTANT = "assistant"
GUEST = "guest"

#: The day of the sessions; their window is the evening, 19:00 to 22:00 UTC.
SESSION_DAY = datetime(2026, 3, 6, tzinfo=timezone.utc)


def at(hour: int, minute: int = 0, *, day: datetime = SESSION_DAY) -> datetime:
    """The time `hour`:`minute` (UTC) on `day`."""
    return day + timedelta(hours=hour, minutes=minute)


EVENING = Window(start=at(19), end=at(22))

RED = Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP)
YELLOW = Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW)
GREEN = Signal(cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME)
DROP = Signal(
    cue="drop the ball",
    kind=SignalKind.NONVERBAL,
    meaning=SignalMeaning.STOP,
    needs=frozenset({"free_hand"}),
)
TAP_OUT = Signal(
    cue="three taps",
    kind=SignalKind.NONVERBAL,
    meaning=SignalMeaning.STOP,
    needs=frozenset({"free_hand"}),
)
SPOKEN = (RED, YELLOW, GREEN)


def protocol(
    *,
    signals: Iterable[Signal] = SPOKEN,
    equipment: Iterable[str] = (),
    check_in_minutes: int | None = None,
    expectations: Iterable[str] = (),
) -> Protocol:
    """A session protocol with aftercare for everyone after the scene."""
    return Protocol(
        signals=tuple(signals),
        check_in_minutes=check_in_minutes,
        equipment=frozenset(equipment),
        aftercare=(
            Aftercare(
                minutes=20,
                notes=("water and a blanket", "talk the session through"),
            ),
        ),
        expectations=tuple(expectations),
    )


def both_ways(  # noqa: PLR0913  # a grant's fields, by keyword
    activity: str,
    *,
    giver: str = MISTRESS,
    receiver: str = CLIENT,
    cap: int | None = None,
    subtypes: bool = False,
    conditions: Iterable[CheckInWithin] = (),
) -> tuple[Grant, Grant]:
    """The receiver's consent to receive `activity` and the giver's to give it."""
    name = activity.replace(".", "-")
    return (
        Grant(
            id=f"{receiver}-receives-{name}",
            party=receiver,
            role=Role.RECEIVE,
            activity=activity,
            max_intensity=cap,
            include_subtypes=subtypes,
            conditions=tuple(conditions),
        ),
        Grant(
            id=f"{giver}-gives-{name}",
            party=giver,
            role=Role.GIVE,
            activity=activity,
            include_subtypes=subtypes,
        ),
    )


def step(  # noqa: PLR0913  # a step's fields, by keyword
    activity: str,
    start: datetime,
    *,
    intensity: int = 2,
    minutes: int = 0,
    actor: str = MISTRESS,
    recipient: str = CLIENT,
    present: Iterable[str] = (),
) -> Step:
    """One planned step, by default the mistress's on the client."""
    return Step(
        actor=actor,
        recipient=recipient,
        activity=activity,
        intensity=intensity,
        at=start,
        duration=timedelta(minutes=minutes),
        present=frozenset(present),
    )


def agreed(ledger: Ledger, terms: Terms, proposal_id: str, when: datetime) -> Ledger:
    """The mistress proposes `terms` and both parties accept them at `when`."""
    ledger = ledger.propose(by=MISTRESS, terms=terms, at=when, proposal_id=proposal_id)
    for party in sorted(terms.parties):
        ledger = ledger.accept(by=party, proposal_id=proposal_id, at=when)
    return ledger


class Example(NamedTuple):
    """One example session: what was recorded, what is planned, what to expect."""

    ledger: Ledger
    plan: Plan
    expected: dict[str, object]


def expect(
    verdict: str, steps: Iterable[tuple[str, Iterable[str]]], advice: Iterable[str] = ()
) -> dict[str, object]:
    """The expected plan verdict, each step's verdict and codes, and the advice."""
    return {
        "verdict": verdict,
        "steps": [
            {"verdict": step_verdict, "codes": sorted(codes)}
            for step_verdict, codes in steps
        ],
        "advice": sorted(advice),
    }


# -- 1. a first session, from intake to agreement ---------------------------


def first_session() -> Example:
    """Intake limits, a proposal, the client's counter-proposal, both accept."""
    intake = at(18, day=SESSION_DAY - timedelta(days=5))
    ledger = Ledger()
    ledger = ledger.declare_limit(
        by=CLIENT,
        limit=Limit(
            party=CLIENT,
            kind=LimitKind.HARD,
            activity="intimate",
            note="professional session: no intimate contact",
        ),
        at=intake,
    )
    ledger = ledger.declare_limit(
        by=CLIENT,
        limit=Limit(
            party=CLIENT,
            kind=LimitKind.HARD,
            tag="breath_risk",
            note="asthma",
        ),
        at=intake + timedelta(minutes=5),
    )
    offer = Terms(
        parties=frozenset({MISTRESS, CLIENT}),
        window=EVENING,
        grants=(
            *both_ways("protocol.honorifics"),
            *both_ways("verbal.commands"),
            *both_ways("restraint.cuffs.leather"),
            *both_ways("sensory.blindfold"),
            *both_ways("impact.spanking", cap=6, subtypes=True),
            *both_ways("impact.crop", cap=5),
        ),
        protocol=protocol(
            equipment=("keys",),
            expectations=("address the mistress as Mistress",),
        ),
    )
    ledger = ledger.propose(
        by=MISTRESS, terms=offer, at=intake + timedelta(days=1), proposal_id="offer"
    )
    # The client counters: no crop this first time, spanking to 4 at most, a
    # check-in every 15 minutes while cuffed, and a tap-out signal as well.
    counter = Terms(
        parties=frozenset({MISTRESS, CLIENT}),
        window=EVENING,
        grants=(
            *both_ways("protocol.honorifics"),
            *both_ways("verbal.commands"),
            *both_ways(
                "restraint.cuffs.leather", conditions=(CheckInWithin(minutes=15),)
            ),
            *both_ways("sensory.blindfold"),
            *both_ways("impact.spanking", cap=4, subtypes=True),
        ),
        protocol=protocol(
            signals=(*SPOKEN, TAP_OUT),
            equipment=("keys",),
            check_in_minutes=15,
            expectations=("address the mistress as Mistress",),
        ),
    )
    countered = intake + timedelta(days=2)
    ledger = ledger.propose(
        by=CLIENT,
        terms=counter,
        at=countered,
        proposal_id="counter",
        supersedes="offer",
    )
    ledger = ledger.accept(by=CLIENT, proposal_id="counter", at=countered)
    ledger = ledger.accept(
        by=MISTRESS, proposal_id="counter", at=countered + timedelta(hours=3)
    )
    plan = Plan(
        title="First session",
        steps=(
            step("protocol.honorifics", at(19, 5), intensity=1, minutes=10),
            step("verbal.commands", at(19, 20), minutes=10),
            step("restraint.cuffs.leather", at(19, 35), minutes=10),
            step("sensory.blindfold", at(19, 40), minutes=15),
            step("impact.spanking.hand", at(20, 5), intensity=3, minutes=10),
            step("impact.spanking.paddle", at(20, 20), intensity=4, minutes=5),
        ),
    )
    return Example(
        ledger,
        plan,
        # The cuffs and the blindfold together run 20 minutes: longer than
        # the 15-minute check-in interval, which the plan advice points out.
        expect("allow", [("allow", ())] * 6, advice=("CK302",)),
    )


# -- 2. a partial revocation in the middle of the session --------------------


def impact_terms() -> Terms:
    """An evening of impact play with a paddle, a crop and a flogger."""
    return Terms(
        parties=frozenset({MISTRESS, CLIENT}),
        window=EVENING,
        grants=(
            *both_ways("impact.spanking.hand", cap=6),
            *both_ways("impact.spanking.paddle", cap=6),
            *both_ways("impact.crop", cap=5),
            *both_ways("impact.flogging", cap=7),
        ),
        protocol=protocol(),
    )


def partial_revocation() -> Example:
    """The client withdraws consent to the crop mid-session; the rest stands."""
    ledger = agreed(Ledger(), impact_terms(), "evening", at(18, 30))
    ledger = ledger.revoke(
        by=CLIENT,
        activities=("impact.crop",),
        reason="the crop is too sharp tonight",
        at=at(19, 35),
    )
    plan = Plan(
        title="Impact evening",
        steps=(
            step("impact.spanking.hand", at(19, 10), intensity=3, minutes=10),
            step("impact.crop", at(19, 25), intensity=3, minutes=5),
            step("impact.spanking.paddle", at(19, 40), intensity=4, minutes=10),
            step("impact.crop", at(19, 55), intensity=2, minutes=5),
            step("impact.flogging", at(20, 5), intensity=4, minutes=10),
        ),
    )
    return Example(
        ledger,
        plan,
        expect(
            "deny",
            [
                ("allow", ()),
                ("allow", ()),
                ("allow", ()),
                ("deny", ("CK102",)),
                ("allow", ()),
            ],
        ),
    )


# -- 3. yellow, green, then red ----------------------------------------------


def signals() -> Example:
    """A yellow at intensity 6, a green, then a red that ends the scene."""
    ledger = agreed(Ledger(), impact_terms(), "evening", at(18, 30))
    ledger = ledger.signal(by=CLIENT, cue="yellow", intensity=6, at=at(19, 20))
    ledger = ledger.signal(by=CLIENT, cue="green", at=at(19, 30))
    ledger = ledger.signal(by=CLIENT, cue="red", at=at(20))
    plan = Plan(
        title="Flogging with signals",
        steps=(
            step("impact.flogging", at(19, 10), intensity=6, minutes=5),
            step("impact.flogging", at(19, 25), intensity=3, minutes=5),
            step("impact.flogging", at(19, 35), intensity=5, minutes=5),
            step("impact.flogging", at(19, 45), intensity=6, minutes=5),
            step("impact.spanking.hand", at(20, 5), intensity=1, minutes=5),
        ),
    )
    return Example(
        ledger,
        plan,
        expect(
            "deny",
            [
                ("allow", ()),
                ("renegotiate", ("CK202",)),
                ("allow", ()),
                ("deny", ("CK114",)),
                ("deny", ("CK108",)),
            ],
        ),
    )


# -- 4. a third person who never negotiated ----------------------------------


def third_person() -> Example:
    """An assistant who negotiated may watch; a guest who did not may not."""
    terms = Terms(
        parties=frozenset({MISTRESS, CLIENT, ASSISTANT}),
        window=EVENING,
        grants=(
            *both_ways("restraint.furniture"),
            *both_ways("impact.spanking.hand", cap=5),
            Grant(
                id="assistant-witnesses-impact",
                party=ASSISTANT,
                role=Role.WITNESS,
                activity="impact",
                include_subtypes=True,
                counterparties=frozenset({MISTRESS, CLIENT}),
            ),
        ),
        protocol=protocol(),
    )
    ledger = agreed(Ledger(), terms, "with-assistant", at(18, 30))
    plan = Plan(
        title="Assisted session",
        steps=(
            step("restraint.furniture", at(19, 10), minutes=20),
            step(
                "impact.spanking.hand",
                at(19, 15),
                intensity=3,
                minutes=10,
                present=(ASSISTANT,),
            ),
            step(
                "impact.spanking.hand",
                at(19, 40),
                intensity=3,
                minutes=10,
                present=(ASSISTANT, GUEST),
            ),
        ),
    )
    return Example(
        ledger,
        plan,
        expect("deny", [("allow", ()), ("allow", ()), ("deny", ("CK104",))]),
    )


# -- 5. a soft limit confirmed in the scene ----------------------------------


def soft_limit() -> Example:
    """The blindfold is a soft limit: asked for in the scene, then allowed."""
    terms = Terms(
        parties=frozenset({MISTRESS, CLIENT}),
        window=EVENING,
        grants=(
            *both_ways("sensation", subtypes=True),
            *both_ways("sensory", subtypes=True),
        ),
        limits=(
            Limit(
                party=CLIENT,
                kind=LimitKind.SOFT,
                activity="sensory.blindfold",
                note="ask me first: it depends on the day",
            ),
        ),
        protocol=protocol(signals=(*SPOKEN, TAP_OUT)),
    )
    ledger = agreed(Ledger(), terms, "sensation", at(18, 30))
    ledger = ledger.confirm(by=CLIENT, activity="sensory.blindfold", at=at(19, 25))
    plan = Plan(
        title="Sensation session",
        steps=(
            step("sensation.soft_touch", at(19, 5), minutes=10),
            step("sensory.blindfold", at(19, 20), minutes=5),
            step("sensory.blindfold", at(19, 30), minutes=15),
            step("sensation.tickling", at(19, 35), minutes=10),
        ),
    )
    return Example(
        ledger,
        plan,
        expect(
            "renegotiate",
            [
                ("allow", ()),
                ("renegotiate", ("CK201",)),
                ("allow", ()),
                ("allow", ()),
            ],
        ),
    )


# -- 6. a gag under a protocol with spoken signals only ----------------------


def gag_without_signal() -> Example:
    """Both agreed to a cloth gag, but every stop signal needs a voice."""
    terms = Terms(
        parties=frozenset({MISTRESS, CLIENT}),
        window=EVENING,
        grants=(
            *both_ways("verbal.commands"),
            *both_ways("restraint.gag.cloth"),
            *both_ways("restraint.cuffs.leather"),
        ),
        protocol=protocol(equipment=("safety_shears", "keys")),
    )
    ledger = agreed(Ledger(), terms, "evening", at(18, 30))
    plan = Plan(
        title="Restraint session",
        steps=(
            step("verbal.commands", at(19, 5), minutes=10),
            step("restraint.cuffs.leather", at(19, 20), minutes=10),
            step("restraint.gag.cloth", at(19, 35), minutes=10),
        ),
    )
    return Example(
        ledger,
        plan,
        expect("deny", [("allow", ()), ("allow", ()), ("deny", ("CK111",))]),
    )


# -- 7. an agreement that ran out --------------------------------------------


def expired() -> Example:
    """The session overruns its window: the last steps have no agreement."""
    ledger = agreed(Ledger(), impact_terms(), "evening", at(18, 30))
    plan = Plan(
        title="Overrun",
        steps=(
            step("impact.spanking.paddle", at(21, 30), intensity=3, minutes=15),
            step("impact.flogging", at(21, 50), intensity=3, minutes=15),
            step("impact.spanking.hand", at(22, 10), intensity=2, minutes=5),
        ),
    )
    return Example(
        ledger,
        plan,
        expect(
            "deny",
            [("allow", ()), ("deny", ("CK116",)), ("deny", ("CK103",))],
        ),
    )


#: Every example, by directory name, in the order the README tells them.
EXAMPLES: dict[str, Callable[[], Example]] = {
    "first-session": first_session,
    "partial-revocation": partial_revocation,
    "signals": signals,
    "third-person": third_person,
    "soft-limit": soft_limit,
    "gag-without-signal": gag_without_signal,
    "expired": expired,
}


def render() -> dict[str, str]:
    """Every file of every example, by path relative to this directory."""
    files: dict[str, str] = {}
    for name, build in EXAMPLES.items():
        example = build()
        files[f"{name}/ledger.json"] = consentkit.dumps(example.ledger)
        files[f"{name}/plan.json"] = consentkit.dumps(example.plan)
        files[f"{name}/expected.json"] = json.dumps(example.expected, indent=2) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    """Write the example files, or with ``--check`` report the stale ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only report files that differ"
    )
    args = parser.parse_args(argv)
    stale = []
    for relative, text in render().items():
        path = HERE / relative
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for relative in stale:
        print(f"{'stale' if args.check else 'wrote'}: examples/{relative}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
