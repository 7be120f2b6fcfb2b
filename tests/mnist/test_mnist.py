"""Real MNIST: fetched and verified, split 50k/10k/10k, and a short run learns."""

import torch

from rnn_demo.mnist.data import load_mnist
from rnn_demo.mnist.presets import PRESETS
from rnn_demo.mnist.train import TrainConfig, train


def test_split_sizes_and_seeded_split_are_stable():
    a = load_mnist(log=lambda m: None)
    assert (len(a.train_x), len(a.val_x), len(a.test_x)) == (50_000, 10_000, 10_000)
    assert a.train_x.dtype == torch.uint8 and a.train_x.shape[1:] == (28, 28)
    b = load_mnist(log=lambda m: None)
    assert torch.equal(a.val_y, b.val_y) and torch.equal(a.train_x[:100], b.train_x[:100])
    assert not torch.equal(load_mnist(split_seed=1, log=lambda m: None).val_y, a.val_y)


def test_one_epoch_on_a_few_thousand_digits_learns_well_above_chance():
    splits = load_mnist(log=lambda m: None).subset(4000, 1000, 1000)
    config = TrainConfig(epochs=1, batch_size=64, lr=3e-3, device="cpu")
    end = list(train(PRESETS["gru"].model, config, splits))[-1]
    assert end["test_acc"] > 0.6, end["test_acc"]
