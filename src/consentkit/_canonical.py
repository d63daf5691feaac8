"""Canonical bytes (RFC 8785, the JSON Canonicalization Scheme) and digests.

consentkit documents hold only strings, whole numbers, booleans, null, arrays
and objects.  For those, RFC 8785 is exactly `json.dumps` with sorted keys, no
whitespace and no ASCII escaping -- provided every object key sorts the same
by code point as by UTF-16 code unit, which holds for keys without characters
beyond U+FFFF.  The fast path is used when that holds and the `rfc8785`
package otherwise; a differential property test holds the two together.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

import rfc8785

__all__ = ["canonical", "canonical_trusted", "digest_bytes", "digest_data"]

_MAX_SAFE_INT: Final = 2**53 - 1
_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False,
    sort_keys=True,
    separators=(",", ":"),
    allow_nan=False,
)
# `JSONEncoder.encode` makes a C encoder on every call; the ledger encodes
# every event it reads, so one is made here, once, with the same settings.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_c_encode: Any = (
    None
    if _c_make_encoder is None
    else _c_make_encoder(  # as `JSONEncoder.iterencode` makes it
        None,  # no markers: plain JSON values never hold themselves
        _ENCODER.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        _ENCODER.indent,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        _ENCODER.sort_keys,
        _ENCODER.skipkeys,
        _ENCODER.allow_nan,
    )
)


def _encode(data: Any) -> str:
    if _c_encode is None:  # pragma: no cover  # CPython has the C encoder
        return _ENCODER.encode(data)
    return "".join(_c_encode(data, 0))


def _fast_path_holds(data: Any) -> bool:
    """Return whether `data` holds only values the fast path writes as RFC 8785 does."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str) or not key.isascii():
                    return False
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if abs(item) > _MAX_SAFE_INT:
                return False
        else:
            return False
    return True


def canonical(data: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a plain JSON value."""
    if _fast_path_holds(data):
        return _encode(data).encode("utf-8")
    return bytes(rfc8785.dumps(data))


def canonical_trusted(data: Any) -> bytes:
    """Like `canonical`, for values whose object keys are known to be ASCII.

    The records' own dictionaries have attribute names for keys, so the
    ledger's hot path need not walk them.
    """
    return _encode(data).encode("utf-8")


def digest_bytes(payload: bytes) -> str:
    """Return ``sha256:<hex>`` of `payload`."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def digest_data(data: Any) -> str:
    """Return ``sha256:<hex>`` of the canonical form of a plain JSON value."""
    return digest_bytes(canonical(data))
