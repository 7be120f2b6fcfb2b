"""MNIST commands: train, evaluate, reproduce, model-card, evaluate-folder, finetune; see `rnn_demo.cli`.

    python -m rnn_demo train --preset lstm --epochs 3 --hidden-size 256
    python -m rnn_demo evaluate checkpoints/lstm.pt
    python -m rnn_demo reproduce --presets lstm,gru
    python -m rnn_demo reproduce --seeds 0,1,2      # mean ± std per preset; shipped files untouched
    python -m rnn_demo model-card
    python -m rnn_demo evaluate-folder my-digits/ --model lstm     # pictures named by label
    python -m rnn_demo finetune --from checkpoints/lstm.pt --folder my-digits/ --out mine.pt

The model and recipe options are the fields of RowRNNConfig and TrainConfig (see
`rnn_demo.options`); an option not given keeps the preset's value.
"""

import os
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..devices import resolve_device
from ..options import add_options, given
from .adapt import AdaptConfig, adapt
from .data import batches, load_mnist
from .digit_files import read_pictures
from .model import RowRNN, RowRNNConfig
from .presets import PRESETS, SHIPPED_PRESETS, get_preset
from .registry import ModelRegistry
from .report import write_model_card
from .reproduce import Job, reproduce, reproduce_seeds
from .runs.export import TensorBoardLog, tensorboard_available
from .scoring import accuracy_table, score
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
    splits = load_mnist(args.data, device=device, log=_stderr)
    confusion = torch.zeros(10, 10, dtype=torch.long)
    with torch.no_grad():
        for images, labels in batches(splits.test_x, splits.test_y, 2048, shuffle=False):
            pred = model(images).argmax(1)
            confusion += torch.bincount((labels * 10 + pred).cpu(), minlength=100).reshape(10, 10)
    acc = confusion.diag().sum().item() / confusion.sum().item()
    print(f"{args.checkpoint}: test accuracy {100 * acc:.2f}% on {confusion.sum().item():,} images")
    print_confusion(confusion.tolist())
    return 0


def print_confusion(confusion) -> None:
    """A 10x10 count table, rows: true digit, columns: predicted."""
    print("Confusion matrix (rows: true digit, columns: predicted)")
    print("     " + "".join(f"{j:>6}" for j in range(10)))
    for i in range(10):
        print(f"{i:>5}" + "".join(f"{confusion[i][j]:>6}" for j in range(10)))


def read_folder(path) -> tuple:
    """(uint8 images (N, 28, 28), labels (N,), names) of the labelled pictures in a folder, zip or
    file; one line on stderr per picture left out; ValueError when none can be read."""
    found = read_pictures([path])
    for line in found.problems:
        print(f"skipped {line}", file=sys.stderr)
    if not found.pictures:
        raise ValueError(f"{path}: no labelled digit pictures could be read (name them my3.png or "
                         "3_anything.png, or put them in folders 0/ ... 9/)")
    images = torch.tensor(np.stack([(p.image * 255).round() for p in found.pictures]), dtype=torch.uint8)
    labels = torch.tensor([p.label for p in found.pictures])
    return images, labels, [p.name for p in found.pictures]


def _registry(args) -> ModelRegistry:
    return ModelRegistry(Path(args.checkpoints), Path(args.runs))


def cmd_evaluate_folder(args) -> int:
    images, labels, names = read_folder(args.folder)
    registry = _registry(args)
    if args.model == "all":
        table, warnings = accuracy_table(registry, images, labels)
        for line in warnings:
            print(f"warning: {line}", file=sys.stderr)
        print(f"{'model':<24} {'right':>9} {'accuracy':>9} {'MNIST test':>11}")
        for row in table:
            mnist = f"{100 * row.mnist_test_acc:.2f}%" if row.mnist_test_acc is not None else "?"
            print(f"{row.name:<24} {f'{row.correct}/{row.total}':>9} {100 * row.accuracy:>8.1f}% {mnist:>11}")
        return 0
    if args.model and Path(args.model).is_file():
        name, model = Path(args.model).stem, RowRNN.from_checkpoint(args.model)
    else:
        listing = registry.scan()
        entry = listing.choose(args.model)
        if entry is None:
            known = ", ".join(e.name for e in listing.entries) or "none"
            raise ValueError(f"no model {args.model!r}: give a checkpoint file or one of: {known}")
        name, model = entry.name, registry.model(entry.path)
    result = score(model, images, labels)
    width = max(len(n) for n in names)
    for shown, label, guess, confidence in zip(names, result.labels, result.predictions, result.confidences):
        mark = "" if guess == label else "  <- misread"
        print(f"{shown:<{width}}  label {label}  read {guess} ({100 * confidence:.0f}%){mark}")
    if result.confusion is not None:
        print_confusion(result.confusion)
    print(f"{name}: {result.correct} of {len(labels)} right, accuracy {100 * result.accuracy:.1f}%")
    return 0


