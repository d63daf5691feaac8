"""Signed receipts and W3C Data Integrity proofs (``eddsa-jcs-2022``), SPEC 8.

The hash chain shows that a ledger was not edited after its head was known;
it cannot show who wrote it.  Parties therefore sign receipts: "I, party P,
hold this ledger up to entry N, whose digest is D".  A receipt attests that
its signer held a record at a time; it is not consent to any act, and the
engine never reads receipts.

Everything cryptographic is `cryptography`'s Ed25519 and every base58 text is
the `base58` package's; both come with the extra ``consentkit[sign]``.
Keys are the application's: whoever verifies passes ``keys``, a mapping from
party id to that party's public keys.  A ledger never carries keys.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final, NoReturn, TypeAlias

try:
    import base58
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )
except ImportError as error:  # pragma: no cover  # the extra is part of `dev`
    raise ImportError(
        "consentkit.signing needs the `sign` extra: "
        "pip install 'consentkit[sign]' (cryptography and base58)"
    ) from error

import attrs

from consentkit import _validate as v
from consentkit._agreements import FrozenMap
from consentkit._binding import check_binding, receipt_name
from consentkit._canonical import canonical
from consentkit._errors import (
    InvalidKey,
    InvalidRecord,
    LedgerError,
    ReceiptProblem,
    SignatureError,
)
from consentkit._ledger import Ledger
from consentkit._receipt import CRYPTOSUITE, PROOF_TYPE, PURPOSE, Proof, Receipt
from consentkit._serialize import format_time, parse_time

__all__ = [
    "Audit",
    "InvalidKey",
    "Keys",
    "PublicKey",
    "ReceiptProblem",
    "SignatureError",
    "SigningKey",
    "audit",
    "sign_document",
    "sign_receipt",
    "verify_document",
    "verify_receipt",
]

#: Multicodec prefixes of the W3C Multikey forms (varint of 0x1300 and 0xed).
_SECRET_PREFIX: Final = b"\x80\x26"
_PUBLIC_PREFIX: Final = b"\xed\x01"
_KEY_SIZE: Final = 32
_SIGNATURE_SIZE: Final = 64
#: The longest multibase text read: a key takes 48 characters, a signature at
#: most 89 (base58 decoding costs the square of the length, so bound it first).
_MAX_MULTIBASE: Final = 100
_BASE58: Final = re.compile(r"[1-9A-HJ-NP-Za-km-z]*")
_DID_KEY: Final = "did:key:"


# -- multibase ---------------------------------------------------------------


def _decode(text: object, what: str, error: type[Exception] = InvalidKey) -> bytes:
    """Decode ``z`` + base58btc text; the message names `what`, never the text."""
    if not isinstance(text, str):
        raise error(f"{what}: must be text, got `{type(text).__name__}`")
    if not text.startswith("z"):
        raise error(f"{what}: must start with `z` (multibase base58btc)")
    if len(text) > _MAX_MULTIBASE:
        raise error(f"{what}: must be at most {_MAX_MULTIBASE} characters")
    if not _BASE58.fullmatch(text, 1):
        raise error(f"{what}: has a character outside the base58btc alphabet")
    return bytes(base58.b58decode(text[1:]))


def _encode(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def _multikey(text: object, what: str, *, secret: bool) -> bytes:
    """The 32 key bytes of a W3C Multikey, checking its prefix and length."""
    data = _decode(text, what)
    wanted, other = (
        (_SECRET_PREFIX, _PUBLIC_PREFIX) if secret else (_PUBLIC_PREFIX, _SECRET_PREFIX)
    )
    if data[:2] == other:
        given, expected = ("a public", "secret") if secret else ("a secret", "public")
        raise InvalidKey(
            f"{what}: is {given} key (multicodec prefix "
            f"`0x{other.hex(' ').replace(' ', ' 0x')}`), expected a {expected} key"
        )
    if data[:2] != wanted:
        shown = " ".join(f"0x{b:02x}" for b in wanted)
        raise InvalidKey(
            f"{what}: does not start with the multicodec prefix `{shown}` "
            f"of an Ed25519 {'secret' if secret else 'public'} key"
        )
    if len(data) != len(wanted) + _KEY_SIZE:
        raise InvalidKey(
            f"{what}: must hold {_KEY_SIZE} key bytes after its prefix, "
            f"got {len(data) - len(wanted)}"
        )
    return data[2:]


# -- keys --------------------------------------------------------------------


class PublicKey:
    """An Ed25519 public key, read and written as a W3C Multikey (``z6Mk...``).

    Equal by value and hashable.  Build one with `from_multibase` or
    `from_did`, or take a `SigningKey`'s `public_key`.
    """

    __slots__ = ("_key", "_method", "_multibase", "_raw")

    def __init__(self, raw: bytes) -> None:
        """Wrap the 32 bytes of an Ed25519 public key.

        Raises:
            InvalidKey: Not 32 bytes.
        """
        if not isinstance(raw, bytes) or len(raw) != _KEY_SIZE:  # type: ignore[redundant-expr]  # callers may pass anything
            raise InvalidKey(f"a public key must be {_KEY_SIZE} bytes")
        self._raw = raw
        self._key = Ed25519PublicKey.from_public_bytes(raw)
        self._multibase = _encode(_PUBLIC_PREFIX + raw)
        self._method = f"{_DID_KEY}{self._multibase}#{self._multibase}"

    @classmethod
    def from_multibase(cls, text: str) -> PublicKey:
        """Read ``z`` + base58btc of ``0xed 0x01`` and the 32 key bytes.

        Raises:
            InvalidKey: Saying what is wrong: the ``z``, the alphabet, the
                prefix (a secret key given as a public one) or the length.
        """
        return _public_from_multibase(text)

    @classmethod
    def from_did(cls, text: str) -> PublicKey:
        """Read ``did:key:MB`` or ``did:key:MB#MB``.

        Raises:
            InvalidKey: Not such a `did:key`, or the fragment is not the key.
        """
        if not isinstance(text, str):
            raise InvalidKey(f"did:key: must be text, got `{type(text).__name__}`")
        if not text.startswith(_DID_KEY):
            raise InvalidKey("did:key: must start with `did:key:`")
        multibase, hash_, fragment = text[len(_DID_KEY) :].partition("#")
        if hash_ and fragment != multibase:
            raise InvalidKey("did:key: the fragment after `#` must repeat the key")
        return cls.from_multibase(multibase)

    @property
    def raw(self) -> bytes:
        """The 32 bytes of the key."""
        return self._raw

    @property
    def multibase(self) -> str:
        """The key as a Multikey: ``z`` + base58btc of ``0xed 0x01`` and the key."""
        return self._multibase

    @property
    def did(self) -> str:
        """The key's ``did:key`` identifier."""
        return _DID_KEY + self._multibase

    @property
    def verification_method(self) -> str:
        """The key's ``did:key`` verification method, ``did:key:MB#MB``."""
        return self._method

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether `signature` is this key's Ed25519 signature of `data`."""
        try:
            self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return self._raw == other._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"PublicKey.from_multibase({self._multibase!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (PublicKey, (self._raw,))


