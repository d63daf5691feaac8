# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""A slow, obviously correct reference evaluator of SPEC §3 (law 9 of §3.4).

It is written straight from the specification and ``docs/decisions.md`` and
shares no code with the engine: it imports only the record classes from the
top-level package and reads the catalog only through ``catalog.activities``.
Everything is computed by replaying the event list from its start, in plain
loops, with every position in the ledger kept as an index into that list, so
that "before" and "after" always mean ledger order.

``decide(events, step, catalog, house, overlapping)`` returns the verdict as a
string (``"allow"``, ``"renegotiate"`` or ``"deny"``) and the set of rule codes
found. Custom rules, ``CK900`` and the plan advice (``CK301``, ``CK302``) are
not part of it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from consentkit import (
    Accepted,
    Activity,
    Catalog,
    CheckInWithin,
    Confirmed,
    ConfirmFirst,
    Declined,
    Equipment,
    Grant,
    ImpairmentCleared,
    ImpairmentDeclared,
    Limit,
    LimitDeclared,
    LimitKind,
    LimitLifted,
    MaxDuration,
    NonverbalSignal,
    Proposed,
    Revoked,
    Role,
    SignalGiven,
    SignalKind,
    SignalMeaning,
    Spotter,
    Step,
    Terms,
    Withdrawn,
)

if typing.TYPE_CHECKING:
    from collections.abc import Sequence

Event: typing.TypeAlias = (
    Proposed
    | Accepted
    | Declined
    | Withdrawn
    | Confirmed
    | Revoked
    | LimitDeclared
    | LimitLifted
    | SignalGiven
    | ImpairmentDeclared
    | ImpairmentCleared
)

ALLOW = "allow"
RENEGOTIATE = "renegotiate"
DENY = "deny"

DENY_CODES = frozenset(f"CK{n}" for n in range(100, 118))
RENEGOTIATE_CODES = frozenset({"CK201", "CK202", "CK203"})

# SPEC §2 Catalog: "tags are risk attributes rules read -- at least ...".  A
# limit naming one of these is understood even where no activity carries it.
NAMED_TAGS = frozenset(
    {
        "impairs_speech",
        "restrains_hands",
        "impairs_vision",
        "restricts_movement",
        "breath_risk",
        "circulation_risk",
        "breaks_skin",
        "electrical",
        "heat",
        "leaves_marks",
        "requires_training",
        "psychological",
        "involves_nudity",
        "recording",
        "explicit_only",
    }
)

# SPEC §2 Protocol: "Activities take capabilities away: `impairs_speech` takes
# `voice`, `restrains_hands` takes `free_hand`, `impairs_vision` takes `sight`."
TAKES = {
    "impairs_speech": "voice",
    "restrains_hands": "free_hand",
    "impairs_vision": "sight",
}


class HouseRulesLike(typing.Protocol):
    """What the oracle reads of a venue's house rules."""

    @property
    def banned_activities(self) -> frozenset[str]:
        """Activity ids banned with their subtrees."""
        ...

    @property
    def banned_tags(self) -> frozenset[str]:
        """Tags whose activities are banned."""
        ...


# --------------------------------------------------------------------------
# Activity ids
# --------------------------------------------------------------------------


def covers(a: str, b: str) -> bool:
    """SPEC §2: "A covers B" means A == B or A is an ancestor of B."""
    # "Its ancestors are its prefixes": impact covers impact.spanking.hand.
    return a == b or b.startswith(a + ".")


def grant_covers(grant: Grant, activity: str, acts: dict[str, Activity]) -> bool:
    """SPEC §2 Grant: whether the grant covers the activity."""
    # "include_subtypes=False means the grant covers exactly activity".
    if grant.activity == activity:
        return True
    if not grant.include_subtypes:
        return False
    # "True means it covers its subtree, ..."
    if not covers(grant.activity, activity):
        return False
    # "... except an activity tagged explicit_only below the grant's activity
    # and everything beneath such an activity: only a grant naming an activity
    # exactly covers those."  So every activity strictly below the grant's, on
    # the way down to (and including) the step's activity, must not be
    # explicit_only.  An activity missing from the catalog fails closed.
    segments = activity.split(".")
    grant_depth = len(grant.activity.split("."))
    for depth in range(grant_depth + 1, len(segments) + 1):
        node = ".".join(segments[:depth])
        act = acts.get(node)
        if act is None or "explicit_only" in act.tags:
            return False
    return True


