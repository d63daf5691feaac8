"""Upgrades of older format versions, applied when a document is read (SPEC 4).

The format version is separate from the package version.  When version 2
comes, ``UPGRADES[1]`` turns a version-1 document into a version-2 one, so
that every document written since version 1 still reads.  An upgrade takes
the whole envelope of its version and returns the envelope of the next (the
``version`` field is set for it); it raises `DecodeError` for a document it
cannot upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

__all__ = ["CURRENT", "UPGRADES", "Upgrade", "upgrade", "version_problem"]

#: The version `dumps` writes and `loads` reads without upgrading.
CURRENT: Final = 1

#: A function turning the envelope of one version into that of the next.
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]

#: For each older version, the function that upgrades a document to the next.
UPGRADES: Final[dict[int, Upgrade]] = {}


def _is_version(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def upgrade(document: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a document of an older version, one version at a time.

    A document whose version is current, unknown or malformed comes back as
    it is, for the envelope check to report.

    Raises:
        DecodeError: An upgrade found the document malformed.
    """
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        return document
    step = version
    while step < CURRENT and step in UPGRADES:
        document = {**UPGRADES[step](document), "version": step + 1}
        step += 1
    return document


def version_problem(version: Any) -> str | None:
    """Say what is wrong with an envelope's `version`, or return None."""
    if not _is_version(version):
        shown = repr(version)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"must be a whole number, got `{shown}`"
    if version > CURRENT:
        return f"`{version}` is newer than this release reads (`{CURRENT}`)"
    if version < CURRENT:
        return f"`{version}` is not a version this release reads (`{CURRENT}`)"
    return None
