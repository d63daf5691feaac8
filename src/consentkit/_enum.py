"""The base of consentkit's enums."""

from __future__ import annotations

import enum

__all__ = ["Choice"]


class Choice(enum.Enum):
    """An enum whose members hash by identity.

    Members are singletons and compare by identity, so identity hashing is
    consistent with equality -- and it runs in C, where `enum.Enum`'s own
    `__hash__` is a Python call on every set or dict lookup the engine makes.
    """

    __hash__ = object.__hash__
