# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Golden documents of format version 1: they decode and re-encode byte for byte.

The files in ``tests/golden/v1/`` are the format's contract.  Once committed
they never change: a change in the code that breaks one of them is a
breaking change of the format and needs a new version and a migration.

The builders below made them.  ``CONSENTKIT_WRITE_GOLDEN=1 pytest
tests/test_wire_golden.py`` writes the files that do not exist yet and never
overwrites one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import consentkit
from consentkit import (
    Aftercare,
    Authority,
    CheckInWithin,
    Comparison,
    ConfirmFirst,
    Decision,
    Equipment,
    Finding,
    Grant,
    Ledger,
    Limit,
    LimitKind,
    MaxDuration,
    NonverbalSignal,
    Plan,
    PlanDecision,
    Preference,
    Preferences,
    Protocol,
    Rating,
    Role,
    Signal,
    SignalGiven,
    SignalKind,
    SignalMeaning,
    Source,
    Step,
    Terms,
    Verdict,
    Window,
)
from consentkit._documents import KINDS
from consentkit.signing import SigningKey, sign_receipt

GOLDEN = Path(__file__).parent / "golden" / "v1"

MISTRESS = "mistress_vale"
CLIENT = "client_k"
T0 = datetime(2026, 3, 7, 19, 0, tzinfo=timezone.utc)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


PROTOCOL = Protocol(
    signals=(
        Signal(cue="red", kind=SignalKind.VERBAL, meaning=SignalMeaning.STOP),
        Signal(cue="yellow", kind=SignalKind.VERBAL, meaning=SignalMeaning.SLOW),
        Signal(cue="green", kind=SignalKind.VERBAL, meaning=SignalMeaning.RESUME),
        Signal(
            cue="two taps",
            kind=SignalKind.NONVERBAL,
            meaning=SignalMeaning.STOP,
            needs=frozenset({"free_hand"}),
        ),
    ),
    check_in_minutes=15,
    equipment=frozenset({"safety_shears", "first_aid_kit"}),
    aftercare=(
        Aftercare(minutes=30, notes=("water and a blanket", "talk it through")),
        Aftercare(minutes=10, party=MISTRESS, notes=("tea",)),
    ),
    authority=(Authority(holder=MISTRESS, subject=CLIENT),),
    expectations=("address her as “Mistress”", "kneel when she enters"),
)


def _terms(*, spanking_cap: int, rope: str) -> Terms:
    return Terms(
        parties=frozenset({MISTRESS, CLIENT}),
        window=Window(start=T0, end=_at(180)),
        grants=(
            Grant(
                id="k-spanking",
                party=CLIENT,
                role=Role.RECEIVE,
                activity="impact.spanking",
                counterparties=frozenset({MISTRESS}),
                max_intensity=spanking_cap,
                include_subtypes=True,
                conditions=(CheckInWithin(minutes=15),),
            ),
            Grant(
                id="v-spanking",
                party=MISTRESS,
                role=Role.GIVE,
                activity="impact.spanking",
                include_subtypes=True,
            ),
            Grant(
                id="k-rope",
                party=CLIENT,
                role=Role.RECEIVE,
                activity=rope,
                include_subtypes=True,
                conditions=(
                    Equipment(item="safety_shears"),
                    MaxDuration(minutes=45),
                    NonverbalSignal(),
                ),
            ),
            Grant(
                id="v-rope",
                party=MISTRESS,
                role=Role.GIVE,
                activity=rope,
                include_subtypes=True,
            ),
            Grant(
                id="k-caning",
                party=CLIENT,
                role=Role.RECEIVE,
                activity="impact.caning",
                max_intensity=3,
                conditions=(ConfirmFirst(within_minutes=10),),
            ),
            Grant(
                id="v-caning", party=MISTRESS, role=Role.GIVE, activity="impact.caning"
            ),
        ),
        limits=(
            Limit(
                party=CLIENT,
                kind=LimitKind.HARD,
                tag="breaks_skin",
                note="nothing that breaks the skin",
            ),
            Limit(party=CLIENT, kind=LimitKind.SOFT, activity="impact.caning"),
            Limit(
                party=MISTRESS,
                kind=LimitKind.HARD,
                activity="exposure.photo",
                roles=frozenset(Role),
            ),
        ),
        protocol=PROTOCOL,
    )


def golden_terms() -> Terms:
    """The counter-proposal's terms."""
    return _terms(spanking_cap=5, rope="restraint.rope.arms")