def in_window(terms: Terms, t: datetime) -> bool:
    """SPEC §2 Window: half-open ``[start, end)``."""
    return terms.window.start <= t < terms.window.end


# --------------------------------------------------------------------------
# The replay
# --------------------------------------------------------------------------


@dataclass
class Proposal:
    """A proposal as the replay saw it."""

    proposal_id: str
    terms: Terms
    status: str = "open"
    # party -> ledger index of their counted acceptance
    counted: dict[str, int] = field(default_factory=dict)


@dataclass
class Agreement:
    """An agreement as the replay saw it form."""

    proposal_id: str
    terms: Terms
    index: int  # ledger index of the acceptance that formed it
    formed_at: datetime
    counted: dict[str, int]  # party -> ledger index of their counted acceptance

    @property
    def parties(self) -> frozenset[str]:
        """The parties of its terms."""
        return self.terms.parties


@dataclass
class Stop:
    """A signal that counted as STOP."""

    giver: str
    index: int
    at: datetime


@dataclass
class Slow:
    """A signal that counted as SLOW, with the agreements it marked."""

    giver: str
    index: int
    intensity: int | None
    marked: list[str]  # proposal ids of the agreements it marked


@dataclass
class Resume:
    """A RESUME that counted (its giver was not impaired)."""

    giver: str
    index: int


@dataclass
class Confirmation:
    """A Confirmed whose giver was not impaired when giving it."""

    by: str
    activity: str
    index: int
    at: datetime


@dataclass
class History:
    """Everything the replay learned, with ledger indices."""

    proposals: dict[str, Proposal] = field(default_factory=dict)
    agreements: list[Agreement] = field(default_factory=list)  # formation order
    impaired: set[str] = field(default_factory=set)
    stops: list[Stop] = field(default_factory=list)
    slows: list[Slow] = field(default_factory=list)
    resumes: list[Resume] = field(default_factory=list)
    confirmations: list[Confirmation] = field(default_factory=list)
    revocations: list[tuple[int, Revoked]] = field(default_factory=list)
    declared: list[tuple[int, Limit]] = field(default_factory=list)
    lifts: list[tuple[int, LimitLifted]] = field(default_factory=list)


def select(
    history: History, parties: frozenset[str], t: datetime, before: int
) -> Agreement | None:
    """SPEC §2 "Which agreement applies", seeing only events before ``before``."""
    # "the selected agreement is the most recently formed agreement whose
    # parties include all of S, whose window contains t and which formed at
    # or before t."
    chosen: Agreement | None = None
    for agreement in history.agreements:  # in formation order: later wins
        if agreement.index >= before:
            continue
        if not parties <= agreement.parties:
            continue
        if not in_window(agreement.terms, t):
            continue
        if agreement.formed_at > t:
            continue
        chosen = agreement
    return chosen


def stopped_by(history: History, agreement: Agreement, before: int) -> Stop | None:
    """SPEC §2 "A STOP": the first STOP before ``before`` that ended it."""
    # "A STOP given at s ends, from s on, every agreement that its giver is
    # party to, formed before the STOP in the ledger, whose window contains s
    # -- standing ones included; agreements whose window has not begun, and
    # agreements formed after it (even at the same instant), are untouched."
    for stop in history.stops:
        if stop.index >= before:
            continue
        if stop.giver not in agreement.parties:
            continue
        if not agreement.index < stop.index:
            continue
        if not in_window(agreement.terms, stop.at):
            continue
        return stop
    return None


def in_force(
    history: History, parties: frozenset[str], t: datetime, before: int
) -> Agreement | None:
    """SPEC §2: the selected agreement is in force unless a STOP ended it."""
    agreement = select(history, parties, t, before)
    if agreement is None or stopped_by(history, agreement, before) is not None:
        return None
    return agreement


