"""Keys, Data Integrity proofs and receipts (SPEC 8.1 to 8.3)."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import base58
import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

import consentkit
from consentkit import (
    DecodeError,
    InvalidRecord,
    Ledger,
    LedgerError,
    Proof,
    Receipt,
    TamperedLedger,
)
from consentkit import testing as ck_testing
from consentkit._binding import check_binding
from consentkit._events import Entry
from consentkit.signing import (
    Audit,
    InvalidKey,
    PublicKey,
    ReceiptProblem,
    SignatureError,
    SigningKey,
    audit,
    sign_document,
    sign_receipt,
    verify_document,
    verify_receipt,
)

T0 = datetime(2026, 3, 7, 19, 0, tzinfo=timezone.utc)
ANN_KEY = SigningKey.from_seed(bytes(range(32)))
BO_KEY = SigningKey.from_seed(bytes(range(1, 33)))
VENUE_KEY = SigningKey.from_seed(bytes(32))
KEYS: dict[str, Any] = {"ann": ANN_KEY.public_key, "bo": BO_KEY.public_key}


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _ledger() -> Ledger:
    """Ann and Bo signal in turn: entries 0 (ann), 1 (bo), 2 (ann), 3 (bo)."""
    ledger = Ledger()
    for minute, party in enumerate(["ann", "bo", "ann", "bo"]):
        ledger = ledger.signal(by=party, cue="green", at=_at(minute))
    return ledger


LEDGER = _ledger()


def _problem(receipt: Receipt, ledger: Ledger = LEDGER, keys: Any = None) -> Any:
    with pytest.raises(SignatureError) as caught:
        verify_receipt(receipt, ledger, KEYS if keys is None else keys)
    return caught.value


# -- keys -------------------------------------------------------------------


def test_a_secret_key_writes_and_reads_back() -> None:
    """A signing key's multibase reads back as the same key."""
    text = ANN_KEY.to_multibase()
    assert text.startswith("z3u2")
    assert SigningKey.from_multibase(text) == ANN_KEY
    assert SigningKey.from_multibase(text).public_key == ANN_KEY.public_key


def test_a_public_key_has_its_did_forms() -> None:
    """A public key is written `z6Mk...`, as a did:key and as a method."""
    key = ANN_KEY.public_key
    assert key.multibase.startswith("z6Mk")
    assert key.did == f"did:key:{key.multibase}"
    assert key.verification_method == f"{key.did}#{key.multibase}"
    assert PublicKey.from_did(key.did) == key
    assert PublicKey.from_did(key.verification_method) == key
    assert PublicKey.from_multibase(key.multibase) == key
    assert len(key.raw) == 32


def test_public_keys_are_equal_by_value_and_hashable() -> None:
    """Two readings of one key are equal and hash alike; another key differs."""
    one = PublicKey.from_multibase(ANN_KEY.public_key.multibase)
    assert one == ANN_KEY.public_key
    assert len({one, ANN_KEY.public_key, BO_KEY.public_key}) == 2
    assert one != BO_KEY.public_key
    assert one != "z6Mk"


def test_a_public_key_pickles() -> None:
    """A public key survives pickle as an equal value."""
    key = ANN_KEY.public_key
    assert pickle.loads(pickle.dumps(key)) == key  # noqa: S301  # our own bytes


def test_generated_keys_differ() -> None:
    """Two generated keys are different keys."""
    assert SigningKey.generate() != SigningKey.generate()