def golden_ledger() -> Ledger:
    """A negotiation and a scene, each kind of moment the format must carry.

    A proposal and a counter-proposal that supersedes it; both accept the
    counter-proposal; the client confirms the caning their soft limit holds
    back; a SLOW at intensity 5 and a RESUME; the client revokes one grant.
    """
    ledger = Ledger().propose(
        by=MISTRESS,
        terms=_terms(spanking_cap=7, rope="restraint.rope"),
        at=_at(-24 * 60),
        proposal_id="p1",
    )
    ledger = ledger.propose(
        by=CLIENT,
        terms=golden_terms(),
        at=_at(-20 * 60),
        proposal_id="p2",
        supersedes="p1",
    )
    ledger = ledger.accept(by=CLIENT, proposal_id="p2", at=_at(-20 * 60 + 1))
    ledger = ledger.accept(by=MISTRESS, proposal_id="p2", at=_at(-18 * 60))
    ledger = ledger.confirm(by=CLIENT, activity="impact.caning", at=_at(35))
    ledger = ledger.signal(by=CLIENT, cue="yellow", intensity=5, at=_at(52))
    ledger = ledger.signal(by=CLIENT, cue="green", at=_at(55))
    return ledger.revoke(
        by=CLIENT,
        grants=("k-rope",),
        proposal_id="p2",
        reason="my wrist is going numb",
        at=_at(80),
    )


def golden_plan() -> Plan:
    """Three steps of the scene, one directed by the mistress."""
    return Plan(
        title="Saturday scene",
        steps=(
            Step(
                actor=MISTRESS,
                recipient=CLIENT,
                activity="impact.spanking.hand",
                intensity=4,
                at=_at(20),
                duration=timedelta(minutes=10),
            ),
            Step(
                actor=MISTRESS,
                recipient=CLIENT,
                activity="impact.caning",
                intensity=3,
                at=_at(30),
                duration=timedelta(minutes=5, seconds=30),
            ),
            Step(
                actor=CLIENT,
                recipient=MISTRESS,
                activity="service.foot_worship",
                intensity=1,
                at=_at(60),
                duration=timedelta(minutes=15),
                directed_by=MISTRESS,
            ),
        ),
    )


def golden_decision() -> Decision:
    """A decision as the engine explains one: a caning awaiting confirmation."""
    return Decision(
        verdict=Verdict.RENEGOTIATE,
        step=golden_plan().steps[1],
        findings=(
            Finding(
                code="CK201",
                rule="soft-limit",
                verdict=Verdict.RENEGOTIATE,
                message="client_k has a soft limit on `impact.caning`; "
                "ask them in the scene",
                refs=("p2",),
            ),
            Finding(
                code="CK203",
                rule="confirm-first",
                verdict=Verdict.RENEGOTIATE,
                message="grant `k-caning` asks for a confirmation within 10 minutes",
                refs=("k-caning", "p2"),
            ),
        ),
    )


def golden_plan_decision() -> PlanDecision:
    """A plan's decision: one step allowed, one to renegotiate, and advice."""
    plan = golden_plan()
    return PlanDecision(
        verdict=Verdict.RENEGOTIATE,
        decisions=(
            Decision(
                verdict=Verdict.ALLOW,
                step=plan.steps[0],
                basis=("k-spanking", "v-spanking"),
            ),
            golden_decision(),
        ),
        findings=(
            Finding(
                code="CK302",
                rule="check-in-gap",
                verdict=None,
                message="steps 1 and 2 run 15 min 30 s, longer than the check-in "
                "interval of 15 min",
            ),
        ),
    )


def golden_event() -> SignalGiven:
    """A SLOW with the intensity in progress."""
    return SignalGiven(by=CLIENT, cue="yellow", intensity=5, at=_at(52))


#: The client's key in the golden receipt: seed 0, 1, ..., 31 (never a real key).
GOLDEN_KEY = SigningKey.from_seed(bytes(range(32)))


def golden_receipt() -> consentkit.Receipt:
    """The client's receipt for the whole golden ledger, after the scene."""
    return sign_receipt(golden_ledger(), party=CLIENT, key=GOLDEN_KEY, at=_at(90))


def golden_lint() -> consentkit.LintReport:
    """What lint says of the first proposal: the rope wants shears, and more."""
    return consentkit.lint(_terms(spanking_cap=7, rope="restraint.rope"))


def golden_terms_diff() -> consentkit.TermsDiff:
    """What the counter-proposal changes from the first proposal."""
    return consentkit.diff(
        _terms(spanking_cap=7, rope="restraint.rope"), golden_terms()
    )