def meaning_of(history: History, signal: SignalGiven, index: int) -> SignalMeaning:
    """SPEC §2 SignalGiven: what a signal means where it stands in the ledger."""
    # "read through the protocol of the giver's agreement in force" -- "the
    # one in force for {giver} at the signal's time"; only what comes before
    # the signal in the ledger has taken effect when it is given.
    agreement = in_force(history, frozenset({signal.by}), signal.at, index)
    # "a signal given with no agreement in force, counts as STOP."
    if agreement is None:
        return SignalMeaning.STOP
    for defined in agreement.terms.protocol.signals:
        if defined.cue == signal.cue:
            return defined.meaning
    # "a cue that protocol does not define ... counts as STOP."
    return SignalMeaning.STOP


def replay(events: Sequence[Event]) -> History:  # noqa: C901, PLR0912
    """Replay the events in ledger order and record what each one did."""
    history = History()
    for index, event in enumerate(events):
        if isinstance(event, Proposed):
            history.proposals[event.proposal_id] = Proposal(
                proposal_id=event.proposal_id, terms=event.terms
            )
            # "supersedes names an earlier proposal: an OPEN one becomes
            # SUPERSEDED and can no longer be accepted; an AGREED one stays
            # AGREED" (decisions: superseding a closed one changes nothing).
            if event.supersedes is not None:
                old = history.proposals.get(event.supersedes)
                if old is not None and old.status == "open":
                    old.status = "superseded"
        elif isinstance(event, Accepted):
            proposal = history.proposals.get(event.proposal_id)
            # "only while the proposal is OPEN, at most one counted acceptance
            # per party"; "An Accepted given while impaired does not count".
            if proposal is None or proposal.status != "open":
                continue
            if event.by in history.impaired or event.by in proposal.counted:
                continue
            proposal.counted[event.by] = index
            # "An agreement forms at the moment the last party of a proposal's
            # terms accepts it while it is OPEN" (decisions: the proposer too).
            if all(p in proposal.counted for p in proposal.terms.parties):
                proposal.status = "agreed"
                history.agreements.append(
                    Agreement(
                        proposal_id=proposal.proposal_id,
                        terms=proposal.terms,
                        index=index,
                        formed_at=event.at,
                        counted=dict(proposal.counted),
                    )
                )
        elif isinstance(event, Declined):
            proposal = history.proposals.get(event.proposal_id)
            if proposal is not None and proposal.status == "open":
                proposal.status = "declined"
        elif isinstance(event, Withdrawn):
            proposal = history.proposals.get(event.proposal_id)
            if proposal is not None and proposal.status == "open":
                proposal.status = "withdrawn"
        elif isinstance(event, Confirmed):
            # "its giver was not declared impaired when giving it."
            if event.by not in history.impaired:
                history.confirmations.append(
                    Confirmation(
                        by=event.by, activity=event.activity, index=index, at=event.at
                    )
                )
        elif isinstance(event, Revoked):
            history.revocations.append((index, event))
        elif isinstance(event, LimitDeclared):
            # "takes effect at once."
            history.declared.append((index, event.limit))
        elif isinstance(event, LimitLifted):
            history.lifts.append((index, event))
        elif isinstance(event, SignalGiven):
            replay_signal(history, event, index)
        elif isinstance(event, ImpairmentDeclared):
            history.impaired.add(event.party)
        elif isinstance(event, ImpairmentCleared):
            history.impaired.discard(event.party)
    return history


def replay_signal(history: History, signal: SignalGiven, index: int) -> None:
    """SPEC §2: record a STOP, a SLOW (with what it marks) or a RESUME."""
    meaning = meaning_of(history, signal, index)
    if meaning is SignalMeaning.STOP:
        history.stops.append(Stop(giver=signal.by, index=index, at=signal.at))
    elif meaning is SignalMeaning.SLOW:
        # "A SLOW by party p at s marks p as slowed in every agreement p is
        # party to that is, at s, in force for its own parties".
        marked = []
        for agreement in history.agreements:
            if agreement.index >= index or signal.by not in agreement.parties:
                continue
            current = in_force(history, agreement.parties, signal.at, index)
            if current is not None and current.proposal_id == agreement.proposal_id:
                marked.append(agreement.proposal_id)
        history.slows.append(
            Slow(
                giver=signal.by,
                index=index,
                intensity=signal.intensity,
                marked=marked,
            )
        )
    # "A RESUME given while its giver is declared impaired does not count."
    elif signal.by not in history.impaired:
        history.resumes.append(Resume(giver=signal.by, index=index))