def _print_adapt_events(events):
    """Print the adaptation's own events; pass the final run's on (to print_events)."""
    for event in events:
        if event["kind"] == "adapt":
            print(f"Adapting {event['source']} to {event['digits']} digits: {event['protocol']} held-out "
                  f"estimate, {event['runs']} runs of {event['steps']} steps (batch {event['batch_size']}, "
                  f"{100 * event['my_share']:.0f}% my digits)")
        elif event["kind"] == "fold":
            print(f"  estimate run {event['fold']}/{event['folds']}: {event['correct']} of "
                  f"{event['held_out']} held-out digits right ({event['seconds']:.1f} s)", flush=True)
        else:
            yield event


def cmd_finetune(args) -> int:
    config = AdaptConfig(**given(args, AdaptConfig)).validate()
    images, labels, _ = read_folder(args.folder)
    mnist = load_mnist(args.data, device=resolve_device(config.device),
                       log=lambda m: print(m, file=sys.stderr))
    end = print_events(_print_adapt_events(adapt(args.source, images, labels, mnist, config,
                                                 out=Path(args.out))))
    if end is None or end["status"] != "completed":
        return 1
    a = end["adapted"]
    before = a["source_test_acc"]
    print(f"{'':<18}{'before':>9}{'after':>9}")
    print(f"{'held-out digits':<18}{100 * a['held_out_before']:>8.1f}%{100 * a['held_out_after']:>8.1f}%"
          f"   {a['held_out']} digits, {a['protocol']}")
    print(f"{'MNIST validation':<18}{100 * a['mnist_val_before']:>8.2f}%{100 * end['val_acc']:>8.2f}%"
          f"   first {a['mnist_val_images']:,} images")
    print(f"{'MNIST test':<18}{f'{100 * before:.2f}%' if before is not None else '?':>9}"
          f"{100 * end['test_acc']:>8.2f}%   before: the source checkpoint's record")
    print(f"Adaptation took {end['adapt_seconds']:.1f} s ({end['train_seconds']:.1f} s in the final run)")
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
    names = args.presets.split(",") if args.presets else SHIPPED_PRESETS
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
    p.add_argument("--presets", default=None, help="comma-separated presets (default: every preset whose checkpoint ships)")
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

    p = sub.add_parser("evaluate-folder", help="read labelled digit pictures (folder or zip) with a model")
    p.add_argument("folder", help="pictures named my3.png or 3_anything.png, folders 0/ ... 9/, or a zip")
    p.add_argument("--model", default=None,
                   help="a checkpoint file, a model name, or 'all' for every model (default: the best)")
    _add_model_folders(p)
    p.set_defaults(func=cmd_evaluate_folder)

    p = sub.add_parser("finetune", help="adapt a model to labelled digit pictures, mixed with MNIST")
    p.add_argument("--from", dest="source", required=True, help="the row_rnn checkpoint to start from")
    p.add_argument("--folder", required=True, help="labelled digit pictures: a folder or a zip")
    p.add_argument("--out", required=True, help="where the adapted checkpoint goes")
    add_options(p, AdaptConfig, title="adaptation")
    p.add_argument("--data", default=None, help="MNIST root (default: $RNN_DEMO_DATA or ./data)")
    p.set_defaults(func=cmd_finetune)


def _add_model_folders(p) -> None:
    p.add_argument("--checkpoints", default=os.environ.get("RNN_DEMO_CHECKPOINTS", "checkpoints"),
                   help="shipped models (default: $RNN_DEMO_CHECKPOINTS or ./checkpoints)")
    p.add_argument("--runs", default=os.environ.get("RNN_DEMO_RUNS", "runs"),
                   help="training runs (default: $RNN_DEMO_RUNS or ./runs)")
