"""MNIST commands: train, evaluate, reproduce, model-card; registered by `rnn_demo.cli`.

    python -m rnn_demo train --preset lstm --epochs 3 --hidden-size 256
    python -m rnn_demo evaluate checkpoints/lstm.pt
    python -m rnn_demo reproduce --presets lstm,gru
    python -m rnn_demo reproduce --seeds 0,1,2      # mean ± std per preset; shipped files untouched
    python -m rnn_demo model-card

The model and recipe options are the fields of RowRNNConfig and TrainConfig (see
`rnn_demo.options`); an option not given keeps the preset's value.
"""

import sys
from pathlib import Path

import torch
from tqdm import tqdm

from ..devices import resolve_device
from ..options import add_options, given
from .data import batches, load_mnist
from .model import RowRNN, RowRNNConfig
from .presets import PRESETS, get_preset
from .report import write_model_card
from .reproduce import Job, reproduce, reproduce_seeds
from .train import TrainConfig, train

DRY_RUN_IMAGES = 1024
SEED_CHECKPOINTS = Path("runs") / "reproduce-seeds"     # where `reproduce --seeds` keeps its models


def print_events(events, out=None, progress=None):
    """Print trainer events as the notebook did, with a tqdm bar per epoch; return the end event."""
    out, progress = out or sys.stdout, progress or sys.stderr
    steps_per_epoch, bar, end = 1, None, None
    for event in events:
        kind = event["kind"]
        if kind == "start":
            steps_per_epoch = event["steps_per_epoch"]
            print(f"Training {event['name']} on {event['device']} in {event['precision']} "
                  f"({event['params']:,} parameters)", file=out)
        elif kind == "step":
            if bar is None:             # disable=None: no bar when stderr is not a terminal
                bar = tqdm(total=steps_per_epoch, desc=f"Epoch {event['epoch']}", unit="step",
                           file=progress, disable=None, leave=False, dynamic_ncols=True)
            bar.update(event["step"] - (event["epoch"] - 1) * steps_per_epoch - bar.n)
            bar.set_postfix(loss=f"{event['loss']:.4f}", refresh=False)
        elif kind == "epoch":
            bar = bar.close() if bar is not None else None
            print(f"Epoch [{event['epoch']}/{event['epochs']}] - Validation loss: {event['val_loss']:.4f}, "
                  f"Validation accuracy: {100 * event['val_acc']:.2f}%", file=out, flush=True)
        elif kind == "end":
            bar = bar.close() if bar is not None else None
            end = event
            if event["status"] == "completed":
                print(f"Test accuracy: {100 * event['test_acc']:.2f}% "
                      f"(trained {event['train_seconds']:.1f} s)", file=out)
            else:
                print(f"Run {event['status']} after {event['epochs_done']} epochs", file=out)
            if event.get("checkpoint_path"):
                print(f"Checkpoint: {event['checkpoint_path']}", file=out)
    return end