# --------------------------------------------------------------------------
# Facts about one step under one agreement
# --------------------------------------------------------------------------


def roles_in(step: Step) -> dict[str, Role]:
    """Decisions: the actor takes GIVE, the recipient RECEIVE, present WITNESS."""
    # "A director who is none of these takes no role."
    roles = {step.actor: Role.GIVE, step.recipient: Role.RECEIVE}
    for witness in step.present:
        roles[witness] = Role.WITNESS
    return roles


def parties_of(step: Step) -> frozenset[str]:
    """SPEC §2 Step: actor, recipient, present and directed_by when set."""
    parties = {step.actor, step.recipient, *step.present}
    if step.directed_by is not None:
        parties.add(step.directed_by)
    return frozenset(parties)


def beneath(act_id: str, acts: dict[str, Activity]) -> list[Activity]:
    """The activity with this id and every activity beneath it."""
    return [a for a in acts.values() if covers(act_id, a.id)]


def risk_tags(act_id: str, acts: dict[str, Activity]) -> set[str]:
    """SPEC §2 "Risks are inherited upward": its tags and all beneath it.

    "except that explicit_only is never inherited".
    """
    found = {t for a in beneath(act_id, acts) for t in a.tags if t != "explicit_only"}
    if "explicit_only" in acts[act_id].tags:
        found.add("explicit_only")
    return found


def required_equipment(act_id: str, acts: dict[str, Activity]) -> set[str]:
    """SPEC §2: "its own requires plus that of every activity beneath it"."""
    return {item for a in beneath(act_id, acts) for item in a.requires}


def reaches(target: str, activity: str) -> bool:
    """SPEC §2: a limit by activity L reaches X "when L covers X or X covers L"."""
    return covers(target, activity) or covers(activity, target)


def limit_applies(
    limit: Limit, kind: LimitKind, step: Step, acts: dict[str, Activity]
) -> bool:
    """SPEC §2 Limit: the limit, of that kind, binds this step."""
    if limit.kind is not kind:
        return False
    # "whenever party takes one of roles in a step".
    role = roles_in(step).get(limit.party)
    if role is None or role not in limit.roles:
        return False
    # It reaches the step's activity by activity either way, or by a risk tag.
    if limit.activity is not None:
        return reaches(limit.activity, step.activity)
    return limit.tag is not None and limit.tag in risk_tags(step.activity, acts)


def limit_unknown(limit: Limit, step: Step, acts: dict[str, Activity]) -> bool:
    """CK117: a limit binding the party's role names what the catalog lacks."""
    role = roles_in(step).get(limit.party)
    if role is None or role not in limit.roles:
        return False
    if limit.activity is not None:
        return limit.activity not in acts
    carried = {t for a in acts.values() for t in a.tags}
    return limit.tag not in carried and limit.tag not in NAMED_TAGS


def lifted(history: History, declared_at: int, limit: Limit, until: int) -> bool:
    """Decisions: a lift before ``until`` removes a standing limit before it."""
    # "Lifting a limit removes every standing limit of the lifting party with
    # that kind and that target (the same activity, or the same tag) declared
    # before the lift."
    for index, lift in history.lifts:
        if not declared_at < index < until:
            continue
        if lift.by != limit.party or lift.kind is not limit.kind:
            continue
        if lift.activity == limit.activity and lift.tag == limit.tag:
            return True
    return False


def limits_in_effect(history: History, agreement: Agreement) -> list[Limit]:
    """Decisions "Limits in effect" for a step under an agreement."""
    # "the limits in A's terms, and every standing limit declared at or before
    # the step's time, unless a LimitLifted of it comes before A formed in the
    # ledger."
    limits = list(agreement.terms.limits)
    for index, limit in history.declared:
        if not lifted(history, index, limit, agreement.index):
            limits.append(limit)
    return limits