SECRET_TEXT = ANN_KEY.to_multibase()
PUBLIC_TEXT = ANN_KEY.public_key.multibase


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PUBLIC_TEXT, "is a public key"),
        (SECRET_TEXT[1:], "must start with `z`"),
        (SECRET_TEXT[:-1] + "0", "outside the base58btc alphabet"),
        ("z" + base58.b58encode(b"\x80\x26" + bytes(31)).decode(), "got 31"),
        ("z" + base58.b58encode(b"\x80\x26" + bytes(33)).decode(), "got 33"),
        ("z" + base58.b58encode(b"\x12\x20" + bytes(32)).decode(), "multicodec"),
        ("z" + "2" * 200, "at most 100 characters"),
        ("", "must start with `z`"),
        (b"z", "must be text"),
    ],
)
def test_a_malformed_secret_key_says_which_problem(text: Any, message: str) -> None:
    """Each malformed secret key is refused naming its problem, never its text."""
    with pytest.raises(InvalidKey, match=message) as caught:
        SigningKey.from_multibase(text)
    if isinstance(text, str) and len(text) > 4:
        assert text[2:12] not in str(caught.value)
    assert SECRET_TEXT[2:12] not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SECRET_TEXT, "is a secret key"),
        (PUBLIC_TEXT[1:], "must start with `z`"),
        (PUBLIC_TEXT[:-1] + "I", "outside the base58btc alphabet"),
        ("z" + base58.b58encode(b"\xed\x01" + bytes(30)).decode(), "got 30"),
        ("z", "does not start with the multicodec prefix"),
        (7, "must be text"),
    ],
)
def test_a_malformed_public_key_says_which_problem(text: Any, message: str) -> None:
    """Each malformed public key is refused naming its problem."""
    with pytest.raises(InvalidKey, match=message):
        PublicKey.from_multibase(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PUBLIC_TEXT, "must start with `did:key:`"),
        (f"did:key:{PUBLIC_TEXT}#other", "fragment"),
        (f"did:web:{PUBLIC_TEXT}", "must start with `did:key:`"),
        (None, "must be text"),
    ],
)
def test_a_malformed_did_is_refused(text: Any, message: str) -> None:
    """`from_did` reads only `did:key:MB` or `did:key:MB#MB`."""
    with pytest.raises(InvalidKey, match=message):
        PublicKey.from_did(text)


@pytest.mark.parametrize("seed", [bytes(31), bytes(33), "x" * 32, None])
def test_a_seed_must_be_32_bytes(seed: Any) -> None:
    """A seed of another length or type is an `InvalidKey`."""
    with pytest.raises(InvalidKey, match="seed"):
        SigningKey.from_seed(seed)


def test_a_signing_key_never_shows_its_secret() -> None:
    """`repr` and `str` show the public key, never the seed or the secret text."""
    seed_hex = bytes(range(32)).hex()
    for shown in (repr(ANN_KEY), str(ANN_KEY), f"{ANN_KEY}", f"{[ANN_KEY]}"):
        assert SECRET_TEXT not in shown
        assert SECRET_TEXT[4:20] not in shown
        assert seed_hex[:16] not in shown
        assert PUBLIC_TEXT in shown


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_a_signing_key_refuses_pickling(protocol: int) -> None:
    """Pickling a signing key is refused, without showing the secret."""
    with pytest.raises(TypeError, match="cannot be pickled") as caught:
        pickle.dumps(ANN_KEY, protocol=protocol)
    assert SECRET_TEXT not in str(caught.value)


def test_a_signing_key_is_not_written_by_to_dict() -> None:
    """`to_dict` and `dumps` refuse a signing key."""
    with pytest.raises(TypeError, match="SigningKey"):
        consentkit.to_dict(ANN_KEY)
    with pytest.raises(TypeError):
        consentkit.dumps(ANN_KEY)


def test_copying_a_signing_key_gives_the_same_key() -> None:
    """A signing key is immutable: a copy is the key itself."""
    assert copy.deepcopy(ANN_KEY) is ANN_KEY
    assert copy.copy(ANN_KEY) is ANN_KEY


