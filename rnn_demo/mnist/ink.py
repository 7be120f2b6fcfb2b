"""Read the ink of a picture or a drawing: (H, W) floats in [0, 1], whatever the file's format.

Two steps, each with a rule that holds for any picture a person has:

1. **Levels.** Every sample format is rescaled by its own bit depth, never clipped to 0..255:
   8-bit by 255, 16-bit (PNG/TIFF `I;16`, numpy uint16) by 65535, other integers and floats by
   the smallest of 0..1, 0..255, 0..65535 (or a 32-bit integer's maximum) that holds them, and
   anything negative or larger by its own min..max. Pillow turns colour into grey; where it has
   no direct conversion (L*a*b*) or the picture has transparency (palettes, LA) it goes through
   RGBA. What cannot be read is an `ImageError` naming the file, never a crash.
2. **Which side is ink.** Decided from evidence that does not depend on how much ink there is:
   - a picture whose border is at least a quarter transparent is strokes on transparency, and
     its alpha is the ink, whatever the strokes' colour or how tightly the picture is cropped
     (on the 10,000 MNIST test digits cropped to their ink, at least 29% of the border is
     background; rounded corners of an opaque photo stay far below a quarter);
   - otherwise the paper is the median of the border, and the ink is the side (darker or
     lighter than the paper) whose extreme lies further from it; the paper maps to 0 and the
     ink's bright end to 1 (`stretch`).

A drawing (an editor value {"background", "layers", "composite"}) is its background and layers
read as above and combined by the maximum, or its composite when they hold no ink: it is empty
only if none of them holds any.
"""

import math
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_SIDE = 1024              # bigger pictures are downscaled first: bounded time and memory
MAX_PIXELS = 72_000_000      # refuse anything larger before decoding it; 8000x8000 still fits
# ... and anything that would decode to more pixels than this: a JPEG decodes at down to 1/8 of
# its size (draft), a PNG or WebP at full size, and a 16 kB PNG can declare 72 megapixels.
MAX_DECODED_PIXELS = 16_000_000
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)    # ITU-R 601, as Pillow's "L"
TRANSPARENT_BORDER = 0.25    # this share of the border transparent: the background is transparency


class ImageError(ValueError):
    """The input is not an image we can read; the message says what to do."""


class PixelBudget:
    """Pixels a batch of pictures may decode in all (a zip of many); ImageError once spent."""

    def __init__(self, pixels: int):
        self.left = pixels

    def take(self, pixels: int, name: str) -> None:
        if pixels > self.left:
            raise ImageError(f"{name}: left out: the pictures before it used up the "
                             "batch's decoding budget; import fewer or smaller pictures at once")
        self.left -= pixels


class EmptyDrawingError(ValueError):
    """There is no digit to read: an empty canvas, an erased drawing or a single dot."""


def open_image(source, budget: PixelBudget | None = None) -> Image.Image:
    """A decoded PIL image from a path or a bytes-like file (a PIL image is returned as is).

    Raises ImageError naming the file (never the server's temporary folder) when it is not a
    picture, is truncated, declares more than MAX_PIXELS or would decode to more than
    MAX_DECODED_PIXELS (read from its header, before decoding), or would take `budget` past
    what is left of it.
    """
    if isinstance(source, Image.Image):
        return source
    if not isinstance(source, (str, Path)) and not hasattr(source, "read"):
        raise ImageError(f"expected a picture (a file, an image or an array), got {type(source).__name__}")
    name = Path(source).name if isinstance(source, (str, Path)) else "the upload"
    try:
        with Image.open(source) as opened:       # closes the file whatever happens
            w, h = opened.size
            if w * h > MAX_PIXELS:
                raise ImageError(f"{name}: {w}x{h} pixels is too large (limit "
                                 f"{MAX_PIXELS // 1_000_000} megapixels); resize it first")
            opened.draft("L", (MAX_SIDE, MAX_SIDE))   # JPEG decodes at reduced size: fast
            decoded = opened.size[0] * opened.size[1]
            if decoded > MAX_DECODED_PIXELS:
                raise ImageError(f"{name}: {w}x{h} pixels is too large to decode (limit "
                                 f"{MAX_DECODED_PIXELS // 1_000_000} megapixels, or a JPEG up to "
                                 f"{MAX_PIXELS // 1_000_000}); resize it first")
            if budget is not None:
                budget.take(decoded, name)
            opened.load()
            return opened.copy()
    except ImageError:
        raise
    except UnidentifiedImageError as e:
        raise ImageError(f"{name}: not an image that can be read (PNG, JPEG, WebP, ...)") from e
    except (Image.DecompressionBombError, OSError, SyntaxError, EOFError, ValueError) as e:
        detail = str(e).replace(str(source), name)[:120]
        raise ImageError(f"{name}: not an image that can be read (PNG, JPEG, WebP, ...): "
                         f"{detail}") from e


