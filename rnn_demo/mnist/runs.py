"""Training runs that outlive a browser request: a folder per run and a worker thread per device.

    manager = RunManager("runs")
    record = manager.start(get_preset("lstm").model, TrainConfig(epochs=1, device="cpu"), name="lstm")
    manager.curves(record["id"])        # steps, losses, per-epoch val loss/acc, so far

Each run keeps ``runs/<id>/``:

- ``run.json``: id, name, both configs, device, status (queued | running | completed | stopped |
  failed | interrupted), reason, times, parameter count, best val acc, test acc. Rewritten
  atomically (temp file + rename) at every change of state and after every epoch.
- ``metrics.jsonl``: every trainer event as one JSON line, appended and flushed per event, so a
  crash loses at most the event being written.
- ``checkpoint.pt``: written by the trainer; the Sketch tab lists it once its status is completed.

At most one run trains per device (one on the GPU, one on the CPU); later starts wait in that
device's queue. A run that raises (NaN loss, out of memory, bad data) is marked failed with the
reason and the worker goes on with the next one.
"""

import datetime as _dt
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

import torch

from ..atomic import atomic_open
from ..devices import device_label, resolve_device
from .data import load_mnist
from .model import RowRNN, RowRNNConfig, count_parameters
from .presets import NOTEBOOK_PRESETS, get_preset
from .run_log import Curves, EventLog
from .train import TrainConfig, train, validate_configs

ACTIVE = ("queued", "running")
MAX_PARAMS = 50_000_000      # a bigger model would take hours here and risk the host's memory
CUDA_LOG_EVERY = 10          # steps per loss read-back on a GPU: one device sync per 10 steps
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds")


def _write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    with atomic_open(path, "w") as f:
        json.dump(data, f, indent=1)


def _process_id(pid: int | None = None) -> str:
    """'pid:start time' (Linux), so a pid reused after a restart is not taken for the old app."""
    pid = pid or os.getpid()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"
    except (OSError, IndexError):
        return str(pid)


