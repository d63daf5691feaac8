# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""The wire format (SPEC 4): documents, strict decoding, limits, ledgers, migrations."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import consentkit
from consentkit import (
    Agreement,
    DecodeError,
    Entry,
    Ledger,
    Step,
    TamperedLedger,
    Terms,
    _migrations,
    _serialize,
    testing,
)
from consentkit._canonical import digest_data
from consentkit._documents import KINDS, kind_of
from consentkit._events import EVENTS, Event
from consentkit._ledger import chain_digest
from consentkit._serialize import TAGS, UNIONS
from consentkit._terms import CONDITIONS
from test_wire_golden import GOLDEN, golden_ledger, golden_terms

#: Enough cases for fuzzing under everyday profiles; the thorough profile's own
#: (much larger) number wins when it is larger.
FUZZ = settings(
    max_examples=max(2_000, settings().max_examples),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "ledger": testing.ledgers(max_events=12),
    "terms": testing.terms(),
    "plan": testing.plans(),
    "step": testing.steps(),
    "catalog": testing.catalogs(),
    "decision": testing.decisions(),
    "plan_decision": testing.plan_decisions(),
    "event": testing.events(),
    "receipt": testing.ledgers(min_events=1, max_events=6).flatmap(testing.receipts),
    "lint": testing.lint_reports(),
    "terms_diff": testing.terms_diffs(),
    "preferences": testing.preference_lists(),
    "comparison": testing.comparisons(),
    "protocol": testing.protocols(),
}
VALIDATORS = {
    kind: jsonschema.Draft202012Validator(consentkit.json_schema(kind))
    for kind in KINDS
}


def envelope(kind: str, data: Any) -> dict[str, Any]:
    """A document of `kind` around `data`, as `dumps` writes it."""
    return {"format": "consentkit", "version": 1, "kind": kind, "data": data}


