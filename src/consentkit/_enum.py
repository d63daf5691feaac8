"""The base of consentkit's enums."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

__all__ = ["Choice", "coerce"]


class Choice(enum.Enum):
    """An enum whose members hash by identity.

    Members are singletons and compare by identity, so identity hashing is
    consistent with equality -- and it runs in C, where `enum.Enum`'s own
    `__hash__` is a Python call on every set or dict lookup the engine makes.
    """

    __hash__ = object.__hash__


E = TypeVar("E", bound=enum.Enum)


def coerce(cls: type[E], value: Any) -> Any:
    """Turn a value of the enum `cls` (``"give"``) into its member (``Role.GIVE``).

    Records accept an enum's lowercase value wherever the enum is expected,
    as they accept lists for sets; anything else is left for the field's
    validator to report.
    """
    if isinstance(value, str):
        for member in cls:
            if member.value == value:
                return member
    return value
