"""Train presets one after another, each with its own configs; rewrite the table and plots as they land.

    jobs = [Job("lstm", *get_preset("lstm").configs(device="cpu"))]
    reproduce(jobs, load_mnist(), out_dir=Path("docs/reproduce"), checkpoints=Path("checkpoints"))
"""

from dataclasses import dataclass
from pathlib import Path

from ..devices import device_label, resolve_device
from .data import Splits
from .model import RowRNNConfig
from .report import plot_history, write_model_card, write_reproduce_table
from .train import TrainConfig, train


@dataclass
class Job:
    """One training of the reproduction: a preset's name and the configs it trains with."""
    name: str
    model: RowRNNConfig
    train: TrainConfig


def _last(events):
    end = None
    for end in events:
        pass
    return end


def reproduce(jobs: list[Job], splits: Splits, out_dir: Path, checkpoints: Path, show=_last,
              log=print) -> Path:
    """Train each job into `checkpoints/<name>.pt`; return the path of the table it rewrites.

    `show(events)` consumes each run's events and returns the end event (the CLI prints them).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    table = out_dir / "README.md"
    for job in jobs:
        steps, losses = [], []

        def tap(events):
            for e in events:
                if e["kind"] == "step":
                    steps.append(e["step"])
                    losses.append(e["loss"])
                yield e

        device = resolve_device(job.train.device)
        end = show(tap(train(job.model, job.train, splits.to(device), out=checkpoints / f"{job.name}.pt",
                             name=job.name)))
        plot_history(job.name, steps, losses, end["history"], out_dir)
        write_reproduce_table(table, checkpoints, device_label(device))
        log(f"wrote {table}")
    log(f"wrote {write_model_card(checkpoints)}")
    return table