def _owner_alive(owner) -> bool:
    """Whether another live process (not this one) owns a run."""
    if not isinstance(owner, str) or owner == _process_id():
        return False
    try:
        pid = int(owner.split(":")[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass
    return _process_id(pid) == owner


def _device_key(device: torch.device) -> str:
    """'cpu' or 'cuda:N': the queue a run waits in."""
    if device.type == "cuda":
        return f"cuda:{device.index if device.index is not None else torch.cuda.current_device()}"
    return device.type


class RunManager:
    """Owns a runs folder: starts, queues, stops, lists and deletes training runs."""

    def __init__(self, root, splits_factory=None, data_root=None, max_params: int = MAX_PARAMS):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # splits_factory(device) -> Splits; the default loads verified MNIST once per device.
        self._factory = splits_factory or (lambda device: load_mnist(data_root, device=device,
                                                                     log=lambda m: None))
        self.max_params = max_params
        self._lock = threading.RLock()
        self._queues: dict[str, deque] = {}
        self._workers: dict[str, threading.Thread] = {}
        self._stops: dict[str, threading.Event] = {}
        self._splits: dict[str, object] = {}
        self._curves: dict[str, Curves] = {}
        self.version = 0                      # bumped on every change of any run.json
        self._mark_interrupted()

    # ---- records ---------------------------------------------------------------------------
    def _dir(self, run_id: str) -> Path:
        if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        path = self.root / run_id
        if not (path / "run.json").is_file():
            raise ValueError(f"no run {run_id!r} in {self.root}")
        return path

    def get(self, run_id: str) -> dict:
        """The run's record, with its queue position (1 = next) while it waits."""
        record = json.loads((self._dir(run_id) / "run.json").read_text())
        if record["status"] == "queued":
            record["position"] = self.queue_position(run_id)
        return record

    def _update(self, run_id: str, **changes) -> dict:
        with self._lock:
            path = self.root / run_id / "run.json"
            record = {**json.loads(path.read_text()), **changes}
            _write_json(path, record)
            self.version += 1
            return record

    def list_runs(self) -> list[dict]:
        """Every readable run, newest first."""
        records = []
        for path in self.root.glob("*/run.json"):
            try:
                records.append(self.get(path.parent.name))
            except (ValueError, OSError):
                continue                      # a foreign or half-deleted folder
        return sorted(records, key=lambda r: r.get("created", ""), reverse=True)

    def _mark_interrupted(self) -> None:
        """Runs a dead process left queued or running did not finish: say so."""
        for record in self.list_runs():
            if record["status"] in ACTIVE and not _owner_alive(record.get("owner")):
                self._update(record["id"], status="interrupted", ended=record.get("ended") or _now(),
                             reason=f"the app stopped while this run was {record['status']}")

    # ---- starting and stopping ---------------------------------------------------------------
    def start(self, model_config: RowRNNConfig, train_config: TrainConfig, name: str = "custom") -> dict:
        """Validate, write run.json and queue the run on its device; return its record at once."""
        model_config, train_config = validate_configs(replace(model_config), replace(train_config))
        device = resolve_device(train_config.device)      # ValueError when CUDA is absent
        key = _device_key(device)
        if device.type == "cuda":
            device = torch.device(key)
            if train_config.log_every == 1:
                train_config.log_every = CUDA_LOG_EVERY
        train_config.device = key
        with torch.device("meta"):                         # count without allocating
            params = count_parameters(RowRNN(model_config))
        if params > self.max_params:
            raise ValueError(f"the model has {params:,} parameters; the training bench takes at most "
                             f"{self.max_params:,}. Use a smaller hidden size or fewer layers.")
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:40].strip("-.") or "run"
        run_id = f"{_dt.datetime.now():%Y%m%d-%H%M%S}-{safe}-{secrets.token_hex(3)}"
        record = {"id": run_id, "name": name, "model_config": model_config.to_dict(),
                  "train_config": train_config.to_dict(), "device": device_label(device),
                  "status": "queued", "reason": None, "created": _now(), "started": None,
                  "ended": None, "params": params, "epochs_done": 0, "best_val_acc": None,
                  "test_acc": None, "seconds": None, "owner": _process_id()}
        with self._lock:
            (self.root / run_id).mkdir()
            _write_json(self.root / run_id / "run.json", record)
            self.version += 1
            self._stops[run_id] = threading.Event()
            self._queues.setdefault(key, deque()).append(run_id)
            worker = self._workers.get(key)
            if worker is None or not worker.is_alive():
                worker = threading.Thread(target=self._serve, args=(key,), daemon=True,
                                          name=f"rnn-demo-runs-{key}")
                self._workers[key] = worker
                worker.start()
        return self.get(run_id)

    def start_preset(self, preset_name: str, **overrides) -> dict:
        """Queue a preset, with any model or recipe field changed (see Preset.configs)."""
        preset = get_preset(preset_name)
        return self.start(*preset.configs(**overrides), name=preset.name)

    def reproduce_notebook(self, device: str = "auto", epochs: int | None = None) -> list[dict]:
        """Queue every notebook preset, one after another, with the notebook's recipe."""
        extra = {"device": device, **({"epochs": epochs} if epochs else {})}
        replace(TrainConfig(), **extra).validate()
        return [self.start_preset(name, **extra) for name in NOTEBOOK_PRESETS]

    def queue_position(self, run_id: str) -> int | None:
        """1 for the next run to start on its device, 2 after it ...; None if not waiting."""
        with self._lock:
            for queue in self._queues.values():
                if run_id in queue:
                    return list(queue).index(run_id) + 1
        return None

    def stop(self, run_id: str) -> dict:
        """Ask a run to stop: a waiting run is dropped at once, a training one ends after its step."""
        with self._lock:
            record = self.get(run_id)
            for queue in self._queues.values():
                if run_id in queue:
                    queue.remove(run_id)
                    return self._update(run_id, status="stopped", ended=_now(),
                                        reason="stopped before it started")
            if run_id in self._stops and record["status"] == "running":
                self._stops[run_id].set()
        return record

    def wait(self, run_id: str, timeout: float = 60.0) -> dict:
        """Block until the run is no longer queued or running (for scripts and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.get(run_id)
            if record["status"] not in ACTIVE:
                return record
            time.sleep(0.05)
        raise TimeoutError(f"run {run_id} still {record['status']} after {timeout} s")

    def delete(self, run_id: str) -> None:
        """Remove a finished run's folder; a queued or running run must be stopped first."""
        with self._lock:
            record = self.get(run_id)
            if record["status"] in ACTIVE:
                raise ValueError(f"run {run_id} is {record['status']}; stop it before deleting it")
            shutil.rmtree(self.root / run_id)
            self._curves.pop(run_id, None)
            self._stops.pop(run_id, None)
            self.version += 1

    # ---- reading curves -------------------------------------------------------------------
    def curves(self, run_id: str) -> Curves:
        """A snapshot of the run's curves so far, read incrementally from its metrics log.

        The cached Curves keeps growing under the lock; callers get copies of its lists, so
        another browser's timer tick cannot change them while they are being plotted.
        """
        path = self._dir(run_id) / "metrics.jsonl"
        with self._lock:
            curves = self._curves.setdefault(run_id, Curves())
            curves.advance(path)
            return replace(curves, steps=list(curves.steps), losses=list(curves.losses),
                           epochs=list(curves.epochs))

    # ---- the worker -----------------------------------------------------------------------
    def _serve(self, key: str) -> None:
        """Train the runs queued for one device, one at a time, until the queue is empty."""
        while True:
            with self._lock:
                queue = self._queues.get(key)
                if not queue:
                    self._workers.pop(key, None)
                    return
                run_id = queue.popleft()
                record = self._update(run_id, status="running", started=_now())
            self._run(record, key)

    def _splits_for(self, key: str):
        if key not in self._splits:
            self._splits[key] = self._factory(torch.device(key))
        return self._splits[key]

    def _run(self, record: dict, key: str) -> None:
        run_id, folder = record["id"], self.root / record["id"]
        stop = self._stops.setdefault(run_id, threading.Event())
        t0 = time.time()
        with EventLog(folder / "metrics.jsonl") as log:
            try:
                events = train(RowRNNConfig(**record["model_config"]),
                               TrainConfig(**record["train_config"]), self._splits_for(key),
                               out=folder / "checkpoint.pt", stop=stop, name=record["name"])
                for event in events:
                    log.write(event)
                    if event["kind"] == "epoch":
                        best = max(record["best_val_acc"] or 0.0, event["val_acc"])
                        record = self._update(run_id, epochs_done=event["epoch"], best_val_acc=best,
                                              seconds=time.time() - t0)
                    elif event["kind"] == "end":
                        reason = "stopped by the user" if event["status"] == "stopped" else None
                        record = self._update(
                            run_id, status=event["status"], reason=reason, ended=_now(),
                            test_acc=event["test_acc"], best_val_acc=event["best_val_acc"],
                            epochs_done=event["epochs_done"], seconds=time.time() - t0,
                            train_seconds=event["train_seconds"],
                            checkpoint=event["checkpoint_path"])
            except Exception as e:  # the run failed; the worker must keep serving the queue
                reason = _failure_reason(e)
                log.write({"kind": "error", "reason": reason})
                self._update(run_id, status="failed", reason=reason, ended=_now(),
                             seconds=time.time() - t0)
                if key.startswith("cuda"):
                    torch.cuda.empty_cache()
            finally:
                self._stops.pop(run_id, None)


def _failure_reason(error: Exception) -> str:
    """One line a user can act on."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return "out of GPU memory: use a smaller batch size or model"
    if isinstance(error, MemoryError):
        return "out of memory: use a smaller batch size or model"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message[:300]}" if message else type(error).__name__
