"""Dynamic batching for calls that skip Gradio's queue: the calls waiting together share one batch.

The Sketch tab's page asks for its answers with direct calls (`queue=False`): one HTTP request
and its response, instead of the queue's join, event stream and status messages (pen-up to label
p50 35-40 ms instead of 146-163 ms on a 2-core machine, docs/benchmarks.md). Direct calls run side
by side in the server's threads, so many pages at once would run many small model calls side by
side, each competing for the same two cores (50 pages: 58 answers a second and p95 1.37 s that
way, 113 and 0.55 s batched). `DynamicBatcher` runs one batch at a time in a worker thread; the calls that
arrive meanwhile wait on the event loop, holding no thread, and go together in the next batch
(up to `max_batch`), as Gradio's queue does for `batch=True` events.
"""

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence


class DynamicBatcher:
    """`await batcher(*args)` -> one answer of `fn`, run with the other calls waiting at that time.

    `fn` takes a list per argument (the batch, in order) and returns a list per output, as a
    Gradio `batch=True` function does; a call gets its own item of each output, as a tuple. If
    `fn` raises, every call in that batch raises the same error; later batches still run.
    One batcher belongs to one event loop (the server's).
    """

    def __init__(self, fn: Callable[..., Sequence[list]], max_batch: int = 16):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.fn, self.max_batch = fn, max_batch
        self._waiting: list[tuple[tuple, asyncio.Future]] = []
        self._running: asyncio.Task | None = None
        self.batch_sizes: Counter[int] = Counter()    # batches run so far, by size

    async def __call__(self, *args):
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append((args, answer))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await answer

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
