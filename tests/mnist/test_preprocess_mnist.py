"""Preprocessing checked against real MNIST digits: they survive the pipeline, and models still read them."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from rnn_demo.mnist.data import load_mnist, to_float
from rnn_demo.mnist.model import RowRNN
from rnn_demo.mnist.preprocess import preprocess_sketch, preprocess_upload, to_mnist

ROOT = Path(__file__).resolve().parents[2]


def test_to_mnist_of_an_mnist_digit_is_nearly_itself():
    x = to_float(load_mnist(log=lambda m: None).test_x[:200]).numpy()
    again = np.stack([to_mnist(d) for d in x])
    assert np.abs(again - x).mean() < 0.03


def test_shipped_lstm_keeps_97_percent_on_digits_drawn_anywhere_at_any_size():
    """Real MNIST test digits, pasted at a random place and scale into a big canvas (as a user
    draws), then read back through the pipeline: the shipped LSTM stays at >= 97%."""
    model = RowRNN.from_checkpoint(ROOT / "checkpoints" / "lstm.pt")
    test = load_mnist(log=lambda m: None)
    images, labels = test.test_x[:400].numpy(), test.test_y[:400]
    rng = np.random.default_rng(0)
    digits = []
    for i, image in enumerate(images):
        side = int(rng.integers(90, 450))
        big = np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.BICUBIC))
        layer = np.zeros((600, 600, 4), np.uint8)
        top, left = rng.integers(0, 600 - side, size=2)
        layer[top:top + side, left:left + side, 3] = big
        if i % 2:   # half as sketches (alpha), half as photos (dark ink on light paper)
            digits.append(preprocess_upload(255 - layer[..., 3]))
        else:
            digits.append(preprocess_sketch({"background": None, "layers": [layer], "composite": None}))
    with torch.no_grad():
        accuracy = (model(torch.tensor(np.stack(digits))).argmax(1) == labels).float().mean().item()
    assert accuracy >= 0.97, accuracy
