"""Test accuracy of presets trained in fp32 and in bf16 over the same seeds: what bf16 costs.

    python -m rnn_demo.bench precision [--presets lstm,fast] [--seeds 0,1,2] [--device auto]

Each preset is trained once per seed in each precision through rnn_demo's loop (same data, same
batch order, same initial weights); prints every test accuracy, the means and their difference.
On a CPU without bf16 in hardware, oneDNN has no bf16 LSTM, so the bf16 runs there go through
PyTorch's own kernels (oneDNN off for them): bf16 matmuls with the gate arithmetic in float32.
That measures bf16's effect on accuracy, not its speed, and it rounds less than a fused bf16 cell.
"""

import argparse
import contextlib
import statistics

import torch

from ..devices import machine_label, resolve_device
from ..mnist.data import load_mnist
from ..mnist.presets import get_preset
from ..mnist.train import train
from ..precision import native_bf16


def trained(preset: str, seed: int, precision: str, device, splits) -> dict:
    """The end event of one training of `preset` with `seed` in `precision`."""
    model_config, config = get_preset(preset).configs(seed=seed, precision=precision, device=str(device))
    end = None
    for end in train(model_config, config, splits, name=preset):
        pass
    return end


def run(args) -> None:
    device = resolve_device(args.device)
    seeds = [int(s) for s in args.seeds.split(",")]
    emulated = device.type == "cpu" and not native_bf16(device)
    print(f"fp32 vs bf16 test accuracy on {machine_label(device)}, seeds {args.seeds}")
    if emulated:
        print("no bf16 in this CPU's hardware: bf16 runs with oneDNN off (accuracy only; times are not "
              "bf16's speed)")
    splits = load_mnist(args.data, device=device, log=lambda m: None)
    for preset in args.presets.split(","):
        accs = {"fp32": [], "bf16": []}
        for seed in seeds:
            ends = {}
            for precision in ("fp32", "bf16"):
                off = emulated and precision == "bf16"
                with torch.backends.mkldnn.flags(enabled=False) if off else contextlib.nullcontext():
                    ends[precision] = trained(preset, seed, precision, device, splits)
                accs[precision].append(100 * ends[precision]["test_acc"])
            print(f"{preset} seed {seed}: fp32 {accs['fp32'][-1]:.2f}%, bf16 {accs['bf16'][-1]:.2f}% "
                  f"({accs['bf16'][-1] - accs['fp32'][-1]:+.2f}); trained {ends['fp32']['train_seconds']:.0f} s "
                  f"and {ends['bf16']['train_seconds']:.0f} s", flush=True)
        fp32, bf16 = statistics.fmean(accs["fp32"]), statistics.fmean(accs["bf16"])
        verdict = "within" if abs(bf16 - fp32) <= 0.2 else "NOT within"
        print(f"{preset}: mean fp32 {fp32:.2f}%, bf16 {bf16:.2f}%, difference {bf16 - fp32:+.2f} points "
              f"({verdict} 0.2)", flush=True)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--presets", default="lstm,fast", help="comma-separated presets (default: lstm,fast)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default: 0,1,2)")
    p.add_argument("--device", default="auto")
    p.add_argument("--data", default=None, help="MNIST root (default: $RNN_DEMO_DATA or ./data)")