def test_importing_signing_without_the_extra_names_it() -> None:
    """Without cryptography, importing consentkit.signing says to install the extra."""
    code = (
        "import sys; sys.modules['cryptography'] = None\n"
        "try:\n"
        "    import consentkit.signing\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(  # noqa: S603  # our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "consentkit[sign]" in result.stdout


def test_receipts_read_without_the_extra() -> None:
    """A receipt document decodes with no cryptography installed."""
    text = consentkit.dumps(sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(9)))
    code = (
        "import sys; sys.modules['cryptography'] = None; sys.modules['base58'] = None\n"
        "import consentkit\n"
        f"r = consentkit.loads({text!r}, 'receipt')\n"
        "print(r.party, r.seq)\n"
    )
    result = subprocess.run(  # noqa: S603  # our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["ann", "3"]


# -- Data Integrity proofs ----------------------------------------------------

DOCUMENT = {"@context": ["https://www.w3.org/ns/credentials/v2"], "name": "x"}


def test_a_signed_document_verifies_and_names_its_key() -> None:
    """`verify_document` returns the key that signed."""
    signed = sign_document(DOCUMENT, ANN_KEY, created=_at(0))
    assert signed["proof"]["created"] == "2026-03-07T19:00:00Z"
    assert signed["proof"]["@context"] == DOCUMENT["@context"]
    assert verify_document(signed) == ANN_KEY.public_key
    assert "proof" not in DOCUMENT


def test_a_document_without_context_has_no_proof_context() -> None:
    """A document without `@context` gets a proof without one, and verifies."""
    signed = sign_document({"a": 1.5, "b": [True, None]}, ANN_KEY, created=_at(0))
    assert "@context" not in signed["proof"]
    assert verify_document(signed, ANN_KEY.public_key) == ANN_KEY.public_key


def test_a_proof_purpose_is_checked() -> None:
    """A proof made for another purpose verifies only for that purpose."""
    signed = sign_document(DOCUMENT, ANN_KEY, created=_at(0), purpose="authentication")
    assert verify_document(signed, purpose="authentication") == ANN_KEY.public_key
    with pytest.raises(SignatureError, match="proofPurpose"):
        verify_document(signed)


def test_extra_proof_fields_are_covered_by_the_signature() -> None:
    """Fields such as `domain` are signed, so changing one fails the proof."""
    signed = sign_document(DOCUMENT, ANN_KEY, created=_at(0))
    proof = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    proof["domain"] = "example.org"
    # Sign again by hand with the domain in the configuration.
    from consentkit.signing import _hash_data, _jcs  # noqa: PLC0415

    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    value = ANN_KEY.sign(_hash_data(_jcs(proof, "p"), _jcs(unsecured, "d")))
    with_domain = {
        **unsecured,
        "proof": {**proof, "proofValue": "z" + base58.b58encode(value).decode()},
    }
    assert verify_document(with_domain) == ANN_KEY.public_key
    with_domain["proof"]["domain"] = "example.com"
    with pytest.raises(SignatureError):
        verify_document(with_domain)


def test_sign_document_refuses_a_document_with_a_proof() -> None:
    """Proof sets are out of scope: a document with a `proof` is refused."""
    signed = sign_document(DOCUMENT, ANN_KEY, created=_at(0))
    with pytest.raises(ValueError, match="already has a `proof`"):
        sign_document(signed, BO_KEY, created=_at(1))


@pytest.mark.parametrize(
    ("document", "created", "error"),
    [
        ([1], _at(0), TypeError),
        (DOCUMENT, datetime(2026, 1, 1), InvalidRecord),  # noqa: DTZ001  # naive on purpose
        (DOCUMENT, "2026-01-01T00:00:00Z", TypeError),
        ({"when": datetime(2026, 1, 1, tzinfo=timezone.utc)}, _at(0), ValueError),
    ],
)
def test_sign_document_refuses_bad_input(
    document: Any, created: Any, error: type[Exception]
) -> None:
    """A non-object, a naive or non-time `created`, non-JSON values are refused."""
    with pytest.raises(error):
        sign_document(document, ANN_KEY, created=created)


def _signed() -> dict[str, Any]:
    return sign_document(DOCUMENT, ANN_KEY, created=_at(0))


def _with(path: str, value: Any) -> dict[str, Any]:
    signed = _signed()
    target = signed["proof"] if path != "@context" else signed
    target[path] = value
    return signed


@pytest.mark.parametrize(
    ("secured", "message"),
    [
        ({**DOCUMENT, "proof": [_signed()["proof"]]}, "proof sets"),
        (DOCUMENT, "proof: must be an object"),
        ("text", "must be a JSON object"),
        (_with("type", "Ed25519Signature2020"), "proof.type"),
        (_with("cryptosuite", "eddsa-rdfc-2022"), "proof.cryptosuite"),
        (_with("created", "yesterday"), "proof.created"),
        (_with("verificationMethod", f"did:key:{PUBLIC_TEXT}"), "did:key:MB#MB"),
        (_with("verificationMethod", "https://example.org/keys/1"), "not a `did:key`"),
        (_with("verificationMethod", 7), "must be text"),
        (_with("verificationMethod", "did:key:z6Mk#z6Mk"), "verificationMethod"),
        (_with("proofValue", "2abc"), "must start with `z`"),
        (_with("proofValue", "zabc"), "must hold 64 bytes"),
        (_with("@context", ["https://example.org/other"]), "@context"),
    ],
)
def test_verify_document_refuses_what_does_not_hold(secured: Any, message: str) -> None:
    """Each malformed or unsupported proof is a `SignatureError` saying why."""
    with pytest.raises(SignatureError, match=message):
        verify_document(secured)


def test_a_method_that_is_not_did_key_verifies_with_the_key_given() -> None:
    """With `key` given, a proof naming its key by URL verifies under that key."""
    document = {"name": "x"}
    from consentkit.signing import _hash_data, _jcs  # noqa: PLC0415

    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2026-03-07T19:00:00Z",
        "verificationMethod": "https://example.org/keys/1",
        "proofPurpose": "assertionMethod",
    }
    value = ANN_KEY.sign(_hash_data(_jcs(proof, "p"), _jcs(document, "d")))
    secured = {
        **document,
        "proof": {**proof, "proofValue": "z" + base58.b58encode(value).decode()},
    }
    assert verify_document(secured, ANN_KEY.public_key) == ANN_KEY.public_key
    with pytest.raises(SignatureError):
        verify_document(secured, BO_KEY.public_key)


