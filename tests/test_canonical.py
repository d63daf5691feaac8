# Copyright 2026 consentkit developers
# SPDX-License-Identifier: MIT
"""Canonical form (RFC 8785) and digests: the fast paths agree with `rfc8785`."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import consentkit
from consentkit import Agreement, testing
from consentkit._canonical import canonical, canonical_trusted, digest_data
from consentkit._documents import KINDS
from consentkit._ledger import _proposal_bytes, chain_digest

RECORDS: dict[str, st.SearchStrategy[Any]] = {
    "ledger": testing.ledgers(max_events=8),
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


def reference(data: Any) -> str:
    """``sha256:`` of the `rfc8785` package's canonical bytes."""
    return "sha256:" + hashlib.sha256(rfc8785.dumps(data)).hexdigest()


# Text that RFC 8785 treats specially: non-ASCII, astral characters (UTF-16
# surrogate pairs, which change key order), controls, and the JSON escapes.
TRICKY = st.text(
    st.one_of(
        st.characters(exclude_categories=["Cs"]),
        st.sampled_from(
            '\x00\x01\x07\x08\t\n\x0b\x0c\r\x1f\x7f\x80\x9f"\\/'
            "\u2028\u2029\ufeff\uffff\U0001f600\U00010000\U0010ffff é€"
        ),
    ),
    max_size=12,
)
SAFE_INTEGERS = st.integers(-(2**53) + 1, 2**53 - 1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | SAFE_INTEGERS | TRICKY,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4)
    ),
    max_leaves=25,
)
ASCII_KEYED = st.recursive(
    st.none() | st.booleans() | SAFE_INTEGERS | TRICKY,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(max_codepoint=127), max_size=6), inner, max_size=4
        )
    ),
    max_leaves=25,
)


@settings(max_examples=max(1_000, settings().max_examples))
@given(JSON_VALUES)
def test_canonical_is_rfc8785(value: Any) -> None:
    """The canonicalizer writes exactly what `rfc8785` writes, for any JSON value."""
    assert canonical(value) == rfc8785.dumps(value)


@settings(max_examples=max(1_000, settings().max_examples))
@given(ASCII_KEYED)
def test_trusted_canonical_is_rfc8785_for_ascii_keys(value: Any) -> None:
    """The ledger's unchecked fast path is exact whenever keys are ASCII."""
    assert canonical_trusted(value) == rfc8785.dumps(value)


@given(st.integers().filter(lambda n: abs(n) >= 2**53) | st.floats(allow_nan=False))
def test_numbers_beyond_the_fast_path_go_to_rfc8785(number: Any) -> None:
    """Large integers and floats take the reference path: same bytes or same error."""
    try:
        expected = rfc8785.dumps([number])
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical([number])
    else:
        assert canonical([number]) == expected


@pytest.mark.parametrize("kind", list(KINDS))
@given(data=st.data())
def test_digest_is_sha256_of_rfc8785(kind: str, data: st.DataObject) -> None:
    """`digest` of any record is SHA-256 of the RFC 8785 form of `to_dict`."""
    record = data.draw(RECORDS[kind])
    assert consentkit.digest(record) == reference(consentkit.to_dict(record))


@given(testing.agreements())
def test_digest_of_an_agreement_with_any_party_names(agreement: Agreement) -> None:
    """Party names are keys of `accepted`: any text there still digests exactly."""
    assert consentkit.digest(agreement) == reference(consentkit.to_dict(agreement))


def test_digest_with_long_digit_strings_is_exact() -> None:
    """A run of sixteen digits in text only sends the digest the slow way."""
    step = consentkit.from_dict(
        consentkit.Step,
        {
            "actor": "ann 1234567890123456",
            "recipient": "bo",
            "activity": "impact",
            "intensity": 1,
            "at": "2026-01-01T00:00:00Z",
        },
    )
    assert consentkit.digest(step) == reference(consentkit.to_dict(step))


@given(testing.ledgers(max_events=6))
def test_entry_digests_are_rfc8785_of_prev_and_event(ledger: consentkit.Ledger) -> None:
    """Each entry's digest is over ``{"prev": prev, "event": to_dict(event)}``."""
    for entry in ledger:
        body = {"prev": entry.prev, "event": consentkit.to_dict(entry.event)}
        assert entry.digest == reference(body)
        assert chain_digest(entry.prev, body["event"]) == entry.digest
        assert digest_data(body) == entry.digest


@given(testing.proposals())
def test_a_proposal_is_encoded_with_its_terms_encoded_once(
    proposal: consentkit.Proposed,
) -> None:
    """The ledger's proposal bytes, terms spliced in, are RFC 8785 of the whole."""
    data = consentkit.to_dict(proposal)
    encoded, terms = _proposal_bytes(data)
    assert encoded == bytes(rfc8785.dumps(data))
    assert terms == bytes(rfc8785.dumps(data["terms"]))


def test_equal_records_have_equal_digests_and_any_change_changes_it() -> None:
    """The digest follows the value: equal records agree, a changed field differs."""
    window = consentkit.from_dict(consentkit.Window, _window())
    again = consentkit.from_dict(consentkit.Window, _window())
    assert consentkit.digest(window) == consentkit.digest(again)
    later = consentkit.from_dict(
        consentkit.Window, {**_window(), "end": "2026-01-01T02:00:01Z"}
    )
    assert consentkit.digest(later) != consentkit.digest(window)


def _window() -> dict[str, str]:
    return {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T02:00:00Z"}
