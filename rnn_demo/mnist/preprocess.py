"""Turn a drawing or a photo of a digit into a 28x28 image the way MNIST was made.

MNIST's digits were size-normalised to fit a 20x20 box keeping their aspect ratio (with
anti-aliasing, hence the grey levels), then placed in a 28x28 field so that their centre of
mass sits at the centre. A plain resize of the whole canvas keeps the user's margins and
position, which the models never saw; so we do what MNIST did:

1. ink: (H, W) floats in [0, 1], from any picture or drawing (`rnn_demo.mnist.ink`), or
   strokes rasterised by the caller; `to_mnist` takes it from there;
2. crop to the ink's bounding box;
3. scale the longer side to 20 pixels, anti-aliased, keeping the aspect ratio;
4. bring thin strokes to MNIST's width (below);
5. paste into 28x28 so that the centre of mass is at the centre;
6. float32 in [0, 1] with the brightest pixel at 1, the range `rnn_demo.data.to_float` gives.

**Stroke width.** Scaling a digit to 20 pixels scales its pen too: a 2 px pen on an 800 px
canvas ends up a tenth of a pixel wide, a faint broken line whose curves the models cannot see.
MNIST's pen strokes are 2 to 3 px wide at 28x28. Measured as twice the area over the perimeter
of the pixels above 0.5 (`stroke_width`, which reads a diagonal stroke about 30% narrower than
it is), the 10,000 MNIST test digits have a median of 2.0 px, 5% of them below 1.3 px and 1%
below 1.1 px. A digit whose strokes measure below MIN_WIDTH (that 5th percentile) at 28x28 is
redrawn with a wider pen: its crop is max-pooled to 4x the box's resolution (a thin line stays
at full ink) and dilated by a disc so its strokes are PEN_WIDTH box pixels wide, then scaled to
the box as in step 3. Thin strokes come out at 1.6 to 2.4 px by the same measure, whatever the
canvas (60 to 1600 px) or pen (1 to 40 px); digits drawn with an MNIST-like pen are untouched,
and so are 95% of MNIST's own.

Anything that is not a digit-like drawing (empty canvas, eraser-only, a single dot) raises
`EmptyDrawingError`; anything that is not a readable image raises `ImageError`.
"""

import math

import numpy as np
from PIL import Image

from .ink import EmptyDrawingError, ImageError, ink_from_sketch, ink_from_upload

__all__ = ["EmptyDrawingError", "ImageError", "preprocess_sketch", "preprocess_upload",
           "stroke_width", "to_mnist"]

FIELD, BOX = 28, 20          # MNIST's field and the box the digit is scaled into
INK_THRESHOLD = 0.2          # a pixel counts as ink above this (after stretching)
MIN_WIDTH = 1.3              # px at 28x28 by stroke_width: MNIST's 5th percentile
PEN_WIDTH = 2.75             # box px: the pen thin strokes are redrawn with
OVERSAMPLE = 4               # thin strokes are widened at 4x the box's resolution


def stroke_width(digit: np.ndarray) -> float:
    """Mean stroke width in pixels of an (H, W) image: 2 * area / perimeter above 0.5.

    For a stroke much longer than wide, area = width * length and the perimeter is about twice
    the length; the perimeter counts pixel edges, so a diagonal reads about 30% narrower.
    """
    mask = np.pad(np.asarray(digit) > 0.5, 1)
    edges = (mask[1:] != mask[:-1]).sum() + (mask[:, 1:] != mask[:, :-1]).sum()
    return 2.0 * float(mask.sum()) / max(int(edges), 1)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink in [0, 1] -> (28, 28) float32 digit, boxed to 20x20 and centred by mass."""
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0:
        raise ImageError(f"expected (H, W) ink, got shape {ink.shape}")
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise EmptyDrawingError("draw a digit")              # nothing there: no more to say
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if _is_dot(mask[top:bottom, left:right], max(ink.shape)):
        raise EmptyDrawingError("draw a digit: a single dot is not enough to read")
    crop = ink[top:bottom, left:right]

    digit = _box(crop)
    if stroke_width(digit) < MIN_WIDTH:
        digit = _box(_widen(crop / crop.max()))
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
    # reducing_gap: Pillow first shrinks by a whole factor (box filter) to 3x the size, then
    # resamples; "indistinguishable from fair resampling" (Pillow's docs), and several times faster.
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0),
                      dtype=np.float32).clip(0.0, 1.0)


def _widen(crop: np.ndarray) -> np.ndarray:
    """A crop with max 1 -> its strokes PEN_WIDTH box px wide, at OVERSAMPLE x the box's resolution.

    Max-pooling down to that resolution keeps a thin line at full ink, about one pixel wide;
    a disc dilation then grows each side by the rest of the pen, rounded at ends and joints.
    """
    side = BOX * OVERSAMPLE                       # the longer side, in working pixels
    h, w = crop.shape
    width = stroke_width(crop) * side / max(h, w)  # the strokes' own width, in working pixels
    pool = max(1, math.ceil(max(h, w) / side))
    if pool > 1:
        H, W = -(-h // pool) * pool, -(-w // pool) * pool
        crop = np.pad(crop, ((0, H - h), (0, W - w))).reshape(H // pool, pool, W // pool, pool).max((1, 3))
        h, w = crop.shape
    scale = side / max(h, w)
    work = np.asarray(Image.fromarray(crop).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                                   Image.Resampling.BILINEAR))
    radius = max(0.0, (PEN_WIDTH * OVERSAMPLE - max(width, 1.0)) / 2)
    n = math.ceil(radius)
    padded = np.pad(work, n)                      # room for the strokes to grow outwards
    out = padded.copy()
    H, W = padded.shape
    for dy in range(-n, n + 1):
        for dx in range(-n, n + 1):
            if dy * dy + dx * dx <= radius * radius:
                np.maximum(out[max(0, dy):H + min(0, dy), max(0, dx):W + min(0, dx)],
                           padded[max(0, -dy):H + min(0, -dy), max(0, -dx):W + min(0, -dx)],
                           out=out[max(0, dy):H + min(0, dy), max(0, dx):W + min(0, dx)])
    return out


def _is_dot(mask: np.ndarray, canvas_side: int) -> bool:
    """A blob, not a stroke: tiny on the canvas, or so thick that it survives an erosion by a
    quarter of its own size (a disk does; the strokes of even the boldest MNIST digit do not)."""
    h, w = mask.shape
    if max(h, w) < max(3, canvas_side // 50):
        return True
    scale = min(1.0, 64 / max(h, w))          # erode a small copy: fast at any canvas size
    small = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)) >= 128
    side = 2 * max(1, round(0.25 * max(small.shape))) + 1
    # It survives the erosion (outside the crop is background) where a side x side square of
    # the copy is all ink: a window sum of the integral image equal to the square's area.
    area = np.pad(small, ((1, 0), (1, 0))).cumsum(0, dtype=np.int32).cumsum(1)
    window = area[side:, side:] - area[:-side, side:] - area[side:, :-side] + area[:-side, :-side]
    return bool((window == side * side).any())


def preprocess_sketch(value) -> np.ndarray:
    """Editor value ({"background", "layers", "composite"}) -> (28, 28) float32 in [0, 1]."""
    return to_mnist(ink_from_sketch(value))


def preprocess_upload(source) -> np.ndarray:
    """Picture (path, file, PIL or array) -> (28, 28) float32 in [0, 1]."""
    return to_mnist(ink_from_upload(source))
