"""MNIST commands: train, evaluate, reproduce, model-card, runs; registered by `rnn_demo.cli`.

    python -m rnn_demo train --preset lstm --epochs 3 --hidden-size 256
    python -m rnn_demo evaluate checkpoints/lstm.pt
    python -m rnn_demo reproduce --presets lstm,gru
    python -m rnn_demo model-card
    python -m rnn_demo runs list                 # the Training tab's runs; stop ID..., delete ID...

The model and recipe options are the fields of RowRNNConfig and TrainConfig (see
`rnn_demo.options`); an option not given keeps the preset's value.
"""

import os
import sys
from datetime import datetime
from pathlib import Path

import torch
from tqdm import tqdm

from ..devices import resolve_device
from ..options import add_options, given
from .data import batches, load_mnist
from .export import TensorBoardLog, tensorboard_available
from .model import RowRNN, RowRNNConfig
from .presets import PRESETS, get_preset
from .report import write_model_card
from .reproduce import Job, reproduce
from .runs import ACTIVE, RunManager
from .train import TrainConfig, train

DRY_RUN_IMAGES = 1024


def print_events(events, out=None, progress=None):
    """Print trainer events as the notebook did, with a tqdm bar per epoch; return the end event."""
    out, progress = out or sys.stdout, progress or sys.stderr
    steps_per_epoch, bar, end = 1, None, None
    for event in events:
        kind = event["kind"]
        if kind == "start":
            steps_per_epoch = event["steps_per_epoch"]
            print(f"Training {event['name']} on {event['device']} ({event['params']:,} parameters)", file=out)
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


def configs_from_args(preset_name: str, args) -> tuple[RowRNNConfig, TrainConfig]:
    """The preset's model and recipe, with every model or recipe option the user typed."""
    overrides = {**given(args, RowRNNConfig), **given(args, TrainConfig)}
    if args.dry_run:
        overrides["epochs"] = 1
    return get_preset(preset_name).configs(**overrides)


def load_splits_for(args, device):
    splits = load_mnist(args.data, device=device, log=lambda m: print(m, file=sys.stderr))
    limit = DRY_RUN_IMAGES if args.dry_run else args.limit
    return splits.subset(limit, max(limit // 5, 256)) if limit else splits


def _tee(events, write):
    """Pass trainer events on, handing each to `write` first."""
    for event in events:
        write(event)
        yield event


def cmd_train(args) -> int:
    model_config, config = configs_from_args(args.preset, args)
    if args.tensorboard and not tensorboard_available():
        raise ValueError("--tensorboard needs the tensorboard package: pip install tensorboard")
    splits = load_splits_for(args, resolve_device(config.device))
    out = Path(args.out) if args.out else Path("checkpoints") / f"{args.preset}.pt"
    events = train(model_config, config, splits, out=out, name=args.preset)
    if not args.tensorboard:
        end = print_events(events)
    else:
        log_dir = Path(args.tensorboard) / f"{args.preset}-{datetime.now():%Y%m%d-%H%M%S}"
        with TensorBoardLog(log_dir) as tensorboard:
            end = print_events(_tee(events, tensorboard.write))
        print(f"TensorBoard events: {log_dir} (tensorboard --logdir {args.tensorboard})")
    return 0 if end and end["status"] == "completed" else 1


def cmd_evaluate(args) -> int:
    device = resolve_device(args.device)
    model = RowRNN.from_checkpoint(args.checkpoint, device)
    splits = load_mnist(args.data, device=device, log=lambda m: print(m, file=sys.stderr))
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


def cmd_reproduce(args) -> int:
    names = args.presets.split(",") if args.presets else list(PRESETS)
    jobs = [Job(name, *configs_from_args(name, args)) for name in names]
    splits = load_splits_for(args, resolve_device(jobs[0].train.device) if jobs else "cpu")
    reproduce(jobs, splits, Path(args.out), Path(args.checkpoints), show=print_events,
              log=lambda m: print(m, file=sys.stderr))
    return 0


def cmd_model_card(args) -> int:
    print(write_model_card(args.checkpoints))
    return 0


def _runs_manager(args) -> RunManager:
    """The runs folder the app uses, managed as the operator (who may stop or delete any run)."""
    if not Path(args.runs).is_dir():
        raise ValueError(f"no runs folder at {args.runs} (set --runs or RNN_DEMO_RUNS)")
    return RunManager(args.runs)


def cmd_runs_list(args) -> int:
    records = _runs_manager(args).list_runs()
    print(f"{len(records)} run(s) in {args.runs}")
    for r in records:
        owner = f"visitor {r['owner'][:8]}" if isinstance(r.get("owner"), str) and \
            len(r["owner"]) == 64 else "command line"
        accuracy = " ".join(f"{k} {100 * r[k]:.2f}%" for k in ("best_val_acc", "test_acc") if r.get(k))
        print(f"{r['id']}  {r['status']:<11} {r['device']:<8} {owner:<17} {accuracy}".rstrip())
    return 0


def cmd_runs_stop(args) -> int:
    manager = _runs_manager(args)
    for run_id in args.ids:
        record = manager.stop(run_id)
        if record["status"] not in ACTIVE:
            print(f"{run_id}: already {record['status']}")
        elif manager.get(run_id)["status"] == "stopped":
            print(f"{run_id}: stopped")
        else:
            print(f"{run_id}: asked the app serving it to stop it ({record['status']}: "
                  f"{'after its current step' if record['status'] == 'running' else 'when its turn comes'})")
    return 0


def cmd_runs_delete(args) -> int:
    manager = _runs_manager(args)
    for run_id in args.ids:
        manager.delete(run_id)
        print(f"{run_id}: deleted")
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
    tensorboard_dir = Path(os.environ.get("RNN_DEMO_RUNS", "runs")) / "tensorboard"
    p.add_argument("--tensorboard", nargs="?", const=str(tensorboard_dir), metavar="DIR",
                   help="also write TensorBoard event files to DIR/<preset>-<time> (DIR default: "
                        "$RNN_DEMO_RUNS/tensorboard or runs/tensorboard; needs pip install tensorboard)")
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
    p.add_argument("--checkpoints", default="checkpoints", help="folder for the trained weights")
    _add_training_options(p)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("model-card", help="rewrite checkpoints/README.md from the checkpoints' metrics")
    p.add_argument("checkpoints", nargs="?", default="checkpoints")
    p.set_defaults(func=cmd_model_card)

    p = sub.add_parser("runs", help="list, stop or delete the Training tab's runs, anyone's (the operator)")
    actions = p.add_subparsers(dest="action", required=True)
    for action, func, text in (("list", cmd_runs_list, "every run, newest first"),
                               ("stop", cmd_runs_stop, "stop runs (a running one after its current step)"),
                               ("delete", cmd_runs_delete, "delete finished runs' folders")):
        a = actions.add_parser(action, help=text)
        if action != "list":
            a.add_argument("ids", nargs="+", metavar="RUN_ID")
        a.add_argument("--runs", default=os.environ.get("RNN_DEMO_RUNS", "runs"),
                       help="the runs folder (default: $RNN_DEMO_RUNS or ./runs)")
        a.set_defaults(func=func)
