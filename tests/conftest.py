"""Hypothesis profiles: ``default`` and ``ci`` for everyday runs, ``thorough``.

Choose one with ``HYPOTHESIS_PROFILE=thorough pytest``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("ci", parent=settings.get_profile("default"))
settings.register_profile(
    "thorough", parent=settings.get_profile("default"), max_examples=100_000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
