"""Every record survives `to_dict`/`from_dict`, and its digest is its canonical hash."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
import rfc8785
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import testing
from consentkit._agreements import FrozenMap

CATALOG = ck.Catalog(
    name="tiny",
    version=1,
    activities=(
        ck.Activity(id="impact", label="Impact"),
        ck.Activity(id="impact.crop", label="Crop", tags={"leaves_marks"}),
        ck.Activity(id="bondage", label="Bondage"),
        ck.Activity(id="bondage.gag", label="Gag", tags={"impairs_speech"}),
    ),
)

#: Every record and a strategy for it.
RECORDS: dict[type, st.SearchStrategy[Any]] = {
    ck.Activity: testing.activities(),
    ck.Catalog: testing.catalogs(),
    ck.HouseRules: testing.house_rules(),
    ck.Limit: testing.limits(),
    ck.Grant: testing.grants(),
    ck.Signal: testing.signals(),
    ck.Aftercare: testing.aftercares(),
    ck.Authority: testing.authorities(),
    ck.Protocol: testing.protocols(),
    ck.Window: testing.windows(),
    ck.Terms: testing.terms(),
    ck.Proposed: testing.proposals(),
    ck.Accepted: testing.acceptances(),
    ck.Declined: testing.declines(),
    ck.Withdrawn: testing.withdrawals(),
    ck.Confirmed: testing.confirmations(),
    ck.Revoked: testing.revocations(),
    ck.LimitDeclared: testing.limit_declarations(),
    ck.LimitLifted: testing.limit_lifts(),
    ck.SignalGiven: testing.signals_given(),
    ck.ImpairmentDeclared: testing.impairment_declarations(),
    ck.ImpairmentCleared: testing.impairment_clearances(),
    ck.Step: testing.steps(),
    ck.Plan: testing.plans(max_size=3),
    ck.Entry: testing.entries(ledgers=testing.ledgers(catalog=CATALOG, min_events=1)),
    ck.Agreement: testing.agreements(),
    ck.Negotiation: testing.negotiations(),
    ck.Finding: testing.findings(),
    ck.Decision: testing.decisions(),
    ck.PlanDecision: testing.plan_decisions(),
    ck.Allowance: testing.allowances(),
    ck.LintFinding: testing.lint_findings(),
    ck.LintReport: testing.lint_reports(),
    ck.Change: testing.changes(),
    ck.TermsDiff: testing.terms_diffs(),
    ck.Preference: testing.preference_entries(),
    ck.Preferences: testing.preference_lists(),
    ck.Source: testing.sources(),
    ck.Match: testing.matches(),
    ck.Comparison: testing.comparisons(catalog=CATALOG),
    ck.Imported: st.builds(
        ck.Imported,
        preferences=testing.preference_lists(),
        unmapped=st.lists(st.text(max_size=20), max_size=3),
        undirected=st.lists(st.text(max_size=20), max_size=3),
        lossy=st.booleans(),
    ),
}
MINUTES = st.integers(1, 1_000_000)
RECORDS.update(
    {
        ck.CheckInWithin: st.builds(ck.CheckInWithin, minutes=MINUTES),
        ck.NonverbalSignal: st.just(ck.NonverbalSignal()),
        ck.MaxDuration: st.builds(ck.MaxDuration, minutes=MINUTES),
        ck.Equipment: st.builds(
            ck.Equipment, item=st.from_regex(r"[a-z_]{1,9}", fullmatch=True)
        ),
        ck.Spotter: st.builds(ck.Spotter, party=testing.party_ids()),
        ck.ConfirmFirst: st.builds(ck.ConfirmFirst, within_minutes=st.none() | MINUTES),
    }
)
RECEIPTS = testing.ledgers(catalog=CATALOG, min_events=1, max_events=5).flatmap(
    testing.receipts
)
RECORDS.update({ck.Receipt: RECEIPTS, ck.Proof: RECEIPTS.map(lambda r: r.proof)})

#: Fields that hold one value only (a proof names its one algorithm).
FIXED: dict[type, set[str]] = {ck.Proof: {"type", "cryptosuite"}}

#: Fields that other fields determine, so that no valid record differs in them alone.
DERIVED = {(ck.Match, "kind")}

#: Public attrs classes that are views or helpers, not records on the wire.
NOT_RECORDS = {ck.ConsentState, ck.RuleContext}

PARAMS = [pytest.param(cls, id=cls.__name__) for cls in RECORDS]
#: Examples per record and property: a fifth of the profile's (100 by default).
EXAMPLES = max(10, settings().max_examples // 5)


def is_plain_json(value: object) -> bool:
    """Whether `value` holds only string-keyed dicts, lists, str, int, bool, None."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_plain_json(v) for v in value)
    return value is None or isinstance(value, (str, int, bool))