def problems_of(
    text: str | bytes, kind: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The problems `loads` lists for `text` (fails when it reads)."""
    with pytest.raises(DecodeError) as caught:
        consentkit.loads(text, kind)
    return caught.value.problems


def paths_of(text: str | bytes) -> list[str]:
    """The paths of the problems `loads` lists for `text`."""
    return [path for path, _ in problems_of(text)]


def step_data(**changes: Any) -> dict[str, Any]:
    """A valid step's JSON with some fields changed (None value: dropped)."""
    data: dict[str, Any] = {
        "actor": "ann",
        "recipient": "bo",
        "activity": "impact.spanking",
        "intensity": 3,
        "at": "2026-03-07T19:00:00Z",
        "duration_s": 600,
        "present": [],
        "directed_by": None,
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def step_text(**changes: Any) -> str:
    """A step document with some fields changed."""
    return json.dumps(envelope("step", step_data(**changes)))


# -- round trips and schemas ---------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@given(data=st.data())
def test_generated_records_validate_and_round_trip(
    kind: str, data: st.DataObject
) -> None:
    """Every generated record fits its kind's schema and reads back equal."""
    record = data.draw(STRATEGIES[kind])
    text = consentkit.dumps(record)
    VALIDATORS[kind].validate(json.loads(text))
    assert json.loads(text) == envelope(kind, consentkit.to_dict(record))
    back = consentkit.loads(text, kind)
    assert back == record
    assert consentkit.dumps(back) == text
    assert consentkit.from_dict(type(record), consentkit.to_dict(record)) == record


@given(testing.agreements())
def test_agreements_round_trip_with_acceptances_as_an_object(
    agreement: Agreement,
) -> None:
    """An agreement's acceptances are an object of party to time, read back equal."""
    data = consentkit.to_dict(agreement)
    assert isinstance(data["accepted"], dict)
    assert list(data["accepted"]) == sorted(agreement.accepted)
    assert consentkit.from_dict(Agreement, data) == agreement


@given(testing.entries())
def test_entries_round_trip(entry: Entry) -> None:
    """A ledger entry reads back equal, chain fields and all."""
    assert consentkit.from_dict(Entry, consentkit.to_dict(entry)) == entry


def test_the_package_functions_know_the_ledger() -> None:
    """`to_dict`, `from_dict` and `digest` of the package write and read a ledger."""
    ledger = golden_ledger()
    data = consentkit.to_dict(ledger)
    assert data == json.loads(consentkit.dumps(ledger))["data"]
    assert consentkit.from_dict(Ledger, data) == ledger
    assert consentkit.from_dict(Ledger, {"entries": []}) == Ledger()
    assert consentkit.digest(ledger) == digest_data(data)
    # Records other than ledgers go through the one converter unchanged.
    terms = golden_terms()
    assert consentkit.to_dict(terms) == _serialize.to_dict(terms)
    assert consentkit.digest(terms) == _serialize.digest(terms)
    assert consentkit.from_dict(type(terms), consentkit.to_dict(terms)) == terms


def test_acceptance_times_are_read_strictly() -> None:
    """A bad time in an agreement's acceptances is named by its party."""
    data = consentkit.to_dict(
        Agreement(
            proposal_id="p1",
            terms=golden_terms(),
            formed_at=datetime(2026, 3, 6, tzinfo=timezone.utc),
            accepted={"client_k": datetime(2026, 3, 6, tzinfo=timezone.utc)},
        )
    )
    data["accepted"]["mistress vale"] = "yesterday"
    with pytest.raises(DecodeError) as caught:
        consentkit.from_dict(Agreement, data)
    assert caught.value.problems[0][0] == 'accepted["mistress vale"]'


def test_every_union_member_has_a_tag() -> None:
    """The tag table covers every condition and every event, each tag once."""
    assert set(UNIONS[Event]) == set(EVENTS)
    assert set(TAGS) == set(CONDITIONS) | set(EVENTS)
    assert len(set(TAGS.values())) == len(TAGS)
    assert TAGS[consentkit.LimitDeclared] == "limit_declared"
    assert TAGS[consentkit.CheckInWithin] == "check_in_within"


def test_kinds_name_the_types_they_hold() -> None:
    """`dumps` names each record's kind; a record no kind holds is refused."""
    assert kind_of(golden_ledger()) == "ledger"
    assert kind_of(golden_terms()) == "terms"
    assert kind_of(golden_ledger().events[0]) == "event"
    with pytest.raises(TypeError, match="no document kind"):
        consentkit.dumps(golden_terms().window)


def test_dumps_writes_the_documented_text() -> None:
    """`dumps` writes ``json.dumps(indent=2, ensure_ascii=False)`` and a newline."""
    ledger = golden_ledger()
    document = envelope("ledger", consentkit.to_dict(ledger))
    expected = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert consentkit.dumps(ledger) == expected
    assert "“Mistress”" in consentkit.dumps(golden_terms())


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_the_writer_is_json_dumps(value: Any) -> None:
    """The fast writer gives what the standard library gives, for any JSON value."""
    from consentkit._documents import _write  # noqa: PLC0415  # the private writer

    assert _write(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


# -- strict decoding -----------------------------------------------------------


def test_the_problem_in_the_spec_is_reported_as_written() -> None:
    """A cap of 12 deep in a ledger is reported with its full JSON path."""
    document = json.loads(consentkit.dumps(golden_ledger()))
    grant = document["data"]["entries"][1]["event"]["terms"]["grants"][0]
    grant["max_intensity"] = 12
    assert problems_of(json.dumps(document)) == (
        (
            "data.entries[1].event.terms.grants[0].max_intensity",
            "must be 1..10, got `12`",
        ),
    )
    assert str(_decode_error(json.dumps(document))) == (
        "data.entries[1].event.terms.grants[0].max_intensity: must be 1..10, got `12`"
    )


def _decode_error(text: str) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        consentkit.loads(text)
    return caught.value


def test_every_problem_is_listed_one_per_line() -> None:
    """Several problems, in several records and fields, are all reported."""
    document = json.loads(consentkit.dumps(golden_ledger()))
    entries = document["data"]["entries"]
    entries[0]["event"]["terms"]["grants"][0]["max_intensity"] = 12
    entries[0]["event"]["terms"]["grants"][0]["role"] = "boss"
    entries[1]["event"]["terms"]["window"]["start"] = "2026-03-07T19:00:00"
    entries[2]["event"]["by"] = " client_k"
    entries[3]["digest"] = "sha256:abc"
    entries[4]["seq"] = "4"
    entries[5]["event"]["type"] = "whispered"
    del entries[6]["event"]["at"]
    entries[7]["colour"] = "red"
    error = _decode_error(json.dumps(document))
    assert [path for path, _ in error.problems] == [
        "data.entries[0].event.terms.grants[0].role",
        "data.entries[0].event.terms.grants[0].max_intensity",
        "data.entries[1].event.terms.window.start",
        "data.entries[2].event.by",
        "data.entries[3].digest",
        "data.entries[4].seq",
        "data.entries[5].event.type",
        "data.entries[6].event.at",
        "data.entries[7].colour",
    ]
    assert len(str(error).splitlines()) == len(error.problems)
    messages = dict(error.problems)
    assert messages["data.entries[6].event.at"] == "is required"
    assert messages["data.entries[7].colour"] == "unknown field"
    assert messages["data.entries[4].seq"] == "must be a whole number, got `'4'`"


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"intensity": "3"}, "data.intensity", "must be a whole number, got `'3'`"),
        ({"intensity": 3.0}, "data.intensity", "must be a whole number, got `3.0`"),
        ({"intensity": True}, "data.intensity", "must be a whole number, got `True`"),
        ({"actor": 5}, "data.actor", "must be a string, got `5`"),
        ({"present": "ann"}, "data.present", "must be an array, got `'ann'`"),
        ({"present": {"x": 1}}, "data.present", "must be an array, got `{'x': 1}`"),
        ({"present": ["cy", "cy"]}, "data.present[1]", "duplicate item `'cy'`"),
        ({"duration_s": -1}, "data.duration_s", "must be 0..86399999999999 seconds"),
        ({"duration_s": "60"}, "data.duration_s", "must be whole seconds"),
        ({"activity": "Impact"}, "data.activity", "must be a dotted activity id"),
        ({"actor": ""}, "data.actor", "must not be empty"),
        ({"actor": "a" * 129}, "data.actor", "must be at most 128 characters"),
        ({"actor": "ann\n"}, "data.actor", "must not contain control characters"),
        ({"actor": "\u2003ann"}, "data.actor", "must not start or end with whitespace"),
        ({"actor": "\ud800"}, "data.actor", "must be valid unicode text"),
        ({"at": "2026-03-07T19:00:00"}, "data.at", "must be an RFC 3339 time"),
        ({"at": "2026-03-07 19:00:00Z"}, "data.at", "must be an RFC 3339 time"),
        ({"at": "2026-02-30T19:00:00Z"}, "data.at", "not a valid time"),
        ({"at": "2026-03-07T23:59:60Z"}, "data.at", "leap seconds are not supported"),
        ({"at": "2026-03-07T19:00:00.1234567Z"}, "data.at", "must be an RFC 3339"),
        ({"at": "٢٠٢٦-03-07T19:00:00Z"}, "data.at", "must be an RFC 3339 time"),
        ({"at": 1_700_000_000}, "data.at", "must be a time string"),
        ({"recipient": "ann"}, "data.recipient", "must differ from the actor"),
        ({"present": ["ann"]}, "data.present", "must not hold the actor or recipient"),
        ({"actor": None}, "data.actor", "is required"),
        ({"duration": 600}, "data.duration", "unknown field"),
        ({"type": "step"}, "data.type", "unknown field"),
    ],
)
def test_a_bad_field_is_named_by_its_path(
    changes: dict[str, Any], path: str, message: str
) -> None:
    """Wrong types, bad ids, bad times and broken rules name the field."""
    found = problems_of(step_text(**changes))
    assert [p for p, _ in found] == [path]
    assert found[0][1].startswith(message)


