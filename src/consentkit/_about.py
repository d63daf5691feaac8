"""The package's own version (the documents' format has a version of its own)."""

from __future__ import annotations

__all__ = ["version"]


def version() -> str:
    """Return the installed package's version, read from its metadata."""
    from importlib.metadata import PackageNotFoundError  # noqa: PLC0415  # slow to load
    from importlib.metadata import version as installed  # noqa: PLC0415

    try:
        return installed("consentkit")
    except PackageNotFoundError:  # pragma: no cover  # run from a source tree
        return "0+unknown"
