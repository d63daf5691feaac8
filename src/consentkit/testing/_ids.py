"""Party and activity ids."""

from __future__ import annotations

from hypothesis import strategies as st

from consentkit.testing._draw import _ANY_ID, _ANY_SEGMENT, _NAMES, _SEGMENTS


def party_ids() -> st.SearchStrategy[str]:
    """Valid party ids (also valid grant and proposal ids).

    Short readable names half of the time, any valid id otherwise: up to 128
    characters, no control characters, no surrounding whitespace.
    """
    return st.one_of(st.sampled_from(_NAMES), _ANY_ID)


def activity_ids(*, max_depth: int = 4) -> st.SearchStrategy[str]:
    """Dotted activity ids of lowercase segments, at most `max_depth` deep."""
    segment = st.one_of(st.sampled_from(_SEGMENTS), _ANY_SEGMENT)
    return st.lists(segment, min_size=1, max_size=max(1, max_depth)).map(".".join)