def standing_limits(history: History, end: int) -> list[Limit]:
    """Decisions: standing limits "with every lift in the ledger up to the step"."""
    # ``end`` is the number of visible events: every lift replayed counts.
    return [
        limit
        for index, limit in history.declared
        if not lifted(history, index, limit, end)
    ]


def revocation_applies(index: int, revoked: Revoked, agreement: Agreement) -> bool:
    """SPEC §2 Revoked with decisions: does it apply to the agreement."""
    # "It applies to every agreement whose proposal by accepted before the
    # revocation, even one that forms after it" -- decisions: the revoking
    # party's *counted* acceptance comes before the revocation in the ledger.
    accepted = agreement.counted.get(revoked.by)
    return accepted is not None and accepted < index


def grant_revoked(
    history: History, grant: Grant, agreement: Agreement, step: Step
) -> bool:
    """SPEC §2 Revoked: the candidate grant is revoked for this step."""
    for index, revoked in history.revocations:
        # "by withdraws their own consent".
        if revoked.by != grant.party:
            continue
        if not revocation_applies(index, revoked, agreement):
            continue
        # "when both are empty, everything".
        if not revoked.activities and not revoked.grants:
            return True
        # Decisions: by subtree of the step's activity -- a listed activity
        # covering the step's activity.
        if any(covers(a, step.activity) for a in revoked.activities):
            return True
        # "the listed grant ids ... proposal_id ... narrows those ids to its
        # grants".
        if grant.id in revoked.grants and revoked.proposal_id in (
            None,
            agreement.proposal_id,
        ):
            return True
    return False


def counted_confirmations(
    history: History, agreement: Agreement, step: Step, by: str
) -> list[Confirmation]:
    """SPEC §2 Confirmed: the confirmations by ``by`` that count for the step."""
    # "It counts for a step when given after the step's agreement formed (in
    # ledger order), at or before the step, its activity covers the step's,
    # and its giver was not declared impaired when giving it."  (The replay
    # kept only unimpaired ones, and only events at or before the step.)
    return [
        c
        for c in history.confirmations
        if c.by == by
        and c.index > agreement.index
        and c.at <= step.at
        and covers(c.activity, step.activity)
    ]


def condition_met(condition: object, step: Step, agreement: Agreement) -> bool:
    """SPEC §2 Conditions (all but ConfirmFirst)."""
    protocol = agreement.terms.protocol
    if isinstance(condition, CheckInWithin):
        # "the protocol's check-in interval is set and at most minutes".
        return (
            protocol.check_in_minutes is not None
            and protocol.check_in_minutes <= condition.minutes
        )
    if isinstance(condition, NonverbalSignal):
        # "the protocol has a non-verbal STOP signal".
        return any(
            s.kind is SignalKind.NONVERBAL and s.meaning is SignalMeaning.STOP
            for s in protocol.signals
        )
    if isinstance(condition, MaxDuration):
        # "the step lasts at most that long".
        return step.duration <= timedelta(minutes=condition.minutes)
    if isinstance(condition, Equipment):
        # "the protocol lists the item".
        return condition.item in protocol.equipment
    if isinstance(condition, Spotter):
        # "that party is present in the step".
        return condition.party in step.present
    # An unknown condition fails closed.
    return False


def confirm_first_met(
    condition: ConfirmFirst,
    grant: Grant,
    history: History,
    agreement: Agreement,
    step: Step,
) -> bool:
    """SPEC §2 ConfirmFirst, with CK203's "inclusive"."""
    # "the granting party gave a Confirmed for the activity in the agreement
    # in force (within that many minutes before the step, when set)".
    for c in counted_confirmations(history, agreement, step, grant.party):
        if condition.within_minutes is None:
            return True
        if step.at - c.at <= timedelta(minutes=condition.within_minutes):
            return True
    return False


# --------------------------------------------------------------------------
# SPEC §3.2: sides and candidates
# --------------------------------------------------------------------------

# How far a candidate got, and the code of the check it failed at.
STAGES = ("CK102", "CK106", "CK107", "CK203")
PASSED = len(STAGES)


# A side: its party, the role they take and the others their grant must admit.
Side: typing.TypeAlias = tuple[str, Role, frozenset[str]]


