"""Receipts against raw Ed25519: `sign_receipt`, `verify_receipt` and `audit`.

Run: ``.venv/bin/python benchmarks/signing.py``.  Everything is measured in
one run, rounds interleaved, beside `cryptography`'s own Ed25519 on a 64-byte
message (what eddsa-jcs-2022 signs: two SHA-256 hashes):

- `sign_receipt` per call against a raw sign; target at most 2.5x;
- `verify_receipt` per call against a raw verify; target at most 1.5x;
- `audit` of a 20,000-entry ledger with 1,000 receipts against 1,000 raw
  verifies; target at most 1.5x.

The ledger comes from `append`, as one from `loads` does, so its digests
were computed in this process and `audit` does not compute them again; the
last line shows, for scale, what recomputing the whole chain costs
(`ledger.verify()`), which `audit` pays once on a ledger it did not compute.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from _scenario import quiet_gc, table
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ledger import events

import consentkit as ck
from consentkit.signing import SigningKey, audit, sign_receipt, verify_receipt

ENTRIES = 20_000
RECEIPTS = 1_000
ROUNDS = 15
CALLS = 500


def _per_call(function: Callable[[], object], calls: int) -> float:
    """Seconds per call of `function`, over `calls` calls."""
    began = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - began) / calls


def main() -> None:
    """Print the table and the three ratios."""
    ledger = ck.Ledger().extend(events(ENTRIES))
    keys = {
        "mistress": SigningKey.from_seed(bytes(range(32))),
        "client": SigningKey.from_seed(bytes(range(1, 33))),
    }
    public = {party: key.public_key for party, key in keys.items()}
    at = ledger[len(ledger) - 1].event.at + timedelta(minutes=1)
    step = ENTRIES // RECEIPTS
    receipts = [
        sign_receipt(
            ledger,
            party=party,
            key=keys[party],
            at=at,
            seq=min(i * step + step - 1, ENTRIES - 1),
        )
        for i, party in enumerate(["mistress", "client"] * (RECEIPTS // 2))
    ]
    one = receipts[-1]

    raw = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    raw_public = raw.public_key()
    message = bytes(range(64))
    signature = raw.sign(message)
    messages = [bytes([i % 256]) * 64 for i in range(RECEIPTS)]
    signatures = [raw.sign(m) for m in messages]

    def raw_sign() -> object:
        return raw.sign(message)

    def raw_verify() -> object:
        raw_public.verify(signature, message)
        return None

    def receipt_sign() -> object:
        return sign_receipt(ledger, party="client", key=keys["client"], at=at)

    def receipt_verify() -> object:
        verify_receipt(one, ledger, public)
        return None

    def raw_verifies() -> object:
        for s, m in zip(signatures, messages, strict=True):
            raw_public.verify(s, m)
        return None

    def full_audit() -> object:
        return audit(ledger, receipts, public)

    result = audit(ledger, receipts, public)
    assert not result.problems, result.problems[:3]  # noqa: S101  # the run is honest
    timings: dict[str, list[float]] = {
        name: []
        for name in ("raw sign", "sign_receipt", "raw verify", "verify_receipt")
    }
    batch: dict[str, list[float]] = {"1,000 raw verifies": [], "audit": []}
    with quiet_gc():
        for _ in range(ROUNDS):
            timings["raw sign"].append(_per_call(raw_sign, CALLS))
            timings["sign_receipt"].append(_per_call(receipt_sign, CALLS))
            timings["raw verify"].append(_per_call(raw_verify, CALLS))
            timings["verify_receipt"].append(_per_call(receipt_verify, CALLS))
            batch["1,000 raw verifies"].append(_per_call(raw_verifies, 1))
            batch["audit"].append(_per_call(full_audit, 1))
        began = time.perf_counter()
        ledger.verify()
        chain = time.perf_counter() - began

    median = {name: statistics.median(v) for name, v in {**timings, **batch}.items()}
    ratios = {
        "sign_receipt": (median["sign_receipt"] / median["raw sign"], 2.5),
        "verify_receipt": (median["verify_receipt"] / median["raw verify"], 1.5),
        "audit": (median["audit"] / median["1,000 raw verifies"], 1.5),
    }
    rows = [
        ["raw Ed25519 sign (cryptography)", f"{median['raw sign'] * 1e6:.1f} us", "", ""],
        ["sign_receipt", f"{median['sign_receipt'] * 1e6:.1f} us",
         f"{ratios['sign_receipt'][0]:.2f}x", "<= 2.5x"],
        ["raw Ed25519 verify (cryptography)", f"{median['raw verify'] * 1e6:.1f} us", "", ""],
        ["verify_receipt", f"{median['verify_receipt'] * 1e6:.1f} us",
         f"{ratios['verify_receipt'][0]:.2f}x", "<= 1.5x"],
        ["1,000 raw verifies", f"{median['1,000 raw verifies'] * 1e3:.1f} ms", "", ""],
        [f"audit: {ENTRIES:,} entries, {RECEIPTS:,} receipts",
         f"{median['audit'] * 1e3:.1f} ms", f"{ratios['audit'][0]:.2f}x", "<= 1.5x"],
        [f"(scale) ledger.verify(), {ENTRIES:,} entries", f"{chain * 1e3:.1f} ms", "", ""],
    ]  # fmt: skip
    print(
        f"Python {sys.version.split()[0]}; median of {ROUNDS} interleaved rounds "
        f"({CALLS} calls per round for single calls)"
    )
    print(table(["measure", "time", "ratio", "target"], rows))
    verdicts = [
        f"{name} {value:.2f}x (<= {limit}x: {'met' if value <= limit else 'NOT met'})"
        for name, (value, limit) in ratios.items()
    ]
    print("ratios: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
