"""Signing keys and receipts (SPEC 8; these need the ``sign`` extra)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from consentkit._ledger import Ledger
from consentkit._receipt import Receipt
from consentkit.testing._draw import _given, _int, _rarely
from consentkit.testing._times import times

if TYPE_CHECKING:
    from consentkit.signing import SigningKey


def signing_keys() -> st.SearchStrategy[SigningKey]:
    """Ed25519 signing keys, each from a drawn 32-byte seed.

    Needs the ``sign`` extra (``pip install 'consentkit[sign]'``).
    """
    from consentkit.signing import SigningKey  # noqa: PLC0415  # the extra is optional

    return st.binary(min_size=32, max_size=32).map(SigningKey.from_seed)


@st.composite
def receipts(
    draw: st.DrawFn,
    ledger: Ledger,
    *,
    parties: st.SearchStrategy[str] | None = None,
    keys: st.SearchStrategy[SigningKey] | None = None,
) -> Receipt:
    """Valid receipts for `ledger`: a party acknowledges one of its entries.

    The entry is any of the ledger's (the last one a third of the time), the
    signer one of the ledger's authors (or drawn from `parties`), the key
    drawn from `keys` (default `signing_keys`), and the time at or up to a
    day after the entry's event.  The proof names its key, so
    ``PublicKey.from_did(receipt.proof.verification_method)`` verifies it.
    Needs the ``sign`` extra.

    Args:
        draw: Supplied by Hypothesis.
        ledger: A non-empty ledger.
        parties: Where the signer comes from (default: the ledger's authors).
        keys: Where the signing key comes from.

    Raises:
        ValueError: The ledger is empty.
    """
    from consentkit.signing import sign_receipt  # noqa: PLC0415  # the extra is optional

    if not isinstance(ledger, Ledger) or not len(ledger):  # type: ignore[redundant-expr]  # callers may pass anything
        raise ValueError("receipts: needs a non-empty Ledger")
    last = len(ledger) - 1
    seq = last if _rarely(draw, 3) else _int(draw, 0, last)
    authors = sorted({entry.event.by for entry in ledger})
    party = draw(_given(parties, st.sampled_from(authors)))
    key = draw(_given(keys, signing_keys()))
    entry_at = ledger[seq].event.at
    at = draw(times(min_value=entry_at, max_value=entry_at + timedelta(days=1)))
    return sign_receipt(ledger, party=party, key=key, at=at, seq=seq)
