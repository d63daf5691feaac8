"""Many checks at once, serially or on any `concurrent.futures.Executor` (SPEC 3.5).

The pairs are read in full and checked for form before any work starts.
With an executor they go out in chunks: the pairs sharing a ledger are kept
together, and each chunk carries its ledgers once, however many of its
pairs read them, with the engine beside them.  Answers come back in input
order, equal to what `check_plan` or `check` gives for each pair.

An answer travels back in a compact form: without the steps, which the
caller already holds, and with equal findings sent once per chunk (a
platform's refusals repeat).  It is rebuilt here around the caller's own
steps, and anything that is not such an answer is refused.

A chunk and its answers travel as bytes pickled here and there, and are
unpickled with the cycle collector paused (`unpickled`): tens of thousands
of small records come back at once, and the executor would otherwise
unpickle them with the collector walking the heap every 700 of them.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, TypeAlias, cast

from consentkit import _validate as v
from consentkit._decision import Decision, Finding, PlanDecision, Verdict, worst
from consentkit._ledger import Ledger
from consentkit._pickling import unpickled
from consentkit._plan import Plan, Step

if TYPE_CHECKING:
    from consentkit._engine import Engine

__all__ = ["check_chunk", "check_many", "decide_chunk"]

Pair: TypeAlias = "tuple[Plan | Step, Ledger]"
Answer: TypeAlias = "Decision | PlanDecision"
#: A chunk's work: each plan or step with the position of its ledger.
Tasks: TypeAlias = "tuple[tuple[Plan | Step, int], ...]"
#: A step's decision as it travels: verdict, findings, basis (not the step).
SentDecision: TypeAlias = "tuple[Verdict, tuple[Finding, ...], tuple[str, ...]]"
#: A plan's decision as it travels: verdict, its steps' decisions, advice.
SentPlan: TypeAlias = "tuple[Verdict, tuple[SentDecision, ...], tuple[Finding, ...]]"

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
    futures: list[Future[bytes]] = [
        executor.submit(
            check_chunk,
            pickle.dumps((engine, ledgers, tasks), protocol=pickle.HIGHEST_PROTOCOL),
        )
        for _, ledgers, tasks in chunks
    ]
    answers: list[Answer | None] = [None] * len(pairs)
    try:
        for (positions, _, _), future in zip(chunks, futures, strict=True):
            _gather(pairs, positions, _answers(future.result(), positions), answers)
    finally:
        for future in futures:
            future.cancel()
    return [_answered(answer) for answer in answers]


def check_chunk(chunk: bytes) -> bytes:
    """Decide one chunk where the executor runs it; its answers, pickled.

    Args:
        chunk: The engine, the chunk's ledgers (each once) and its tasks,
            pickled by `check_many` (pickle is for trusted peers, SPEC 3.5).
    """
    engine, ledgers, tasks = unpickled(chunk)
    sent = decide_chunk(engine, ledgers, tasks)
    return pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL)


def decide_chunk(
    engine: Engine, ledgers: Sequence[Ledger], tasks: Tasks
) -> list[SentDecision | SentPlan]:
    """Decide one chunk; answers in their compact form.

    Args:
        engine: The engine, as it came.
        ledgers: The chunk's ledgers, each once.
        tasks: Each plan or step with the position of its ledger in `ledgers`.
    """
    shared: dict[Finding, Finding] = {}
    sent_once: dict[SentDecision, SentDecision] = {}

    def send(decision: Decision) -> SentDecision:
        findings = tuple(shared.setdefault(f, f) for f in decision.findings)
        one = (decision.verdict, findings, decision.basis)
        return sent_once.setdefault(one, one)

    sent: list[SentDecision | SentPlan] = []
    for what, index in tasks:
        answer = _check(engine, what, ledgers[index])
        if isinstance(answer, Decision):
            sent.append(send(answer))
        else:
            advice = tuple(shared.setdefault(f, f) for f in answer.findings)
            steps = tuple(send(decision) for decision in answer.decisions)
            sent.append((answer.verdict, steps, advice))
    return sent


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


def _answers(found: object, positions: list[int]) -> object:
    """A chunk's answers, unpickled from what came back.

    Raises:
        TypeError: What came back is not bytes, or not a pickle.
    """
    if not isinstance(found, bytes):
        raise TypeError(
            f"executor: a chunk of {len(positions)} pairs came back as {v.show(found)}"
        )
    try:
        return unpickled(found)
    except Exception:  # noqa: BLE001  # any unreadable pickle is the same refusal
        raise TypeError(
            f"executor: a chunk of {len(positions)} pairs came back as "
            "bytes that are not its answers"
        ) from None


def _gather(
    pairs: list[Pair],
    positions: list[int],
    found: object,
    answers: list[Answer | None],
) -> None:
    """Rebuild a chunk's answers around the caller's steps, refusing what is not one.

    Raises:
        TypeError: The chunk came back as something other than its answers.
    """
    if not isinstance(found, list) or len(found) != len(positions):
        raise TypeError(
            f"executor: a chunk of {len(positions)} pairs came back as {v.show(found)}"
        )
    # Equal step answers come back as one object: each is checked once.
    checked: dict[int, bool] = {}
    for position, sent in zip(positions, found, strict=True):
        what = pairs[position][0]
        if isinstance(what, Plan):
            answer: Answer | None = _plan(what, sent, checked)
        else:
            answer = _step(what, sent, checked)
        if answer is None:
            raise TypeError(f"executor: items[{position}] came back as {v.show(sent)}")
        answers[position] = answer


def _step(step: Step, sent: object, checked: dict[int, bool]) -> Decision | None:
    """The decision on `step` that `sent` carries, or None when it carries none.

    `checked` says, by identity, which answers of the chunk were found good
    or bad already (the chunk holds them, so identities stay theirs).
    """
    good = checked.get(id(sent))
    if good is None:
        good = checked[id(sent)] = _holds(sent)
    if not good:
        return None
    verdict, findings, basis = cast("SentDecision", sent)  # checked by _holds
    return Decision.trusted(verdict, step, findings, basis)


def _holds(sent: object) -> bool:
    """Whether `sent` is a step's answer in its compact form that holds together."""
    # Exact types, checked cheaply: this runs once per distinct step answer.
    if type(sent) is not tuple or len(sent) != 3:
        return False
    verdict, findings, basis = sent
    if (
        type(verdict) is not Verdict
        or type(findings) is not tuple
        or type(basis) is not tuple
    ):
        return False
    if findings and not all(type(found) is Finding for found in findings):
        return False
    if not all(type(grant) is str for grant in basis):
        return False
    # SPEC 3.1, as the engine combines: the most severe finding's verdict, and
    # an ALLOW, and only an ALLOW, with its basis.  An answer that does not
    # hold together is refused, never passed on as a permission.
    severest = worst([f.verdict for f in findings if f.verdict is not None])
    return verdict is severest and (verdict is Verdict.ALLOW) == bool(basis)


