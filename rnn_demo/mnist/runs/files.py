"""A run's folder on disk: the name of every file in it, run.json written atomically, its stop file.

    runs/<id>/run.json             RUN_FILE: the record (see manager.py), rewritten whole (temp + rename)
    runs/<id>/metrics.jsonl        METRICS_FILE: every trainer event, one JSON line each (log.py)
    runs/<id>/checkpoint.pt        CHECKPOINT_FILE: written by the trainer when the run ends
    runs/<id>/digits.pt            DIGITS_FILE: a fine-tune's digits, until it has trained
    runs/<id>/stop                 STOP_FILE: left by another process (the command line) to ask for a stop
    runs/<id>/export/              EXPORT_DIR: the downloads (export.py)
    runs/<id>/events.out.tfevents.*  TensorBoard's own files, when asked for (export.py)

A record names the process serving it as 'pid:start time', so that an app restarted on the same
folder can tell its own dead runs (interrupted) from those another live app is serving.
"""

import datetime as _dt
import json
import os
import re
import threading
import time
from pathlib import Path

from ...atomic import atomic_open

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.pt"
DIGITS_FILE = "digits.pt"
STOP_FILE = "stop"
EXPORT_DIR = "export"
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def now() -> str:
    """The current UTC time, ISO 8601 with milliseconds (how records stamp their times)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def run_dir(root: Path, run_id: str) -> Path:
    """`root/run_id`, once it is known to hold a run; ValueError for a bad or unknown id."""
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise ValueError(f"not a run id: {run_id!r}")
    path = Path(root) / run_id
    if not (path / RUN_FILE).is_file():
        raise ValueError(f"no run {run_id!r} in {root}")
    return path


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    with atomic_open(path, "w") as f:
        json.dump(data, f, indent=1)


def process_id(pid: int | None = None) -> str:
    """'pid:start time' (Linux), so a pid reused after a restart is not taken for the old app."""
    pid = pid or os.getpid()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"
    except (OSError, IndexError):
        return str(pid)


def process_alive(process) -> bool:
    """Whether another live process (not this one) is serving a run."""
    if not isinstance(process, str) or process == process_id():
        return False
    try:
        pid = int(process.split(":")[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass
    return process_id(pid) == process


class StopSignal:
    """A run's stop flag: set in this process, or asked for by another through the run's stop file.

    The trainer calls is_set() every step; the file is looked for at most twice a second.
    """

    def __init__(self, path: Path):
        self.path, self._event, self._next_look = Path(path), threading.Event(), 0.0

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        if not self._event.is_set() and time.monotonic() >= self._next_look:
            self._next_look = time.monotonic() + 0.5
            if self.path.exists():
                self._event.set()
        return self._event.is_set()
