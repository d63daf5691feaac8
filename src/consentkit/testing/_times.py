"""Times and windows."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from consentkit._terms import Window
from consentkit.testing._draw import _UTC, _given, _int, _rarely, _seconds

_MIN_TIME: Final = datetime(2000, 1, 1, tzinfo=_UTC)
_MAX_TIME: Final = datetime(2100, 1, 1, tzinfo=_UTC)


@st.composite
def times(
    draw: st.DrawFn,
    *,
    min_value: datetime | None = None,
    max_value: datetime | None = None,
) -> datetime:
    """Timezone-aware UTC times, in whole seconds seven times in eight.

    Args:
        draw: Supplied by Hypothesis.
        min_value: The earliest, an aware time (default 2000-01-01 UTC).
        max_value: The latest, an aware time (default 2100-01-01 UTC).
    """
    low = (_MIN_TIME if min_value is None else min_value).astimezone(_UTC)
    high = (_MAX_TIME if max_value is None else max_value).astimezone(_UTC)
    moment = draw(
        st.datetimes(
            min_value=low.replace(tzinfo=None),
            max_value=high.replace(tzinfo=None),
            timezones=st.just(_UTC),
        )
    )
    if not _rarely(draw, 8):
        whole = moment.replace(microsecond=0)
        moment = min(whole if whole >= low else whole + timedelta(seconds=1), high)
    return moment


@st.composite
def windows(
    draw: st.DrawFn,
    *,
    starts: st.SearchStrategy[datetime] | None = None,
    min_length: timedelta = timedelta(minutes=1),
    max_length: timedelta = timedelta(days=2),
) -> Window:
    """Windows ``[start, end)`` whose length, in whole seconds, lies in the bounds."""
    start = draw(_given(starts, times()))
    shortest = max(1, math.ceil(min_length.total_seconds()))
    length = _int(draw, shortest, max(shortest, _seconds(max_length)))
    return Window(start=start, end=start + timedelta(seconds=length))