def configs_from_args(preset_name: str, args, **fixed) -> tuple[RowRNNConfig, TrainConfig]:
    """The preset's model and recipe, with every model or recipe option the user typed (and `fixed`)."""
    overrides = {**given(args, RowRNNConfig), **given(args, TrainConfig), **fixed}
    if args.dry_run:
        overrides["epochs"] = 1
    return get_preset(preset_name).configs(**overrides)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def load_splits_for(args, device):
    splits = load_mnist(args.data, device=device, log=_stderr)
    limit = DRY_RUN_IMAGES if args.dry_run else args.limit
    return splits.subset(limit, max(limit // 5, 256)) if limit else splits


def cmd_train(args) -> int:
    model_config, config = configs_from_args(args.preset, args)
    splits = load_splits_for(args, resolve_device(config.device))
    out = Path(args.out) if args.out else Path("checkpoints") / f"{args.preset}.pt"
    end = print_events(train(model_config, config, splits, out=out, name=args.preset))
    return 0 if end and end["status"] == "completed" else 1


def cmd_evaluate(args) -> int:
    device = resolve_device(args.device)
    model = RowRNN.from_checkpoint(args.checkpoint, device)
    splits = load_mnist(args.data, device=device, log=_stderr)
    confusion = torch.zeros(10, 10, dtype=torch.long)
    with torch.no_grad():
        for images, labels in batches(splits.test_x, splits.test_y, 2048, shuffle=False):
            pred = model(images).argmax(1)
            confusion += torch.bincount((labels * 10 + pred).cpu(), minlength=100).reshape(10, 10)
    acc = confusion.diag().sum().item() / confusion.sum().item()
    print(f"{args.checkpoint}: test accuracy {100 * acc:.2f}% on {confusion.sum().item():,} images")
    print("Confusion matrix (rows: true digit, columns: predicted)")
    print("     " + "".join(f"{j:>6}" for j in range(10)))
    for i in range(10):
        print(f"{i:>5}" + "".join(f"{confusion[i, j].item():>6}" for j in range(10)))
    return 0


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' -> [0, 1, 2]; a clear ValueError for anything else."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--seeds takes comma-separated whole numbers such as 0,1,2, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds needs at least one seed and no repeats, got {text!r}")
    return seeds


def cmd_reproduce(args) -> int:
    names = args.presets.split(",") if args.presets else list(PRESETS)
    if args.seeds is None:
        jobs = [Job(name, *configs_from_args(name, args)) for name in names]
        splits = load_splits_for(args, resolve_device(jobs[0].train.device) if jobs else "cpu")
        reproduce(jobs, splits, Path(args.out), Path(args.checkpoints or "checkpoints"),
                  show=print_events, log=_stderr)
        return 0
    if hasattr(args, "seed"):
        raise ValueError("give --seed or --seeds, not both")
    seeds = parse_seeds(args.seeds)
    jobs = [Job(name, *configs_from_args(name, args, seed=seed)) for name in names for seed in seeds]
    splits = load_splits_for(args, resolve_device(jobs[0].train.device))
    reproduce_seeds(jobs, splits, Path(args.out), Path(args.checkpoints or SEED_CHECKPOINTS),
                    show=print_events, log=_stderr, resume=args.resume)
    return 0


def cmd_model_card(args) -> int:
    print(write_model_card(args.checkpoints))
    return 0


def _add_training_options(p) -> None:
    add_options(p, RowRNNConfig, title="model: an option not given keeps the preset's value "
                                        "(the default shown is a new RowRNNConfig's)")
    add_options(p, TrainConfig, title="recipe: an option not given keeps the preset's value "
                                      "(the default shown is the notebook's)")
    p.add_argument("--data", default=None, help="MNIST root (default: $RNN_DEMO_DATA or ./data)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    p.add_argument("--dry-run", action="store_true",
                   help=f"one epoch on {DRY_RUN_IMAGES:,} images, to check the set-up")


def register(sub) -> None:
    """Add the MNIST commands to the top-level parser's subcommands."""
    p = sub.add_parser("train", help="train one preset on MNIST")
    p.add_argument("--preset", default="lstm", help=f"one of: {', '.join(PRESETS)}")
    p.add_argument("--out", default=None, help="checkpoint path (default: checkpoints/<preset>.pt)")
    _add_training_options(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="test accuracy and confusion matrix of a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    p.add_argument("--data", default=None, help="MNIST root (default: $RNN_DEMO_DATA or ./data)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("reproduce", help="train every preset; write a table, plots and the model card")
    p.add_argument("--presets", default=None, help="comma-separated presets (default: all)")
    p.add_argument("--out", default="docs/reproduce", help="folder for the table and plots")
    p.add_argument("--checkpoints", default=None,
                   help="folder for the trained weights (default: checkpoints, the shipped models; "
                        f"with --seeds: {SEED_CHECKPOINTS}, one <preset>-seed<N>.pt per run)")
    p.add_argument("--seeds", default=None,
                   help="comma-separated seeds, e.g. 0,1,2: train every preset once per seed and write "
                        "<out>/seeds.md (mean ± std and min-max of test accuracy per preset, flagged "
                        "where the notebook's number is outside our range)")
    p.add_argument("--resume", action="store_true",
                   help="with --seeds: keep a seed's file already trained with the same configs")
    _add_training_options(p)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("model-card", help="rewrite checkpoints/README.md from the checkpoints' metrics")
    p.add_argument("checkpoints", nargs="?", default="checkpoints")
    p.set_defaults(func=cmd_model_card)
