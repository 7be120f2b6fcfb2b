"""DynamicBatcher: calls waiting together share one batch, each gets its own answer, errors stay in their batch."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from rnn_demo.ui.sketch.dynamic_batching import Busy, DynamicBatcher


def run(main):
    """run(main) in a thread of its own: the browser tier's Playwright keeps a loop
    running in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_calls_that_wait_together_share_batches_and_each_gets_its_own_answer():
    seen, running, overlap = [], [0], [False]
    lock = threading.Lock()

    def double(xs, tags):
        with lock:
            running[0] += 1
            overlap[0] |= running[0] > 1
        seen.append(list(xs))
        with lock:
            running[0] -= 1
        return [2 * x for x in xs], [f"{t}!" for t in tags]

    batcher = DynamicBatcher(double, max_batch=4)

    async def main():
        return await asyncio.gather(*(batcher(i, str(i)) for i in range(10)))

    answers = run(main)
    assert answers == [(2 * i, f"{i}!") for i in range(10)]
    assert [len(b) for b in seen] == [4, 4, 2]        # all ten were waiting when the first batch ran
    assert sorted(x for b in seen for x in b) == list(range(10))
    assert not overlap[0]                            # one batch at a time
    assert batcher.batch_sizes == {4: 2, 2: 1}


def test_a_failing_batch_is_run_again_call_by_call_so_only_the_bad_call_fails():
    batches = []

    def fail_on_negative(xs):
        batches.append(list(xs))
        if any(x < 0 for x in xs):
            raise ValueError("negative")
        return ([x + 1 for x in xs],)

    batcher = DynamicBatcher(fail_on_negative, max_batch=4)

    async def main():
        first = await asyncio.gather(batcher(1), batcher(-1), batcher(2), return_exceptions=True)
        return first, await batcher(5)

    first, later = run(main)
    assert first[0] == (2,) and isinstance(first[1], ValueError) and first[2] == (3,)
    assert batches == [[1, -1, 2], [1], [-1], [2], [5]] and later == (6,)


def test_answers_that_do_not_fit_the_batch_fail_their_calls_instead_of_leaving_them_waiting():
    batcher = DynamicBatcher(lambda xs: (xs + [0],), max_batch=4)    # always one answer too many

    async def main():
        return await asyncio.wait_for(asyncio.gather(batcher(1), batcher(2), return_exceptions=True), 5)

    answers = run(main)
    assert [type(a) for a in answers] == [ValueError, ValueError] and "answers for 1 calls" in str(answers[0])


def test_a_call_cancelled_while_waiting_is_not_run():
    seen = []

    def record(xs):
        seen.extend(xs)
        return (xs,)

    batcher = DynamicBatcher(record, max_batch=4)

    async def main():
        first, gone, kept = (asyncio.ensure_future(batcher(i, key="page")) for i in range(3))
        await asyncio.sleep(0)                  # all three are waiting now
        gone.cancel()
        return await first, await kept, batcher._per_key

    first, kept, per_key = run(main)
    assert (first, kept) == ((0,), (2,)) and seen == [0, 2] and not per_key


def test_a_page_may_have_few_calls_waiting_and_the_server_a_bounded_number():
    batcher = DynamicBatcher(lambda xs: (xs,), max_batch=2, max_waiting=5, max_per_key=2)

    async def main():
        calls = [batcher(i, key="page-a") for i in range(3)] + [batcher(i, key=f"page-{i}") for i in range(4)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        return results, await batcher(9, key="page-a")    # answered calls no longer count

    results, later = run(main)
    assert results[:2] == [(0,), (1,)] and isinstance(results[2], Busy)       # page-a's third
    assert results[3:6] == [(0,), (1,), (2,)] and isinstance(results[6], Busy)  # the sixth waiting
    assert later == (9,)


def test_limits_must_be_positive():
    for limits in ({"max_batch": 0}, {"max_waiting": 0}, {"max_per_key": 0}):
        with pytest.raises(ValueError, match="at least 1"):
            DynamicBatcher(lambda xs: (xs,), **limits)
