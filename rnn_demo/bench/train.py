"""One epoch of a preset through the notebook's input pipeline and through ours, in fp32 and bf16.

    python -m rnn_demo.bench train [--preset lstm] [--device auto] [--epochs 1] [--warmup]
                                   [--precisions fp32,bf16]

The notebook's pipeline is a torchvision dataset + ToTensor + DataLoader in fp32; ours keeps the
whole split as one uint8 tensor on the device and takes randperm slices, in each precision asked
for. Prints every time and its speed-up over the notebook's, all measured in the same run.
"""

import argparse

from ..devices import machine_label, resolve_device
from ..mnist.data import load_mnist
from ..mnist.presets import get_preset
from ..mnist.train import train
from ..precision import native_bf16
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
    precisions = [p for p in args.precisions.split(",") if p]
    batch = get_preset(args.preset).train.batch_size
    print(f"One epoch of `{args.preset}` (ours: batch {batch}, the notebook's: batch 512) on "
          f"{machine_label(device)}")
    print(f"bf16 in hardware: {'yes' if native_bf16(device) else 'no'} "
          f"(precision auto trains in {'bf16' if native_bf16(device) else 'fp32'} here)")
    if args.warmup:
        ours_epochs(args.preset, device, 1)
    nb = min(notebook_pipeline_epochs(args.preset, device, args.epochs))
    print(f"notebook pipeline (torchvision + DataLoader + ToTensor), fp32: {nb:7.2f} s/epoch   1.00x",
          flush=True)
    for precision in precisions:
        label = f"rnn_demo (tensor-resident, randperm slices), {precision}:"
        try:
            us = min(ours_epochs(args.preset, device, args.epochs, precision=precision))
        except RuntimeError as e:     # e.g. no bf16 LSTM kernel on this CPU: say so, measure the rest
            print(f"{label:<63} cannot run: {str(e).splitlines()[0]}", flush=True)
            continue
        print(f"{label:<63} {us:7.2f} s/epoch   {nb / us:.2f}x", flush=True)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="lstm")
    p.add_argument("--device", default="auto")
    p.add_argument("--epochs", type=int, default=1, help="epochs each (the best is reported)")
    p.add_argument("--precisions", default="fp32,bf16", help="our loop's precisions to time (default: fp32,bf16)")
    p.add_argument("--warmup", action="store_true", help="one untimed epoch first")
