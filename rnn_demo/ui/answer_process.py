"""The Sketch tab's answers in a process of their own, so they never hold the server's GIL.

The served app is one Python process: its event loop (every visitor's HTTP requests, Gradio's
queue and event streams) and the threads that run handlers share one GIL. An answer is many
small numpy, Pillow and torch calls; run in a handler's thread it held the GIL for about as
long as Gradio's own work for a `gradio_client` call, and each call that let go of the GIL then
waited for the busy event loop to give it back. With 50 users at once the event loop was the
bottleneck (docs/benchmarks.md). In a process of its own an answer runs on the other core.

`AnswerProcess(checkpoints, runs)` is called like `sketch_answers.predict` with a registry:
(drawings, models) -> the answers' columns. The process keeps its own `ModelRegistry` of the
same folders, so a run finished since is found as in the server; torch runs on one thread there.
If the process dies (killed, out of memory), the call that finds it gone starts a new one and is
tried there once more.
"""

import concurrent.futures
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..mnist.registry import ModelRegistry
from .sketch_answers import predict

_registries: dict[tuple[str, str], ModelRegistry] = {}     # in the answering process


def _exit_with_parent() -> None:
    """In the answering process: exit when the server does, however it ends (a killed server
    closes no pipes for its pool, and the process would wait for work forever)."""
    sentinel = multiprocessing.parent_process().sentinel     # readable once the parent is gone

    def watch():
        multiprocessing.connection.wait([sentinel])
        os._exit(0)
    threading.Thread(target=watch, name="exit-with-server", daemon=True).start()


def _registry(checkpoints: str, runs: str) -> ModelRegistry:
    registry = _registries.get((checkpoints, runs))
    if registry is None:
        import torch
        torch.set_num_threads(1)              # the server's process has the other core
        registry = _registries[(checkpoints, runs)] = ModelRegistry(Path(checkpoints), Path(runs))
    return registry


def _answer(checkpoints: str, runs: str, drawings: list, models: list) -> tuple[list, ...]:
    return predict(_registry(checkpoints, runs), drawings, models)


def _warm(checkpoints: str, runs: str) -> None:
    """Build the registry and load the default model, so the first drawing does not wait for it."""
    registry = _registry(checkpoints, runs)
    if (entry := registry.choose(None)) is not None:
        registry.model(entry.path)


class AnswerProcess:
    """(drawings, models) -> `sketch_answers.predict`'s columns, computed in one other process.

    Thread-safe; calls from several threads queue for the one process. `start` launches it
    without waiting (it takes a few seconds); the first call does that otherwise.
    """

    def __init__(self, checkpoints: Path, runs: Path):
        self._folders = (str(checkpoints), str(runs))
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: a fork would copy the server's threads' locks mid-use.
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"), initializer=_exit_with_parent)
                # The first submit starts the process from this thread, and it inherits this
                # thread's blocked signals: with SIGINT blocked, Ctrl+C in a terminal stops the
                # server, which stops the process, instead of printing its traceback too.
                blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    self._pool.submit(_warm, *self._folders)
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            return self._pool

    def start(self) -> None:
        self._executor()

    def __call__(self, drawings: list, models: list) -> tuple[list, ...]:
        try:
            return self._answer(drawings, models)
        except BrokenProcessPool:                 # the process died: once more, in a new one
            return self._answer(drawings, models)

    def _answer(self, drawings: list, models: list) -> tuple[list, ...]:
        pool = self._executor()
        try:
            return pool.submit(_answer, *self._folders, drawings, models).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:            # the first caller to notice replaces it
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        """Stop the process; a later call starts a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
