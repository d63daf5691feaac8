"""`check_many`: many pairs at once, serially, on a process pool or a Dask cluster."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import distributed
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import consentkit as ck
import consentkit._ledger
from consentkit import testing
from consentkit.rules import RuleContext

T = TypeVar("T")
Pair = tuple[ck.Plan | ck.Step, ck.Ledger]
Answer = ck.Decision | ck.PlanDecision

AT = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc)
#: How many pairs the equivalence tests check at once (SPEC 3.5's issue: 1,000).
COUNT = 1_000


def generated_pairs() -> list[Pair]:
    """1,000 pairs drawn by `consentkit.testing`, the same ones on every run.

    About ten plans or steps per ledger, so that pairs share ledgers as a
    platform's would.
    """
    drawn: list[Pair] = []

    @settings(
        max_examples=COUNT // 10 + 20,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(testing.ledgers(min_events=3), st.data())
    def collect(ledger: ck.Ledger, data: st.DataObject) -> None:
        items = st.one_of(
            testing.steps(ledger=ledger), testing.plans(ledger=ledger, max_size=4)
        )
        drawn.extend((data.draw(items), ledger) for _ in range(10))

    collect()
    assert len(drawn) >= COUNT
    return drawn[:COUNT]


def each(engine: ck.Engine, pairs: Iterable[Pair]) -> list[Answer]:
    """The answers of `check_plan` or `check`, one pair at a time."""
    return [
        engine.check_plan(what, ledger)
        if isinstance(what, ck.Plan)
        else engine.check(what, ledger)
        for what, ledger in pairs
    ]


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    """The generated pairs."""
    return generated_pairs()


@pytest.fixture(scope="module")
def expected(pairs: list[Pair]) -> list[Answer]:
    """Their answers, one `check` or `check_plan` at a time."""
    return each(ck.Engine(), pairs)


def test_the_pairs_are_varied(pairs: list[Pair], expected: list[Answer]) -> None:
    """The generated pairs mix plans and steps, share ledgers, get ALLOW and DENY."""
    assert {type(what) for what, _ in pairs} == {ck.Plan, ck.Step}
    assert len({id(ledger) for _, ledger in pairs}) <= COUNT // 5
    verdicts = {answer.verdict for answer in expected}
    assert {ck.Verdict.ALLOW, ck.Verdict.DENY} <= verdicts


def test_serially_equal_to_each_check(
    pairs: list[Pair], expected: list[Answer]
) -> None:
    """Without an executor, the answers are each pair's, in input order."""
    assert ck.check_many(pairs) == expected
    assert ck.Engine().check_many(iter(pairs)) == expected


def test_on_a_process_pool_equal_to_serial(
    pairs: list[Pair], expected: list[Answer]
) -> None:
    """On two processes, the answers equal the serial ones, in input order."""
    with ProcessPoolExecutor(2) as pool:
        assert ck.check_many(pairs, executor=pool) == expected
        assert ck.check_many(pairs, executor=pool, chunksize=7) == expected


