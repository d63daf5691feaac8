"""Every record refuses invalid values with `InvalidRecord` naming the field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import consentkit as ck
from consentkit import _validate
from test_roundtrip import RECORDS

NAIVE = datetime(2026, 3, 1, 20, 0)  # noqa: DTZ001  # naive on purpose

#: Values that break some rule: wrong types, bad ids, out-of-range numbers,
#: naive times, fractional or negative durations, unencodable text.
INVALID: tuple[Any, ...] = (
    object(),
    None,
    "",
    " padded ",
    "line\nbreak",
    "Not.An.Id",
    "\ud800",
    "x" * 200,
    -1,
    0,
    11,
    10**7,
    True,
    NAIVE,
    timedelta(seconds=-1),
    timedelta(microseconds=1),
    ["not", "a", "record"],
    frozenset({object()}),
)


def _fields(cls: type) -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(cls) if f.init]


def _base(field: str) -> str:
    return field.split("[", maxsplit=1)[0].split(".", maxsplit=1)[0]


@pytest.mark.parametrize(
    "cls", [c for c in RECORDS if _fields(c)], ids=lambda c: c.__name__
)
def test_every_field_refuses_what_breaks_its_rules(cls: type) -> None:
    """A foreign value is refused naming its field; any refusal is `InvalidRecord`."""
    names = {f.name for f in _fields(cls)}

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(record=RECORDS[cls])
    def check(record: Any) -> None:
        for field in _fields(cls):
            with pytest.raises(ck.InvalidRecord) as caught:
                attrs.evolve(record, **{str(field.alias): object()})
            assert _base(caught.value.field) == field.name
            assert caught.value.record == cls.__name__
            for bad in INVALID:
                # Refused or not, never anything but InvalidRecord; a rule
                # between two fields may name the other one.
                try:
                    attrs.evolve(record, **{str(field.alias): bad})
                except ck.InvalidRecord as error:
                    assert _base(error.field) in names, (field.name, bad)  # noqa: PT017

    check()


def test_invalid_record_is_a_value_error_with_data() -> None:
    """`InvalidRecord` is a `ValueError` and a `ConsentkitError`, carrying its field."""
    with pytest.raises(
        ck.InvalidRecord, match=r"max_intensity: must be 1\.\.10"
    ) as caught:
        ck.Grant(
            id="g1",
            party="a",
            role=ck.Role.GIVE,
            activity="impact",
            max_intensity=12,
        )
    error = caught.value
    assert issubclass(ck.InvalidRecord, ValueError)
    assert issubclass(ck.InvalidRecord, ck.ConsentkitError)
    assert (error.record, error.field) == ("Grant", "max_intensity")


def test_a_rule_between_fields_names_the_field_to_change() -> None:
    """A window whose end is not after its start names `end`."""
    start = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)
    with pytest.raises(ck.InvalidRecord) as caught:
        ck.Window(start=start, end=start)
    assert caught.value.field == "end"


_ID_EDGES = st.sampled_from(
    [" ", "\t", "\x85", "\xa0", "\u2028", "\u3000", "\x00", "\x7f", "\x9f", "\ud800"]
)


@given(
    st.one_of(
        st.text(st.characters(exclude_categories=()), max_size=8),
        st.text("ab \x85", min_size=126, max_size=130),
        st.tuples(
            st.text(_ID_EDGES, max_size=1),
            st.text(min_size=0, max_size=130),
            st.text(_ID_EDGES, max_size=1),
        ).map("".join),
    )
)
@example("a" * _validate.MAX_ID_LENGTH)
@example("a" * (_validate.MAX_ID_LENGTH + 1))
@example("")
@example("a b")
@example(" a")
@example("a\u3000")
@example("\x85a")
@example("a\ud800b")
@example("a\x7fb")
@example("caf\u00e9")
def test_ids_seen_at_a_glance_keep_every_rule(text: str) -> None:
    """The quick look at an id accepts exactly the ids the rules one by one accept."""
    assert (_validate._GOOD_ID.fullmatch(text) is not None) == (
        _validate._id_problem(text) is None  # the rules one by one
    )