def sides_of(step: Step) -> list[Side]:
    """SPEC §3.2: each side's party, role and the others it must admit."""
    # "the recipient (role RECEIVE), the actor (role GIVE) and each present
    # party (role WITNESS)"; counterparties must admit "the actor for a
    # RECEIVE grant, the recipient for a GIVE grant, both for a WITNESS grant".
    sides: list[Side] = [
        (step.recipient, Role.RECEIVE, frozenset({step.actor})),
        (step.actor, Role.GIVE, frozenset({step.recipient})),
    ]
    both = frozenset({step.actor, step.recipient})
    sides.extend((witness, Role.WITNESS, both) for witness in sorted(step.present))
    return sides


def candidates(
    agreement: Agreement, side: Side, step: Step, acts: dict[str, Activity]
) -> list[Grant]:
    """SPEC §3.2: the party's grants for that role covering the activity."""
    party, role, others = side
    found = []
    for grant in agreement.terms.grants:
        if grant.party != party or grant.role is not role:
            continue
        if not grant_covers(grant, step.activity, acts):
            continue
        # "counterparties ... (None: any party of the agreement)".
        if grant.counterparties is not None and not others <= grant.counterparties:
            continue
        found.append(grant)
    return found


def stage_reached(
    grant: Grant, history: History, agreement: Agreement, step: Step
) -> int:
    """SPEC §3.2: the index in STAGES of the first failed check, or PASSED."""
    # "not revoked -> cap >= intensity (CK106) -> every condition but
    # ConfirmFirst met (CK107) -> ConfirmFirst met (CK203)".
    if grant_revoked(history, grant, agreement, step):
        return 0
    if grant.max_intensity is not None and grant.max_intensity < step.intensity:
        return 1
    for condition in grant.conditions:
        if isinstance(condition, ConfirmFirst):
            continue
        if not condition_met(condition, step, agreement):
            return 2
    for condition in grant.conditions:
        if isinstance(condition, ConfirmFirst) and not confirm_first_met(
            condition, grant, history, agreement, step
        ):
            return 3
    return PASSED


def side_codes(
    history: History, agreement: Agreement, step: Step, acts: dict[str, Activity]
) -> set[str]:
    """SPEC §3.2: one finding per side that is not met."""
    codes: set[str] = set()
    for side in sides_of(step):
        found = candidates(agreement, side, step, acts)
        # "CK105 when it has no candidate".
        if not found:
            codes.add("CK105")
            continue
        # "The side is met when some candidate passes every check. Otherwise
        # ... the code of the check at which its furthest-getting candidate
        # failed."
        furthest = max(stage_reached(g, history, agreement, step) for g in found)
        if furthest != PASSED:
            codes.add(STAGES[furthest])
    return codes


# --------------------------------------------------------------------------
# SPEC §3.3: the rules that read the agreement
# --------------------------------------------------------------------------


def soft_limit_codes(
    history: History,
    agreement: Agreement,
    step: Step,
    act: Activity,
    acts: dict[str, Activity],
) -> set[str]:
    """CK201: a soft limit in effect, neither addressed nor confirmed."""
    sides = {side[0]: side for side in sides_of(step)}
    for limit in limits_in_effect(history, agreement):
        if not limit_applies(limit, LimitKind.SOFT, step, acts):
            continue
        # "one of their side's candidates (3.2) addresses it specifically --
        # names the limit's activity or something beneath it; for a tag limit,
        # names the step's activity exactly".
        addressed = False
        for grant in candidates(agreement, sides[limit.party], step, acts):
            if limit.activity is not None:
                addressed = addressed or covers(limit.activity, grant.activity)
            else:
                addressed = addressed or grant.activity == step.activity
        # "nor a counted Confirmed by them covers the activity".
        confirmed = bool(counted_confirmations(history, agreement, step, limit.party))
        if not addressed and not confirmed:
            return {"CK201"}
    return set()


def authority_ended(history: History, agreement: Agreement, subject: str) -> bool:
    """SPEC §2 Revoked: revoking everything ends every Authority over ``by``."""
    for index, revoked in history.revocations:
        if revoked.by != subject or revoked.activities or revoked.grants:
            continue
        if revocation_applies(index, revoked, agreement):
            return True
    return False