def test_on_a_dask_cluster_equal_to_serial(
    pairs: list[Pair], expected: list[Answer]
) -> None:
    """On a Dask cluster of two worker processes, the answers equal the serial ones."""
    with (
        distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        executor = client.get_executor()
        assert ck.check_many(pairs, executor=executor) == expected


class Inline(Executor):
    """Runs each call here, after pickling it as a process pool would; records calls."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail = fail

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Pickle the call, run it, and return its future."""
        fn, args = pickle.loads(pickle.dumps((fn, args)))  # noqa: S301  # our own bytes
        # What the chunk carries: the engine, its ledgers and its tasks.
        self.calls.append(pickle.loads(args[0]))  # noqa: S301  # our own bytes
        future: Future[T] = Future()
        if self.fail is not None:
            future.set_exception(self.fail)
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def _ledgers(count: int) -> list[ck.Ledger]:
    return [
        ck.Ledger().confirm(by=f"p{n}", activity="impact", at=AT) for n in range(count)
    ]


def _step(minute: int) -> ck.Step:
    return ck.Step(
        actor="ann",
        recipient="bo",
        activity="impact",
        intensity=3,
        at=AT + timedelta(minutes=minute),
    )


def test_each_ledger_is_pickled_once_per_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """300 pairs over 3 ledgers, interleaved, in chunks of 100: 3 ledgers pickled."""
    pickled: list[int] = []
    original = consentkit._ledger._pickled

    def counting(core: Any, n: int) -> bytes:
        pickled.append(id(core))
        return original(core, n)

    monkeypatch.setattr(consentkit._ledger, "_pickled", counting)
    ledgers = _ledgers(3)
    items: list[Pair] = [(_step(n), ledgers[n % 3]) for n in range(300)]
    executor = Inline()
    answers = ck.check_many(items, executor=executor, chunksize=100)
    assert answers == each(ck.Engine(), items)
    assert len(executor.calls) == 3
    assert sorted(pickled) == sorted(id(ledger._core) for ledger in ledgers)
    for _, chunk_ledgers, tasks in executor.calls:
        assert len(chunk_ledgers) == 1
        assert len(tasks) == 100


def test_chunks_carry_each_of_their_ledgers_once() -> None:
    """A chunk lists each of its ledgers once; a ledger's pairs split only to fit."""
    ledgers = _ledgers(5)
    items: list[Pair] = [(_step(n), ledgers[n * 7 % 5]) for n in range(23)]
    executor = Inline()
    assert ck.check_many(items, executor=executor, chunksize=4) == each(
        ck.Engine(), items
    )
    sent: dict[str, int] = {}
    for _, chunk_ledgers, tasks in executor.calls:
        assert len(tasks) <= 4
        assert len({id(ledger) for ledger in chunk_ledgers}) == len(chunk_ledgers)
        assert {index for _, index in tasks} == set(range(len(chunk_ledgers)))
        for ledger in chunk_ledgers:
            sent[ledger.head or ""] = sent.get(ledger.head or "", 0) + 1
    # Five ledgers of 5, 5, 5, 4 and 4 pairs, in chunks of at most 4.
    assert sorted(sent.values()) == [1, 1, 2, 2, 2]


def test_small_groups_share_a_chunk() -> None:
    """Ledgers whose pairs fit together travel in one chunk."""
    ledgers = _ledgers(6)
    items: list[Pair] = [(_step(n), ledgers[n % 6]) for n in range(12)]
    executor = Inline()
    ck.check_many(items, executor=executor, chunksize=4)
    assert [len(chunk_ledgers) for _, chunk_ledgers, _ in executor.calls] == [2, 2, 2]


def test_the_default_chunks_are_about_thirty_two() -> None:
    """Without a chunk size, 1,000 pairs go out in chunks of at most 32."""
    ledgers = _ledgers(8)
    items: list[Pair] = [(_step(n % 50), ledgers[n % 8]) for n in range(1000)]
    executor = Inline()
    ck.check_many(items, executor=executor)
    assert [len(tasks) for _, _, tasks in executor.calls] == [32, 32, 32, 29] * 8


class Counting:
    """A custom rule that counts the steps it is asked about."""

    code, name = "COUNT1", "counting"

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, step: ck.Step, context: RuleContext) -> Iterable[ck.Finding]:
        """Count, find nothing."""
        self.calls += 1
        return ()


BAD_ITEMS: list[tuple[str, object]] = [
    ("not a pair", "a plan"),
    ("a list", [_step(0), ck.Ledger()]),
    ("three", (_step(0), ck.Ledger(), None)),
    ("one", (_step(0),)),
    ("swapped", (ck.Ledger(), _step(0))),
    ("no ledger", (_step(0), None)),
    ("a document", (_step(0), ck.dumps(ck.Ledger()))),
    ("steps in a list", ([_step(0)], ck.Ledger())),
]


