"""Unit-tier fixtures: a tiny model that has learned the synthetic digits, and sets drawn in code."""

import pytest
import torch

from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.model import RowRNNConfig
from rnn_demo.mnist.train import TrainConfig, train

TINY = RowRNNConfig(cell="gru", hidden_size=16)


def shifted_bars(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """"My handwriting" for the synthetic task: a writer whose bars sit one pixel to the right of
    synthetic MNIST's (digit k on columns 2k+5 and 2k+6, half on the next digit's), uint8
    (n, 28, 28) and labels (n,), every digit about equally often."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 10
    x = torch.randint(0, 40, (n, 28, 28), generator=g)
    for k in range(10):
        x[y == k, 4:24, 2 * k + 5: 2 * k + 7] += 200
    return x.clamp(0, 255).to(torch.uint8), y


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A GRU 16 trained on synthetic MNIST (vertical bars) until it reads most of them: (path, splits)."""
    splits = synthetic_splits(n_train=512, n_val=128, n_test=128)
    path = tmp_path_factory.mktemp("tiny") / "tiny.pt"
    config = TrainConfig(epochs=3, batch_size=32, lr=3e-2, device="cpu")
    end = list(train(TINY, config, splits, out=path, name="tiny"))[-1]
    assert end["test_acc"] > 0.6, end["test_acc"]
    return path, splits


@pytest.fixture(scope="session")
def my_bars():
    """The function `shifted_bars(n, seed)`: a synthetic personal set."""
    return shifted_bars
