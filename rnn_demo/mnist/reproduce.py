"""Train presets one after another, each with its own configs; rewrite the table and plots as they land.

    jobs = [Job("lstm", *get_preset("lstm").configs(device="cpu"))]
    reproduce(jobs, load_mnist(), out_dir=Path("docs/reproduce"), checkpoints=Path("checkpoints"))

    jobs = [Job(name, *get_preset(name).configs(seed=s)) for name in names for s in (0, 1, 2)]
    reproduce_seeds(jobs, load_mnist(), Path("docs/reproduce"), Path("runs/reproduce-seeds"))

`reproduce` writes the shipped checkpoints (`<name>.pt`); `reproduce_seeds` writes one file per
seed (`<name>-seed<N>.pt`) somewhere else and a table of each preset's spread over its seeds.
"""

from dataclasses import dataclass
from pathlib import Path

from ..checkpoints import load_checkpoint
from ..devices import machine_label, resolve_device
from .data import Splits
from .model import RowRNNConfig
from .report import plot_history, write_model_card, write_reproduce_table, write_seeds_table
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


def _run_job(job: Job, splits: Splits, path: Path, show):
    """Train one job into `path`; (end event, step numbers, step losses, device)."""
    steps, losses = [], []

    def tap(events):
        for e in events:
            if e["kind"] == "step":
                steps.append(e["step"])
                losses.append(e["loss"])
            yield e

    device = resolve_device(job.train.device)
    end = show(tap(train(job.model, job.train, splits.to(device), out=path, name=job.name)))
    return end, steps, losses, device


def reproduce(jobs: list[Job], splits: Splits, out_dir: Path, checkpoints: Path, show=_last,
              log=print) -> Path:
    """Train each job into `checkpoints/<name>.pt`; return the path of the table it rewrites.

    `show(events)` consumes each run's events and returns the end event (the CLI prints them).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    table = out_dir / "README.md"
    for job in jobs:
        end, steps, losses, device = _run_job(job, splits, checkpoints / f"{job.name}.pt", show)
        plot_history(job.name, steps, losses, end["history"], out_dir)
        write_reproduce_table(table, checkpoints, machine_label(device))
        log(f"wrote {table}")
    log(f"wrote {write_model_card(checkpoints)}")
    return table


def seed_checkpoint(checkpoints: Path, job: Job) -> Path:
    """Where `reproduce_seeds` keeps one seed's model: `<checkpoints>/<name>-seed<N>.pt`."""
    return checkpoints / f"{job.name}-seed{job.train.seed}.pt"


def trained_as(path: Path, job: Job) -> bool:
    """Whether the checkpoint at `path` exists and was trained with exactly `job`'s configs.

    A field the checkpoint does not record (it predates the field) counts as that field's default.
    """
    if not path.exists():
        return False
    ckpt = load_checkpoint(path)
    recorded = [{**type(c)().to_dict(), **ckpt.get(key, {})} for c, key in
                ((job.model, "config"), (job.train, "train_config"))]
    return recorded == [job.model.to_dict(), job.train.to_dict()]


def reproduce_seeds(jobs: list[Job], splits: Splits, out_dir: Path, checkpoints: Path, show=_last,
                    log=print, resume: bool = False) -> Path:
    """Train each job into its own seed's file; rewrite `out_dir/seeds.md` after each; return it.

    The jobs are presets once per seed. The table gives each preset's mean, spread and range of
    test accuracy over the seeds trained so far, read back from the checkpoints' own metrics.
    With `resume`, a seed whose file was already trained with the same configs is kept, not
    trained again (an hour-long run that was stopped goes on where it was).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    table = out_dir / "seeds.md"
    runs: dict[str, list[Path]] = {}
    for job in jobs:
        path = seed_checkpoint(checkpoints, job)
        if resume and trained_as(path, job):
            log(f"kept {path} (trained with the same configs)")
            runs.setdefault(job.name, []).append(path)
            write_seeds_table(table, runs, machine_label(resolve_device(job.train.device)))
            continue
        _, _, _, device = _run_job(job, splits, path, show)
        runs.setdefault(job.name, []).append(path)
        write_seeds_table(table, runs, machine_label(device))
        log(f"wrote {table}")
    return table
