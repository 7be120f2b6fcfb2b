"""The Sketch tab's answers in a process of their own, so they never hold the server's GIL.

The served app is one Python process: its event loop (every visitor's HTTP requests, Gradio's
queue and event streams) and the threads that run handlers share one GIL. An answer is many
small numpy, Pillow and torch calls; run in a handler's thread it held the GIL for about as
long as Gradio's own work for a `gradio_client` call, and each call that let go of the GIL then
waited for the busy event loop to give it back. With 50 users at once the event loop was the
bottleneck (docs/benchmarks.md). In a process of its own an answer runs on the other core.

`AnswerProcess(checkpoints, runs)` is called like `answers.predict` with a registry:
(drawings, models) -> the answers' columns. The process keeps its own `ModelRegistry` of the
same folders, so a run finished since is found as in the server; torch runs on one thread there.
If the process dies (killed, out of memory) or hangs, the call that finds it so starts a new one
and is tried there once more; should that fail too, the server answers in its own threads for a
while, as it does without the process.

The pool's queues hold named semaphores, which only Python's shutdown releases; SIGTERM (kill,
systemd, a test harness) ends a process without one by default, and the resource tracker then
reports them leaked. So `start` makes SIGTERM end the server as Ctrl+C does (KeyboardInterrupt in
the main thread: Gradio closes, the pool shuts down), unless a handler of its own is set.
"""

import concurrent.futures
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ...mnist.registry import ModelRegistry
from .answers import predict

_registry: ModelRegistry | None = None      # in the answering process: its own, of the same folders
_log = logging.getLogger(__name__)


def _start(checkpoints: str, runs: str) -> None:
    """The answering process's set-up: its registry and torch on one thread (the server's process
    has the other core); and it exits when the server does, however that ends (a killed server
    closes no pipes for its pool, and the process would wait for work forever)."""
    global _registry
    import torch
    torch.set_num_threads(1)
    _registry = ModelRegistry(Path(checkpoints), Path(runs))
    sentinel = multiprocessing.parent_process().sentinel     # readable once the parent is gone

    def watch():
        multiprocessing.connection.wait([sentinel])
        os._exit(0)
    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()


def _predict_batch(drawings: list, models: list) -> tuple[list, ...]:
    return predict(_registry, drawings, models)


def _warm() -> int:
    """Load the default model, so the first drawing does not wait for it; this process's pid."""
    if (entry := _registry.choose(None)) is not None:
        _registry.model(entry.path)
    return os.getpid()


class AnswerProcess:
    """(drawings, models) -> `answers.predict`'s columns, computed in one other process.

    Thread-safe; calls from several threads queue for the one process. `start` launches it
    without waiting (it takes a few seconds); the first call does that otherwise. A call that
    finds the process dead, or waits more than `timeout` seconds (then it is killed), is tried
    once more in a new process; if that fails too, `fallback` (the same function in this
    process) answers, and so does every call for the next `backoff` seconds.
    """

    def __init__(self, checkpoints: Path, runs: Path, fallback: Callable[[list, list], tuple[list, ...]],
                 timeout: float = 60.0, backoff: float = 60.0):
        self._folders = (str(checkpoints), str(runs))    # for the process's registry
        self.fallback, self.timeout, self.backoff = fallback, timeout, backoff
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._pid: concurrent.futures.Future | None = None      # the process's, once it is up
        self._fallback_until = 0.0                               # time.monotonic()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: a fork would copy the server's threads' locks mid-use.
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                    initargs=self._folders)
                # The first submit starts the process from this thread, and it inherits this
                # thread's blocked signals: with SIGINT blocked, Ctrl+C in a terminal stops the
                # server, which stops the process, instead of printing its traceback too.
                masks = hasattr(signal, "pthread_sigmask")
                blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masks else None
                try:
                    self._pid = self._pool.submit(_warm)
                finally:
                    if masks:
                        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            return self._pool

    def start(self) -> None:
        """Launch the process without waiting for it, and let SIGTERM end the server cleanly."""
        in_main = threading.current_thread() is threading.main_thread()
        if in_main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.default_int_handler)
        self._executor()

    def pid(self, timeout: float | None = None) -> int | None:
        """The answering process's pid once it is up (waiting up to `timeout` s); None if it died."""
        self._executor()
        try:
            return self._pid.result(timeout)
        except (BrokenProcessPool, concurrent.futures.CancelledError):
            return None

    def __call__(self, drawings: list, models: list) -> tuple[list, ...]:
        if time.monotonic() >= self._fallback_until:
            for _ in range(2):                    # once more in a new process if it died or hung
                try:
                    return self._answer(drawings, models)
                except (BrokenProcessPool, concurrent.futures.TimeoutError) as e:
                    failure = e
            self._fallback_until = time.monotonic() + self.backoff
            _log.warning("the answering process failed twice (%s); answering in the server's "
                         "threads for %.0f s", type(failure).__name__, self.backoff)
        return self.fallback(drawings, models)

    def _answer(self, drawings: list, models: list) -> tuple[list, ...]:
        pool = self._executor()
        try:
            return pool.submit(_predict_batch, drawings, models).result(self.timeout)
        except (BrokenProcessPool, concurrent.futures.TimeoutError):
            self._discard(pool)
            raise

    def _discard(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        """Stop `pool`'s process (killed: it may hang) unless another caller already replaced it."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool, started = None, self._pid
        if started is not None and started.done() and not started.cancelled() and started.exception() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(started.result(), signal.SIGKILL)
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the process; a later call starts a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
