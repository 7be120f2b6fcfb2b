"""Adapting a shipped model to handwriting-like digits keeps what it knew of MNIST."""

import tempfile
from pathlib import Path

import torch

from rnn_demo.bench.handwriting import handwriting_set
from rnn_demo.mnist.adapt import AdaptConfig, adapt
from rnn_demo.mnist.data import load_mnist
from rnn_demo.mnist.digit_files import read_pictures
from rnn_demo.mnist.my_digits import add_pictures, as_tensors, new_set

ROOT = Path(__file__).resolve().parents[2]


def test_adapting_fast_costs_at_most_0_3_points_of_mnist_test():
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, picture) in enumerate(handwriting_set(per_class=4, seed=0)):
            picture.save(Path(tmp) / f"{label}_{i}.png")
        found = read_pictures([tmp])
    assert found.problems == [] and len(found.pictures) == 40
    digits, _ = add_pictures(new_set(), [(p.image, p.label, p.name) for p in found.pictures])
    images, labels = as_tensors(digits)
    mnist = load_mnist(log=lambda m: None)
    config = AdaptConfig(steps=30, device="cpu")
    events = list(adapt(ROOT / "checkpoints" / "fast.pt", images, labels, mnist, config))
    end = events[-1]
    origin = end["adapted"]
    assert end["status"] == "completed" and origin["held_out"] == 40
    assert end["test_acc"] >= origin["source_test_acc"] - 0.003, (origin, end["test_acc"])
    assert end["val_acc"] >= origin["mnist_val_before"] - 0.003
    assert origin["held_out_after"] >= origin["held_out_before"]
    assert torch.bincount(labels).tolist() == [4] * 10
