"""Seconds of training until validation accuracy first crosses 97, 98 and 99%, against the notebook.

    python -m rnn_demo.bench time-to-accuracy [--preset fast] [--device auto] [--skip-notebook]

Trains the preset through rnn_demo's loop, then `lstm` through the notebook's pipeline for its 10
epochs, in the same process; times exclude validation passes. On a GPU one untimed epoch of the
preset comes first (CUDA and cuDNN start up once per process, not once per run), and losses are
read back every CUDA_LOG_EVERY steps (the trainer's rule on a GPU).
"""

import argparse

import torch

from ..devices import device_label, resolve_device
from ..mnist.data import load_mnist
from ..mnist.presets import get_preset
from ..mnist.train import train
from .notebook import THRESHOLDS, notebook_time_to_accuracy


def run(args) -> None:
    """Wall time at which validation accuracy first crossed 97/98/99% for a preset, and the notebook's."""
    device = resolve_device(args.device)
    print(f"Time to accuracy on {device_label(device)}, torch {torch.__version__}")
    splits = load_mnist(args.data, device=device, log=lambda m: None)
    overrides = {"device": str(device), **({"epochs": args.epochs} if args.epochs else {})}
    if device.type == "cuda":
        warm_model, warm_config = get_preset(args.preset).configs(**{**overrides, "epochs": 1})
        for _ in train(warm_model, warm_config, splits.subset(4096, 512, 0)):
            pass
    model_config, config = get_preset(args.preset).configs(**overrides)
    crossed, end = {}, None
    for event in train(model_config, config, splits, name=args.preset):
        if event["kind"] == "epoch":
            for t in THRESHOLDS:
                if t not in crossed and event["val_acc"] >= t:
                    crossed[t] = (event["train_seconds"], event["epoch"])
        elif event["kind"] == "end":
            end = event
    _report(f"`{args.preset}` (rnn_demo)", crossed, end["test_acc"], end["train_seconds"])

    if args.skip_notebook:
        return
    notebook = notebook_time_to_accuracy(device, splits, 10, args.data)
    _report("`lstm` through the notebook's pipeline, 10 epochs", notebook["crossed"], notebook["test_acc"],
            notebook["train_seconds"])


def _report(title, crossed, test_acc, seconds):
    print(f"\n{title}: trained {seconds:.1f} s, test accuracy {100 * test_acc:.2f}%"
          " (times: training seconds, validation passes excluded)")
    for t in THRESHOLDS:
        if t in crossed:
            s, epoch = crossed[t]
            print(f"  val >= {100 * t:.0f}%: {s:8.1f} s (epoch {epoch})")
        else:
            print(f"  val >= {100 * t:.0f}%: not reached")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="lstm")
    p.add_argument("--device", default="auto")
    p.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    p.add_argument("--data", default=None)
    p.add_argument("--skip-notebook", action="store_true", help="do not run the notebook baseline")