def read_levels(source) -> tuple[np.ndarray, np.ndarray | None]:
    """(grey, alpha) of a picture, each (H, W) float32 in [0, 1]; alpha is None when opaque.

    `source`: a path, a bytes-like file, a PIL image, or a numpy array (H, W) or (H, W, C) with
    C = 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA). Larger than MAX_SIDE: box-downscaled.
    """
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or source.size == 0 or (source.ndim == 3 and source.shape[2] > 4):
            raise ImageError(f"expected an image array of shape (H, W) or (H, W, 1..4), got {source.shape}")
        return _grey_alpha(_unit(source.reshape(*source.shape[:2], -1)))
    image = open_image(source)
    full_scale = 65535 if image.mode.startswith("I;16") else None
    image = _readable(image)
    longest = max(image.size)
    if longest == 0:
        raise ImageError("the image is empty (0 pixels)")
    if longest > MAX_SIDE:
        image = image.reduce(-(-longest // MAX_SIDE))         # integer box downscale
    array = np.asarray(image)
    return _grey_alpha(_unit(array.reshape(*array.shape[:2], -1), full_scale))


def _readable(image: Image.Image) -> Image.Image:
    """The image in a mode whose samples numpy reads as levels: L, LA, RGB, RGBA, I or F."""
    if image.mode in ("L", "LA", "RGB", "RGBA", "I", "F"):
        return image
    if image.mode.startswith("I;16"):
        return image.convert("I")
    bands = image.getbands()
    transparent = "A" in bands or "a" in bands or "transparency" in image.info
    for mode in ("RGBA", "LA") if transparent else ("L", "RGB", "RGBA"):
        try:
            return image.convert(mode)
        except ValueError:                     # e.g. LAB -> L is not supported, LAB -> RGBA is
            continue
    raise ImageError(f"colour mode {image.mode} cannot be read; save the picture as an RGB or "
                     "greyscale PNG or JPEG")


def _unit(samples: np.ndarray, full_scale: float | None = None) -> np.ndarray:
    """(H, W, C) samples -> float32 levels in [0, 1], block-averaged down to MAX_SIDE.

    Divided by their bit depth (`full_scale`, else uint8: 255, uint16: 65535, other types: the
    smallest of 1, 255, 65535 or a 32-bit integer's maximum that holds them) or, for negative or
    larger values, mapped from their own min..max. Never clipped.
    """
    if samples.dtype == np.bool_:                             # a bilevel picture: 0 or 1
        samples, full_scale = samples.astype(np.uint8), 1
    if not np.issubdtype(samples.dtype, np.integer) and not np.issubdtype(samples.dtype, np.floating):
        raise ImageError(f"image samples must be numbers, got {samples.dtype}")
    low, high = float(samples.min()), float(samples.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ImageError("the image holds NaN or infinite values")
    if full_scale is None:
        full_scale = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}.get(samples.dtype)
    if full_scale is None and low >= 0:
        full_scale = next((s for s in (1, 255, 65535) if high <= s), None)
        if full_scale is None and np.issubdtype(samples.dtype, np.integer) and samples.dtype.itemsize <= 4:
            full_scale = np.iinfo(samples.dtype).max          # a 32-bit scan: its bit depth
    if full_scale is not None:
        low, span = 0.0, float(full_scale)
    else:                                                     # negative or beyond: own range
        span = high - low or 1.0
    step = -(-max(samples.shape[:2]) // MAX_SIDE)             # ceil division
    if step == 1:
        return (samples.astype(np.float32) - np.float32(low)) / np.float32(span)
    # Block means (as Image.reduce), accumulated in the small result: bounded memory.
    h, w = samples.shape[0] // step, samples.shape[1] // step
    total = np.zeros((h, w, samples.shape[2]), np.float32)
    for dy in range(step):
        for dx in range(step):
            total += samples[dy:h * step:step, dx:w * step:step].astype(np.float32)
    return (total / np.float32(step * step) - np.float32(low)) / np.float32(span)


def _grey_alpha(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(H, W, C) levels -> (grey, alpha or None); an alpha that is opaque everywhere is None."""
    channels = levels.shape[2]
    colour = levels[..., : 3 if channels >= 3 else 1]
    grey = colour @ LUMA if colour.shape[2] == 3 else colour[..., 0]
    alpha = levels[..., -1] if channels in (2, 4) else None
    if alpha is not None and alpha.min() >= 1.0:
        alpha = None
    return np.ascontiguousarray(grey, dtype=np.float32), alpha


def _border(values: np.ndarray) -> np.ndarray:
    """The outermost pixels of an (H, W) array, as one flat array."""
    return np.concatenate([values[0], values[-1], values[1:-1, 0], values[1:-1, -1]])


def ink_from_upload(source) -> np.ndarray:
    """(H, W) float ink in [0, 1] from a picture: dark-on-light or light-on-dark, any mode.

    Strokes on transparency (a drawing app's export, a Sketchpad layer) are read from the
    alpha; otherwise transparent pixels take the paper's level and the grey levels are read.
    """
    grey, alpha = read_levels(source)
    if alpha is not None and (_border(alpha) < 0.5).mean() >= TRANSPARENT_BORDER:
        return alpha
    if alpha is not None:                      # an opaque border: holes are paper
        opaque = _border(alpha) >= 0.5
        paper = float(np.median(_border(grey)[opaque]))
        grey = grey * alpha + paper * (1.0 - alpha)
    paper = float(np.median(_border(grey)))
    darkest, brightest = np.percentile(grey, [0.1, 99.9])
    if paper - darkest >= brightest - paper:   # dark ink on light paper
        return stretch(1.0 - grey, 1.0 - paper)
    return stretch(grey, paper)


def stretch(ink: np.ndarray, background: float) -> np.ndarray:
    """Map the background level to 0 and the ink's bright end to 1 (paper is never pure white)."""
    peak = float(np.percentile(ink, 99.9))
    if peak - background < 0.15:               # no contrast: a blank page
        return np.zeros_like(ink)
    low = background + 0.15 * (peak - background)
    return ((ink - low) / (peak - low)).clip(0.0, 1.0)


def ink_from_sketch(value) -> np.ndarray:
    """(H, W) ink in [0, 1] from an editor value ({"background", "layers", "composite"}).

    The background and every layer are read like uploads (a layer's strokes on transparency by
    their alpha) and combined by the maximum, at the size of the largest. The composite is their
    flattening, so it is read only when they hold no ink (a client may send nothing else). A
    plain picture instead of an editor value is read as an upload. EmptyDrawingError if no
    part holds anything to read.
    """
    if value is None:
        raise EmptyDrawingError("draw a digit")
    if not isinstance(value, dict):
        return ink_from_upload(value)
    parts = [value.get("background"), *(value.get("layers") or [])]
    inks = [ink_from_upload(part) for part in parts if part is not None and not _blank(part)]
    composite = value.get("composite")
    if not any(ink.max() > 0 for ink in inks) and composite is not None and not _blank(composite):
        inks.append(ink_from_upload(composite))
    if not inks:
        raise EmptyDrawingError("draw a digit")
    shape = max((ink.shape for ink in inks), key=lambda s: s[0] * s[1])
    combined = np.zeros(shape, dtype=np.float32)
    for ink in inks:
        if ink.shape != shape:                 # a part of another size is stretched onto the canvas
            ink = np.asarray(Image.fromarray(ink).resize(shape[::-1], Image.Resampling.BILINEAR))
        np.maximum(combined, ink, out=combined)
    return combined


def _blank(part) -> bool:
    """An array whose samples all have one value (a white canvas, an empty transparent layer):
    no ink, and no need to read it."""
    return isinstance(part, np.ndarray) and part.size > 0 and part.min() == part.max()
