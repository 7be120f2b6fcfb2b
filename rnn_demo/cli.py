"""Command line: python -m rnn_demo {train, evaluate, reproduce, train-adder, evaluate-adder}."""

import argparse
import sys
from pathlib import Path

from .adder_cli import register as register_adder
from .presets import PRESETS


class UsageError(ValueError):
    """Bad arguments: printed as one line, exit status 2."""


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def print_events(events, out=None, progress=None):
    """Render trainer events as the notebook did, with a progress bar per epoch; return the end event."""
    out, progress = out or sys.stdout, progress or sys.stderr
    steps_per_epoch, end = 1, None
    for event in events:
        kind = event["kind"]
        if kind == "start":
            steps_per_epoch = event["steps_per_epoch"]
            print(f"Training {event['name']} on {event['device']} ({event['params']:,} parameters)", file=out)
        elif kind == "step":
            done = event["step"] - (event["epoch"] - 1) * steps_per_epoch
            if progress.isatty() or done == steps_per_epoch:
                print(f"\rEpoch {event['epoch']} {_bar(done, steps_per_epoch)} loss {event['loss']:.4f}",
                      end="\n" if done == steps_per_epoch else "", file=progress, flush=True)
        elif kind == "epoch":
            print(f"Epoch [{event['epoch']}/{event['epochs']}] - Validation loss: {event['val_loss']:.4f}, "
                  f"Validation accuracy: {100 * event['val_acc']:.2f}%", file=out, flush=True)
        elif kind == "end":
            end = event
            if event["status"] == "completed":
                print(f"Test accuracy: {100 * event['test_acc']:.2f}% "
                      f"(trained {event['train_seconds']:.1f} s)", file=out)
            else:
                print(f"Run {event['status']} after {event['epochs_done']} epochs", file=out)
            if event.get("checkpoint_path"):
                print(f"Checkpoint: {event['checkpoint_path']}", file=out)
    return end


def add_train_options(p: argparse.ArgumentParser, defaults) -> None:
    """Options shared by train, reproduce and the benchmarks (defaults shown in --help)."""
    p.add_argument("--epochs", type=int, default=None, help=f"epochs (default: preset's, else {defaults.epochs})")
    p.add_argument("--batch-size", type=int, default=None, help=f"batch size (default: {defaults.batch_size})")
    p.add_argument("--lr", type=float, default=None, help=f"peak learning rate (default: preset's, else {defaults.lr})")
    p.add_argument("--schedule", choices=["constant", "onecycle", "cosine"], default=None,
                   help="learning-rate schedule (default: constant)")
    p.add_argument("--optimizer", choices=["adam", "adamw"], default=None, help="optimizer (default: adam)")
    p.add_argument("--weight-decay", type=float, default=None, help="weight decay (default: 0)")
    p.add_argument("--max-shift", type=int, default=None, help="random-translation augmentation in px (default: 0)")
    p.add_argument("--grad-clip", type=float, default=None, help="max gradient norm, 0 = off (default: 0)")
    p.add_argument("--label-smoothing", type=float, default=None, help="label smoothing (default: 0)")
    p.add_argument("--dropout", type=float, default=None,
                   help="dropout between recurrent layers and before the head (default: preset's)")
    p.add_argument("--seed", type=int, default=None, help="seed for weights and batch order (default: 0)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    p.add_argument("--data", default=None, help="MNIST root (default: $RNN_DEMO_DATA or ./data)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    p.add_argument("--dry-run", action="store_true", help="one epoch on 1,024 images, to check the set-up")


def train_config_from_args(preset, args):
    """TrainConfig = defaults, then the preset's overrides, then what the user gave."""
    from .train import TrainConfig
    values = {**preset.train_overrides}
    for field in ("epochs", "batch_size", "lr", "schedule", "optimizer", "weight_decay", "max_shift", "seed",
                  "grad_clip", "label_smoothing"):
        if getattr(args, field, None) is not None:
            values[field] = getattr(args, field)
    if args.dry_run:
        values["epochs"] = 1
    return TrainConfig(device=args.device, **values).validate()


def model_config_from_args(preset, args):
    """The preset's model, with the dropout the user gave (the only model option on the command line)."""
    from dataclasses import replace
    return (preset.model if args.dropout is None else replace(preset.model, dropout=args.dropout)).validate()


def load_splits_for(args, device):
    from .data import load_mnist
    splits = load_mnist(args.data, device=device, log=lambda m: print(m, file=sys.stderr))
    limit = 1024 if args.dry_run else args.limit
    return splits.subset(limit, max(limit // 5, 256)) if limit else splits


def cmd_train(args) -> int:
    from .devices import resolve_device
    from .presets import get_preset
    from .train import train
    preset = get_preset(args.preset)
    config = train_config_from_args(preset, args)
    model_config = model_config_from_args(preset, args)
    device = resolve_device(config.device)
    splits = load_splits_for(args, device)
    out = Path(args.out) if args.out else Path("checkpoints") / f"{preset.name}.pt"
    end = print_events(train(model_config, config, splits, out=out, name=preset.name))
    return 0 if end and end["status"] == "completed" else 1


def cmd_evaluate(args) -> int:
    import torch
    from .data import batches, load_mnist
    from .devices import resolve_device
    from .train import load_row_rnn
    device = resolve_device(args.device)
    model, ckpt = load_row_rnn(args.checkpoint, device)
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
    from .reproduce import reproduce
    names = args.presets.split(",") if args.presets else None
    reproduce(names, args, Path(args.out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .train import TrainConfig
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m rnn_demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train one preset on MNIST",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--preset", default="lstm", help=f"one of: {', '.join(PRESETS)}")
    p.add_argument("--out", default=None, help="checkpoint path (default: checkpoints/<preset>.pt)")
    add_train_options(p, defaults)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="test accuracy and confusion matrix of a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("--device", default="auto")
    p.add_argument("--data", default=None)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("reproduce", help="train every preset; write a table, plots and the model card")
    p.add_argument("--presets", default=None, help="comma-separated presets (default: all)")
    p.add_argument("--out", default="docs/reproduce", help="folder for the table and plots")
    p.add_argument("--checkpoints", default="checkpoints", help="folder for the trained weights")
    add_train_options(p, defaults)
    p.set_defaults(func=cmd_reproduce)

    register_adder(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "preset", None) is not None and args.preset not in PRESETS:
        parser.exit(2, f"error: unknown preset {args.preset!r}; choose one of: {', '.join(PRESETS)}\n")
    try:
        return args.func(args)
    except (ValueError, RuntimeError, OSError) as e:
        # Bad arguments, missing CUDA, unusable data or checkpoints: one clear line, no traceback.
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