def test_every_public_record_is_covered() -> None:
    """The table above holds every record consentkit exports."""
    exported = {
        obj
        for name in ck.__all__
        if isinstance(obj := getattr(ck, name), type) and attrs.has(obj)
    }
    assert exported - NOT_RECORDS <= set(RECORDS), "add a strategy and a row"


@pytest.mark.parametrize("cls", PARAMS)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_records_round_trip(cls: type, data: st.DataObject) -> None:
    """A record written with `to_dict` reads back equal, also through JSON text."""
    record = data.draw(RECORDS[cls])
    written = ck.to_dict(record)
    assert is_plain_json(written)
    assert ck.from_dict(cls, written) == record
    text = json.dumps(written, allow_nan=False)
    assert ck.from_dict(cls, json.loads(text)) == record


@pytest.mark.parametrize("cls", PARAMS)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_digest_is_the_canonical_hash(cls: type, data: st.DataObject) -> None:
    """`digest` is the RFC 8785 SHA-256 of `to_dict`; equal copies share it."""
    record = data.draw(RECORDS[cls])
    canonical = rfc8785.dumps(ck.to_dict(record))
    assert ck.digest(record) == "sha256:" + hashlib.sha256(canonical).hexdigest()
    copy: object = ck.from_dict(cls, json.loads(json.dumps(ck.to_dict(record))))
    assert copy is not record
    assert copy == record
    assert hash(copy) == hash(record)
    assert ck.digest(copy) == ck.digest(record)


def variants(value: object) -> list[object]:
    """Values near `value` of the same type, for a single-field change."""
    found: list[object] = []
    if isinstance(value, bool):
        found.append(not value)
    elif isinstance(value, int):
        found += [value + 1, value - 1]
    elif isinstance(value, str):
        found += [value[:-1] + "x" if len(value) >= 128 else value + "x", value[:-1]]
    elif isinstance(value, enum.Enum):
        members = list(type(value))
        found.append(members[(members.index(value) + 1) % len(members)])
    elif isinstance(value, (datetime, timedelta)):
        found += [value + timedelta(seconds=1), value - timedelta(seconds=1)]
    elif isinstance(value, frozenset):
        items = sorted(value, key=repr)
        if items:
            found.append(value - {items[0]})
            found += [value | {v} for v in variants(items[0])]
    elif isinstance(value, tuple) and value:
        found.append(value[:-1])
    elif isinstance(value, FrozenMap) and value:
        key = next(iter(value))
        found.append(FrozenMap({**value, key: value[key] + timedelta(seconds=1)}))
    return found


def changed_fields(record: Any, other: Any) -> dict[str, Any]:
    """For each field, a valid record differing from `record` in that field alone."""
    changed: dict[str, Any] = {}
    for field in attrs.fields(type(record)):
        if not field.init:
            continue
        current = getattr(record, field.name)
        for value in [getattr(other, field.name), *variants(current)]:
            if value == current:
                continue
            try:
                changed[field.name] = attrs.evolve(record, **{field.alias: value})
            except (ck.InvalidRecord, TypeError, ValueError):
                continue
            break
    return changed


@pytest.mark.parametrize(
    "cls",
    [p for p in PARAMS if attrs.fields(p.values[0])],  # type: ignore[arg-type]
)
def test_any_single_field_change_changes_the_digest(cls: type) -> None:
    """Changing any one field of a record, validly, changes its digest."""
    seen: set[str] = set()

    @settings(
        max_examples=2 * EXAMPLES,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(record=RECORDS[cls], other=RECORDS[cls])
    def check(record: Any, other: Any) -> None:
        before = ck.digest(record)
        for name, changed in changed_fields(record, other).items():
            assert changed != record, name
            assert ck.digest(changed) != before, name
            seen.add(name)

    check()
    fields = {
        f.name for f in attrs.fields(cls) if f.init and (cls, f.name) not in DERIVED
    } - FIXED.get(cls, set())
    for name in sorted(fields - seen):
        # A field the draws above happened never to vary: find a record where it can.
        def varies(candidate: Any, name: str = name) -> bool:
            return name in changed_fields(candidate, candidate)

        record = find(
            RECORDS[cls],
            varies,
            settings=settings(max_examples=2000, database=None, derandomize=True),
        )
        changed = changed_fields(record, record)[name]
        assert ck.digest(changed) != ck.digest(record), name
        seen.add(name)
    assert seen - {name for owner, name in DERIVED if owner is cls} == fields