@functools.lru_cache(maxsize=1024)
def _public_from_multibase(text: str) -> PublicKey:
    return PublicKey(_multikey(text, "public key", secret=False))


class SigningKey:
    """An Ed25519 secret key: signs receipts and documents.

    Its `repr` and `str` show only the public key; it cannot be pickled and
    `to_dict` does not write it.  Keep its multibase text (`to_multibase`) as
    you keep any secret: ``consentkit keygen`` writes it to a file only its
    owner can read.
    """

    __slots__ = ("_private", "_public")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        """Wrap a `cryptography` Ed25519 private key (prefer the class methods)."""
        if not isinstance(private, Ed25519PrivateKey):
            raise TypeError(
                f"expected an Ed25519PrivateKey, got `{type(private).__name__}`"
            )
        self._private = private
        self._public = PublicKey(
            private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key whose 32-byte seed (RFC 8032 private key) is `seed`.

        Raises:
            InvalidKey: Not 32 bytes.
        """
        if not isinstance(seed, bytes | bytearray):
            raise InvalidKey(f"seed: must be bytes, got `{type(seed).__name__}`")
        if len(seed) != _KEY_SIZE:
            raise InvalidKey(f"seed: must be {_KEY_SIZE} bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @classmethod
    def from_multibase(cls, text: str) -> SigningKey:
        """Read ``z`` + base58btc of ``0x80 0x26`` and the 32-byte seed.

        Raises:
            InvalidKey: Saying what is wrong (never showing the text): the
                ``z``, the alphabet, the prefix (a public key given as a
                secret one) or the length.
        """
        return cls.from_seed(_multikey(text, "secret key", secret=True))

    def to_multibase(self) -> str:
        """The secret key as a W3C Multikey: keep it secret."""
        seed = self._private.private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        return _encode(_SECRET_PREFIX + seed)

    @property
    def public_key(self) -> PublicKey:
        """The public key that verifies what this key signs."""
        return self._public

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of `data` (64 bytes)."""
        return self._private.sign(data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SigningKey):
            return NotImplemented
        return self._public == other._public

    def __hash__(self) -> int:
        return hash(("SigningKey", self._public))

    def __repr__(self) -> str:
        return f"<SigningKey for {self._public.multibase}>"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "a SigningKey cannot be pickled: keep its secret with to_multibase() "
            "where only its owner can read it"
        )

    def __copy__(self) -> SigningKey:
        return self

    def __deepcopy__(self, memo: object) -> SigningKey:
        return self


