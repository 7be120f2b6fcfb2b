"""Preprocessing checked against real MNIST digits: they survive the pipeline, and models still read them."""

import io
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


# ---- real test digits in the pictures people have (issue: "Every picture a person has") ---------

def _first(splits, label, k=0) -> np.ndarray:
    """The k-th MNIST test digit of a label, uint8 (28, 28)."""
    return splits.test_x[splits.test_y == label][k].numpy()


def _big(image: np.ndarray, factor=10) -> np.ndarray:
    """Enlarged `factor` times (bicubic), as a scan or a drawing app would hold it; float in [0, 1]."""
    h, w = image.shape
    big = Image.fromarray(image).resize((w * factor, h * factor), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float32) / 255.0


def _file(image: Image.Image, fmt: str, **options) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    buffer.seek(0)
    return buffer


def _reads(model, digits) -> list[int]:
    with torch.no_grad():
        return model(torch.tensor(np.stack(digits))).argmax(1).tolist()


def test_a_7_a_1_and_a_0_read_right_in_every_sample_format_and_colour_mode():
    splits = load_mnist(log=lambda m: None)
    model = RowRNN.from_checkpoint(ROOT / "checkpoints" / "best.pt")
    paper, ink = 56000, 8000                          # a 16-bit scan: paper and ink levels
    for label in (7, 1, 0):
        digit = _big(_first(splits, label))
        scan16 = np.round(paper - digit * (paper - ink)).astype(np.uint16)
        scan8 = (scan16 // 257).astype(np.uint8)
        alpha = np.round(digit * 255).astype(np.uint8)
        pictures = {
            "8-bit PNG": _file(Image.fromarray(scan8), "PNG"),
            "16-bit PNG": _file(Image.fromarray(scan16), "PNG"),
            "32-bit integer TIFF": _file(Image.fromarray(scan16.astype(np.int32)), "TIFF"),
            "float TIFF": _file(Image.fromarray(scan16.astype(np.float32) / 65535), "TIFF"),
            "uint16 array": scan16,
            "L*a*b* TIFF": _file(Image.fromarray(scan8).convert("RGB").convert("LAB"), "TIFF"),
            "CMYK JPEG": _file(Image.fromarray(scan8).convert("CMYK"), "JPEG", quality=95),
            "LA PNG": _file(Image.fromarray(np.dstack([np.zeros_like(alpha), alpha])), "PNG"),
            "RGBA black ink": _file(Image.fromarray(np.dstack([np.zeros_like(alpha)] * 3 + [alpha])), "PNG"),
            "white ink on transparency": _file(Image.fromarray(
                np.dstack([np.full_like(alpha, 255)] * 3 + [alpha])), "PNG"),
        }
        palette = Image.fromarray((alpha > 127).astype(np.uint8)).convert("P")
        palette.putpalette([255, 255, 255, 0, 0, 0])
        pictures["palette PNG with transparency"] = _file(palette, "PNG", transparency=0)
        reads = dict(zip(pictures, _reads(model, [preprocess_upload(p) for p in pictures.values()])))
        assert reads == dict.fromkeys(pictures, label), reads


def test_the_first_40_ones_cropped_to_their_ink_in_white_on_transparency_read_as_ones():
    splits = load_mnist(log=lambda m: None)
    model = RowRNN.from_checkpoint(ROOT / "checkpoints" / "best.pt")
    ones = splits.test_x[splits.test_y == 1][:40].numpy()
    seen = []
    for one in ones:
        rows, cols = np.flatnonzero(one.any(1)), np.flatnonzero(one.any(0))
        alpha = np.round(_big(one[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]) * 255).astype(np.uint8)
        white = np.dstack([np.full_like(alpha, 255)] * 3 + [alpha])
        seen.append(preprocess_upload(_file(Image.fromarray(white), "PNG")))
    assert _reads(model, seen) == [1] * 40


def test_a_digit_in_any_field_of_an_editor_value_is_read():
    splits = load_mnist(log=lambda m: None)
    model = RowRNN.from_checkpoint(ROOT / "checkpoints" / "best.pt")
    digits, labels = [], []
    for label in (7, 1, 0):
        dark = np.round(255 - _big(_first(splits, label), 15) * 255).astype(np.uint8)
        picture = np.dstack([dark] * 3 + [np.full_like(dark, 255)])
        blank = np.zeros_like(picture)
        for value in ({"background": picture, "layers": [], "composite": None},
                      {"background": None, "layers": [blank], "composite": picture},
                      {"background": picture, "layers": [blank], "composite": None}):
            digits.append(preprocess_sketch(value))
            labels.append(label)
    assert _reads(model, digits) == labels
