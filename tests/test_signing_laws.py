"""Laws 16 and 17 (SPEC 8.5): a receipt binds its prefix, and nothing else verifies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import base58
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from consentkit import Ledger, Receipt, SignalGiven
from consentkit import testing as ck_testing
from consentkit.signing import (
    PublicKey,
    ReceiptProblem,
    SignatureError,
    SigningKey,
    audit,
    sign_receipt,
    verify_receipt,
)


def _prefix(ledger: Ledger, length: int) -> Ledger:
    """The first `length` entries of `ledger`, rebuilt through `append`."""
    return Ledger().extend(ledger.events[:length])


def _problem(receipt: Receipt, ledger: Ledger, keys: Any) -> ReceiptProblem | None:
    try:
        verify_receipt(receipt, ledger, keys)
    except SignatureError as error:
        return error.problem
    return None


def _keys_for(draw: Any, ledger: Ledger) -> dict[str, SigningKey]:
    """A distinct key for every author of `ledger`, and for a venue."""
    parties = sorted({entry.event.by for entry in ledger} | {"venue"})
    seeds = draw(
        st.lists(
            st.binary(min_size=32, max_size=32),
            min_size=len(parties),
            max_size=len(parties),
            unique=True,
        )
    )
    return {p: SigningKey.from_seed(s) for p, s in zip(parties, seeds, strict=True)}


def _public(keys: dict[str, SigningKey]) -> dict[str, PublicKey]:
    return {party: key.public_key for party, key in keys.items()}


@st.composite
def _bound(draw: st.DrawFn) -> tuple[Ledger, int, Receipt, dict[str, SigningKey]]:
    """A ledger `B`, a cut `k` (L is B's first k entries) and a receipt on L."""
    whole = draw(ck_testing.ledgers(min_events=1, max_events=14))
    cut = draw(st.integers(1, len(whole)))
    keys = _keys_for(draw, whole)
    held = _prefix(whole, cut)
    seq = draw(st.integers(0, cut - 1))
    party = draw(st.sampled_from(sorted(keys)))
    at = held[seq].event.at + timedelta(seconds=draw(st.integers(0, 86_400)))
    receipt = sign_receipt(held, party=party, key=keys[party], at=at, seq=seq)
    return whole, cut, receipt, keys


@given(_bound(), st.data())
def test_law_16_a_receipt_binds_its_prefix(
    case: tuple[Ledger, int, Receipt, dict[str, SigningKey]], data: st.DataObject
) -> None:
    """A receipt at n verifies on L and its extensions, not on changed or short ones."""
    whole, cut, receipt, signing = case
    keys = _public(signing)
    n = receipt.seq
    # L and every extension of L (the longer prefixes of the whole ledger).
    for length in range(cut, len(whole) + 1):
        verify_receipt(receipt, _prefix(whole, length), keys)
    # Every prefix shorter than n + 1 entries is missing what the signer saw.
    for length in range(n + 1):
        assert _problem(receipt, _prefix(whole, length), keys) is (
            ReceiptProblem.BEYOND_END
        )
    # A ledger that differs in an entry at or before n, rebuilt through append:
    # a signal (which no rule refuses but time order) inserted before entry j.
    j = data.draw(st.integers(0, n), label="changed entry")
    events = list(whole.events[:cut])
    cue = data.draw(st.sampled_from(["green", "red", "water"]), label="cue")
    by = data.draw(st.sampled_from(sorted(signing)), label="by")
    inserted = SignalGiven(by=by, cue=cue, at=events[j].at)
    changed = Ledger().extend([*events[:j], inserted, *events[j:]])
    length = data.draw(st.integers(n + 1, len(changed)), label="length")
    assert _problem(receipt, _prefix(changed, length), keys) is (
        ReceiptProblem.OTHER_HEAD
    )


@st.composite
def _signed(draw: st.DrawFn) -> tuple[Ledger, Receipt, dict[str, SigningKey]]:
    ledger = draw(ck_testing.ledgers(min_events=1, max_events=10))
    keys = _keys_for(draw, ledger)
    party = draw(st.sampled_from(sorted(keys)))
    seq = draw(st.integers(0, len(ledger) - 1))
    at = ledger[seq].event.at + timedelta(seconds=draw(st.integers(0, 86_400)))
    receipt = sign_receipt(ledger, party=party, key=keys[party], at=at, seq=seq)
    return ledger, receipt, keys


FIELDS = ("party", "seq", "head", "created", "method", "value")


def _changed(  # one branch per field
    field: str,
    receipt: Receipt,
    ledger: Ledger,
    keys: dict[str, SigningKey],
    data: st.DataObject,
) -> Receipt:
    """`receipt` with `field` set to another valid value."""
    proof = receipt.proof
    if field == "party":
        others = sorted(set(keys) - {receipt.party})
        return attrs.evolve(receipt, party=data.draw(st.sampled_from(others)))
    if field == "seq":
        seq = data.draw(st.integers(0, len(ledger)).filter(lambda s: s != receipt.seq))
        return attrs.evolve(receipt, seq=seq)
    if field == "head":
        head = data.draw(
            st.sampled_from([e.digest for e in ledger])
            | st.text("0123456789abcdef", min_size=64, max_size=64).map(
                lambda h: f"sha256:{h}"
            )
        )
        assume(head != receipt.head)
        return attrs.evolve(receipt, head=head)
    if field == "created":
        shift = data.draw(st.integers(-86_400, 86_400).filter(bool))
        created = proof.created + timedelta(seconds=shift)
        return attrs.evolve(receipt, proof=attrs.evolve(proof, created=created))
    if field == "method":
        other = data.draw(
            st.sampled_from(sorted(p for p in keys if p != receipt.party))
        )
        method = keys[other].public_key.verification_method
        return attrs.evolve(
            receipt, proof=attrs.evolve(proof, verification_method=method)
        )
    # Another valid signature: the same key's signature of something else.
    signer = keys[receipt.party]
    message = data.draw(st.binary(min_size=1, max_size=64))
    value = "z" + base58.b58encode(signer.sign(message)).decode()
    assume(value != proof.proof_value)
    return attrs.evolve(receipt, proof=attrs.evolve(proof, proof_value=value))


@given(_signed(), st.sampled_from(FIELDS), st.data())
def test_law_17_a_changed_receipt_fails(
    case: tuple[Ledger, Receipt, dict[str, SigningKey]],
    field: str,
    data: st.DataObject,
) -> None:
    """Changing any field of a receipt to another valid value makes it fail."""
    ledger, receipt, signing = case
    keys = _public(signing)
    verify_receipt(receipt, ledger, keys)
    changed = _changed(field, receipt, ledger, signing, data)
    with pytest.raises(SignatureError):
        verify_receipt(changed, ledger, keys)


@given(_signed(), st.data())
def test_law_17_only_its_own_key_verifies_a_receipt(
    case: tuple[Ledger, Receipt, dict[str, SigningKey]], data: st.DataObject
) -> None:
    """A receipt verifies under the key that made it and under no other."""
    ledger, receipt, signing = case
    own = signing[receipt.party].public_key
    verify_receipt(receipt, ledger, {receipt.party: own})
    other = data.draw(ck_testing.signing_keys()).public_key
    assume(other != own)
    assert _problem(receipt, ledger, {receipt.party: other}) is (
        ReceiptProblem.WRONG_KEY
    )
    # Even a proof that names the other key does not hold under it.
    forged = attrs.evolve(
        receipt,
        proof=attrs.evolve(
            receipt.proof, verification_method=other.verification_method
        ),
    )
    assert _problem(forged, ledger, {receipt.party: other}) is ReceiptProblem.BAD_PROOF


@given(ck_testing.ledgers(min_events=1, max_events=14), st.data())
def test_law_17_audit_lists_exactly_the_unacknowledged_authors_entries(
    ledger: Ledger, data: st.DataObject
) -> None:
    """With each author's receipt audit is ok; drop one's: theirs are unsigned."""
    signing = _keys_for(data.draw, ledger)
    keys = _public(signing)
    authors = sorted({entry.event.by for entry in ledger})
    last = ledger[len(ledger) - 1].event.at
    receipts = [sign_receipt(ledger, party=p, key=signing[p], at=last) for p in authors]
    result = audit(ledger, receipts, keys)
    assert result.ok
    assert result.acknowledged == dict.fromkeys(authors, len(ledger) - 1)
    dropped = data.draw(st.sampled_from(authors), label="dropped")
    result = audit(ledger, [r for r in receipts if r.party != dropped], keys)
    assert not result.ok
    assert result.problems == ()
    assert result.unsigned == tuple(
        entry.seq for entry in ledger if entry.event.by == dropped
    )


@given(
    ck_testing.ledgers(min_events=1, max_events=8).flatmap(
        lambda ledger: st.tuples(st.just(ledger), ck_testing.receipts(ledger))
    )
)
def test_generated_receipts_verify_under_the_key_they_name(
    case: tuple[Ledger, Receipt],
) -> None:
    """`testing.receipts` gives receipts that verify under the key their proof names."""
    ledger, receipt = case
    key = PublicKey.from_did(receipt.proof.verification_method)
    verify_receipt(receipt, ledger, {receipt.party: key})