def test_a_time_with_an_offset_is_normalised_to_utc() -> None:
    """Any RFC 3339 offset reads, and the time is kept in UTC."""
    step = consentkit.loads(step_text(at="2026-03-07T21:00:00.5+02:00"), "step")
    assert step.at == datetime(2026, 3, 7, 19, 0, 0, 500_000, tzinfo=timezone.utc)
    assert step.at.tzinfo is timezone.utc
    assert '"at": "2026-03-07T19:00:00.500000Z"' in consentkit.dumps(step)


def _read_time(reader: Any, text: str) -> datetime | str:
    try:
        moment: datetime = reader(text)
    except ValueError as error:
        return str(error)
    assert moment.tzinfo is timezone.utc
    return moment


@given(
    st.one_of(
        st.from_regex(_serialize.TIME_PATTERN, fullmatch=True),
        st.from_regex(
            r"[0-9]{4}-(0[1-9]|1[0-2])-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]"
            r"(\.[0-9]{6})?Z",
            fullmatch=True,
        ),
        testing.times().map(_serialize.format_time),
    )
)
def test_times_as_written_read_as_any_other_time(text: str) -> None:
    """The shortcut for times as written agrees with the full reading, errors too."""
    assert _read_time(_serialize.parse_time, text) == _read_time(
        _serialize._parse_time,  # the full reading
        text,
    )


def test_fields_with_defaults_may_be_omitted() -> None:
    """Output writes every field; input may leave out those with a default."""
    step = consentkit.loads(step_text(duration_s=None, present=None, directed_by=None))
    assert step == Step(
        actor="ann",
        recipient="bo",
        activity="impact.spanking",
        intensity=3,
        at=datetime(2026, 3, 7, 19, tzinfo=timezone.utc),
    )
    assert '"duration_s": 0' in consentkit.dumps(step)


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"at": "2026-03-07T19:00:00Z", "by": "ann"}, "data.type", "is required"),
        ({"type": "shouted", "by": "ann"}, "data.type", "must be one of `proposed`"),
        ({"type": ["proposed"]}, "data.type", "must be one of"),
        ([], "data", "must be an object, got `[]`"),
    ],
)
def test_an_unknown_or_missing_tag_is_refused(
    data: Any, path: str, message: str
) -> None:
    """Union members are told apart by their `type` tag, which must be known."""
    found = problems_of(json.dumps(envelope("event", data)))
    assert found[0][0] == path
    assert found[0][1].startswith(message)


def test_a_condition_with_a_wrong_tag_is_refused() -> None:
    """A condition's tag must name a condition."""
    document = json.loads(consentkit.dumps(golden_terms()))
    document["data"]["grants"][0]["conditions"][0]["type"] = "spotter"
    assert problems_of(json.dumps(document)) == (
        ("data.grants[0].conditions[0].party", "is required"),
        ("data.grants[0].conditions[0].minutes", "unknown field"),
    )


@pytest.mark.parametrize(
    ("document", "problems"),
    [
        (
            {"format": "consentkit", "version": 1, "kind": "step"},
            [("data", "is required")],
        ),
        (
            {"format": "other", "version": 1, "kind": "step", "data": {}},
            [("format", "must be `consentkit`, got `'other'`")],
        ),
        (
            {"format": "consentkit", "version": 2, "kind": "step", "data": {}},
            [("version", "`2` is newer than this release reads (`1`)")],
        ),
        (
            {"format": "consentkit", "version": 0, "kind": "step", "data": {}},
            [("version", "`0` is not a version this release reads (`1`)")],
        ),
        (
            {"format": "consentkit", "version": "1", "kind": "step", "data": {}},
            [("version", "must be a whole number, got `'1'`")],
        ),
        (
            {"format": "consentkit", "version": 1, "kind": "diary", "data": {}},
            [
                (
                    "kind",
                    "must be one of "
                    + ", ".join(f"`{kind}`" for kind in KINDS)
                    + ", got `'diary'`",
                )
            ],
        ),
        (
            {
                "format": "consentkit",
                "version": 1,
                "kind": "step",
                "data": {},
                "x y": 1,
            },
            [('["x y"]', "unknown field")],
        ),
        ([1, 2], [("", "must be a consentkit document (an object), got `[1, 2]`")]),
    ],
)
def test_the_envelope_is_checked_first(
    document: Any, problems: list[tuple[str, str]]
) -> None:
    """Format, version and kind must be known before the data is read."""
    assert list(problems_of(json.dumps(document))) == problems


