"""The W3C test vectors of ``eddsa-jcs-2022``, both ways (SPEC 8.2).

The files in ``tests/vectors/eddsa-jcs-2022/`` are the W3C's own, unchanged:
signing the unsigned Alumni Credential with the vector key at the vector's
time reproduces the signed document byte for byte, every intermediate value
matches, and verification accepts the signed document and refuses every
one-field change of it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from consentkit._canonical import canonical
from consentkit.signing import (
    PublicKey,
    SignatureError,
    SigningKey,
    sign_document,
    verify_document,
)

VECTORS = Path(__file__).parent / "vectors" / "eddsa-jcs-2022"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=timezone.utc)


def _text(name: str) -> str:
    return (VECTORS / name).read_text("utf-8")


def _json(name: str) -> Any:
    return json.loads(_text(name))


KEYS = _json("keyPair.json")
SECRET = SigningKey.from_multibase(KEYS["privateKeyMultibase"])
PUBLIC = PublicKey.from_multibase(KEYS["publicKeyMultibase"])


def test_the_vector_key_pair_reads_and_writes_back() -> None:
    """The vector's secret key gives its public key; both write back as given."""
    assert SECRET.public_key == PUBLIC
    assert SECRET.to_multibase() == KEYS["privateKeyMultibase"]
    assert PUBLIC.multibase == "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_signing_reproduces_the_signed_document_byte_for_byte() -> None:
    """Signing the unsigned credential gives the W3C's signed document exactly."""
    signed = sign_document(_json("unsigned.json"), SECRET, created=CREATED)
    assert json.dumps(signed, indent=2) == _text("signedJCS.json")
    assert signed["proof"]["proofValue"] == (
        "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJ"
        "dcnTMuVor51aX"
    )


def test_every_intermediate_value_matches() -> None:
    """Canonical forms, hashes and the signature are the vector's, step by step."""
    unsigned = _json("unsigned.json")
    config = _json("proofConfigJCS.json")
    assert canonical(unsigned).decode() == _text("canonDocJCS.txt")
    assert canonical(config).decode() == _text("proofCanonJCS.txt")
    doc_hash = hashlib.sha256(canonical(unsigned)).digest()
    proof_hash = hashlib.sha256(canonical(config)).digest()
    assert doc_hash.hex() == _text("docHashJCS.txt")
    assert proof_hash.hex() == _text("proofHashJCS.txt")
    assert (proof_hash + doc_hash).hex() == _text("combinedHashJCS.txt")
    signature = SECRET.sign(proof_hash + doc_hash)
    assert signature.hex() == _text("sigHexJCS.txt")
    assert PUBLIC.verify(signature, proof_hash + doc_hash)


def test_the_signed_document_verifies() -> None:
    """Verification accepts the W3C's signed document, with or without the key."""
    signed = _json("signedJCS.json")
    assert verify_document(signed) == PUBLIC
    assert verify_document(signed, PUBLIC) == PUBLIC
    assert verify_document(signed, KEYS["publicKeyMultibase"]) == PUBLIC


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every scalar inside `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


def _fields(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every object member inside `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _fields(item, (*path, index))


def _at(document: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    return parent, path[-1]


SIGNED = _json("signedJCS.json")


@pytest.mark.parametrize("path", list(_leaves(SIGNED)), ids=str)
def test_every_changed_value_is_refused(path: tuple[Any, ...]) -> None:
    """Changing any one value of the signed document fails verification."""
    changed = copy.deepcopy(SIGNED)
    parent, key = _at(changed, path)
    value = parent[key]
    # Another valid-looking value of the same kind: for proofValue, another
    # signature of the right length (the last character of base58 changed).
    parent[key] = value[:-1] + ("2" if value[-1] != "2" else "3")
    with pytest.raises(SignatureError):
        verify_document(changed)


@pytest.mark.parametrize("path", list(_fields(SIGNED)), ids=str)
def test_every_dropped_field_is_refused(path: tuple[Any, ...]) -> None:
    """Dropping any one member of the signed document fails verification."""
    changed = copy.deepcopy(SIGNED)
    parent, key = _at(changed, path)
    del parent[key]
    with pytest.raises(SignatureError):
        verify_document(changed)


@pytest.mark.parametrize("where", [(), ("proof",), ("credentialSubject",)], ids=str)
def test_an_added_field_is_refused(where: tuple[str, ...]) -> None:
    """Adding a member to the document, its proof or a nested object fails it."""
    changed = copy.deepcopy(SIGNED)
    target = changed
    for step in where:
        target = target[step]
    target["extra"] = "x"
    with pytest.raises(SignatureError):
        verify_document(changed)


def test_another_key_does_not_verify_the_vector() -> None:
    """The signed document verifies under its own key only."""
    other = SigningKey.from_seed(bytes(32)).public_key
    with pytest.raises(SignatureError, match="another key"):
        verify_document(SIGNED, other)