def test_a_document_may_extend_the_proof_context() -> None:
    """A document whose `@context` begins with the proof's verifies (W3C step 4)."""
    signed = _signed()
    signed["@context"] = [*DOCUMENT["@context"], "https://example.org/more"]
    assert verify_document(signed) == ANN_KEY.public_key


# -- receipts ---------------------------------------------------------------


def test_a_receipt_verifies_and_is_a_secured_document() -> None:
    """A receipt verifies, and its `to_dict` is itself an eddsa-jcs-2022 document."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    assert receipt.seq == 3
    assert receipt.head == LEDGER.head
    assert receipt.at == _at(10)
    verify_receipt(receipt, LEDGER, KEYS)
    assert verify_document(consentkit.to_dict(receipt)) == ANN_KEY.public_key


def test_a_w3c_signed_document_of_the_receipt_shape_is_a_receipt() -> None:
    """`sign_document` over `{party, seq, head}` gives the very receipt."""
    receipt = sign_receipt(LEDGER, party="bo", key=BO_KEY, at=_at(10), seq=1)
    document = {"party": "bo", "seq": 1, "head": LEDGER[1].digest}
    signed = sign_document(document, BO_KEY, created=_at(10))
    assert signed == consentkit.to_dict(receipt)
    assert consentkit.from_dict(Receipt, signed) == receipt


def test_signing_a_receipt_is_deterministic() -> None:
    """The same inputs give the same receipt, byte for byte."""
    one = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10), seq=2)
    two = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10), seq=2)
    assert consentkit.dumps(one) == consentkit.dumps(two)


def test_a_venue_may_countersign() -> None:
    """A signer who is no party of the ledger signs and verifies."""
    receipt = sign_receipt(LEDGER, party="venue", key=VENUE_KEY, at=_at(10))
    verify_receipt(receipt, LEDGER, {"venue": VENUE_KEY.public_key.multibase})


@pytest.mark.parametrize(
    ("ledger", "changes", "error", "message"),
    [
        (Ledger(), {}, LedgerError, "empty ledger"),
        (LEDGER, {"seq": 4}, LedgerError, "entries 0..3"),
        (LEDGER, {"seq": -1}, LedgerError, "entries 0..3"),
        (LEDGER, {"seq": "1"}, TypeError, "seq"),
        (LEDGER, {"at": datetime(2026, 3, 8)}, InvalidRecord, "naive"),  # noqa: DTZ001
        (LEDGER, {"at": _at(2), "seq": 3}, LedgerError, "before entry 3"),
        (LEDGER, {"party": " ann"}, InvalidRecord, "whitespace"),
        (LEDGER, {"party": ""}, InvalidRecord, "empty"),
        (LEDGER, {"key": ANN_KEY.public_key}, TypeError, "SigningKey"),
        ("ledger", {}, TypeError, "Ledger"),
    ],
)
def test_sign_receipt_refuses_bad_input(
    ledger: Any, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    """An empty ledger, a seq outside it, a naive or early time, a bad party."""
    arguments: dict[str, Any] = {"party": "ann", "key": ANN_KEY, "at": _at(10)}
    arguments.update(changes)
    with pytest.raises(error, match=message):
        sign_receipt(ledger, **arguments)


def test_an_unknown_party_is_named() -> None:
    """A party not in `keys`, or mapped to no key, is UNKNOWN_PARTY."""
    receipt = sign_receipt(LEDGER, party="venue", key=VENUE_KEY, at=_at(10))
    error = _problem(receipt)
    assert error.problem is ReceiptProblem.UNKNOWN_PARTY
    assert "`venue`" in str(error)
    assert "entry 3" in str(error)
    assert _problem(receipt, keys={"venue": []}).problem is ReceiptProblem.UNKNOWN_PARTY


def test_a_receipt_made_with_another_key_is_wrong_key() -> None:
    """A proof whose method is none of the party's keys is WRONG_KEY."""
    receipt = sign_receipt(LEDGER, party="ann", key=BO_KEY, at=_at(10), seq=2)
    error = _problem(receipt)
    assert error.problem is ReceiptProblem.WRONG_KEY
    assert "receipt of `ann` for entry 2" in str(error)


