"""One epoch of a preset through the notebook's input pipeline and through ours, in fp32 and bf16.

    python -m rnn_demo.bench train [--preset lstm] [--device auto] [--rounds 1] [--threads N]
                                   [--precisions fp32,bf16] [--warmup]

The notebook's pipeline is a torchvision dataset + ToTensor + DataLoader in fp32; ours keeps the
whole split as one uint8 tensor on the device and takes randperm slices, in each precision asked
for. Each round times one epoch of each, one after the other, so that a change in the machine's
load hits all of them; the fastest of the rounds is printed with its speed-up over the notebook's.
"""

import argparse

import torch

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
    if args.threads:
        torch.set_num_threads(args.threads)
    precisions = [p for p in args.precisions.split(",") if p]
    batch = get_preset(args.preset).train.batch_size
    print(f"One epoch of `{args.preset}` (ours: batch {batch}, the notebook's: batch 512) on "
          f"{machine_label(device)}; fastest of {args.rounds} round(s)")
    print(f"bf16 in hardware: {'yes' if native_bf16(device) else 'no'} "
          f"(precision auto trains in {'bf16' if native_bf16(device) else 'fp32'} here)")
    if args.warmup:
        ours_epochs(args.preset, device, 1)
    notebook, ours, failed = [], {p: [] for p in precisions}, {}
    for _ in range(args.rounds):
        notebook += notebook_pipeline_epochs(args.preset, device, 1)
        for precision in precisions:
            if precision not in failed:
                try:
                    ours[precision] += ours_epochs(args.preset, device, 1, precision=precision)
                except RuntimeError as e:     # e.g. no bf16 LSTM kernel on this CPU: say so, time the rest
                    failed[precision] = str(e).splitlines()[0]
    nb = min(notebook)
    print(f"{'notebook pipeline (torchvision + DataLoader + ToTensor), fp32:':<63} {nb:7.2f} s/epoch   1.00x")
    for precision in precisions:
        label = f"rnn_demo (tensor-resident, randperm slices), {precision}:"
        if precision in failed:
            print(f"{label:<63} cannot run: {failed[precision]}")
        else:
            us = min(ours[precision])
            print(f"{label:<63} {us:7.2f} s/epoch   {nb / us:.2f}x")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="lstm")
    p.add_argument("--device", default="auto")
    p.add_argument("--rounds", type=int, default=1, help="rounds of one epoch each (the fastest is reported)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--precisions", default="fp32,bf16", help="our loop's precisions to time (default: fp32,bf16)")
    p.add_argument("--warmup", action="store_true", help="one untimed epoch first")
