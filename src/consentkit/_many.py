"""Many checks at once, serially or on any `concurrent.futures.Executor` (SPEC 3.5).

The pairs are read in full and checked for form before any work starts.
With an executor they go out in chunks: the pairs sharing a ledger are kept
together, and each chunk carries its ledgers once, however many of its
pairs read them, with the engine beside them.  Answers come back in input
order, equal to what `check_plan` or `check` gives for each pair.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, TypeAlias

from consentkit import _validate as v
from consentkit._decision import Decision, PlanDecision
from consentkit._ledger import Ledger
from consentkit._plan import Plan, Step

if TYPE_CHECKING:
    from consentkit._engine import Engine

__all__ = ["check_chunk", "check_many"]

Pair: TypeAlias = "tuple[Plan | Step, Ledger]"
Answer: TypeAlias = "Decision | PlanDecision"
#: A chunk's work: each plan or step with the position of its ledger.
Tasks: TypeAlias = "tuple[tuple[Plan | Step, int], ...]"

#: Without a chunk size, the pairs are cut into about this many chunks ...
_CHUNKS = 32
#: ... of at most this many pairs each.
_LARGEST_CHUNK = 512


def check_many(
    engine: Engine,
    items: Iterable[Pair],
    executor: Executor | None,
    chunksize: int | None,
) -> list[Answer]:
    """`Engine.check_many`: see there."""
    pairs = _read(items)
    size = _chunk_size(chunksize, len(pairs))
    if executor is None:
        return [_check(engine, what, ledger) for what, ledger in pairs]
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(
            f"executor: must be a `concurrent.futures.Executor`, got {v.show(executor)}"
        )
    chunks = _chunks(pairs, size)
    futures: list[Future[list[Answer]]] = [
        executor.submit(check_chunk, engine, ledgers, tasks)
        for _, ledgers, tasks in chunks
    ]
    answers: list[Answer | None] = [None] * len(pairs)
    try:
        for (positions, _, _), future in zip(chunks, futures, strict=True):
            _gather(pairs, positions, future.result(), answers)
    finally:
        for future in futures:
            future.cancel()
    return [_answered(answer) for answer in answers]


def check_chunk(
    engine: Engine, ledgers: Sequence[Ledger], tasks: Tasks
) -> list[Answer]:
    """Decide one chunk, where the executor runs it (a module-level function).

    Args:
        engine: The engine, as it came.
        ledgers: The chunk's ledgers, each once.
        tasks: Each plan or step with the position of its ledger in `ledgers`.
    """
    return [_check(engine, what, ledgers[index]) for what, index in tasks]


def _check(engine: Engine, what: Plan | Step, ledger: Ledger) -> Answer:
    if isinstance(what, Plan):
        return engine.check_plan(what, ledger)
    return engine.check(what, ledger)


def _chunk_size(chunksize: object, count: int) -> int:
    """The pairs per chunk: as given, or about `_CHUNKS` chunks.

    Raises:
        TypeError: `chunksize` is not a whole number.
        ValueError: It is below 1.
    """
    if chunksize is None:
        return max(1, min(_LARGEST_CHUNK, math.ceil(count / _CHUNKS)))
    if not isinstance(chunksize, int) or isinstance(chunksize, bool):
        raise TypeError(f"chunksize: must be a whole number, got {v.show(chunksize)}")
    if chunksize < 1:
        raise ValueError(f"chunksize: must be at least 1, got `{chunksize}`")
    return chunksize


def _gather(
    pairs: list[Pair],
    positions: list[int],
    found: object,
    answers: list[Answer | None],
) -> None:
    """Put a chunk's answers in their places, refusing what is not one."""
    if not isinstance(found, list) or len(found) != len(positions):
        raise TypeError(
            f"executor: a chunk of {len(positions)} pairs came back as {v.show(found)}"
        )
    for position, answer in zip(positions, found, strict=True):
        expected = PlanDecision if isinstance(pairs[position][0], Plan) else Decision
        if not isinstance(answer, expected):
            raise TypeError(
                f"executor: items[{position}] came back as {v.show(answer)}"
            )
        answers[position] = answer


def _read(items: object) -> list[Pair]:
    """Every pair, checked for form before any work starts.

    Raises:
        TypeError: `items` is not iterable, or an item is not a pair of a
            `Plan` or `Step` and a `Ledger` (naming its index).
    """
    try:
        given = iter(items)  # type: ignore[call-overload]  # refused just below
    except TypeError:
        raise TypeError(
            "items: must be an iterable of (plan or step, ledger) pairs, "
            f"got {v.show(items)}"
        ) from None
    pairs: list[Pair] = []
    for index, item in enumerate(given):
        what, ledger = item if isinstance(item, tuple) and len(item) == 2 else (0, 0)
        if not isinstance(what, Plan | Step) or not isinstance(ledger, Ledger):
            raise TypeError(
                f"items[{index}]: must be a pair (`Plan` or `Step`, `Ledger`), "
                f"got {v.show(item)}"
            )
        pairs.append((what, ledger))
    return pairs


def _chunks(
    pairs: list[Pair], size: int
) -> list[tuple[list[int], tuple[Ledger, ...], Tasks]]:
    """Cut the pairs into chunks of `size`, the pairs sharing a ledger together.

    Each chunk lists the positions of its pairs in the input, its ledgers
    (each once, by identity) and its tasks.
    """
    groups: dict[int, list[int]] = {}
    for position, (_, ledger) in enumerate(pairs):
        groups.setdefault(id(ledger), []).append(position)
    order = [position for positions in groups.values() for position in positions]
    chunks: list[tuple[list[int], tuple[Ledger, ...], Tasks]] = []
    for start in range(0, len(order), size):
        positions = order[start : start + size]
        ledgers: list[Ledger] = []
        where: dict[int, int] = {}
        tasks: list[tuple[Plan | Step, int]] = []
        for position in positions:
            what, ledger = pairs[position]
            index = where.get(id(ledger))
            if index is None:
                index = where[id(ledger)] = len(ledgers)
                ledgers.append(ledger)
            tasks.append((what, index))
        chunks.append((positions, tuple(ledgers), tuple(tasks)))
    return chunks


def _answered(answer: Answer | None) -> Answer:
    if answer is None:  # pragma: no cover  # INVARIANT: every position is filled
        raise RuntimeError("a pair went unanswered")
    return answer