def test_an_unreadable_method_is_wrong_key() -> None:
    """A method that cannot be read is WRONG_KEY, checked before the signature."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    odd = attrs.evolve(
        receipt, proof=attrs.evolve(receipt.proof, verification_method="x:y")
    )
    assert _problem(odd).problem is ReceiptProblem.WRONG_KEY


def test_a_rotated_party_may_hold_several_keys() -> None:
    """A receipt verifies under any of its party's keys, given as text or keys."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    keys: dict[str, Any] = {"ann": [VENUE_KEY.public_key, ANN_KEY.public_key.multibase]}
    verify_receipt(receipt, LEDGER, keys)
    verify_receipt(receipt, LEDGER, {"ann": (ANN_KEY.public_key,)})


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2, "head": LEDGER[2].digest},
        {"party": "bo"},
        {"head": "sha256:" + "0" * 64},
    ],
)
def test_a_changed_receipt_is_a_bad_proof(change: dict[str, Any]) -> None:
    """Changing the signed fields (keys known for everyone) is BAD_PROOF."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    changed = attrs.evolve(receipt, **change)
    keys = {"ann": ANN_KEY.public_key, "bo": ANN_KEY.public_key}
    assert _problem(changed, keys=keys).problem is ReceiptProblem.BAD_PROOF


@pytest.mark.parametrize(
    "change",
    [
        {"created": _at(11)},
        {"proof_purpose": "authentication"},
        {"proof_value": "z" + "2" * 88},
        {"proof_value": "z2"},
    ],
)
def test_a_changed_proof_is_a_bad_proof(change: dict[str, Any]) -> None:
    """Changing the proof's time, purpose or value is BAD_PROOF."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    changed = attrs.evolve(receipt, proof=attrs.evolve(receipt.proof, **change))
    error = _problem(changed)
    assert error.problem is ReceiptProblem.BAD_PROOF
    assert "receipt of `ann` for entry 3: bad proof" in str(error)


def test_a_receipt_beyond_the_end_and_on_another_head() -> None:
    """A shorter copy is BEYOND_END; a different history is OTHER_HEAD."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    shorter = Ledger().extend(LEDGER.events[:3])
    error = _problem(receipt, shorter)
    assert error.problem is ReceiptProblem.BEYOND_END
    assert "ends at entry 2" in str(error)
    other = (
        Ledger()
        .extend([*LEDGER.events[:3], *LEDGER.events[:1]][:3])
        .signal(by="bo", cue="red", at=_at(4))
    )
    error = _problem(receipt, other)
    assert error.problem is ReceiptProblem.OTHER_HEAD
    assert "`ann`" in str(error)
    assert "entry 3" in str(error)


def test_the_binding_needs_no_keys() -> None:
    """`check_binding` checks seq and head against a ledger without keys."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10), seq=1)
    check_binding(receipt, LEDGER)
    check_binding(receipt, LEDGER.signal(by="ann", cue="green", at=_at(20)))
    with pytest.raises(SignatureError) as caught:
        check_binding(receipt, Ledger().extend(LEDGER.events[:1]))
    assert caught.value.problem is ReceiptProblem.BEYOND_END
    with pytest.raises(TypeError, match="Receipt"):
        check_binding("receipt", LEDGER)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Ledger"):
        check_binding(receipt, [])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (["ann"], "must map party ids"),
        ({"ann": 7}, "must be a public key or a collection"),
        ({"ann": [7]}, r"keys\[`ann`\]\[0\]: must be a public key"),
        ({"ann": [SECRET_TEXT]}, "is a secret key"),
        ({"ann": ANN_KEY}, "must be a public key"),
        ({"": PUBLIC_TEXT}, "must not be empty"),
        ({3: PUBLIC_TEXT}, "must be a string"),
        ({"ann": {"k": PUBLIC_TEXT}}, "must be a public key or a collection"),
    ],
)
def test_keys_that_are_not_keys_are_refused_first(keys: Any, message: str) -> None:
    """Anything but keys in `keys` is `InvalidKey`, before any receipt is checked."""
    receipt = sign_receipt(LEDGER, party="venue", key=VENUE_KEY, at=_at(10))
    with pytest.raises(InvalidKey, match=message) as caught:
        verify_receipt(receipt, LEDGER, keys)
    assert SECRET_TEXT[2:12] not in str(caught.value)
    with pytest.raises(InvalidKey, match=message):
        audit(LEDGER, [receipt], keys)