def _plan(plan: Plan, sent: object, checked: dict[int, bool]) -> PlanDecision | None:
    """The decision on `plan` that `sent` carries, or None when it carries none."""
    if type(sent) is not tuple or len(sent) != 3:
        return None
    verdict, steps, advice = sent
    if (
        type(verdict) is not Verdict
        or type(steps) is not tuple
        or len(steps) != len(plan.steps)
        or type(advice) is not tuple
        or not all(type(found) is Finding for found in advice)
    ):
        return None
    found: list[Decision] = []
    for step, one in zip(plan.steps, steps, strict=True):
        decision = _step(step, one, checked)
        if decision is None:
            return None
        found.append(decision)
    if verdict is not worst([decision.verdict for decision in found]):
        return None
    return PlanDecision.trusted(verdict, tuple(found), advice)


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
    """Cut the pairs into chunks of at most `size`, keeping a ledger's pairs together.

    The pairs of one ledger (by identity) go into one chunk whenever they fit
    in one, so each ledger is sent as few times as it can be.  Each chunk
    lists the positions of its pairs in the input, its ledgers (each once)
    and its tasks.
    """
    groups: dict[int, list[int]] = {}
    for position, (_, ledger) in enumerate(pairs):
        groups.setdefault(id(ledger), []).append(position)
    cuts: list[list[int]] = [[]]
    for positions in groups.values():
        if cuts[-1] and len(cuts[-1]) + len(positions) > size:
            cuts.append([])
        for position in positions:
            if len(cuts[-1]) == size:
                cuts.append([])
            cuts[-1].append(position)
    chunks: list[tuple[list[int], tuple[Ledger, ...], Tasks]] = []
    for cut in cuts:
        if not cut:
            continue
        ledgers: list[Ledger] = []
        where: dict[int, int] = {}
        tasks: list[tuple[Plan | Step, int]] = []
        for position in cut:
            what, ledger = pairs[position]
            index = where.get(id(ledger))
            if index is None:
                index = where[id(ledger)] = len(ledgers)
                ledgers.append(ledger)
            tasks.append((what, index))
        chunks.append((cut, tuple(ledgers), tuple(tasks)))
    return chunks


def _answered(answer: Answer | None) -> Answer:
    if answer is None:  # pragma: no cover  # INVARIANT: every position is filled
        raise RuntimeError("a pair went unanswered")
    return answer