def authority_code(
    history: History, agreement: Agreement, step: Step, acts: dict[str, Activity]
) -> set[str]:
    """CK113: someone holds authority over the recipient, the director doesn't."""
    authorities = [
        a
        for a in agreement.terms.protocol.authority
        if a.subject == step.recipient
        and not authority_ended(history, agreement, a.subject)
    ]
    if not authorities:
        return set()
    # "the director (directed_by, or the actor) is neither the recipient nor a
    # holder of authority over them whose scope covers the activity".
    director = step.directed_by if step.directed_by is not None else step.actor
    if director == step.recipient:
        return set()
    for authority in authorities:
        if authority.holder != director:
            continue
        if authority.scope is None:
            # "scope None: any grant of the recipient in the agreement covers
            # it" (decisions: any role, revoked or not).
            if any(
                g.party == step.recipient and grant_covers(g, step.activity, acts)
                for g in agreement.terms.grants
            ):
                return set()
        elif any(covers(s, step.activity) for s in authority.scope):
            return set()
    return {"CK113"}


def signal_codes(
    agreement: Agreement,
    step: Step,
    overlapping: Sequence[Step],
    acts: dict[str, Activity],
) -> set[str]:
    """CK110 and CK111: a STOP signal the recipient can still give."""
    stops = [
        s for s in agreement.terms.protocol.signals if s.meaning is SignalMeaning.STOP
    ]
    # CK110: "the protocol in force defines no STOP signal".
    if not stops:
        return {"CK110"}
    # CK111: "the capabilities taken from the recipient by this step -- and by
    # every overlapping step with the same recipient".  An overlapping step on
    # an activity the catalog does not know takes nothing the oracle can see.
    taken: set[str] = set()
    for other in [step, *overlapping]:
        if other.recipient != step.recipient:
            continue
        if other.activity not in acts:
            continue
        # SPEC §2: CK111 reads risks, inherited upward.
        for tag, capability in TAKES.items():
            if tag in risk_tags(other.activity, acts):
                taken.add(capability)
    for signal in stops:
        # "needs are the capabilities giving it takes -- voice (implied for
        # VERBAL)".
        needs = set(signal.needs)
        if signal.kind is SignalKind.VERBAL:
            needs.add("voice")
        if not needs & taken:
            return set()
    return {"CK111"}


def slow_codes(history: History, agreement: Agreement, step: Step) -> set[str]:
    """CK202 (a party slowed) and CK114 (intensity above a SLOW's cap)."""
    codes: set[str] = set()
    for party in parties_of(step):
        for slow in history.slows:
            if slow.giver != party or agreement.proposal_id not in slow.marked:
                continue
            # "capped at i - 1 for the rest of those agreements, even after
            # RESUME" (decisions: several caps combine to the lowest, which is
            # the same as checking each one).
            if slow.intensity is not None and step.intensity > slow.intensity - 1:
                codes.add("CK114")
            # "until p gives a RESUME" -- decisions: a counted RESUME clears
            # that party's SLOW marks in every agreement.
            if not any(
                r.giver == party and r.index > slow.index for r in history.resumes
            ):
                codes.add("CK202")
    return codes


def agreement_codes(
    *,
    history: History,
    agreement: Agreement,
    step: Step,
    act: Activity,
    acts: dict[str, Activity],
    overlapping: Sequence[Step],
) -> set[str]:
    """Every rule of §3.3 that reads the agreement or its protocol."""
    codes: set[str] = set()
    protocol = agreement.terms.protocol

    # CK101: "a HARD limit in effect (standing, or in the agreement) that
    # reaches the activity ... in the role they take"; CK117: any limit in
    # effect naming what the catalog cannot tell.
    for limit in limits_in_effect(history, agreement):
        if limit_applies(limit, LimitKind.HARD, step, acts):
            codes.add("CK101")
        if limit_unknown(limit, step, acts):
            codes.add("CK117")

    # CK102, CK105, CK106, CK107, CK203: the sides (§3.2).
    codes |= side_codes(history, agreement, step, acts)

    # CK109: "a party of the step is declared impaired at `at` and the
    # protocol requires sobriety".
    if protocol.sobriety_required and parties_of(step) & history.impaired:
        codes.add("CK109")

    # CK110, CK111: STOP signals.
    codes |= signal_codes(agreement, step, overlapping, acts)

    # CK112: "the activity requires equipment the protocol does not list",
    # read as its risks (SPEC §2).
    if not required_equipment(act.id, acts) <= protocol.equipment:
        codes.add("CK112")

    # CK113: authority.
    codes |= authority_code(history, agreement, step, acts)

    # CK114, CK202: SLOW.
    codes |= slow_codes(history, agreement, step)

    # CK116: "the step ends after the window of its agreement ends".
    if step.at + step.duration > agreement.terms.window.end:
        codes.add("CK116")

    # CK201: soft limits.
    codes |= soft_limit_codes(history, agreement, step, act, acts)
    return codes


