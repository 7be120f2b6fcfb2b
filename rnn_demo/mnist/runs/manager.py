"""Training runs that outlive a browser request: a folder per run and a worker thread per device.

    manager = RunManager("runs")
    record = manager.start(get_preset("lstm").model, TrainConfig(epochs=1, device="cpu"), name="lstm")
    manager.curves(record["id"])        # steps, losses, per-epoch val loss/acc, so far

Each run keeps ``runs/<id>/``:

- ``run.json``: id, name, both configs, device, status (queued | running | completed | stopped |
  failed | interrupted), reason, times, parameter count, best val acc, test acc, owner (the
  SHA-256 of the owner's token; null: the command line's) and the process serving it. Rewritten
  atomically at every change of state and after every epoch (see files.py).
- ``metrics.jsonl``: every trainer event as one JSON line, appended and flushed per event, so a
  crash loses at most the event being written.
- ``checkpoint.pt``: written by the trainer; the Sketch tab lists it once its status is completed.
- ``stop``: an empty file another process (the command line) leaves to ask for a stop.

At most one run trains per device (one on the GPU, one on the CPU); later starts wait in that
device's queue, taken round-robin by owner (see fair_queue.py). A run that raises (NaN loss,
out of memory, bad data) is marked failed with the reason and the worker goes on with the next.

Every start, stop and delete names who asks (an Actor, see quotas.py; the default is the
operator, i.e. whoever calls this library directly): a run records its owner's hash, only its
owner or the operator may stop or delete it, and the Quotas cap how many runs one owner and
everyone together may have queued or running. Sizes are checked against limits.py first.
"""

import datetime as _dt
import json
import logging
import re
import secrets
import shutil
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from ...checkpoints import load_checkpoint
from ...devices import device_label, resolve_device
from ..adapt import AdaptConfig, adapt, check_set
from ..data import load_mnist
from ..model import RowRNNConfig
from ..presets import NOTEBOOK_PRESETS, get_preset
from ..train import TrainConfig, train, validate_configs
from .export import TensorBoardLog, tensorboard_available
from .fair_queue import FairQueue
from .files import (CHECKPOINT_FILE, DIGITS_FILE, METRICS_FILE, RUN_FILE, STOP_FILE, StopSignal, now,
                    process_alive, process_id, read_record, run_dir, write_json)
from .limits import MAX_PARAMS, check_size, training_bytes
from .log import Curves, EventLog
from .quotas import OPERATOR, Actor, NotYourRun, QuotaError, Quotas

ACTIVE = ("queued", "running")
_log = logging.getLogger(__name__)


def _device_key(device: torch.device) -> str:
    """'cpu' or 'cuda:N': the queue a run waits in."""
    if device.type == "cuda":
        return f"cuda:{device.index if device.index is not None else torch.cuda.current_device()}"
    return device.type


