"""A run's metrics for other tools: CSV and JSON Lines files, and TensorBoard event files.

    write_csv("runs/<id>/metrics.jsonl", "lstm.csv")      # one row per step and epoch event
    export_files("runs/<id>")                             # runs/<id>/export/<id>.csv, .jsonl, .pt
    with TensorBoardLog("runs/<id>") as tb:                # needs `pip install tensorboard`
        tb.write(event)                                   # the trainer's events, as they come

The CSV holds the metrics: one row per `step` event (epoch, step, loss) and per `epoch` event
(epoch, step at its end, train_loss, val_loss, val_acc, train_seconds, seconds), each with its
wall time; floats are written with repr, so reading them back gives the same numbers. The JSON
Lines file is the run's metrics log itself: every event, the start and end ones included.

TensorBoard scalars (`tensorboard --logdir runs` shows each run under its id): train/loss per
step; train/epoch_loss, val/loss and val/accuracy per epoch and test/accuracy at the end, all
against the global step; the configs go in as text at the start.
"""

import csv
import json
import os
import shutil
from pathlib import Path

from ...atomic import atomic_open
from .files import CHECKPOINT_FILE, EXPORT_DIR, METRICS_FILE
from .log import parse_lines

CSV_COLUMNS = ("kind", "epoch", "step", "loss", "train_loss", "val_loss", "val_acc", "train_seconds",
               "seconds", "time")


def read_events(log: Path) -> list[dict]:
    """Every complete event of a metrics log (a torn line is skipped, as Curves does)."""
    return parse_lines(Path(log).read_bytes())


def metric_rows(events: list[dict]) -> list[dict]:
    """The step and epoch events as CSV rows; an epoch row's step is the last step of its epoch."""
    per_epoch = next((e["steps_per_epoch"] for e in events if e.get("kind") == "start"), None)
    rows = []
    for event in events:
        if event.get("kind") == "step":
            rows.append({k: event.get(k) for k in ("kind", "epoch", "step", "loss", "time")})
        elif event.get("kind") == "epoch":
            row = {k: event.get(k) for k in CSV_COLUMNS if k != "step"}
            row["step"] = event["epoch"] * per_epoch if per_epoch else None
            rows.append(row)
    return rows


def write_csv(log: Path, out: Path) -> Path:
    """The metrics of a run's log as CSV (columns CSV_COLUMNS; empty where a kind has none)."""
    with atomic_open(out, "w") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS, restval="")
        writer.writeheader()
        for row in metric_rows(read_events(log)):
            writer.writerow({k: "" if v is None else repr(v) if isinstance(v, float) else v
                             for k, v in row.items()})
    return Path(out)


def export_files(folder: Path) -> list[Path]:
    """A run's downloads, named after its id in `folder`/export: the CSV (written now), the JSON
    Lines log and the checkpoint when there is one (hard links: no copy, and the log's link grows
    with the log)."""
    folder = Path(folder)
    out = folder / EXPORT_DIR
    out.mkdir(exist_ok=True)
    files = [write_csv(folder / METRICS_FILE, out / f"{folder.name}.csv")]
    for source, suffix in ((folder / METRICS_FILE, ".jsonl"), (folder / CHECKPOINT_FILE, ".pt")):
        if source.is_file():
            target = out / (folder.name + suffix)
            target.unlink(missing_ok=True)
            try:
                os.link(source, target)
            except OSError:                           # a file system without hard links
                shutil.copyfile(source, target)
            files.append(target)
    return files


def tensorboard_available() -> bool:
    """Whether torch.utils.tensorboard can write (it needs the `tensorboard` package)."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        return False
    return True


class TensorBoardLog:
    """Trainer events -> TensorBoard event files in `log_dir` (ImportError if tensorboard is missing)."""

    def __init__(self, log_dir: Path):
        from torch.utils.tensorboard import SummaryWriter
        self._writer = SummaryWriter(log_dir=str(log_dir))
        self._per_epoch = 1

    def __enter__(self) -> "TensorBoardLog":
        return self

    def write(self, event: dict) -> None:
        kind, when, add = event.get("kind"), event.get("time"), self._writer.add_scalar
        if kind == "start":
            self._per_epoch = max(event["steps_per_epoch"], 1)
            for name in ("model_config", "train_config"):
                text = json.dumps(event[name], indent=1).replace("\n", "\n    ")
                self._writer.add_text(name, "    " + text, 0)           # indented: markdown code
        elif kind == "step":
            add("train/loss", event["loss"], event["step"], walltime=when)
        elif kind == "epoch":
            step = event["epoch"] * self._per_epoch
            add("train/epoch_loss", event["train_loss"], step, walltime=when)
            add("val/loss", event["val_loss"], step, walltime=when)
            add("val/accuracy", event["val_acc"], step, walltime=when)
        elif kind == "end" and event.get("test_acc") is not None:
            add("test/accuracy", event["test_acc"], event["epochs_done"] * self._per_epoch, walltime=when)

    def __exit__(self, *exc) -> None:
        self._writer.close()