#: Whoever verifies says which keys each party holds: a `PublicKey`, its
#: multibase text, or a collection of them (a party that rotated keys).
Keys: TypeAlias = Mapping[str, "PublicKey | str | Iterable[PublicKey | str]"]


def _keyring(keys: object) -> dict[str, tuple[PublicKey, ...]]:
    """Read `keys` into party -> keys, refusing anything that is not a key."""
    if not isinstance(keys, Mapping):
        raise InvalidKey(
            f"keys: must map party ids to keys, got `{type(keys).__name__}`"
        )
    ring: dict[str, tuple[PublicKey, ...]] = {}
    for party, held in keys.items():
        problem = (
            _party_problem(party)
            if isinstance(party, str)
            else f"must be a string, got {v.show(party)}"
        )
        if problem:
            raise InvalidKey(f"keys: party {v.show(party)}: {problem}")
        members: object = (held,) if isinstance(held, (PublicKey, str)) else held
        if not isinstance(members, Iterable) or isinstance(members, Mapping | bytes):
            raise InvalidKey(
                f"keys[`{party}`]: must be a public key or a collection of them, "
                f"got `{type(held).__name__}`"
            )
        found: list[PublicKey] = []
        for index, key in enumerate(members):
            if isinstance(key, PublicKey):
                found.append(key)
            elif isinstance(key, str):
                try:
                    found.append(PublicKey.from_multibase(key))
                except InvalidKey as error:
                    raise InvalidKey(f"keys[`{party}`][{index}]: {error}") from None
            else:
                raise InvalidKey(
                    f"keys[`{party}`][{index}]: must be a public key, "
                    f"got `{type(key).__name__}`"
                )
        ring[party] = tuple(found)
    return ring


_party_problem = functools.lru_cache(maxsize=4096)(v.party_problem)


# -- Data Integrity proofs (eddsa-jcs-2022) ----------------------------------


def _jcs(data: object, what: str) -> bytes:
    try:
        return canonical(data)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{what}: not plain JSON: {error}") from None
    except Exception as error:  # rfc8785's own errors  # noqa: BLE001
        raise ValueError(f"{what}: not plain JSON: {error}") from None


def _hash_data(config: bytes, document: bytes) -> bytes:
    """SHA-256 of the proof configuration, then of the document: 64 bytes."""
    return hashlib.sha256(config).digest() + hashlib.sha256(document).digest()