class RunManager:
    """Owns a runs folder: starts, queues, stops, lists and deletes training runs."""

    def __init__(self, root, splits_factory=None, data_root=None, max_params: int = MAX_PARAMS,
                 quotas: Quotas | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # splits_factory(device) -> Splits; the default loads verified MNIST once per device.
        self._factory = splits_factory or (lambda device: load_mnist(data_root, device=device,
                                                                     log=lambda m: None))
        self.max_params = max_params
        self.quotas = (quotas or Quotas()).validate()
        self._lock = threading.RLock()
        self._queues: dict[str, FairQueue] = {}
        self._workers: dict[str, threading.Thread] = {}
        self._stops: dict[str, StopSignal] = {}
        self._active: dict[str, str | None] = {}     # queued or running here: run id -> owner
        self._training: dict[str, int] = {}          # device key -> bytes the run there needs
        self._splits: dict[str, object] = {}
        self._curves: dict[str, Curves] = {}
        self._digits: dict[str, dict] = {}           # a queued or running fine-tune's digits, in memory only
        self.version = 0                      # bumped on every change of any run.json
        self._listing = (None, [])            # (key, records): list_runs' cache
        self.unreadable: dict[str, str] = {}  # run id -> why its run.json was skipped (list_runs)
        self._mark_interrupted()
        for leftover in self.root.glob(f"*/{DIGITS_FILE}"):   # an older version's, kept on disk
            leftover.unlink(missing_ok=True)

    # ---- records ---------------------------------------------------------------------------
    def get(self, run_id: str) -> dict:
        """The run's record, with its queue position (1 = next) while it waits; ValueError for an
        unknown run or an unreadable record (files.read_record says what is wrong)."""
        try:
            record = read_record(run_dir(self.root, run_id) / RUN_FILE)
        except ValueError as e:
            if str(e).startswith(("not a run id", "no run ")):
                raise
            raise ValueError(f"run {run_id}: unreadable run record: {e}") from None
        if record["status"] == "queued":
            record["position"] = self.queue_position(run_id)
        return record

    def _update(self, run_id: str, **changes) -> dict:
        with self._lock:
            path = self.root / run_id / RUN_FILE
            record = {**json.loads(path.read_text()), **changes}
            write_json(path, record)
            self.version += 1
            return record

    def list_runs(self) -> list[dict]:
        """Every readable run, newest first (records to read, not to change).

        Read again only when a run changed here (version) or a folder came or went (the runs
        folder's mtime): every open page asks for this at every change, not every run.json.
        """
        key = (self.version, self.root.stat().st_mtime_ns)
        if self._listing[0] != key:
            records, unreadable = [], {}
            for path in self.root.glob("*/run.json"):
                try:
                    records.append(self.get(path.parent.name))
                except FileNotFoundError:
                    continue                      # deleted while we looked
                except (ValueError, OSError) as e:
                    unreadable[path.parent.name] = str(e)
            for run_id in unreadable.keys() - self.unreadable.keys():
                _log.warning("skipping a run: %s", unreadable[run_id])
            self.unreadable = unreadable
            self._listing = (key, sorted(records, key=lambda r: r["created"], reverse=True))
        return list(self._listing[1])

    def _mark_interrupted(self) -> None:
        """Runs a dead process left queued or running did not finish: say so."""
        for record in self.list_runs():
            if record["status"] in ACTIVE and not process_alive(record.get("process", record.get("owner"))):
                self._update(record["id"], status="interrupted", ended=record.get("ended") or now(),
                             reason=f"the app stopped while this run was {record['status']}")

    # ---- starting and stopping ---------------------------------------------------------------
    def start(self, model_config: RowRNNConfig, train_config: TrainConfig, name: str = "custom",
              by: Actor = OPERATOR, tensorboard: bool = False) -> dict:
        """Validate, write run.json and queue the run on its device; return its record at once.

        ValueError for a bad config or a run too big for the device (limits.check_size),
        QuotaError when `by` or the lab already has as many active runs as the quotas allow.
        `tensorboard`: also write TensorBoard event files into the run's folder (export.py).
        """
        if tensorboard and not tensorboard_available():
            raise ValueError("TensorBoard logging needs the tensorboard package: pip install tensorboard")
        model_config, train_config = validate_configs(replace(model_config), replace(train_config))
        return self._queue(model_config, train_config, name, by, {"tensorboard": bool(tensorboard)})

    def adapt(self, source: Path, images: torch.Tensor, labels: torch.Tensor, config: AdaptConfig,
              name: str, by: Actor = OPERATOR) -> dict:
        """Queue a fine-tune of the checkpoint `source` to my digits (see adapt.py) as a run.

        images: uint8 (N, 28, 28); labels: (N,) digits. The digits are private: they are kept in
        this process's memory only, never in the runs folder (which the app serves), and dropped
        when the run ends however it ends (trained, stopped, failed, deleted; a crash takes them
        with the process). The run's events are adapt.py's (adapt, fold, then the trainer's),
        its checkpoint the adapted model. AdaptError (a ValueError) for a set that cannot be
        adapted to, with the reason; otherwise as `start`.
        """
        config = replace(config).validate()
        images = torch.as_tensor(images).to(torch.uint8).cpu()
        labels = torch.as_tensor(labels, dtype=torch.long).cpu()
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(f"expected (N, 28, 28) images and N labels, got {tuple(images.shape)} "
                             f"and {len(labels)}")
        check_set(labels)
        ckpt = load_checkpoint(source, kind="row_rnn")
        model_config = RowRNNConfig(**ckpt["config"]).validate()
        job = {"source": str(source), "config": asdict(config)}
        return self._queue(model_config, config.train_config(), name, by, {"adapt": job},
                           {"images": images, "labels": labels})

    def _queue(self, model_config: RowRNNConfig, train_config: TrainConfig, name: str, by: Actor,
               extra: dict, digits: dict | None = None) -> dict:
        """Write a new run's folder (run.json) and queue it; a fine-tune's `digits` stay in memory."""
        device = resolve_device(train_config.device)      # ValueError when CUDA is absent
        key = _device_key(device)
        if device.type == "cuda":
            device = torch.device(key)
        train_config.device = key
        params = check_size(model_config, train_config.batch_size, device, released=self._training.get(key, 0),
                            max_params=self.max_params, averaged=bool(train_config.ema))
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:40].strip("-.") or "run"
        run_id = f"{_dt.datetime.now():%Y%m%d-%H%M%S}-{safe}-{secrets.token_hex(3)}"
        record = {"id": run_id, "name": name, "model_config": model_config.to_dict(),
                  "train_config": train_config.to_dict(), "device": device_label(device),
                  "status": "queued", "reason": None, "created": now(), "started": None,
                  "ended": None, "params": params, "epochs_done": 0, "best_val_acc": None,
                  "test_acc": None, "seconds": None, "owner": by.owner, "process": process_id(),
                  "tensorboard": False, "max_seconds": None if by.operator else 60 * self.quotas.run_minutes,
                  **extra}
        if by.name:
            record["owner_name"] = by.name
        with self._lock:
            self.quotas.check(by, *self.usage(by))
            (self.root / run_id).mkdir()
            write_json(self.root / run_id / RUN_FILE, record)
            if digits is not None:                 # only once the run exists: it will drop them
                self._digits[run_id] = digits
            self.version += 1
            self._stops[run_id] = StopSignal(self.root / run_id / STOP_FILE)
            self._active[run_id] = by.owner
            self._queues.setdefault(key, FairQueue()).push(run_id, by.owner)
            worker = self._workers.get(key)
            if worker is None or not worker.is_alive():
                worker = threading.Thread(target=self._serve, args=(key,), daemon=True,
                                          name=f"rnn-demo-runs-{key}")
                self._workers[key] = worker
                worker.start()
        return self.get(run_id)

    def start_preset(self, preset_name: str, by: Actor = OPERATOR, **overrides) -> dict:
        """Queue a preset, with any model or recipe field changed (see Preset.configs)."""
        preset = get_preset(preset_name)
        return self.start(*preset.configs(**overrides), name=preset.name, by=by)

    def reproduce_notebook(self, device: str = "auto", epochs: int | None = None,
                           by: Actor = OPERATOR) -> list[dict]:
        """Queue the notebook presets, one after another, with the notebook's recipe.

        They count as one run each: a visitor gets as many as their quota has room for, in the
        notebook's order (QuotaError if none); the operator always gets all of them.
        """
        extra = {"device": device, **({"epochs": epochs} if epochs else {})}
        replace(TrainConfig(), **extra).validate()
        names = NOTEBOOK_PRESETS if by.operator else NOTEBOOK_PRESETS[:self.room(by)]
        if not names:
            self.quotas.check(by, *self.usage(by))         # raises, naming the limit
        queued = []
        for name in names:
            try:
                queued.append(self.start_preset(name, by=by, **extra))
            except QuotaError:
                if not queued:                             # another start took the last place
                    raise
                break
        return queued

    def usage(self, by: Actor) -> tuple[int, int]:
        """(runs `by` has queued or running, runs everyone has queued or running), in this app."""
        with self._lock:
            return sum(owner == by.owner for owner in self._active.values()), len(self._active)

    def room(self, by: Actor) -> int:
        """How many more runs `by` may queue now (the operator: as many as wanted)."""
        return self.quotas.room(by, *self.usage(by))

    def queue_position(self, run_id: str) -> int | None:
        """1 for the next run to start on its device, 2 after it ...; None if not waiting."""
        with self._lock:
            return next((p for q in self._queues.values() if (p := q.position(run_id))), None)

    def _check_manage(self, record: dict, by: Actor) -> None:
        if not by.may_manage(record):
            raise NotYourRun(f"run {record['id']} belongs to another visitor: only they (or the "
                             "lab's operator) can stop or delete it")

    def stop(self, run_id: str, by: Actor = OPERATOR) -> dict:
        """Ask a run to stop: a waiting run is dropped at once, a training one ends after its step.

        A run another process serves (seen from the command line) is asked through its `stop`
        file: that process drops it when its turn comes, or stops it within half a second.
        NotYourRun unless `by` owns the run or is the operator.
        """
        with self._lock:
            record = self.get(run_id)
            self._check_manage(record, by)
            for queue in self._queues.values():
                if queue.remove(run_id):
                    self._active.pop(run_id, None)
                    self._digits.pop(run_id, None)
                    return self._update(run_id, status="stopped", ended=now(),
                                        reason="stopped before it started")
            if run_id in self._stops and record["status"] == "running":
                self._stops[run_id].set()
            elif record["status"] in ACTIVE:
                (self.root / run_id / STOP_FILE).touch()
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

    def delete(self, run_id: str, by: Actor = OPERATOR) -> None:
        """Remove a finished run's folder; a queued or running run must be stopped first.

        NotYourRun unless `by` owns the run or is the operator.
        """
        with self._lock:
            record = self.get(run_id)
            self._check_manage(record, by)
            if record["status"] in ACTIVE:
                raise ValueError(f"run {run_id} is {record['status']}; stop it before deleting it")
            shutil.rmtree(self.root / run_id)
            self._curves.pop(run_id, None)
            self._digits.pop(run_id, None)
            self._stops.pop(run_id, None)
            self.version += 1

    # ---- reading curves -------------------------------------------------------------------
    def curves(self, run_id: str) -> Curves:
        """A snapshot of the run's curves so far, read incrementally from its metrics log.

        The cached Curves keeps growing under the lock; callers get copies of its lists, so
        another browser's timer tick cannot change them while they are being plotted.
        """
        path = run_dir(self.root, run_id) / METRICS_FILE
        with self._lock:
            curves = self._curves.setdefault(run_id, Curves())
            curves.advance(path)
            return replace(curves, steps=list(curves.steps), losses=list(curves.losses),
                           times=list(curves.times), epochs=list(curves.epochs),
                           folds=list(curves.folds))

    # ---- the worker -----------------------------------------------------------------------
    def _serve(self, key: str) -> None:
        """Train the runs queued for one device, one at a time, until the queue is empty."""
        while True:
            with self._lock:
                queue = self._queues.get(key)
                if not queue:
                    self._workers.pop(key, None)
                    return
                run_id = queue.pop()
                if (self.root / run_id / STOP_FILE).exists():      # the command line asked
                    self._active.pop(run_id, None)
                    self._digits.pop(run_id, None)
                    self._update(run_id, status="stopped", ended=now(), reason="stopped before it started")
                    continue
                record = self._update(run_id, status="running", started=now())
                model = RowRNNConfig(**record["model_config"])
                self._training[key] = training_bytes(model, record["train_config"]["batch_size"],
                                                     record["params"], bool(record["train_config"].get("ema")))
            try:
                self._run(record, key)
            finally:
                with self._lock:
                    self._active.pop(run_id, None)
                    self._training.pop(key, None)
                    self._digits.pop(run_id, None)          # the digits go with the run, however it ended

    def _splits_for(self, key: str):
        if key not in self._splits:
            self._splits[key] = self._factory(torch.device(key))
        return self._splits[key]

    def _run(self, record: dict, key: str) -> None:
        run_id, folder = record["id"], self.root / record["id"]
        stop = self._stops.setdefault(run_id, StopSignal(folder / STOP_FILE))
        stop.limit(record.get("max_seconds"))
        t0, tensorboard = time.time(), None
        with EventLog(folder / METRICS_FILE) as log:
            try:
                model = RowRNNConfig(**record["model_config"])        # does it still fit, now?
                check_size(model, record["train_config"]["batch_size"], torch.device(key),
                           max_params=self.max_params, averaged=bool(record["train_config"].get("ema")))
                if record.get("tensorboard"):
                    tensorboard = TensorBoardLog(folder)               # events.out.tfevents.* here
                events = self._events(record, model, self._splits_for(key), stop)
                for event in events:
                    stamped = log.write(event)
                    if tensorboard is not None:
                        tensorboard.write(stamped)
                    if event["kind"] == "epoch":
                        best = max(record["best_val_acc"] or 0.0, event["val_acc"])
                        record = self._update(run_id, epochs_done=event["epoch"], best_val_acc=best,
                                              seconds=time.time() - t0)
                    elif event["kind"] == "end":
                        reason = ("stopped by the user" if event["status"] == "stopped" else None) \
                            if not stop.timed_out else (f"stopped at the lab's limit of "
                                                        f"{record['max_seconds'] / 60:g} minutes per run")
                        record = self._update(
                            run_id, status=event["status"], reason=reason, ended=now(),
                            test_acc=event["test_acc"], best_val_acc=event["best_val_acc"],
                            epochs_done=event["epochs_done"], seconds=time.time() - t0,
                            train_seconds=event["train_seconds"],
                            checkpoint=event["checkpoint_path"])
            except Exception as e:  # the run failed; the worker must keep serving the queue
                reason = _failure_reason(e)
                log.write({"kind": "error", "reason": reason})
                self._update(run_id, status="failed", reason=reason, ended=now(),
                             seconds=time.time() - t0)
                if key.startswith("cuda"):
                    torch.cuda.empty_cache()
            finally:
                self._stops.pop(run_id, None)
                if tensorboard is not None:
                    tensorboard.__exit__()


    def _events(self, record: dict, model: RowRNNConfig, splits, stop):
        """The run's events: the trainer's, or for a fine-tune to my digits, adapt.py's."""
        folder = self.root / record["id"]
        if "adapt" not in record:
            return train(model, TrainConfig(**record["train_config"]), splits,
                         out=folder / CHECKPOINT_FILE, stop=stop, name=record["name"])
        digits = self._digits[record["id"]]
        config = AdaptConfig(**{**record["adapt"]["config"], "device": record["train_config"]["device"]})
        return adapt(Path(record["adapt"]["source"]), digits["images"], digits["labels"], splits, config,
                     out=folder / CHECKPOINT_FILE, stop=stop, name=record["name"])


def _gpu_allocation_failed(error: Exception) -> bool:
    """A CUDA library (cuDNN, cuBLAS) that could not allocate its workspace says so in its own words."""
    text = str(error)
    return isinstance(error, RuntimeError) and ("CUDNN_STATUS_ALLOC_FAILED" in text
                                                or "CUBLAS_STATUS_ALLOC_FAILED" in text
                                                or "CUDA out of memory" in text
                                                or "CUDA error: out of memory" in text)


def _failure_reason(error: Exception) -> str:
    """One line a user can act on."""
    if isinstance(error, torch.cuda.OutOfMemoryError) or _gpu_allocation_failed(error):
        return "out of GPU memory: use a smaller batch size or model"
    if isinstance(error, MemoryError):
        return "out of memory: use a smaller batch size or model"
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message[:300]}" if message else type(error).__name__
