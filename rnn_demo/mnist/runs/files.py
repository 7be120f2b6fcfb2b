"""A run's folder on disk: the name of every file in it, run.json written atomically, its stop file.

    runs/<id>/run.json             RUN_FILE: the record (see manager.py), rewritten whole (temp + rename)
    runs/<id>/metrics.jsonl        METRICS_FILE: every trainer event, one JSON line each (log.py)
    runs/<id>/checkpoint.pt        CHECKPOINT_FILE: written by the trainer when the run ends
    runs/<id>/digits.pt            DIGITS_FILE: where older versions kept a fine-tune's digits; swept at start
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


STATUSES = ("queued", "running", "completed", "stopped", "failed", "interrupted")
_RECORD_TYPES = {"id": str, "name": str, "status": str, "created": str, "device": str,
                 "model_config": dict, "train_config": dict}
_NUMBERS = ("best_val_acc", "test_acc", "seconds", "epochs_done", "params")


def read_record(path: Path) -> dict:
    """A run.json, checked for the shape every reader relies on; ValueError says what is wrong.

    OSError if it cannot be read. A record that is valid JSON of the wrong shape (a list, a
    status that is no status, a config that is no object) is as unreadable as a torn one.
    """
    record = json.loads(Path(path).read_text())
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    for key, kind in _RECORD_TYPES.items():
        if not isinstance(record.get(key), kind):
            raise ValueError(f"{key!r} missing or not a {kind.__name__}")
    if record["id"] != Path(path).parent.name:
        raise ValueError(f"its id {record['id'][:40]!r} is not its folder's name")
    if record["status"] not in STATUSES:
        raise ValueError(f"unknown status {record['status'][:40]!r}")
    for key in _NUMBERS:
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{key!r} is not a number")
    if not isinstance(record["train_config"].get("batch_size"), int):
        raise ValueError("'train_config' has no whole batch_size")
    return record


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
    """A run's stop flag: set in this process, asked for by another through the run's stop file,
    or raised by the run's time limit (`limit(seconds)`, from when it is called).

    The trainer calls is_set() every step; the file is looked for at most twice a second.
    """

    def __init__(self, path: Path):
        self.path, self._event, self._next_look = Path(path), threading.Event(), 0.0
        self.deadline: float | None = None           # time.monotonic() past which the run stops
        self.timed_out = False

    def set(self) -> None:
        self._event.set()

    def limit(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def is_set(self) -> bool:
        if not self._event.is_set() and time.monotonic() >= self._next_look:
            self._next_look = time.monotonic() + 0.5
            if self.path.exists():
                self._event.set()
            elif self.deadline is not None and time.monotonic() >= self.deadline:
                self.timed_out = True
                self._event.set()
        return self._event.is_set()