def _aware(created: object, name: str) -> datetime:
    if not isinstance(created, datetime):
        raise TypeError(f"{name}: expected a datetime, got `{type(created).__name__}`")
    if created.utcoffset() is None:
        raise InvalidRecord("Proof", name, "must be timezone-aware, got a naive time")
    return created


def sign_document(
    document: Mapping[str, Any],
    key: SigningKey,
    *,
    created: datetime,
    purpose: str = PURPOSE,
) -> dict[str, Any]:
    """Return a copy of `document` secured with an ``eddsa-jcs-2022`` proof.

    The proof configuration is ``type``, ``cryptosuite``, ``created``,
    ``verificationMethod`` (the key's ``did:key`` method) and
    ``proofPurpose``, plus the document's ``@context`` when it has one; the
    signed bytes are SHA-256 of its RFC 8785 form followed by SHA-256 of the
    document's; ``proofValue`` is ``z`` + base58btc of the signature.

    Args:
        document: A JSON object (plain JSON types) without a ``proof``.
        key: The signer's key.
        created: When it is signed (aware; written as consentkit writes times).
        purpose: The proof purpose.

    Returns:
        The document with ``proof`` added last.

    Raises:
        TypeError: `document` is not a mapping, or `key` not a `SigningKey`.
        ValueError: The document already has a ``proof`` (proof sets are out
            of scope), or holds something that is not plain JSON.
        InvalidRecord: `created` is naive.
    """
    if not isinstance(document, Mapping):
        raise TypeError(f"expected a JSON object, got `{type(document).__name__}`")
    if not isinstance(key, SigningKey):
        raise TypeError(f"expected a SigningKey, got `{type(key).__name__}`")
    if "proof" in document:
        raise ValueError(
            "the document already has a `proof`; proof sets are not supported"
        )
    moment = _aware(created, "created")
    if not isinstance(purpose, str) or not purpose:  # type: ignore[redundant-expr]  # callers may pass anything
        raise ValueError("purpose: must be a proof purpose such as `assertionMethod`")
    unsecured = copy.deepcopy(dict(document))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_time(moment),
        "verificationMethod": key.public_key.verification_method,
        "proofPurpose": purpose,
    }
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    data = _hash_data(_jcs(proof, "proof"), _jcs(unsecured, "document"))
    proof["proofValue"] = _encode(key.sign(data))
    return {**unsecured, "proof": proof}


def _refuse(message: str) -> NoReturn:
    raise SignatureError(message)