def test_a_document_of_another_kind_is_refused() -> None:
    """`loads(kind=...)` refuses a document of another kind."""
    assert problems_of(consentkit.dumps(golden_terms()), "ledger") == (
        ("kind", "expected `ledger`, got `terms`"),
    )
    with pytest.raises(ValueError, match="unknown kind `diary`"):
        consentkit.loads(consentkit.dumps(golden_terms()), "diary")


def test_from_dict_paths_start_at_the_record() -> None:
    """`from_dict` reports paths from the record itself, without `data.`."""
    with pytest.raises(DecodeError) as caught:
        consentkit.from_dict(Step, step_data(intensity=11))
    assert caught.value.problems == (("intensity", "must be 1..10, got `11`"),)
    with pytest.raises(DecodeError) as caught:
        consentkit.from_dict(Step, step_data(recipient="ann"))
    assert caught.value.problems == (("recipient", "must differ from the actor"),)


# -- JSON itself and the limits -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff\xfe{}", "not valid UTF-8 at byte 0"),
        (b'{"a": "\xed\xa0\x80"}', "not valid UTF-8 at byte 7"),
        ("", "not valid JSON: expecting value at line 1, column 1"),
        ("{", "not valid JSON: expecting property name enclosed in double quotes"),
        ("{} {}", "not valid JSON: extra data at line 1, column 4"),
        ("\ufeff{}", "not valid JSON: unexpected UTF-8 BOM"),
        ('{"a": NaN}', "not valid JSON: `NaN` is not a JSON number"),
        ('{"a": -Infinity}', "not valid JSON: `-Infinity` is not a JSON number"),
        ('{"a": 1, "a": 2}', "not valid JSON: duplicate key `'a'`"),
        ("[" + "9" * 5000 + "]", "not valid JSON: a number is too long"),
        ('"\\ud800"', "must be a consentkit document (an object)"),
        ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
    ],
)
def test_bad_json_is_a_decode_error(text: str | bytes, message: str) -> None:
    """Malformed, ambiguous or hostile JSON is refused with one clear problem."""
    found = problems_of(text)
    assert len(found) == 1
    assert found[0][1].startswith(message)


def test_nesting_is_counted_from_the_envelope() -> None:
    """Sixty-four levels are read; the sixty-fifth is refused before parsing."""
    inner = "[" * 62 + "]" * 62  # envelope 1, data 2, the arrays 3..64
    text = (
        '{"format": "consentkit", "version": 1, "kind": "event", "data": {"x": '
        + inner
        + "}}"
    )
    assert problems_of(text)[0] == ("data.type", "is required")
    deeper = text.replace(inner, "[" + inner + "]")
    assert problems_of(deeper) == (("", "nested deeper than 64 levels"),)


def test_brackets_in_strings_do_not_count_as_nesting() -> None:
    """Brackets inside strings, escaped quotes and all, are text, not nesting."""
    step = consentkit.loads(step_text(directed_by='ca[[[{{{\\"' + "[" * 100 + '"'))
    assert step.directed_by is not None
    assert step.directed_by.startswith("ca[[[{{{")


