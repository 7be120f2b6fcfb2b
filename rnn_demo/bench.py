"""Benchmarks that print numbers (no pass/fail): python -m rnn_demo.bench {train, time-to-accuracy, sketch}.

`train` times one epoch of a preset through the reference notebook's input pipeline
(torchvision dataset + DataLoader + ToTensor) and through ours (tensors resident on the
device, randperm slices), in the same process, and prints both and the ratio.
"""

import argparse
import sys
import time

import torch
import torch.nn.functional as F

from .data import default_root, ensure_mnist, load_mnist
from .devices import device_label, resolve_device
from .presets import get_preset
from .train import TrainConfig, build_model, evaluate, train


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def notebook_pipeline_epochs(preset_name: str, device, epochs: int = 1, root=None, on_epoch=None):
    """The notebook's way: torchvision MNIST + ToTensor + DataLoader(batch 512, shuffle).

    Trains on its own 50k/10k split of the training set, like the notebook; returns seconds per
    epoch (training only). `on_epoch(epoch, seconds, model)` is called after each epoch.
    """
    from torch.utils.data import DataLoader, random_split
    from torchvision import datasets, transforms
    ensure_mnist(root, log=lambda m: None)
    full = datasets.MNIST(str(root or default_root()), train=True, download=False,
                          transform=transforms.ToTensor())
    train_set, _ = random_split(full, [50_000, 10_000], generator=torch.Generator().manual_seed(0))
    loader = DataLoader(train_set, batch_size=512, shuffle=True)
    preset = get_preset(preset_name)
    model = build_model(preset.model, 0, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=TrainConfig(**preset.train_overrides).lr)
    times, elapsed = [], 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        for images, labels in loader:
            images, labels = images.squeeze(1).to(device), labels.to(device)   # (B, 28, 28)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        _sync(device)
        times.append(time.perf_counter() - t0)
        elapsed += times[-1]
        if on_epoch is not None:
            on_epoch(epoch, elapsed, model)
    return times


def ours_epochs(preset_name: str, device, epochs: int = 1, root=None, **overrides):
    """Seconds of training per epoch through rnn_demo.train (validation time excluded)."""
    preset = get_preset(preset_name)
    splits = load_mnist(root, device=device, log=lambda m: None)
    config = TrainConfig(epochs=epochs, device=str(device), **{**preset.train_overrides, **overrides})
    previous, times = 0.0, []
    for event in train(preset.model, config, splits, name=preset.name):
        if event["kind"] == "epoch":
            times.append(event["train_seconds"] - previous)
            previous = event["train_seconds"]
    return times


def bench_train(args) -> None:
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


def bench_time_to_accuracy(args) -> None:
    """Wall time at which validation accuracy first crossed 97/98/99% for a preset, and the notebook's."""
    device = resolve_device(args.device)
    thresholds = (0.97, 0.98, 0.99)
    print(f"Time to accuracy on {device_label(device)}, torch {torch.__version__}")
    splits = load_mnist(args.data, device=device, log=lambda m: None)
    preset = get_preset(args.preset)
    overrides = {**preset.train_overrides, **({"epochs": args.epochs} if args.epochs else {})}
    crossed, end = {}, None
    for event in train(preset.model, TrainConfig(device=str(device), **overrides), splits, name=preset.name):
        if event["kind"] == "epoch":
            for t in thresholds:
                if t not in crossed and event["val_acc"] >= t:
                    crossed[t] = (event["train_seconds"], event["epoch"])
        elif event["kind"] == "end":
            end = event
    _report(f"`{preset.name}` (rnn_demo)", crossed, thresholds, end["test_acc"], end["train_seconds"])

    if args.skip_notebook:
        return
    nb_crossed, nb_model = {}, {}

    def on_epoch(epoch, seconds, model):
        _, acc = evaluate(model, splits.val_x, splits.val_y)
        nb_model["model"] = model
        for t in thresholds:
            if t not in nb_crossed and acc >= t:
                nb_crossed[t] = (seconds, epoch)

    times = notebook_pipeline_epochs("lstm", device, 10, args.data, on_epoch)
    _, test_acc = evaluate(nb_model["model"], splits.test_x, splits.test_y)
    _report("`lstm` through the notebook's pipeline, 10 epochs", nb_crossed, thresholds, test_acc, sum(times))


def _report(title, crossed, thresholds, test_acc, seconds):
    print(f"\n{title}: trained {seconds:.1f} s, test accuracy {100 * test_acc:.2f}%"
          " (times: training seconds, validation passes excluded)")
    for t in thresholds:
        if t in crossed:
            s, epoch = crossed[t]
            print(f"  val >= {100 * t:.0f}%: {s:8.1f} s (epoch {epoch})")
        else:
            print(f"  val >= {100 * t:.0f}%: not reached")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_demo.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("train", help="one epoch: the notebook's input pipeline vs ours")
    p.add_argument("--preset", default="lstm")
    p.add_argument("--device", default="auto")
    p.add_argument("--epochs", type=int, default=1, help="epochs each (the best is reported)")
    p.add_argument("--warmup", action="store_true", help="one untimed epoch first")
    p.set_defaults(func=bench_train)
    p = sub.add_parser("time-to-accuracy", help="seconds until validation accuracy crosses 97/98/99%%")
    p.add_argument("--preset", default="lstm")
    p.add_argument("--device", default="auto")
    p.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    p.add_argument("--data", default=None)
    p.add_argument("--skip-notebook", action="store_true", help="do not run the notebook baseline")
    p.set_defaults(func=bench_time_to_accuracy)
    sub.add_parser("sketch", help="latency of preprocessing + prediction (Sketch tab); "
                   "options: python -m rnn_demo.bench_sketch --help")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sketch"]:
        from .bench_sketch import main as sketch_main
        return sketch_main(argv[1:]) or 0
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