def _contexts(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def verify_document(  # noqa: C901, PLR0912  # the Recommendation's steps, in order
    secured: Mapping[str, Any],
    key: PublicKey | str | None = None,
    *,
    purpose: str = PURPOSE,
) -> PublicKey:
    """Check a document's ``eddsa-jcs-2022`` proof as the W3C's *Verify Proof* does.

    Args:
        secured: A JSON object with a ``proof`` object.
        key: The key that must have signed; when None, the proof's
            ``did:key`` verification method names it.
        purpose: The proof purpose required.

    Returns:
        The key that signed.

    Raises:
        SignatureError: The proof does not hold: a ``proof`` array, another
            type, cryptosuite or purpose, a method that is not ``did:key``
            (without `key`) or not `key`'s, a malformed ``created`` or
            ``proofValue``, a ``@context`` the document does not begin with,
            or a signature that does not hold over the document as received.
        InvalidKey: `key` is text that is not a public key.
    """
    if isinstance(key, str):
        key = PublicKey.from_multibase(key)
    if not isinstance(secured, Mapping):
        _refuse(f"must be a JSON object, got `{type(secured).__name__}`")
    proof = secured.get("proof")
    if isinstance(proof, list):
        _refuse("proof: proof sets (an array of proofs) are not supported")
    if not isinstance(proof, Mapping):
        _refuse("proof: must be an object")
    if proof.get("type") != PROOF_TYPE:
        _refuse(f"proof.type: must be `{PROOF_TYPE}`, got {v.show(proof.get('type'))}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        _refuse(
            f"proof.cryptosuite: must be `{CRYPTOSUITE}`, "
            f"got {v.show(proof.get('cryptosuite'))}"
        )
    if proof.get("proofPurpose") != purpose:
        _refuse(
            f"proof.proofPurpose: must be `{purpose}`, "
            f"got {v.show(proof.get('proofPurpose'))}"
        )
    if "created" in proof:
        try:
            parse_time(proof["created"])
        except (TypeError, ValueError) as error:
            _refuse(f"proof.created: {error}")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        _refuse("proof.verificationMethod: must be text")
    signer = _method_key(method, key)
    options = {k: value for k, value in proof.items() if k != "proofValue"}
    unsecured = {k: value for k, value in secured.items() if k != "proof"}
    if "@context" in options:
        expected = _contexts(options["@context"])
        given = _contexts(unsecured.get("@context"))
        if "@context" not in unsecured or given[: len(expected)] != expected:
            _refuse("@context: does not begin with the proof's `@context`")
        unsecured["@context"] = options["@context"]
    signature = _decode(proof.get("proofValue"), "proof.proofValue", SignatureError)
    if len(signature) != _SIGNATURE_SIZE:
        _refuse(f"proof.proofValue: must hold {_SIGNATURE_SIZE} bytes")
    try:
        data = _hash_data(_jcs(options, "proof"), _jcs(unsecured, "document"))
    except ValueError as error:
        _refuse(str(error))
    if not signer.verify(signature, data):
        _refuse("proof.proofValue: the signature does not hold over this document")
    return signer


def _method_key(method: str, key: PublicKey | None) -> PublicKey:
    """The key a verification method names (and that `key`, if given, is)."""
    if not method.startswith(_DID_KEY):
        if key is None:
            _refuse(
                "proof.verificationMethod: not a `did:key` method; "
                "pass the key that signed"
            )
        return key
    multibase, hash_, fragment = method[len(_DID_KEY) :].partition("#")
    if not hash_ or fragment != multibase:
        _refuse("proof.verificationMethod: must be `did:key:MB#MB`")
    try:
        named = PublicKey.from_multibase(multibase)
    except InvalidKey as error:
        _refuse(f"proof.verificationMethod: {error}")
    if key is not None and named != key:
        _refuse("proof.verificationMethod: names another key than the one given")
    return named


# -- receipts ----------------------------------------------------------------


# RFC 8785 writes a string as JSON.stringify does, which is what the standard
# library's encoder writes for text without lone surrogates (that UTF-8 then
# refuses): `"`, `\\`, and control characters escaped, nothing else.  Object
# keys go in sorted order; whole numbers up to 2**53 are their digits.  A test
# holds these two functions equal to `canonical` of the same objects.
_string: Final = json.encoder.encode_basestring
_MAX_SAFE: Final = 2**53 - 1
_CONFIG_MIDDLE: Final = f',"cryptosuite":"{CRYPTOSUITE}","proofPurpose":'
_CONFIG_TYPE: Final = f',"type":"{PROOF_TYPE}","verificationMethod":'


def _receipt_bytes(party: str, seq: int, head: str) -> bytes:
    """RFC 8785 of the signed document ``{"party", "seq", "head"}``."""
    if type(seq) is not int or not 0 <= seq <= _MAX_SAFE:
        return canonical({"head": head, "party": party, "seq": seq})
    text = f'{{"head":{_string(head)},"party":{_string(party)},"seq":{seq}}}'
    return text.encode("utf-8")


def _receipt_config(created: str, method: str, purpose: str) -> bytes:
    """RFC 8785 of a receipt's proof configuration."""
    text = (
        f'{{"created":{_string(created)}{_CONFIG_MIDDLE}{_string(purpose)}'
        f"{_CONFIG_TYPE}{_string(method)}}}"
    )
    return text.encode("utf-8")


def sign_receipt(
    ledger: Ledger,
    *,
    party: str,
    key: SigningKey,
    at: datetime,
    seq: int | None = None,
) -> Receipt:
    """Sign a receipt: `party` holds `ledger` up to entry `seq`.

    Signing is deterministic: the same inputs give the same bytes.  The
    signer need not be a party to the ledger (a venue may countersign).

    Args:
        ledger: The ledger held.
        party: The signer's party id.
        key: The signer's key.
        at: When it is signed (aware; at or after the entry's event).
        seq: The entry acknowledged; the last one when None.

    Returns:
        The receipt, whose ``to_dict`` is a secured ``eddsa-jcs-2022`` document.

    Raises:
        TypeError: `ledger` is not a `Ledger` or `key` not a `SigningKey`.
        LedgerError: The ledger is empty, `seq` is outside it, or `at` is
            before the acknowledged entry's event.
        InvalidRecord: `at` is naive or `party` is not a valid party id.
    """
    if not isinstance(ledger, Ledger):
        raise TypeError(f"expected a Ledger, got `{type(ledger).__name__}`")
    if not isinstance(key, SigningKey):
        raise TypeError(f"expected a SigningKey, got `{type(key).__name__}`")
    problem = _party_problem(party)
    if problem:
        raise InvalidRecord("Receipt", "party", problem)
    moment = _aware(at, "at")
    if not len(ledger):
        raise LedgerError("empty-ledger", "an empty ledger has no entry to sign for")
    if seq is None:
        seq = len(ledger) - 1
    elif isinstance(seq, bool) or not isinstance(seq, int):
        raise TypeError(f"seq: expected a whole number, got `{type(seq).__name__}`")
    if not 0 <= seq < len(ledger):
        raise LedgerError(
            "no-such-entry",
            f"seq: the ledger has entries 0..{len(ledger) - 1}, got `{seq}`",
            seq=seq,
        )
    entry = ledger[seq]
    if moment < entry.event.at:
        raise LedgerError(
            "receipt-before-entry",
            f"at: `{format_time(moment)}` is before entry {seq} "
            f"(`{format_time(entry.event.at)}`); "
            "a receipt follows what it acknowledges",
            seq=seq,
        )
    created = format_time(moment)
    method = key.public_key.verification_method
    data = _hash_data(
        _receipt_config(created, method, PURPOSE),
        _receipt_bytes(party, seq, entry.digest),
    )
    proof = Proof(
        created=moment,
        verification_method=method,
        proof_value=_encode(key.sign(data)),
    )
    return Receipt(party=party, seq=seq, head=entry.digest, proof=proof)


def _check_receipt(receipt: Receipt, ring: Mapping[str, tuple[PublicKey, ...]]) -> None:
    """The checks of `verify_receipt` that need keys, in the spec's order."""
    held = ring.get(receipt.party)
    if not held:
        raise SignatureError(
            f"{receipt_name(receipt)}: no key is known for `{receipt.party}`",
            ReceiptProblem.UNKNOWN_PARTY,
        )
    proof = receipt.proof
    method = proof.verification_method
    signer = next((k for k in held if k.verification_method == method), None)
    if signer is None:
        raise SignatureError(
            f"{receipt_name(receipt)}: signed with a key that is not one of "
            f"`{receipt.party}`'s",
            ReceiptProblem.WRONG_KEY,
        )
    reason = _proof_problem(receipt, signer)
    if reason is not None:
        raise SignatureError(
            f"{receipt_name(receipt)}: bad proof: {reason}", ReceiptProblem.BAD_PROOF
        )


def _proof_problem(receipt: Receipt, signer: PublicKey) -> str | None:
    """Why a receipt's proof does not hold under `signer`, or None when it does."""
    proof = receipt.proof
    if proof.proof_purpose != PURPOSE:
        return f"the proof purpose must be `{PURPOSE}`"
    try:
        signature = _decode(proof.proof_value, "proofValue", ValueError)
        data = _hash_data(
            _receipt_config(
                format_time(proof.created),
                proof.verification_method,
                proof.proof_purpose,
            ),
            _receipt_bytes(receipt.party, receipt.seq, receipt.head),
        )
    except Exception as error:  # noqa: BLE001  # any failure here is a bad proof
        return str(error)
    if len(signature) != _SIGNATURE_SIZE:
        return f"proofValue must hold {_SIGNATURE_SIZE} bytes"
    if not signer.verify(signature, data):
        return "the signature does not hold"
    return None


def verify_receipt(receipt: Receipt, ledger: Ledger, keys: Keys) -> None:
    """Check a receipt's signature under `keys`, then that `ledger` holds its entry.

    Args:
        receipt: The receipt.
        ledger: The ledger it should acknowledge; its digests are trusted as
            it holds them (call ``ledger.verify()`` first on one that came
            neither from `append` nor from `loads`).
        keys: Party id -> that party's public keys (or their multibase text).

    Raises:
        SignatureError: Its `problem` says which check failed first:
            `UNKNOWN_PARTY`, `WRONG_KEY`, `BAD_PROOF`, `BEYOND_END` or
            `OTHER_HEAD`; its message names the party and the entry.
        InvalidKey: `keys` holds something that is not a key.
        TypeError: `receipt` is not a `Receipt` or `ledger` not a `Ledger`.
    """
    if not isinstance(receipt, Receipt):
        raise TypeError(f"expected a Receipt, got `{type(receipt).__name__}`")
    if not isinstance(ledger, Ledger):
        raise TypeError(f"expected a Ledger, got `{type(ledger).__name__}`")
    _check_receipt(receipt, _keyring(keys))
    check_binding(receipt, ledger)


@attrs.frozen(kw_only=True)
class Audit:
    """Which entries of a ledger their authors have acknowledged with a receipt.

    Attributes:
        acknowledged: Party -> the highest entry that party validly acknowledged.
        unsigned: The entries whose event's author (its `by`) has no valid
            receipt at or after them, ascending.
        problems: `(index, problem, message)` for each receipt that does not
            verify, in input order.
    """

    acknowledged: FrozenMap[str, int]
    unsigned: tuple[int, ...]
    problems: tuple[tuple[int, ReceiptProblem, str], ...]

    @property
    def ok(self) -> bool:
        """No receipt has a problem and every entry is acknowledged by its author."""
        return not self.problems and not self.unsigned


def audit(ledger: Ledger, receipts: Iterable[Receipt], keys: Keys) -> Audit:
    """Check every receipt and find the entries their authors have not acknowledged.

    One pass over the ledger (making sure its chain holds; digests computed
    in this process by `append` or `loads` are not computed again) plus one
    verification per receipt.

    Args:
        ledger: The ledger.
        receipts: Receipts for it, from any parties.
        keys: Party id -> that party's public keys (or their multibase text).

    Returns:
        The audit: `acknowledged`, `unsigned`, `problems` and `ok`.

    Raises:
        InvalidKey: `keys` holds something that is not a key (before any
            receipt is checked).
        TamperedLedger: The ledger's chain does not hold.
        TypeError: `ledger` is not a `Ledger`, or a receipt not a `Receipt`.
    """
    if not isinstance(ledger, Ledger):
        raise TypeError(f"expected a Ledger, got `{type(ledger).__name__}`")
    ring = _keyring(keys)
    given = list(receipts)
    for index, receipt in enumerate(given):
        if not isinstance(receipt, Receipt):
            raise TypeError(
                f"receipts[{index}]: expected a Receipt, got `{type(receipt).__name__}`"
            )
    ledger._verify_once()  # noqa: SLF001  # the chain, once per process
    acknowledged: dict[str, int] = {}
    problems: list[tuple[int, ReceiptProblem, str]] = []
    for index, receipt in enumerate(given):
        try:
            _check_receipt(receipt, ring)
            check_binding(receipt, ledger)
        except SignatureError as error:
            problem = error.problem or ReceiptProblem.BAD_PROOF
            problems.append((index, problem, str(error)))
            continue
        if acknowledged.get(receipt.party, -1) < receipt.seq:
            acknowledged[receipt.party] = receipt.seq
    unsigned = [
        entry.seq
        for entry in ledger
        if acknowledged.get(entry.event.by, -1) < entry.seq
    ]
    return Audit(
        acknowledged=FrozenMap(dict(sorted(acknowledged.items()))),
        unsigned=tuple(unsigned),
        problems=tuple(problems),
    )