def _nesting(value: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON value."""
    if isinstance(value, list):
        return 1 + max((_nesting(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_nesting(item) for item in value.values()), default=0)
    return 0


TRICKY_TEXT = st.text(st.sampled_from('[]{}"\\\\ab\n\u00e9\U0001f600'), max_size=6)


@st.composite
def nested_json(draw: st.DrawFn) -> Any:
    """JSON values nested about 64 deep, with brackets and escapes in strings."""
    value: Any = draw(TRICKY_TEXT)
    for _ in range(draw(st.integers(55, 70))):
        siblings: list[Any] = draw(st.lists(TRICKY_TEXT | st.just([]), max_size=2))
        if draw(st.booleans()):
            value = [*siblings, value] if draw(st.booleans()) else [value, *siblings]
        else:
            value = {
                draw(TRICKY_TEXT): value,
                **{f"k{i}": x for i, x in enumerate(siblings)},
            }
    return value


@given(nested_json(), st.booleans())
def test_the_depth_scan_counts_what_the_parser_would(
    value: Any, ascii_only: bool
) -> None:
    """The scan before parsing agrees with the nesting of the parsed value."""
    from consentkit._documents import MAX_DEPTH, _too_deep  # noqa: PLC0415

    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _too_deep(text.encode("utf-8")) == (_nesting(value) > MAX_DEPTH)


def test_very_deep_nesting_is_refused_cheaply() -> None:
    """A million open brackets is refused by the limit, never by recursion."""
    assert problems_of("[" * 1_000_000) == (("", "nested deeper than 64 levels"),)


def test_unterminated_strings_cost_linear_time() -> None:
    """Escaped quotes without an end are scanned once, not once per quote."""
    started = time.perf_counter()
    found = problems_of('["' + '\\"' * 500_000)
    assert found[0][1].startswith("not valid JSON: unterminated string")
    assert time.perf_counter() - started < 5


def test_an_oversized_document_is_refused_before_parsing() -> None:
    """Size is checked first: an oversized document is refused, whatever it holds."""
    text = consentkit.dumps(golden_ledger())
    size = len(text.encode("utf-8"))
    assert consentkit.loads(text, max_size=size) == golden_ledger()
    assert problems_of_sized(text, size - 1) == (
        ("", f"document is larger than {size - 1} bytes"),
    )
    assert problems_of_sized(text.encode("utf-8"), size - 1)[0][1].startswith(
        "document is larger"
    )
    # Not JSON at all, and still refused for its size alone.
    assert problems_of_sized("[" * 100, 99)[0][1] == "document is larger than 99 bytes"


def test_size_counts_utf8_bytes_of_text() -> None:
    """For text, the limit counts the bytes of its UTF-8 form, not characters."""
    text = consentkit.dumps(golden_terms())
    size = len(text.encode("utf-8"))
    assert size > len(text)  # the curly quotes take three bytes each
    assert problems_of_sized(text, size - 1)[0][1].startswith("document is larger")


def problems_of_sized(text: str | bytes, max_size: int) -> tuple[tuple[str, str], ...]:
    """The problems `loads` lists for `text` under a size limit."""
    with pytest.raises(DecodeError) as caught:
        consentkit.loads(text, max_size=max_size)
    return caught.value.problems


def test_loads_takes_text_or_bytes_only() -> None:
    """Bytes-like input reads; anything else is a programming error."""
    text = consentkit.dumps(golden_terms())
    assert consentkit.loads(bytearray(text.encode())) == golden_terms()  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="must be text or bytes"):
        consentkit.loads(42)  # type: ignore[call-overload]


# -- ledgers: chain and rules ----------------------------------------------------


def _ledger_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(consentkit.dumps(golden_ledger()))
    return document


def _rechain(document: dict[str, Any]) -> str:
    """Renumber and re-hash the entries, as a writer that broke a rule would."""
    prev = None
    for seq, entry in enumerate(document["data"]["entries"]):
        entry["seq"] = seq
        entry["prev"] = prev
        entry["digest"] = prev = chain_digest(prev, entry["event"])
    return json.dumps(document)


def _tampered(text: str) -> TamperedLedger:
    with pytest.raises(TamperedLedger) as caught:
        consentkit.loads(text)
    return caught.value


def test_an_edited_entry_is_caught() -> None:
    """Changing an event without its digest breaks the chain at that entry."""
    document = _ledger_document()
    document["data"]["entries"][5]["event"]["intensity"] = 2
    assert _tampered(json.dumps(document)).seq == 5


def test_reordered_dropped_and_inserted_entries_are_caught() -> None:
    """A swapped, missing or extra entry breaks the chain at the first one."""
    document = _ledger_document()
    entries = document["data"]["entries"]
    entries[4], entries[5] = entries[5], entries[4]
    assert _tampered(json.dumps(document)).seq == 4

    document = _ledger_document()
    del document["data"]["entries"][3]
    assert _tampered(json.dumps(document)).seq == 3

    document = _ledger_document()
    entries = document["data"]["entries"]
    entries.insert(6, json.loads(json.dumps(entries[5])))
    assert _tampered(json.dumps(document)).seq == 6

    document = _ledger_document()
    entries = document["data"]["entries"]
    for entry in entries[3:]:
        entry["seq"] += 1
    assert _tampered(json.dumps(document)).seq == 3


def test_a_rule_broken_under_a_valid_chain_names_the_entry_and_rule() -> None:
    """A chain that holds is replayed: a broken ledger rule is a decode error."""
    document = _ledger_document()
    # The mistress accepts the superseded proposal instead.
    document["data"]["entries"][3]["event"]["proposal_id"] = "p1"
    found = problems_of(_rechain(document))
    assert found == (
        (
            "data.entries[3]",
            "ledger rule not-open: proposal `p1` is superseded, not open",
        ),
    )


def test_from_dict_names_a_broken_rule_from_the_ledger() -> None:
    """`from_dict` of a ledger reports a broken rule at its entry, without `data.`."""
    document = _ledger_document()
    document["data"]["entries"][3]["event"]["proposal_id"] = "p1"
    data = json.loads(_rechain(document))["data"]
    with pytest.raises(DecodeError) as caught:
        consentkit.from_dict(Ledger, data)
    assert caught.value.problems == (
        ("entries[3]", "ledger rule not-open: proposal `p1` is superseded, not open"),
    )


def test_a_broken_chain_outranks_a_broken_rule() -> None:
    """When both a rule and the chain are broken, the chain is reported."""
    document = _ledger_document()
    document["data"]["entries"][3]["event"]["proposal_id"] = "p1"
    document = json.loads(_rechain(document))
    document["data"]["entries"][6]["event"]["cue"] = "red"
    assert _tampered(json.dumps(document)).seq == 6


def test_times_going_backwards_are_a_rule_not_tampering() -> None:
    """Events out of time order, re-chained, break the time-order rule."""
    document = _ledger_document()
    document["data"]["entries"][6]["event"]["at"] = "2026-03-01T00:00:00Z"
    found = problems_of(_rechain(document))
    assert found[0][0] == "data.entries[6]"
    assert found[0][1].startswith("ledger rule time-order: ")


# -- ledgers: events spelt otherwise than `to_dict` writes them ------------------------


def _window_start(event: dict[str, Any], text: str) -> None:
    event["terms"]["window"]["start"] = text


#: Spellings of an event of the golden ledger that read as the same event but
#: are not what `to_dict` writes: (entry, how to respell its event).
OTHER_SPELLINGS: dict[str, tuple[int, Any]] = {
    "an offset": (4, lambda e: e.update(at="2026-03-07T20:35:00+01:00")),
    "a fraction of zeros": (5, lambda e: e.update(at="2026-03-07T19:52:00.000Z")),
    "a lowercase t and z": (4, lambda e: e.update(at="2026-03-07t19:35:00z")),
    "a default left out": (6, lambda e: e.pop("intensity")),
    "set items out of order": (1, lambda e: e["terms"]["parties"].reverse()),
    "a nested time": (1, lambda e: _window_start(e, "2026-03-07T14:00:00-05:00")),
}


def _respelt(name: str) -> tuple[int, dict[str, Any]]:
    """The golden ledger's document with one event spelt otherwise, digests kept."""
    seq, respell = OTHER_SPELLINGS[name]
    document = _ledger_document()
    respell(document["data"]["entries"][seq]["event"])
    return seq, document


@pytest.mark.parametrize("name", OTHER_SPELLINGS)
def test_an_event_spelt_otherwise_reads_and_is_hashed_as_written(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain is over the written form: another spelling reads as the same ledger.

    Such an event is written again from the record read, to be hashed; an
    event in written form is hashed as the document held it.
    """
    seq, document = _respelt(name)
    event = document["data"]["entries"][seq]["event"]
    ledger = golden_ledger()
    assert not _serialize.written_form(Event)(event)
    assert _serialize.decode(Event, event, "") == ledger[seq].event
    text, again = json.dumps(document), consentkit.dumps(ledger)
    written: list[object] = []
    to_dict = _serialize.to_dict  # what the ledger writes with, counted

    def counted(obj: Any) -> Any:
        written.append(obj)
        return to_dict(obj)

    monkeypatch.setattr(consentkit._ledger, "to_dict", counted)
    assert consentkit.loads(text, "ledger") == ledger
    assert written == [ledger[seq].event]
    written.clear()
    assert consentkit.loads(again, "ledger") == ledger
    assert written == []


@pytest.mark.parametrize("name", OTHER_SPELLINGS)
def test_a_digest_over_another_spelling_is_tampering(name: str) -> None:
    """A chain hashed over the event as spelt, not as written, does not hold there."""
    seq, document = _respelt(name)
    tampered = _tampered(_rechain(document))
    edited = _ledger_document()
    edited["data"]["entries"][seq]["event"]["by"] = "someone_else"
    expected = _tampered(json.dumps(edited))
    assert (tampered.seq, tampered.message, tampered.path) == (
        expected.seq,
        expected.message,
        expected.path,
    )
    assert tampered.seq == seq


_A_TIME = re.compile(_serialize.TIME_PATTERN)


def _spelt_otherwise(data: st.DataObject, value: Any) -> Any:
    """`value` with times respelt, keys dropped and arrays reversed here and there."""
    if isinstance(value, dict):
        found = {key: _spelt_otherwise(data, item) for key, item in value.items()}
        if found and data.draw(st.integers(0, 5)) == 0:
            del found[data.draw(st.sampled_from(sorted(found)))]
        return found
    if isinstance(value, list):
        items = [_spelt_otherwise(data, item) for item in value]
        return items[::-1] if data.draw(st.integers(0, 2)) == 0 else items
    if isinstance(value, str) and _A_TIME.fullmatch(value):
        moment = _serialize.parse_time(value)
        hours = data.draw(st.integers(-12, 14))
        return data.draw(
            st.sampled_from(
                [
                    value,
                    moment.astimezone(timezone(timedelta(hours=hours))).isoformat(),
                    value.replace("T", "t").replace("Z", "z"),
                    value[:19] + ".000Z",
                    value[:19] + ".000000Z",
                ]
            )
        )
    return value


@given(event=testing.events(), data=st.data())
def test_only_the_written_form_is_hashed_as_read(
    event: Event, data: st.DataObject
) -> None:
    """Data is taken for an event's written form exactly when writing gives it back."""
    written = consentkit.to_dict(event)
    assert _serialize.written_form(Event)(written)
    spelt = _spelt_otherwise(data, written)
    try:
        read = _serialize.decode(Event, spelt, "")
    except DecodeError:
        return
    assert _serialize.written_form(Event)(spelt) == (consentkit.to_dict(read) == spelt)


def test_the_written_form_is_never_guessed() -> None:
    """Shapes the test does not know are never taken for written form."""
    assert _serialize.written_form(int)(5)
    assert _serialize.written_form(datetime)("2026-03-07T19:00:00Z")
    assert not _serialize.written_form(datetime)("2026-03-07T19:00:00+00:00")
    assert _serialize.written_form(int | None)(None)
    assert not _serialize.written_form(int | str | None)(None)
    assert not _serialize.written_form(dict[str, int])({})
    assert not _serialize.written_form(consentkit.Catalog)({})  # fields not read
    assert not _serialize.written_form(frozenset[Step])([])


def test_a_shared_record_that_is_not_plain_text_is_read_alone() -> None:
    """A grant id holding a lone surrogate is refused where it stands."""
    document = _ledger_document()
    document["data"]["entries"][0]["event"]["terms"]["grants"][1]["id"] = "\ud800"
    found = problems_of(json.dumps(document))
    assert [path for path, _ in found] == ["data.entries[0].event.terms.grants[1].id"]


def _proposed_terms(ledger: Ledger, seq: int) -> Terms:
    event = ledger[seq].event
    assert isinstance(event, consentkit.Proposed)
    return event.terms


def test_equal_grants_limits_and_protocols_are_read_once() -> None:
    """A proposal repeating parts of an earlier one shares the records read then."""
    document = _ledger_document()
    second = document["data"]["entries"][1]["event"]["terms"]
    # The same grant, its keys in another order, is the same written form.
    second["grants"][1] = dict(reversed(second["grants"][1].items()))
    ledger = consentkit.loads(json.dumps(document), "ledger")
    assert ledger == golden_ledger()
    first, then = (_proposed_terms(ledger, seq) for seq in (0, 1))
    assert first.protocol is then.protocol
    assert first.limits[0] is then.limits[0]
    assert [a is b for a, b in zip(first.grants, then.grants, strict=True)] == [
        a == b for a, b in zip(first.grants, then.grants, strict=True)
    ]
    assert first.grants[1] is then.grants[1]
    # Data a caller holds is read as it always was, each copy on its own.
    held = consentkit.from_dict(Ledger, document["data"])
    assert held == ledger
    held_first, held_then = (_proposed_terms(held, seq) for seq in (0, 1))
    assert held_first.protocol is not held_then.protocol


def test_every_copy_of_a_bad_record_is_reported() -> None:
    """A bad grant repeated in two proposals is reported at both."""
    document = _ledger_document()
    for seq in (0, 1):
        document["data"]["entries"][seq]["event"]["terms"]["grants"][1]["role"] = "x"
    paths = [path for path, _ in problems_of(json.dumps(document))]
    assert paths == [
        f"data.entries[{seq}].event.terms.grants[1].role" for seq in (0, 1)
    ]


def test_an_empty_ledger_reads() -> None:
    """A ledger without entries is a valid document."""
    assert consentkit.loads(consentkit.dumps(Ledger()), "ledger") == Ledger()
    assert problems_of(json.dumps(envelope("ledger", {}))) == (
        ("data.entries", "is required"),
    )


def test_a_read_ledger_continues_like_the_written_one() -> None:
    """The ledger read back has the same head, agreements and state."""
    ledger = golden_ledger()
    back = consentkit.loads(consentkit.dumps(ledger), "ledger")
    assert back.head == ledger.head
    assert back.agreements() == ledger.agreements()
    at = datetime(2026, 3, 7, 20, 30, tzinfo=timezone.utc)
    assert back.state_at(at) is not None
    later = back.signal(by="client_k", cue="red", at=at)
    assert later.head == ledger.signal(by="client_k", cue="red", at=at).head


# -- migrations --------------------------------------------------------------------


def _version_zero_step(document: dict[str, Any]) -> dict[str, Any]:
    """Version 0, as imagined here, wrote durations in minutes as ``duration_min``."""
    data = dict(document["data"])
    if "duration_min" in data:
        minutes = data.pop("duration_min")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise DecodeError([("data.duration_min", "must be a whole number")])
        data["duration_s"] = minutes * 60
    return {**document, "data": data}


@pytest.fixture
def version_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register a synthetic upgrade from version 0 to version 1."""
    monkeypatch.setitem(_migrations.UPGRADES, 0, _version_zero_step)


@pytest.mark.usefixtures("version_zero")
def test_an_older_version_is_upgraded_on_load() -> None:
    """A version-0 document reads through the registered upgrade."""
    data = step_data(duration_s=None)
    data["duration_min"] = 10
    document = {"format": "consentkit", "version": 0, "kind": "step", "data": data}
    step = consentkit.loads(json.dumps(document), "step")
    assert step.duration == timedelta(minutes=10)
    assert json.loads(consentkit.dumps(step))["version"] == 1
    data["duration_min"] = "ten"
    assert problems_of(json.dumps(document)) == (
        ("data.duration_min", "must be a whole number"),
    )


def test_without_an_upgrade_an_older_version_is_refused() -> None:
    """With no registered upgrade, version 0 is a decode error."""
    assert 0 not in _migrations.UPGRADES
    document = {
        "format": "consentkit",
        "version": 0,
        "kind": "step",
        "data": step_data(),
    }
    assert paths_of(json.dumps(document)) == ["version"]


def test_version_one_needs_no_upgrade() -> None:
    """The current version is 1, and nothing upgrades it."""
    assert _migrations.CURRENT == 1
    assert all(version < _migrations.CURRENT for version in _migrations.UPGRADES)


# -- the decoder is at least as strict as the schema -------------------------------

BROKEN_TIMES = (
    "2026-03-07T19:00:00",
    "2026-13-07T19:00:00Z",
    "2026-03-07T24:00:00Z",
    "2026-03-07T19:00:60Z",
    "2026-03-07 19:00:00Z",
    "2026-03-07T19:00:00.1234567Z",
    "2026-03-07T19:00:00+25:00",
    "07/03/2026 19:00",
)
OTHER_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    11,
    2**31,
    2**53 + 1,
    "",
    "x",
    [],
    {},
)
OUT_OF_RANGE = (0, -1, 11, 129, 1_000_001, 2**31, 2**53, 86_400_000_000_000)


def _locations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside `value`."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _locations(item, (*path, index))


def _mutate(document: Any, data: st.DataObject) -> Any:
    """Drop a field, add one, or put a wrong, out-of-range or broken value somewhere."""
    mutated = json.loads(json.dumps(document))
    where = data.draw(st.sampled_from(list(_locations(mutated["data"]))))
    parent: Any = mutated["data"] if where else mutated
    for step in where[:-1]:
        parent = parent[step]
    key = where[-1] if where else "data"
    current = parent[key]
    kind = data.draw(st.sampled_from(["drop", "extra", "wrong", "range", "time"]))
    if kind == "drop" and isinstance(parent, dict):
        del parent[key]
    elif kind == "extra" and isinstance(current, dict):
        current[data.draw(st.sampled_from(["extra", "Type", "type", "seq"]))] = 1
    elif kind == "range" and isinstance(current, int) and not isinstance(current, bool):
        parent[key] = data.draw(st.sampled_from(OUT_OF_RANGE))
    elif kind == "time" and isinstance(current, str):
        parent[key] = data.draw(st.sampled_from(BROKEN_TIMES))
    else:
        parent[key] = data.draw(st.sampled_from(OTHER_VALUES))
    return mutated


@pytest.mark.parametrize("kind", list(KINDS))
@settings(max_examples=max(300, settings().max_examples), deadline=None)
@given(data=st.data())
def test_what_the_schema_rejects_the_decoder_rejects(
    kind: str, data: st.DataObject
) -> None:
    """For mutated valid documents: schema says no, so `loads` raises DecodeError."""
    record = data.draw(STRATEGIES[kind])
    document = json.loads(consentkit.dumps(record))
    mutated = _mutate(document, data)
    if VALIDATORS[kind].is_valid(mutated):
        return
    with pytest.raises(DecodeError):
        consentkit.loads(json.dumps(mutated), kind)


# -- fuzzing: nothing but DecodeError or TamperedLedger ------------------------------


def _reads_or_refuses(text: str | bytes, kind: str | None = None) -> None:
    with contextlib.suppress(DecodeError, TamperedLedger):
        consentkit.loads(text, kind)


ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["consentkit", "2026-03-07T19:00:00Z", "give", "proposed", "p1"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.one_of(
                st.text(max_size=8), st.sampled_from(["type", "at", "by", "seq"])
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@FUZZ
@given(ANY_JSON)
def test_fuzz_any_json_document(value: Any) -> None:
    """Any JSON value as a whole document is read or refused, never crashes."""
    _reads_or_refuses(json.dumps(value))


@FUZZ
@given(st.sampled_from(list(KINDS)), ANY_JSON)
def test_fuzz_any_json_as_data(kind: str, value: Any) -> None:
    """Any JSON value as the data of any kind is read or refused, never crashes."""
    _reads_or_refuses(json.dumps(envelope(kind, value)), kind)


@FUZZ
@given(st.text())
def test_fuzz_any_text(text: str) -> None:
    """Any text at all (lone surrogates too) is read or refused."""
    _reads_or_refuses(text)


@FUZZ
@given(st.binary())
def test_fuzz_any_bytes(data: bytes) -> None:
    """Any bytes at all are read or refused."""
    _reads_or_refuses(data)


GOLDEN_TEXTS = [path.read_text("utf-8") for path in sorted(GOLDEN.glob("*.json"))]


@FUZZ
@given(st.sampled_from(GOLDEN_TEXTS), st.data())
def test_fuzz_damaged_golden_documents(text: str, data: st.DataObject) -> None:
    """Golden documents with bytes cut, changed or inserted are read or refused."""
    raw = bytearray(text.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["cut", "set", "insert"]))
        byte = data.draw(st.sampled_from(b'{}[]",:0\\ aZ\x00\xff'))
        if action == "cut":
            del raw[at : at + data.draw(st.integers(1, 40))]
        elif action == "set" and at < len(raw):
            raw[at] = byte
        else:
            raw.insert(at, byte)
    _reads_or_refuses(bytes(raw))


@FUZZ
@given(st.sampled_from(list(KINDS)), st.data())
def test_fuzz_mutated_documents(kind: str, data: st.DataObject) -> None:
    """Valid documents with a field dropped, added or broken are read or refused."""
    text = GOLDEN_TEXTS_BY_KIND[kind]
    _reads_or_refuses(json.dumps(_mutate(json.loads(text), data)), kind)


GOLDEN_TEXTS_BY_KIND = {
    path.stem: path.read_text("utf-8") for path in sorted(GOLDEN.glob("*.json"))
}


def test_terms_read_back_with_their_digest() -> None:
    """Reading terms written elsewhere keeps their digest, so acceptances match."""
    terms = golden_terms()
    back: Terms = consentkit.loads(consentkit.dumps(terms), "terms")
    assert consentkit.digest(back) == consentkit.digest(terms)
