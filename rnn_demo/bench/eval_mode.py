"""Accuracy of checkpoints scored as we do (eval mode) and as the notebook did (train mode).

    python -m rnn_demo.bench eval-mode runs/reproduce-seeds/lstm-bn-mlp-seed*.pt [--batch-size 512]

The notebook never switched its models to eval mode, so a BatchNorm model was validated and
tested normalising each batch by the batch's own statistics. We score in eval mode, with the
running averages BatchNorm kept during training. A third score separates the two effects: eval
mode with the running statistics recomputed exactly over the training images ("precise BN"),
which needs no test data. Models without BatchNorm (or dropout) score the same all three ways.
Prints validation and test accuracy per file, then the mean per preset.
"""

import argparse
import copy
import statistics
from collections import defaultdict
from pathlib import Path

import torch

from ..devices import resolve_device
from ..mnist.data import batches, load_mnist
from ..mnist.model import RowRNN
from ..mnist.train import evaluate
from .notebook import notebook_accuracy

COLUMNS = ("val ours", "val nb", "val precise", "test ours", "test nb", "test precise")


@torch.no_grad()
def with_training_statistics(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 2048):
    """A copy of `model` in eval mode whose BatchNorm statistics are averaged over all of `images`."""
    model = copy.deepcopy(model)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None            # a cumulative average over every batch, not an EMA
    model.train()
    for rows, _ in batches(images, torch.zeros(len(images)), batch_size, shuffle=False):
        model(rows)
    return model.eval()


def run(args) -> None:
    device = resolve_device(args.device)
    splits = load_mnist(args.data, device=device, log=lambda m: None)
    print(f"Accuracy (%): ours = eval mode, BatchNorm running averages; nb = train mode as in the notebook "
          f"(batches of {args.batch_size} in order); precise = eval mode, statistics recomputed over the "
          "50k training images")
    print(f"{'checkpoint':<28}" + "".join(f"{c:>13}" for c in COLUMNS))
    per_preset = defaultdict(list)
    for path in map(Path, args.checkpoints):
        model = RowRNN.from_checkpoint(path, device)
        precise = with_training_statistics(model, splits.train_x)
        scores = []
        for x, y in ((splits.val_x, splits.val_y), (splits.test_x, splits.test_y)):
            scores += [100 * evaluate(model, x, y)[1], 100 * notebook_accuracy(model, x, y, args.batch_size),
                       100 * evaluate(precise, x, y)[1]]
        per_preset[path.stem.split("-seed")[0]].append(scores)
        print(f"{path.name:<28}" + "".join(f"{s:13.2f}" for s in scores), flush=True)
    print("\nmean per preset (number of files)")
    for name, rows in per_preset.items():
        print(f"{f'{name} ({len(rows)})':<28}" + "".join(f"{statistics.fmean(c):13.2f}" for c in zip(*rows)))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoints", nargs="+", help="row_rnn checkpoint files")
    p.add_argument("--batch-size", type=int, default=512, help="evaluation batch in train mode (default: 512)")
    p.add_argument("--device", default="auto")
    p.add_argument("--data", default=None, help="MNIST root (default: $RNN_DEMO_DATA or ./data)")