@pytest.mark.parametrize(("label", "bad"), BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
@pytest.mark.parametrize("with_executor", [False, True])
def test_a_bad_item_is_named_before_any_work(
    label: str, bad: object, with_executor: bool
) -> None:
    """An item not a (plan or step, ledger) pair raises TypeError naming its index."""
    rule = Counting()
    engine = ck.Engine(rules=[rule])
    executor = Inline()

    def items() -> Iterator[object]:
        yield (_step(0), ck.Ledger())
        yield (ck.Plan(steps=[_step(1)]), ck.Ledger())
        yield bad
        yield (_step(2), ck.Ledger())

    with pytest.raises(TypeError, match=r"^items\[2\]: must be a pair"):
        engine.check_many(
            items(),  # type: ignore[arg-type]  # the point of the test
            executor=executor if with_executor else None,
        )
    assert rule.calls == 0
    assert executor.calls == []


def test_items_that_are_not_iterable_are_refused() -> None:
    """Something that is not an iterable of pairs raises TypeError."""
    with pytest.raises(TypeError, match=r"^items: must be an iterable"):
        ck.check_many(42)  # type: ignore[call-overload]  # the point of the test


@pytest.mark.parametrize(
    ("chunksize", "error"),
    [(0, ValueError), (-3, ValueError), (True, TypeError), ("8", TypeError)],
)
def test_a_bad_chunk_size_is_refused(chunksize: object, error: type) -> None:
    """A chunk size below 1, or not a whole number, is refused before any work."""
    executor = Inline()
    with pytest.raises(error, match=r"^chunksize: "):
        ck.check_many(
            [(_step(0), ck.Ledger())],
            executor=executor,
            chunksize=chunksize,  # type: ignore[call-overload]  # the point
        )
    assert executor.calls == []


def test_something_that_is_not_an_executor_is_refused() -> None:
    """An executor without `submit` raises TypeError."""
    with pytest.raises(TypeError, match=r"^executor: must be"):
        ck.check_many([(_step(0), ck.Ledger())], executor=object())  # type: ignore[call-overload]


def test_nothing_to_check_submits_nothing() -> None:
    """No pairs: an empty list, and no call to the executor."""
    executor = Inline()
    assert ck.check_many([], executor=executor) == []
    assert executor.calls == []


def test_a_failing_chunk_fails_the_whole_call() -> None:
    """An error in a chunk propagates; no partial answers are returned."""
    executor = Inline(fail=RuntimeError("worker lost"))
    with pytest.raises(RuntimeError, match="worker lost"):
        ck.check_many([(_step(0), ck.Ledger())], executor=executor)


DENIED = ck.Finding(
    code="CK105", rule="no-consent", verdict=ck.Verdict.DENY, message="no consent"
)


class Liar(Executor):
    """An executor whose chunks come back with the wrong answers (pickled, or as is)."""

    def __init__(self, answer: object, *, raw: bool = False) -> None:
        self.answer = answer if raw else pickle.dumps(answer)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Return `answer` instead of running the call."""
        future: Future[Any] = Future()
        future.set_result(self.answer)
        return future


@pytest.mark.parametrize(
    "answer", [None, [], "answers", b"not a pickle", pickle.dumps([])[:-1]]
)
def test_chunks_that_do_not_come_back_as_pickled_answers_are_refused(
    answer: object,
) -> None:
    """A chunk that comes back as anything but a pickle's bytes raises TypeError."""
    with pytest.raises(TypeError, match=r"^executor: a chunk of 1 pairs came back"):
        ck.check_many([(_step(0), ck.Ledger())], executor=Liar(answer, raw=True))


@pytest.mark.parametrize(
    "answer",
    [
        [],
        None,
        [ck.PlanDecision(verdict=ck.Verdict.ALLOW, decisions=(), findings=())],
        ["allow"],
        [("allow", (), ())],
        [(ck.Verdict.DENY, (), ("g1",))],
        [(ck.Verdict.DENY, ("CK105",), ())],
        [(ck.Verdict.ALLOW, (DENIED,), ("g1",))],
        [(ck.Verdict.ALLOW, (), ())],
        [(ck.Verdict.DENY, (), ())],
        [(ck.Verdict.ALLOW, (), (7,))],
        [(ck.Verdict.DENY, (), (), ())],
    ],
)
def test_answers_of_the_wrong_kind_are_refused(answer: object) -> None:
    """A chunk that comes back with anything but its answers raises TypeError."""
    with pytest.raises(TypeError, match=r"^executor: "):
        ck.check_many([(_step(0), ck.Ledger())], executor=Liar(answer))


@pytest.mark.parametrize(
    "answer",
    [
        [(ck.Verdict.DENY, (), ())],
        [(ck.Verdict.ALLOW, ((ck.Verdict.DENY, (DENIED,), ()),), ())],
        [(ck.Verdict.DENY, ((ck.Verdict.ALLOW, (), ()),), ())],
        [(ck.Verdict.DENY, ((ck.Verdict.DENY, (DENIED,), ()),) * 2, ())],
        [(ck.Verdict.DENY, ((ck.Verdict.DENY, (), ("g1",)),), ())],
        [(ck.Verdict.DENY, ((ck.Verdict.DENY, (), ()),), ("advice",))],
        [(ck.Verdict.DENY,)],
    ],
)
def test_plan_answers_of_the_wrong_kind_are_refused(answer: object) -> None:
    """A plan's answer with the wrong number of steps or kinds of parts is refused."""
    plan = ck.Plan(steps=[_step(0)])
    with pytest.raises(TypeError, match=r"^executor: items\[0\] came back"):
        ck.check_many([(plan, ck.Ledger())], executor=Liar(answer))


def test_answers_hold_the_callers_own_steps() -> None:
    """Through an executor, each decision holds the very step the caller sent."""
    plan = ck.Plan(steps=[_step(0), _step(1)])
    step = _step(2)
    found = ck.check_many([(plan, ck.Ledger()), (step, ck.Ledger())], executor=Inline())
    assert isinstance(found[0], ck.PlanDecision)
    assert [d.step for d in found[0].decisions] == list(plan.steps)
    assert all(d.step is s for d, s in zip(found[0].decisions, plan.steps, strict=True))
    assert isinstance(found[1], ck.Decision)
    assert found[1].step is step


def test_equal_findings_travel_once_per_chunk() -> None:
    """Equal findings of a chunk's answers are one object, so they are pickled once."""
    from consentkit._many import decide_chunk  # noqa: PLC0415

    ledger = ck.Ledger()
    sent = decide_chunk(ck.Engine(), [ledger], tuple((_step(n), 0) for n in range(5)))
    findings = [one[1] for one in sent]
    assert all(findings)
    assert all(
        a is b for f in findings[1:] for a, b in zip(findings[0], f, strict=True)
    )