def house_code(
    house: HouseRulesLike | None, act: Activity, acts: dict[str, Activity]
) -> set[str]:
    """CK115: the house bans an activity that reaches it, or one of its risks."""
    if house is None:
        return set()
    if any(reaches(banned, act.id) for banned in house.banned_activities):
        return {"CK115"}
    if risk_tags(act.id, acts) & house.banned_tags:
        return {"CK115"}
    return set()


# --------------------------------------------------------------------------
# SPEC §3.1: the decision
# --------------------------------------------------------------------------


def verdict_of(codes: frozenset[str]) -> str:
    """SPEC §3.1 "Combining": the most severe finding's verdict."""
    if codes & DENY_CODES:
        return DENY
    if codes & RENEGOTIATE_CODES:
        return RENEGOTIATE
    return ALLOW


def decide(
    events: Sequence[Event],
    step: Step,
    catalog: Catalog,
    house: HouseRulesLike | None = None,
    overlapping: Sequence[Step] = (),
) -> tuple[str, frozenset[str]]:
    """Decide ``step`` against the ledger's ``events``, from the spec alone.

    Returns:
        The verdict (``"allow"``, ``"renegotiate"`` or ``"deny"``) and the set
        of rule codes found.
    """
    acts = {a.id: a for a in catalog.activities}

    # CK100: "the activity is not in the engine's catalog" -- decisions: it
    # stands alone.
    act = acts.get(step.activity)
    if act is None:
        return DENY, frozenset({"CK100"})

    # SPEC §2 Ledger: "state_at(t) includes the events at t"; later events are
    # invisible.  Times never go backwards, so this is a prefix of the ledger.
    visible = [e for e in events if e.at <= step.at]
    history = replay(visible)
    end = len(visible)

    # SPEC §3.1: "The agreement a step is checked against is the one selected
    # for all the step's parties together at step.at."
    codes: set[str] = set()
    agreement = select(history, parties_of(step), step.at, end)
    if agreement is not None:
        # "When it is ended by a STOP", the step is refused with CK108.
        if stopped_by(history, agreement, end) is not None:
            codes.add("CK108")
    else:
        # "When none is selected: if one is selected for {recipient} alone,
        # CK108 if that one was ended by a STOP, else CK104 ...; otherwise
        # CK103."
        alone = select(history, frozenset({step.recipient}), step.at, end)
        if alone is None:
            codes.add("CK103")
        elif stopped_by(history, alone, end) is not None:
            codes.add("CK108")
        else:
            codes.add("CK104")

    if codes:
        # Decisions: "only the rules that do not read the agreement or its
        # protocol report anything more -- CK101 for standing limits (with
        # every lift in the ledger up to the step counted) and CK115".
        for limit in standing_limits(history, end):
            if limit_applies(limit, LimitKind.HARD, step, acts):
                codes.add("CK101")
            if limit_unknown(limit, step, acts):
                codes.add("CK117")
        codes |= house_code(house, act, acts)
        found = frozenset(codes)
        return verdict_of(found), found

    # INVARIANT: the agreement was selected and no STOP ended it.
    assert agreement is not None
    codes |= agreement_codes(
        history=history,
        agreement=agreement,
        step=step,
        act=act,
        acts=acts,
        overlapping=overlapping,
    )
    codes |= house_code(house, act, acts)
    found = frozenset(codes)
    return verdict_of(found), found
