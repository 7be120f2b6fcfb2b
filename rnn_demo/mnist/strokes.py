"""Drawn strokes (point lists, as the Sketch tab's canvas sends them) checked and turned into ink.

A drawing is plain JSON, compact enough to send ten times a second while the pen moves:

    {"width": 448, "height": 448,        # the canvas, in its own pixels
     "brush": 28,                        # pen width in canvas pixels (default: the longer side / 16)
     "eraser": 56,                       # eraser width (default: twice the pen)
     "strokes": [{"points": [[x, y], ...], "erase": false}, ...],
     "version": 12}                      # the canvas counts its changes; answers echo it

Points are in canvas pixels, origin top left. `rasterise` replays the strokes in order (an
erasing stroke clears what is under it) into an (H, W) float ink image in [0, 1], the input of
`rnn_demo.mnist.preprocess.to_mnist`. Anything malformed raises `StrokesError` with a message
a user can act on; a drawing with no ink left (no strokes, everything erased, everything
outside the canvas) raises `EmptyDrawingError`, which the tab shows as "draw a digit".
"""

import math

import numpy as np
from PIL import Image, ImageDraw

from .preprocess import EmptyDrawingError

MAX_POINTS = 20_000          # all strokes together; a quick digit has about 100
MAX_STROKES = 1_000
MAX_SIDE = 4096              # canvas pixels per side
MAX_BRUSH = 512.0
# The longer side strokes are drawn at to be read: the digit ends in a 20 px box, so 224 px
# oversample it about 8x, which gives the same answers as the full canvas for a fraction of the
# work, and one API user's huge canvas costs no more than the page's (docs/benchmarks.md).
READ_SIDE = 224


class StrokesError(ValueError):
    """A drawing value that cannot be read; the message says what was wrong."""


def is_strokes(value) -> bool:
    """True if `value` looks like a strokes drawing (a dict with a "strokes" key)."""
    return isinstance(value, dict) and "strokes" in value


def _number(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StrokesError(f"the drawing's {name} must be a number, got {str(value)[:40]!r}")
    if not low <= value <= high:
        raise StrokesError(f"the drawing's {name} must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


def check_strokes(value: dict) -> dict:
    """A validated copy: {"width", "height", "brush", "eraser", "strokes": [(points (N, 2), erase)]}.

    Raises StrokesError for a wrong shape, a canvas size outside 1..4096, non-numeric, NaN,
    infinite or negative coordinates, or more than MAX_POINTS points in all.
    """
    if not is_strokes(value):
        raise StrokesError('a drawing is {"width", "height", "brush", "strokes": [...]}')
    width = _number(value.get("width"), "width", 1, MAX_SIDE)
    height = _number(value.get("height"), "height", 1, MAX_SIDE)
    brush = _number(value.get("brush", max(width, height) / 16), "brush width", 0.5, MAX_BRUSH)
    eraser = _number(value.get("eraser", min(2 * brush, MAX_BRUSH)), "eraser width", 0.5, MAX_BRUSH)
    raw = value["strokes"]
    if not isinstance(raw, list):
        raise StrokesError("the drawing's strokes must be a list")
    if len(raw) > MAX_STROKES:
        raise StrokesError(f"the drawing has {len(raw):,} strokes; the limit is {MAX_STROKES:,}")
    strokes, total = [], 0
    for i, stroke in enumerate(raw, 1):
        points = stroke.get("points") if isinstance(stroke, dict) else stroke
        if not isinstance(points, list):
            raise StrokesError(f"stroke {i} has no list of points")
        total += len(points)
        if total > MAX_POINTS:
            raise StrokesError(f"the drawing has more than {MAX_POINTS:,} points; clear it and draw again")
        try:
            array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise StrokesError(f"stroke {i}: points must be [x, y] pairs of numbers") from None
        if len(points) and array.shape[0] != len(points):
            raise StrokesError(f"stroke {i}: points must be [x, y] pairs of numbers")
        if not np.isfinite(array).all():
            raise StrokesError(f"stroke {i}: a coordinate is not a finite number")
        if (array < 0).any():
            raise StrokesError(f"stroke {i}: coordinates must be >= 0 (pixels from the top left)")
        erase = bool(stroke.get("erase", False)) if isinstance(stroke, dict) else False
        strokes.append((array, erase))
    return {"width": width, "height": height, "brush": brush, "eraser": eraser, "strokes": strokes}


def rasterise(value: dict, max_side: int | None = None) -> np.ndarray:
    """(H, W) float32 ink in [0, 1]: the strokes replayed in order with round caps and joins.

    H and W are the canvas size rounded to whole pixels, or, with `max_side`, scaled down (points
    and pen widths alike) so the longer side is at most `max_side`. Parts of strokes outside the
    canvas are cut off. Raises StrokesError (malformed) or EmptyDrawingError (no ink left).
    """
    drawing = check_strokes(value)
    scale = min(1.0, max_side / max(drawing["width"], drawing["height"])) if max_side else 1.0
    size = (max(1, round(drawing["width"] * scale)), max(1, round(drawing["height"] * scale)))
    canvas = Image.new("L", size, 0)
    pen = ImageDraw.Draw(canvas)
    for points, erase in drawing["strokes"]:
        if not len(points):
            continue
        width = (drawing["eraser"] if erase else drawing["brush"]) * scale
        fill, radius = (0 if erase else 255), width / 2
        xy = [tuple(p) for p in (points * scale).tolist()]
        if len(xy) > 1:
            pen.line(xy, fill=fill, width=max(1, round(width)))
        for x, y in xy:                     # round caps and joins: a disc at every point
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    ink = np.asarray(canvas).astype(np.float32)   # via uint8: asarray(dtype=float32) of a PIL image
    ink /= 255.0                                  # converts pixel by pixel, much slower
    if not ink.any():
        raise EmptyDrawingError("draw a digit")
    return ink
