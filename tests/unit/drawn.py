"""Digits drawn with Pillow as people write them, at any canvas size and pen width (test material).

    ink = drawn_ink(7, size=800, pen=2)      # (800, 800) float32, 1 on the strokes, 0 elsewhere
"""

import functools
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from rnn_demo.mnist.model import RowRNN, predict

ROOT = Path(__file__).resolve().parents[2]


def arc(cx, cy, rx, ry, start, end, n=24):
    """Points on an ellipse from angle `start` to `end` (degrees; 0 = right, 90 = down)."""
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / n))) for i in range(n + 1)]


# Each digit is a list of strokes (polylines) in a unit square.
STROKES = {
    0: [arc(0.5, 0.5, 0.25, 0.38, 0, 360, 48)],
    1: [[(0.45, 0.2), (0.56, 0.1), (0.5, 0.9)]],
    2: [arc(0.5, 0.32, 0.2, 0.2, 190, 360) + [(0.66, 0.45), (0.28, 0.88), (0.75, 0.88)]],
    3: [arc(0.48, 0.3, 0.2, 0.18, 200, 450) + arc(0.48, 0.68, 0.23, 0.2, 270, 500)],
    4: [[(0.62, 0.9), (0.62, 0.1), (0.22, 0.62), (0.8, 0.62)]],
    5: [[(0.72, 0.12), (0.36, 0.12), (0.32, 0.45)] + arc(0.48, 0.64, 0.24, 0.24, 230, 510)],
    6: [[(0.66, 0.1)] + arc(0.5, 0.66, 0.22, 0.24, 200, 560)],
    7: [[(0.25, 0.14), (0.76, 0.14), (0.42, 0.9)]],
    8: [arc(0.5, 0.3, 0.18, 0.18, 90, 450), arc(0.5, 0.7, 0.22, 0.2, -90, 270)],
    9: [arc(0.5, 0.32, 0.2, 0.2, 0, 360), [(0.7, 0.32), (0.64, 0.9)]],
}

# The "2" of the thin-pen report in four variants: round, angular, slanted, small in its canvas.
TWOS = [STROKES[2],
        [[(0.3, 0.28), (0.42, 0.14), (0.6, 0.14), (0.68, 0.3), (0.3, 0.86), (0.74, 0.86)]],
        [[(x + 0.25 * (0.5 - y), y) for x, y in STROKES[2][0]]],
        [[(0.3 + 0.4 * x, 0.3 + 0.4 * y) for x, y in STROKES[2][0]]]]


def drawn_ink(strokes, size=400, pen=None) -> np.ndarray:
    """(size, size) float32 ink: the strokes (a digit or a list of polylines) drawn `pen` px wide."""
    strokes = STROKES[strokes] if isinstance(strokes, int) else strokes
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    for line in strokes:
        draw.line([(x * size, y * size) for x, y in line], fill=255,
                  width=pen or max(2, size // 12), joint="curve")
    return np.asarray(image, dtype=np.float32) / 255.0


def crop_to_ink(array: np.ndarray) -> np.ndarray:
    """The array cut to the bounding box of its non-zero pixels (last axis: alpha if 3-D)."""
    ink = array[..., -1] if array.ndim == 3 else array
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return array[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


@functools.cache
def reader() -> RowRNN:
    """The shipped `fast` model (one GRU layer, 98.4% test): a fraction of `best`'s CPU time."""
    return RowRNN.from_checkpoint(ROOT / "checkpoints" / "fast.pt")


def read(*digits: np.ndarray) -> list[int]:
    """The digits the shipped `fast` model reads in (28, 28) images, in one batch."""
    return predict(reader(), np.stack(digits)).argmax(1).tolist()
