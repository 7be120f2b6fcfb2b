"""Turn a drawing or a photo of a digit into a 28x28 image the way MNIST was made.

MNIST's digits were size-normalised to fit a 20x20 box keeping their aspect ratio (with
anti-aliasing, hence the grey levels), then placed in a 28x28 field so that their centre of
mass sits at the centre. A plain resize of the whole canvas keeps the user's margins and
position, which the models never saw; so we do what MNIST did:

1. ink: the sketch layer's alpha, or for an uploaded picture the grey level, inverted when the
   background is light (paper) and contrast-stretched so the paper becomes 0 and the ink 1;
2. crop to the ink's bounding box;
3. scale the longer side to 20 pixels, anti-aliased, keeping the aspect ratio;
4. paste into 28x28 so that the centre of mass is at the centre;
5. float32 in [0, 1] with the brightest pixel at 1, the range `rnn_demo.data.to_float` gives.

Anything that is not a digit-like drawing (empty canvas, eraser-only, a single dot) raises
`EmptyDrawingError`; anything that is not a readable image raises `ImageError`.
"""

from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, UnidentifiedImageError

FIELD, BOX = 28, 20          # MNIST's field and the box the digit is scaled into
INK_THRESHOLD = 0.2          # a pixel counts as ink above this (after stretching)
MAX_SIDE = 1024              # bigger pictures are downscaled first: bounded time and memory
MAX_PIXELS = 72_000_000      # refuse anything larger before decoding it; 8000x8000 still fits


class ImageError(ValueError):
    """The input is not an image we can read; the message says what to do."""


class EmptyDrawingError(ValueError):
    """There is no digit to read: an empty canvas, an erased drawing or a single dot."""


def open_image(source) -> Image.Image:
    """A PIL image from a path, bytes-like file, PIL image or numpy array, downscaled to MAX_SIDE."""
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or source.size == 0:
            raise ImageError(f"expected an image array of shape (H, W) or (H, W, C), got {source.shape}")
        array = source if source.dtype == np.uint8 else _to_uint8(source)
        image = Image.fromarray(array.squeeze(-1) if array.ndim == 3 and array.shape[2] == 1 else array)
    else:
        name = Path(source).name if isinstance(source, (str, Path)) else "the upload"
        try:
            with Image.open(source) as opened:       # closes the file whatever happens
                w, h = opened.size
                if w * h > MAX_PIXELS:
                    raise ImageError(f"{name}: {w}x{h} pixels is too large (limit "
                                     f"{MAX_PIXELS // 1_000_000} megapixels); resize it first")
                opened.draft("L", (MAX_SIDE, MAX_SIDE))   # JPEG decodes at reduced size: fast
                opened.load()
                image = opened.copy()
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as e:
            raise ImageError(f"{name}: not an image that can be read (PNG, JPEG, WebP, ...): "
                             f"{str(e)[:120]}") from e
    longest = max(image.size)
    if longest == 0:
        raise ImageError("the image is empty (0 pixels)")
    if longest > MAX_SIDE:
        image = image.reduce(-(-longest // MAX_SIDE))  # integer box downscale, ceil division
    return image


def _to_uint8(array: np.ndarray) -> np.ndarray:
    array = np.nan_to_num(array.astype(np.float32))
    if array.max(initial=0) <= 1.0:
        array = array * 255.0
    return array.clip(0, 255).astype(np.uint8)


def ink_from_upload(source) -> np.ndarray:
    """(H, W) float ink in [0, 1] from a picture: dark-on-light or light-on-dark, any mode.

    Transparency: strokes on a transparent background (a PNG exported from a drawing app) are
    read from the alpha channel; otherwise the picture is flattened onto white.
    """
    image = open_image(source)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3]
        if (alpha < 0.5).mean() > 0.5:        # mostly transparent: the opaque part is the ink
            return alpha
        white = np.ones_like(rgba[..., :3])
        flat = rgba[..., :3] * alpha[..., None] + white * (1 - alpha[..., None])
        grey = flat @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    else:
        grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    background = float(np.median(grey))
    ink = 1.0 - grey if background > 0.5 else grey
    return stretch(ink, 1.0 - background if background > 0.5 else background)


def stretch(ink: np.ndarray, background: float) -> np.ndarray:
    """Map the background level to 0 and the ink's bright end to 1 (paper is never pure white)."""
    peak = float(np.percentile(ink, 99.9))
    if peak - background < 0.15:               # no contrast: a blank page
        return np.zeros_like(ink)
    low = background + 0.15 * (peak - background)
    return ((ink - low) / (peak - low)).clip(0.0, 1.0)


def ink_from_sketch(value) -> np.ndarray:
    """(H, W) ink in [0, 1] from a Sketchpad value ({"background", "layers", "composite"}).

    The layers hold the strokes on transparency, so their alpha is the ink. Without layers
    (a plain image instead of an editor value) the composite is read like an upload.
    """
    if value is None:
        raise EmptyDrawingError("draw a digit")
    if not isinstance(value, dict):
        return ink_from_upload(value)
    layers = [layer for layer in value.get("layers") or [] if layer is not None]
    if not layers:
        if value.get("composite") is None:
            raise EmptyDrawingError("draw a digit")
        return ink_from_upload(value["composite"])
    ink = None
    for layer in layers:
        image = open_image(layer)
        alpha = np.asarray(image.convert("RGBA"), dtype=np.float32)[..., 3] / 255.0
        ink = alpha if ink is None or ink.shape != alpha.shape else np.maximum(ink, alpha)
    return ink


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink in [0, 1] -> (28, 28) float32 digit, boxed to 20x20 and centred by mass."""
    ink = np.asarray(ink, dtype=np.float32)
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise EmptyDrawingError("draw a digit: the canvas is empty")
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    h, w = bottom - top, right - left
    if _is_dot(mask[top:bottom, left:right], max(ink.shape)):
        raise EmptyDrawingError("draw a digit: a single dot is not enough to read")
    crop = ink[top:bottom, left:right]

    # Longer side -> 20 px; the shorter keeps the ratio (at least 1 px, so a "1" stays a line).
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    digit = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float32).clip(0.0, 1.0)
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
    """Sketchpad value -> (28, 28) float32 in [0, 1]."""
    return to_mnist(ink_from_sketch(value))


def preprocess_upload(source) -> np.ndarray:
    """Picture (path, file, PIL or array) -> (28, 28) float32 in [0, 1]."""
    return to_mnist(ink_from_upload(source))