def test_verify_receipt_refuses_arguments_of_the_wrong_kind() -> None:
    """A receipt and a ledger are checked for kind, naming what was expected."""
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    with pytest.raises(TypeError, match="Receipt"):
        verify_receipt(LEDGER, LEDGER, KEYS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Ledger"):
        verify_receipt(receipt, receipt, KEYS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Ledger"):
        audit([], [receipt], KEYS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"receipts\[1\]"):
        audit(LEDGER, [receipt, "x"], KEYS)  # type: ignore[list-item]


# -- audit ------------------------------------------------------------------


def test_audit_lists_acknowledged_unsigned_and_problems() -> None:
    """Audit gives each party's highest receipt, unsigned entries and problems."""
    ann = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10), seq=2)
    bo_early = sign_receipt(LEDGER, party="bo", key=BO_KEY, at=_at(10), seq=1)
    bad = sign_receipt(LEDGER, party="bo", key=ANN_KEY, at=_at(10))
    result = audit(LEDGER, [ann, bo_early, bad], KEYS)
    assert result.acknowledged == {"ann": 2, "bo": 1}
    assert result.unsigned == (3,)
    assert [(i, p) for i, p, _ in result.problems] == [(2, ReceiptProblem.WRONG_KEY)]
    assert "receipt of `bo` for entry 3" in result.problems[0][2]
    assert not result.ok


def test_audit_is_ok_when_every_author_acknowledged() -> None:
    """One receipt per author at the last entry makes the audit ok."""
    receipts = [
        sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10)),
        sign_receipt(LEDGER, party="bo", key=BO_KEY, at=_at(10)),
    ]
    result = audit(LEDGER, iter(receipts), KEYS)
    assert result == Audit(acknowledged={"ann": 3, "bo": 3}, unsigned=(), problems=())  # type: ignore[arg-type]
    assert result.ok
    assert audit(Ledger(), [], {}).ok


def test_audit_recomputes_a_chain_it_did_not_compute() -> None:
    """A ledger whose digests were never computed here is checked by `audit`."""
    entries = list(LEDGER)
    forged = Entry.trusted(1, entries[1].event, entries[0].digest, "sha256:" + "1" * 64)
    ledger = Ledger._from_entries(entries)  # computed: trusted
    core = ledger._core
    untrusted = Ledger._view(type(core)(), 0)
    untrusted._core.entries.extend([entries[0], forged, *entries[2:]])
    untrusted._n = len(entries)
    with pytest.raises(TamperedLedger):
        audit(untrusted, [], KEYS)


# -- the receipt document -------------------------------------------------------


def _receipt_data() -> dict[str, Any]:
    receipt = sign_receipt(LEDGER, party="ann", key=ANN_KEY, at=_at(10))
    data: dict[str, Any] = consentkit.to_dict(receipt)
    return data


@pytest.mark.parametrize(
    "created",
    [
        "2026-03-07T19:10:00+00:00",
        "2026-03-07T20:10:00+01:00",
        "2026-03-07T19:10:00.000000Z",
        "2026-03-07T19:10:00.0Z",
        "2026-03-07t19:10:00Z",
        "2026-03-07T19:10:00z",
    ],
)
def test_created_must_be_spelt_as_written(created: str) -> None:
    """Another spelling of the same instant is a DecodeError at proof.created."""
    data = _receipt_data()
    data["proof"]["created"] = created
    with pytest.raises(DecodeError) as caught:
        consentkit.from_dict(Receipt, data)
    assert [p for p, _ in caught.value.problems] == ["proof.created"]
    assert "2026-03-07T19:10:00Z" in caught.value.problems[0][1]


