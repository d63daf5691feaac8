"""How times are written for people and documents: RFC 3339 in UTC, ending in ``Z``."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["format_time"]


def format_time(moment: datetime) -> str:
    """Write an aware time as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` in UTC."""
    if moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    # isoformat writes the fraction only when there are microseconds.
    return moment.replace(tzinfo=None).isoformat() + "Z"
