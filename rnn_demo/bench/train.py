"""One epoch of a preset through the notebook's input pipeline and through ours, in one run.

    python -m rnn_demo.bench train [--preset lstm] [--device auto] [--epochs 1] [--warmup]

The notebook's pipeline is a torchvision dataset + ToTensor + DataLoader; ours keeps the whole
split as one uint8 tensor on the device and takes randperm slices. Prints both and the ratio.
"""

import argparse

import torch

from ..devices import device_label, resolve_device
from ..mnist.data import load_mnist
from ..mnist.presets import get_preset
from ..mnist.train import train
from .notebook import notebook_pipeline_epochs


def ours_epochs(preset_name: str, device, epochs: int = 1, root=None, **overrides):
    """Seconds of training per epoch through rnn_demo.mnist.train (validation time excluded)."""
    model_config, config = get_preset(preset_name).configs(epochs=epochs, device=str(device), **overrides)
    splits = load_mnist(root, device=device, log=lambda m: None)
    previous, times = 0.0, []
    for event in train(model_config, config, splits, name=preset_name):
        if event["kind"] == "epoch":
            times.append(event["train_seconds"] - previous)
            previous = event["train_seconds"]
    return times


def run(args) -> None:
    device = resolve_device(args.device)
    print(f"One epoch of `{args.preset}` (batch 512) on {device_label(device)}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.warmup:
        ours_epochs(args.preset, device, 1)
    notebook = notebook_pipeline_epochs(args.preset, device, args.epochs)
    ours = ours_epochs(args.preset, device, args.epochs)
    nb, us = min(notebook), min(ours)
    print(f"notebook pipeline (torchvision + DataLoader + ToTensor): {nb:7.2f} s/epoch")
    print(f"rnn_demo (tensor-resident, randperm slices):              {us:7.2f} s/epoch")
    print(f"speed-up: {nb / us:.2f}x")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="lstm")
    p.add_argument("--device", default="auto")
    p.add_argument("--epochs", type=int, default=1, help="epochs each (the best is reported)")
    p.add_argument("--warmup", action="store_true", help="one untimed epoch first")