@pytest.mark.parametrize(
    "field",
    [
        "type",
        "cryptosuite",
        "created",
        "verificationMethod",
        "proofPurpose",
        "proofValue",
    ],
)
def test_every_proof_field_is_required(field: str) -> None:
    """A proof missing any field, defaults included, is refused by its W3C name."""
    data = _receipt_data()
    del data["proof"][field]
    document = json.dumps(
        {"format": "consentkit", "version": 1, "kind": "receipt", "data": data}
    )
    with pytest.raises(DecodeError) as caught:
        consentkit.loads(document, "receipt")
    assert caught.value.problems == ((f"data.proof.{field}", "is required"),)


def test_a_bad_receipt_lists_every_problem() -> None:
    """Every problem of a receipt document is listed with its path."""
    data = _receipt_data()
    data["seq"] = -1
    data["head"] = "sha256:XYZ"
    data["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    data["proof"]["proofValue"] = "0OIl"
    data["proof"]["verification_method"] = data["proof"].pop("verificationMethod")
    with pytest.raises(DecodeError) as caught:
        consentkit.from_dict(Receipt, data)
    paths = sorted(p for p, _ in caught.value.problems)
    assert paths == [
        "head",
        "proof.cryptosuite",
        "proof.proofValue",
        "proof.verificationMethod",
        "proof.verification_method",
        "seq",
    ]


def test_a_proof_record_checks_its_fields() -> None:
    """Building a Proof with a wrong type, cryptosuite or value is refused."""
    good: dict[str, Any] = {
        "created": _at(0),
        "verification_method": ANN_KEY.public_key.verification_method,
        "proof_value": "z2",
    }
    assert Proof(**good).type == "DataIntegrityProof"
    for change in (
        {"type": "Ed25519Signature2020"},
        {"cryptosuite": "eddsa-2022"},
        {"proof_value": "2"},
        {"verification_method": "has space"},
        {"proof_purpose": ""},
        {"created": datetime(2026, 1, 1)},  # noqa: DTZ001  # naive on purpose
    ):
        with pytest.raises(InvalidRecord):
            Proof(**{**good, **change})


@given(
    party=ck_testing.party_ids() | st.text(min_size=1),
    seq=st.integers(0, 2**60),
    head=st.text(),
    created=st.text(),
    method=st.text(),
    purpose=st.text(),
)
def test_the_signed_bytes_are_rfc_8785(  # one per field
    *, party: str, seq: int, head: str, created: str, method: str, purpose: str
) -> None:
    """The receipt's signed bytes are exactly RFC 8785 of the objects they stand for."""
    from consentkit.signing import _receipt_bytes, _receipt_config  # noqa: PLC0415

    def both(make: Any, data: dict[str, Any]) -> None:
        try:
            expected = rfc8785.dumps(data)
        except (rfc8785.CanonicalizationError, UnicodeEncodeError):
            with pytest.raises((ValueError, UnicodeEncodeError)):
                make()
            return
        assert make() == expected

    both(
        lambda: _receipt_bytes(party, seq, head),
        {"party": party, "seq": seq, "head": head},
    )
    both(
        lambda: _receipt_config(created, method, purpose),
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "created": created,
            "verificationMethod": method,
            "proofPurpose": purpose,
        },
    )


def test_an_unpickled_ledger_is_checked_and_still_appends() -> None:
    """An unpickled ledger, whose digests were never computed here, is checked."""
    import pickle  # noqa: PLC0415

    from consentkit._ledger import _unpickle  # noqa: PLC0415

    source = _ledger()

    def unpickled(entries: list[Entry]) -> Ledger:
        return _unpickle(pickle.dumps((entries, source._core.history)))

    entries = list(source)
    forged = Entry.trusted(2, entries[2].event, entries[1].digest, "sha256:" + "2" * 64)
    with pytest.raises(TamperedLedger):
        audit(unpickled([*entries[:2], forged, *entries[3:]]), [], KEYS)
    ledger = unpickled(list(entries))
    assert audit(ledger, [], KEYS).unsigned == (0, 1, 2, 3)
    longer = ledger.signal(by="ann", cue="green", at=_at(30))
    assert longer.head is not None
    assert audit(longer, [], KEYS).unsigned == (0, 1, 2, 3, 4)
