"""Dynamic batching for calls that skip Gradio's queue: the calls waiting together share one batch.

The Sketch tab's page asks for its answers with direct calls (`queue=False`): one HTTP request
and its response, instead of the queue's join, event stream and status messages: a quarter of
the pen-up-to-label time (docs/benchmarks.md). Direct calls run side by side in the server's
threads, so many pages at once would run many small model calls side by side, each competing
for the same cores: batched, a class gets twice the answers a second at less than half the
wait. `DynamicBatcher` runs one batch at a time in a worker thread; the
calls that arrive meanwhile wait on the event loop, holding no thread, and go together in the
next batch (up to `max_batch`), as Gradio's queue does for `batch=True` events. The calls that skip the
queue also skip its limits, so the batcher has its own: at most `max_per_key` calls waiting per
key (a page's session: a page has one or two on their way, its drawing's and its model
change's) and `max_waiting` in all; a call beyond them raises `Busy` at once.
"""

import asyncio
import contextvars
from collections import Counter
from collections.abc import Callable, Sequence


class Busy(RuntimeError):
    """Too many calls waiting: for this key, or in all."""


class DynamicBatcher:
    """`await batcher(*args)` -> one answer of `fn`, run with the other calls waiting at that time.

    `fn` takes a list per argument (the batch, in order) and returns a list per output, as a
    Gradio `batch=True` function does; a call gets its own item of each output, as a tuple. If
    `fn` fails on a batch, each of its calls is run again alone, so one bad input fails only its
    own call (which raises the error); later batches still run. A call cancelled while it waits
    (its page went away) is dropped from the batch. One batcher serves one event loop at a time.
    """

    def __init__(self, fn: Callable[..., Sequence[list]], max_batch: int = 16, max_waiting: int = 256,
                 max_per_key: int = 4):
        if min(max_batch, max_waiting, max_per_key) < 1:
            raise ValueError(f"max_batch, max_waiting and max_per_key must be at least 1, got "
                             f"{max_batch}, {max_waiting}, {max_per_key}")
        self.fn, self.max_batch, self.max_waiting, self.max_per_key = fn, max_batch, max_waiting, max_per_key
        self._waiting: list[tuple[tuple, asyncio.Future]] = []
        self._per_key: Counter = Counter()              # calls not yet answered (waiting or running), by key
        self._running: asyncio.Task | None = None
        self.batch_sizes: Counter[int] = Counter()    # batches run so far, by size

    async def __call__(self, *args, key=None):
        """One call's answer; `key` (e.g. a session) counts against `max_per_key`. Raises Busy."""
        if len(self._waiting) >= self.max_waiting:
            raise Busy(f"{len(self._waiting)} drawings are waiting already")
        if key is not None and self._per_key[key] >= self.max_per_key:
            raise Busy(f"{self._per_key[key]} drawings of this page are waiting already")
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._waiting.append((args, answer))
        if self._running is None or self._running.done() or self._running.get_loop() is not loop:
            # A fresh context: the drain outlives this call, and must not carry its request along.
            self._running = loop.create_task(self._drain(), context=contextvars.Context())
        self._per_key[key] += 1
        try:
            return await answer
        finally:
            self._per_key[key] -= 1
            if self._per_key[key] <= 0:
                del self._per_key[key]

    async def _drain(self) -> None:
        batch: list = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
                await self._answer(batch)
        finally:                                # never leave a caller waiting for an answer
            for _, answer in batch + self._waiting:
                if not answer.done():
                    answer.set_exception(RuntimeError("the batch could not be answered"))

    async def _answer(self, batch: list) -> None:
        """Run `batch` and hand each call its answer; if it fails, each call again alone."""
        batch = [call for call in batch if not call[1].done()]      # drop calls cancelled meanwhile
        if not batch:
            return
        self.batch_sizes[len(batch)] += 1
        try:
            results = await self._run(batch)
        except Exception as error:              # noqa: BLE001 - handed to its caller, who raises it
            if len(batch) > 1:                  # find the call that failed: each alone
                for call in batch:
                    await self._answer([call])
            elif not batch[0][1].done():
                batch[0][1].set_exception(error)
            return
        for (_, answer), result in zip(batch, results):
            if not answer.done():
                answer.set_result(result)

    async def _run(self, batch: list) -> list[tuple]:
        """fn on `batch` -> one tuple of outputs per call; ValueError if fn's lists do not fit."""
        columns = [list(column) for column in zip(*(args for args, _ in batch))]
        outputs = [list(output) for output in await asyncio.to_thread(self.fn, *columns)]
        if any(len(output) != len(batch) for output in outputs):
            raise ValueError(f"{self.fn!r} gave {[len(o) for o in outputs]} answers for {len(batch)} calls")
        return [tuple(output[i] for output in outputs) for i in range(len(batch))]
