"""Which steps of a plan overlap, found by a sweep rather than by pairs.

A plan in which every step overlaps every other must not cost the square of
its length (SPEC 3.1): the steps of a plan are in time order, so the steps
starting within a step's span are a slice found by bisection, and what the
earlier ones take away is read from running maxima of their ends.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime

from consentkit._catalog import Catalog
from consentkit._coverage import TAKES
from consentkit._facts import CatalogIndex
from consentkit._plan import Step

__all__ = ["PlanOverlaps"]

_CAPABILITIES = tuple(sorted(set(TAKES.values())))


class _Lane:
    """The steps of one recipient that take one capability, in time order."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts: list[datetime] = []
        #: The latest end among the steps up to each position.
        self.ends: list[datetime] = []

    def add(self, step: Step) -> None:
        self.starts.append(step.at)
        self.ends.append(step.end if not self.ends else max(self.ends[-1], step.end))

    def meets(self, step: Step) -> bool:
        """Whether a step of this lane overlaps ``[step.at, step.end]``."""
        count = bisect_right(self.starts, step.end)
        return count > 0 and self.ends[count - 1] >= step.at


class PlanOverlaps:
    """The overlaps of a plan's steps (``[at, end]`` spans that meet).

    Args:
        steps: The plan's steps, in time order.
        catalog: The catalog whose risk tags say what each step takes away.
        index: That catalog's index, if one is at hand.
    """

    __slots__ = ("_ends", "_lanes", "_starts", "_steps")

    def __init__(
        self,
        steps: Sequence[Step],
        catalog: Catalog,
        index: CatalogIndex | None = None,
    ) -> None:
        self._steps = tuple(steps)
        self._starts = [s.at for s in self._steps]
        self._ends: list[datetime] = []
        self._lanes: dict[tuple[str, str], _Lane] = {}
        takes = (CatalogIndex(catalog) if index is None else index).takes
        latest: datetime | None = None
        for step in self._steps:
            end = step.end
            latest = end if latest is None or end > latest else latest
            self._ends.append(latest)
            for capability in takes.get(step.activity, ()):
                key = (step.recipient, capability)
                lane = self._lanes.get(key)
                if lane is None:
                    lane = self._lanes[key] = _Lane()
                lane.add(step)

    def overlapping(self, index: int) -> tuple[Step, ...]:
        """The other steps whose spans meet that of step `index`, in plan order."""
        step = self._steps[index]
        later = bisect_right(self._starts, step.end)
        found: list[Step] = []
        # Earlier steps: walk back while some step up to there may still run.
        position = index - 1
        while position >= 0 and self._ends[position] >= step.at:
            if self._steps[position].end >= step.at:
                found.append(self._steps[position])
            position -= 1
        found.reverse()
        found.extend(self._steps[index + 1 : later])
        return tuple(found)

    def taken(self, index: int) -> frozenset[str]:
        """What the steps with step `index`'s recipient, overlapping it, take away.

        Step `index` itself counts too (SPEC 3.3, CK111).
        """
        step = self._steps[index]
        return frozenset(
            capability
            for capability in _CAPABILITIES
            if (lane := self._lanes.get((step.recipient, capability))) is not None
            and lane.meets(step)
        )
