"""How a receipt binds a ledger's prefix, checked without keys (SPEC 8.3).

A receipt names an entry and that entry's digest; since each digest covers
every entry before it, the receipt holds for a copy of the ledger exactly
when that copy has the entry and the same digest there.  This check needs no
keys and no cryptography, so whatever keeps receipts beside a ledger (a
store, say) can refuse one that does not belong to it without the ``sign``
extra; `consentkit.signing.verify_receipt` runs it after the signature.
"""

from __future__ import annotations

from consentkit._errors import ReceiptProblem, SignatureError
from consentkit._ledger import Ledger
from consentkit._receipt import Receipt

__all__ = ["check_binding", "receipt_name"]


def receipt_name(receipt: Receipt) -> str:
    """How messages name a receipt: by its party and the entry it acknowledges."""
    return f"receipt of `{receipt.party}` for entry {receipt.seq}"


def check_binding(receipt: Receipt, ledger: Ledger) -> None:
    """Check that `ledger` holds the entry `receipt` acknowledges, with its digest.

    The ledger's digests are trusted as it holds them (one from `append` or
    `loads` may be; call ``ledger.verify()`` first on one from anywhere else).

    Raises:
        TypeError: `receipt` is not a `Receipt` or `ledger` not a `Ledger`.
        SignatureError: `BEYOND_END` when the ledger ends before the entry,
            `OTHER_HEAD` when the entry there has another digest.
    """
    if not isinstance(receipt, Receipt):
        raise TypeError(f"expected a Receipt, got `{type(receipt).__name__}`")
    if not isinstance(ledger, Ledger):
        raise TypeError(f"expected a Ledger, got `{type(ledger).__name__}`")
    if receipt.seq >= len(ledger):
        raise SignatureError(
            f"{receipt_name(receipt)}: this ledger ends at entry {len(ledger) - 1}; "
            "entries the signer saw are missing here",
            ReceiptProblem.BEYOND_END,
        )
    if ledger[receipt.seq].digest != receipt.head:
        raise SignatureError(
            f"{receipt_name(receipt)}: the entry here has digest "
            f"`{ledger[receipt.seq].digest}`, the signer held `{receipt.head}`; "
            "this copy's history differs from the signer's",
            ReceiptProblem.OTHER_HEAD,
        )
