"""Receipts: a party's signed word that it held a ledger up to one entry (SPEC 8.3).

The records live in the core, so that receipts can be read, written and
stored without the ``sign`` extra; signing and verifying them is
`consentkit.signing`'s.  A `Receipt` written by `to_dict` is itself a W3C
Data Integrity document secured with ``eddsa-jcs-2022``: the signed document
is ``{"party", "seq", "head"}`` and ``proof`` holds the signature, its fields
spelt as the W3C spells them (``verificationMethod``, ``proofPurpose``,
``proofValue``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import attrs

from consentkit import _validate as v

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "PROOF_VALUE",
    "PURPOSE",
    "Proof",
    "Receipt",
]

#: The only proof type and cryptosuite consentkit writes and reads.
PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-jcs-2022"
#: The proof purpose of a receipt: the signer asserts what it says.
PURPOSE: Final = "assertionMethod"
#: A proof value: ``z`` and base58btc (an Ed25519 signature takes 86 to 88
#: characters; the bound keeps decoding cheap).
PROOF_VALUE: Final = r"z[1-9A-HJ-NP-Za-km-z]{1,100}"
#: A proof purpose: a W3C verification relationship such as ``assertionMethod``.
PURPOSE_NAME: Final = r"[A-Za-z][A-Za-z0-9]{0,63}"
#: The longest verification method a proof may name.
MAX_METHOD: Final = 512

_type = v.constant(PROOF_TYPE)
_cryptosuite = v.constant(CRYPTOSUITE)
_purpose = v.pattern(PURPOSE_NAME, "must be a proof purpose such as `assertionMethod`")
_proof_value = v.pattern(
    PROOF_VALUE, "must be `z` and at most 100 base58btc characters"
)
_method = v.pattern(
    rf"[!-~]{{1,{MAX_METHOD}}}",
    f"must be 1 to {MAX_METHOD} printable ASCII characters without spaces",
)


@attrs.frozen(kw_only=True)
class Proof:
    """A W3C Data Integrity proof made with the ``eddsa-jcs-2022`` cryptosuite.

    Written with the W3C's field names: ``verificationMethod``,
    ``proofPurpose`` and ``proofValue``.  Every field is required on input,
    and ``created`` must be spelt exactly as consentkit writes times, since a
    verifier hashes the text as written.

    Attributes:
        type: Always `DataIntegrityProof`.
        cryptosuite: Always `eddsa-jcs-2022`.
        created: When the signer signed, by the signer's own clock.
        verification_method: The signer's key as a `did:key` method,
            `did:key:z6Mk...#z6Mk...`.
        proof_purpose: Why it was signed; `assertionMethod` for a receipt.
        proof_value: The Ed25519 signature: `z` and base58btc.
    """

    type: str = attrs.field(default=PROOF_TYPE, validator=_type)
    cryptosuite: str = attrs.field(default=CRYPTOSUITE, validator=_cryptosuite)
    created: datetime = attrs.field(converter=v.to_utc, validator=v.aware_time)
    verification_method: str = attrs.field(validator=_method)
    proof_purpose: str = attrs.field(default=PURPOSE, validator=_purpose)
    proof_value: str = attrs.field(validator=_proof_value)


@attrs.frozen(kw_only=True)
class Receipt:
    """Party `party` held the ledger up to entry `seq`, whose digest is `head`.

    Each entry's digest covers every entry before it, so one receipt covers
    the whole prefix.  A receipt attests that its signer held a record at a
    time; it is not consent to any act, and the engine never reads it.

    Attributes:
        party: Who signed: a party id (not necessarily a party of the ledger).
        seq: The position of the entry acknowledged, from 0.
        head: That entry's digest.
        proof: The signature over `{"party", "seq", "head"}`.
    """

    party: str = attrs.field(validator=v.party_id)
    seq: int = attrs.field(validator=v.position)
    head: str = attrs.field(validator=v.digest_text)
    proof: Proof = attrs.field(validator=v.instance_of(Proof))

    @property
    def at(self) -> datetime:
        """When the receipt was signed: its proof's `created`."""
        return self.proof.created