def golden_preferences() -> Preferences:
    """The client's list: every rating, a cap, any role, a note, an import."""
    return Preferences(
        party=CLIENT,
        entries=(
            Preference(
                activity="impact.spanking",
                role=Role.RECEIVE,
                rating=Rating.FAVORITE,
                max_intensity=6,
            ),
            Preference(
                activity="impact.flogging", role=Role.RECEIVE, rating=Rating.YES
            ),
            Preference(
                activity="restraint.rope", role=Role.RECEIVE, rating=Rating.OKAY
            ),
            Preference(
                activity="impact.caning",
                role=Role.RECEIVE,
                rating=Rating.MAYBE,
                max_intensity=3,
            ),
            Preference(activity="psych.cnc", role=Role.RECEIVE, rating=Rating.FANTASY),
            Preference(activity="service", role=Role.GIVE, rating=Rating.NO),
            Preference(
                activity="edge",
                role=None,
                rating=Rating.HARD_NO,
                note="never, not even talk",
            ),
        ),
        source=Source(
            tool="kinklist",
            file="my-list.txt",
            sha256="sha256:37548a7526d1255036f0c4c02628f656574a04a09bb1e0c9e5cf0dfe33b65699",
            lossy=True,
        ),
    )


def golden_comparison() -> Comparison:
    """The client's list against the mistress's: each kind of match."""
    mistress = Preferences(
        party=MISTRESS,
        entries=(
            Preference(activity="impact", role=Role.GIVE, rating=Rating.YES),
            Preference(activity="psych.cnc", role=Role.GIVE, rating=Rating.OKAY),
            Preference(activity="restraint", role=Role.GIVE, rating=Rating.FAVORITE),
        ),
    )
    return consentkit.compare(golden_preferences(), mistress)


BUILDERS: dict[str, Callable[[], object]] = {
    "ledger": golden_ledger,
    "terms": golden_terms,
    "plan": golden_plan,
    "step": lambda: golden_plan().steps[0],
    "catalog": consentkit.default_catalog,
    "decision": golden_decision,
    "plan_decision": golden_plan_decision,
    "event": golden_event,
    "receipt": golden_receipt,
    "lint": golden_lint,
    "terms_diff": golden_terms_diff,
    "preferences": golden_preferences,
    "comparison": golden_comparison,
    "protocol": lambda: PROTOCOL,
}
FILES = sorted(GOLDEN.glob("*.json"))


def _write_missing() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for kind, build in BUILDERS.items():
        path = GOLDEN / f"{kind}.json"
        if not path.exists():
            path.write_text(consentkit.dumps(build()), encoding="utf-8")


if os.environ.get("CONSENTKIT_WRITE_GOLDEN") == "1":  # pragma: no cover
    _write_missing()
    FILES = sorted(GOLDEN.glob("*.json"))


def test_every_kind_has_a_golden_document() -> None:
    """Each document kind has a golden document of version 1."""
    assert {path.stem for path in FILES} >= set(KINDS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_document_decodes_and_reencodes_byte_identically(path: Path) -> None:
    """A golden document reads, and writing what was read gives the same bytes."""
    text = path.read_text("utf-8")
    record = consentkit.loads(text, kind=path.stem)
    assert consentkit.dumps(record) == text
    assert consentkit.loads(path.read_bytes()) == record


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_document_validates_against_its_schema(path: Path) -> None:
    """A golden document is valid under the shipped schema of its kind."""
    document: Any = json.loads(path.read_text("utf-8"))
    jsonschema.Draft202012Validator(consentkit.json_schema(path.stem)).validate(
        document
    )


def test_golden_ledger_tells_the_whole_story() -> None:
    """The golden ledger holds what it is meant to: agreement, confirmation, signals."""
    ledger = consentkit.loads((GOLDEN / "ledger.json").read_text("utf-8"), "ledger")
    kinds = [type(event).__name__ for event in ledger.events]
    assert kinds == [
        "Proposed",
        "Proposed",
        "Accepted",
        "Accepted",
        "Confirmed",
        "SignalGiven",
        "SignalGiven",
        "Revoked",
    ]
    assert [a.proposal_id for a in ledger.agreements()] == ["p2"]
    assert ledger.negotiation("p1").status.value == "superseded"


def test_builders_still_write_the_golden_documents() -> None:
    """The records built by hand still encode to the committed bytes."""
    for kind, build in BUILDERS.items():
        if kind == "catalog":
            continue  # the shipped catalog may grow; its old document must still read
        assert consentkit.dumps(build()) == (GOLDEN / f"{kind}.json").read_text("utf-8")
