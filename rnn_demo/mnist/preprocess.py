"""Turn a drawing or a photo of a digit into a 28x28 image the way MNIST was made.

MNIST's digits were size-normalised to fit a 20x20 box keeping their aspect ratio (with
anti-aliasing, hence the grey levels), then placed in a 28x28 field so that their centre of
mass sits at the centre. A plain resize of the whole canvas keeps the user's margins and
position, which the models never saw; so we do what MNIST did:

1. ink: (H, W) floats in [0, 1], from any picture or drawing (`rnn_demo.mnist.ink`), or
   strokes rasterised by the caller; `to_mnist` takes it from there;
2. crop to the ink's bounding box;
3. scale the longer side to 20 pixels, anti-aliased, keeping the aspect ratio;
4. paste into 28x28 so that the centre of mass is at the centre;
5. float32 in [0, 1] with the brightest pixel at 1, the range `rnn_demo.data.to_float` gives.

Anything that is not a digit-like drawing (empty canvas, eraser-only, a single dot) raises
`EmptyDrawingError`; anything that is not a readable image raises `ImageError`.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from .ink import EmptyDrawingError, ImageError, ink_from_sketch, ink_from_upload

__all__ = ["EmptyDrawingError", "ImageError", "preprocess_sketch", "preprocess_upload", "to_mnist"]

FIELD, BOX = 28, 20          # MNIST's field and the box the digit is scaled into
INK_THRESHOLD = 0.2          # a pixel counts as ink above this (after stretching)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink in [0, 1] -> (28, 28) float32 digit, boxed to 20x20 and centred by mass."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        raise ImageError(f"expected (H, W) ink, got shape {ink.shape}")
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise EmptyDrawingError("draw a digit: the canvas is empty")
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if _is_dot(mask[top:bottom, left:right], max(ink.shape)):
        raise EmptyDrawingError("draw a digit: a single dot is not enough to read")
    crop = ink[top:bottom, left:right]

    digit = _box(crop)
    if digit.max() <= 0:
        raise EmptyDrawingError("draw a digit: the strokes are too faint")
    digit /= digit.max()

    # Centre of mass (pixel-index coordinates) -> index 14, where MNIST's digits have it
    # (their mean is 14.0 +- 0.3 in both axes); clamped so no ink is cut off.
    ys, xs = np.indices(digit.shape)
    mass = digit.sum()
    cy, cx = (ys * digit).sum() / mass, (xs * digit).sum() / mass
    dh, dw = digit.shape
    y0 = int(np.clip(round(FIELD / 2 - cy), 0, FIELD - dh))
    x0 = int(np.clip(round(FIELD / 2 - cx), 0, FIELD - dw))
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[y0:y0 + dh, x0:x0 + dw] = digit
    return field


def _box(crop: np.ndarray) -> np.ndarray:
    """Crop -> longer side 20 px, the shorter keeping the ratio (at least 1 px: a "1" stays a line)."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS),
                      dtype=np.float32).clip(0.0, 1.0)


def _is_dot(mask: np.ndarray, canvas_side: int) -> bool:
    """A blob, not a stroke: tiny on the canvas, or so thick that it survives an erosion by a
    quarter of its own size (a disk does; the strokes of even the boldest MNIST digit do not)."""
    h, w = mask.shape
    if max(h, w) < max(3, canvas_side // 50):
        return True
    scale = min(1.0, 64 / max(h, w))          # erode a small copy: fast at any canvas size
    small = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)) >= 128
    r = max(1, round(0.25 * max(small.shape)))
    eroded = np.pad(small, r)                 # outside the crop is background
    for axis in (0, 1):                       # a square erosion is two 1-D running minima
        eroded = sliding_window_view(eroded, 2 * r + 1, axis=axis).min(axis=-1)
    return bool(eroded.any())


def preprocess_sketch(value) -> np.ndarray:
    """Editor value ({"background", "layers", "composite"}) -> (28, 28) float32 in [0, 1]."""
    return to_mnist(ink_from_sketch(value))


def preprocess_upload(source) -> np.ndarray:
    """Picture (path, file, PIL or array) -> (28, 28) float32 in [0, 1]."""
    return to_mnist(ink_from_upload(source))
