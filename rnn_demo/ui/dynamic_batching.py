"""Dynamic batching for calls that skip Gradio's queue: the calls waiting together share one batch.

The Sketch tab's page asks for its answers with direct calls (`queue=False`): one HTTP request
and its response, instead of the queue's join, event stream and status messages (pen-up to label
p50 35-40 ms instead of 146-163 ms on a 2-core machine, docs/benchmarks.md). Direct calls run side
by side in the server's threads, so many pages at once would run many small model calls side by
side, each competing for the same two cores (50 pages: 58 answers a second and p95 1.37 s that
way, 113 and 0.55 s batched). `DynamicBatcher` runs one batch at a time in a worker thread; the calls that
arrive meanwhile wait on the event loop, holding no thread, and go together in the next batch
(up to `max_batch`), as Gradio's queue does for `batch=True` events. The calls that skip the
queue also skip its limits, so the batcher has its own: at most `max_per_key` calls waiting per
key (the page's session: a page has one on its way at a time) and `max_waiting` in all; a call
beyond them raises `Busy` at once.
"""

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence


class Busy(RuntimeError):
    """Too many calls waiting: for this key, or in all."""


class DynamicBatcher:
    """`await batcher(*args)` -> one answer of `fn`, run with the other calls waiting at that time.

    `fn` takes a list per argument (the batch, in order) and returns a list per output, as a
    Gradio `batch=True` function does; a call gets its own item of each output, as a tuple. If
    `fn` raises, every call in that batch raises the same error; later batches still run.
    One batcher belongs to one event loop (the server's).
    """

    def __init__(self, fn: Callable[..., Sequence[list]], max_batch: int = 16, max_waiting: int = 256,
                 max_per_key: int = 4):
        if min(max_batch, max_waiting, max_per_key) < 1:
            raise ValueError(f"max_batch, max_waiting and max_per_key must be at least 1, got "
                             f"{max_batch}, {max_waiting}, {max_per_key}")
        self.fn, self.max_batch, self.max_waiting, self.max_per_key = fn, max_batch, max_waiting, max_per_key
        self._waiting: list[tuple[tuple, asyncio.Future]] = []
        self._per_key: Counter = Counter()              # calls not yet answered, by key
        self._running: asyncio.Task | None = None
        self.batch_sizes: Counter[int] = Counter()    # batches run so far, by size

    async def __call__(self, *args, key=None):
        """One call's answer; `key` (e.g. a session) counts against `max_per_key`. Raises Busy."""
        if len(self._waiting) >= self.max_waiting:
            raise Busy(f"{len(self._waiting)} drawings are waiting already")
        if key is not None and self._per_key[key] >= self.max_per_key:
            raise Busy(f"{self._per_key[key]} drawings of this page are waiting already")
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append((args, answer))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        self._per_key[key] += 1
        try:
            return await answer
        finally:
            self._per_key[key] -= 1
            if self._per_key[key] <= 0:
                del self._per_key[key]

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            self.batch_sizes[len(batch)] += 1
            columns = [list(column) for column in zip(*(args for args, _ in batch))]
            try:
                outputs = await asyncio.to_thread(self.fn, *columns)
            except Exception as error:          # noqa: BLE001 - handed to each caller, who raises it
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(error)
                continue
            for i, (_, answer) in enumerate(batch):
                if not answer.done():           # a caller that gave up (cancelled) wants nothing
                    answer.set_result(tuple(output[i] for output in outputs))
