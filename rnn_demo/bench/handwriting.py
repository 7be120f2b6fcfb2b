"""Handwriting-like digits drawn in code: pen strokes with slant, wobble and pen width.

Each digit has two styles, as people write them: a plain one close to MNIST's American
writers, and one MNIST has fewer of (a 1 with a flag and a foot, a crossed 7, an open-top 4,
a 9 with a curled stem, ...). A stroke is a list of (x, y) points in a unit box, y pointing
down; `draw_digit` bends it by a seeded random slant, rotation, squeeze and wobble and draws it
with a round pen on white paper, dark ink, like a photo of a page or a canvas export:

    picture = draw_digit(7, style=1, seed=3)          # PIL "L" image, 280x280, ink dark
    set_ = handwriting_set(per_class=4, seed=0)       # [(label, picture)] 4 per digit, 2 styles

Nothing here is used by the app; the tests and `docs/my-digits.md` use it for inputs that
look like what a person draws in the Sketch tab.
"""

import math

import numpy as np
from PIL import Image, ImageDraw


def _arc(cx, cy, rx, ry, start, stop, n=24):
    """Points on an ellipse from angle `start` to `stop` (degrees, 0 = right, 90 = down)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, stop, n)]


# STROKES[digit][style] = strokes, each a list of (x, y) points in the unit box.
STROKES = {
    0: [[_arc(0.5, 0.5, 0.32, 0.48, -90, 270)],
        [_arc(0.5, 0.5, 0.36, 0.48, -60, 250)]],                        # left open at the top
    1: [[[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.25, 0.3), (0.55, 0.0), (0.55, 1.0)], [(0.3, 1.0), (0.8, 1.0)]]],   # flag and foot
    2: [[_arc(0.5, 0.3, 0.32, 0.28, 190, 400) + [(0.12, 1.0), (0.9, 1.0)]],
        [_arc(0.5, 0.3, 0.3, 0.28, 180, 390) + [(0.2, 0.95)]
         + _arc(0.3, 0.88, 0.12, 0.1, 270, 0)[1:] + [(0.9, 0.95)]]],      # looped base
    3: [[_arc(0.5, 0.26, 0.3, 0.24, 200, 450), _arc(0.5, 0.73, 0.33, 0.27, 270, 520)],
        [[(0.15, 0.0), (0.85, 0.0), (0.45, 0.42)] + _arc(0.5, 0.7, 0.34, 0.29, 270, 520)]],
    4: [[[(0.62, 0.0), (0.12, 0.66), (0.92, 0.66)], [(0.68, 0.3), (0.68, 1.0)]],
        [[(0.2, 0.0), (0.2, 0.58), (0.88, 0.58)], [(0.7, 0.0), (0.7, 1.0)]]],   # open top
    5: [[[(0.82, 0.0), (0.28, 0.0), (0.22, 0.45)] + _arc(0.5, 0.68, 0.33, 0.31, 215, 510)],
        [[(0.25, 0.0), (0.2, 0.42)] + _arc(0.48, 0.68, 0.34, 0.31, 210, 505),
         [(0.25, 0.0), (0.85, 0.02)]]],                                   # cap drawn last
    6: [[[(0.75, 0.0), (0.45, 0.18), (0.25, 0.45)] + _arc(0.5, 0.72, 0.3, 0.27, 180, 540)],
        [[(0.55, 0.0), (0.22, 0.6)] + _arc(0.48, 0.75, 0.28, 0.24, 200, 560)]],
    7: [[[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]],
        [[(0.1, 0.08), (0.9, 0.0), (0.45, 1.0)], [(0.35, 0.5), (0.85, 0.5)]]],  # crossed
    8: [[_arc(0.5, 0.27, 0.26, 0.23, 90, 450), _arc(0.5, 0.72, 0.31, 0.27, -90, 270)],
        [_arc(0.5, 0.26, 0.24, 0.24, 60, 420) + _arc(0.52, 0.72, 0.3, 0.26, 250, -90)]],
    9: [[_arc(0.48, 0.3, 0.3, 0.28, 0, 360) + [(0.76, 1.0)]],
        [_arc(0.5, 0.3, 0.3, 0.27, 10, 370) + [(0.78, 0.7)]
         + _arc(0.55, 0.72, 0.23, 0.26, 0, 120)[1:]]],                    # curled stem
}
STYLES = 2


def _bend(strokes, rng: np.random.Generator, size: int):
    """Strokes in canvas pixels after a random slant, rotation, squeeze and wobble."""
    slant, turn = rng.uniform(-0.35, 0.25), math.radians(rng.uniform(-10, 10))
    sx, sy = rng.uniform(0.55, 0.95), rng.uniform(0.8, 1.0)
    cos, sin = math.cos(turn), math.sin(turn)
    box = 0.6 * size
    ox, oy = size / 2 + rng.uniform(-0.1, 0.1) * size, size / 2 + rng.uniform(-0.08, 0.08) * size
    out = []
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float64) - 0.5
        points += rng.normal(0, 0.015, points.shape)                      # a hand is not a ruler
        x, y = points[:, 0] * sx - slant * points[:, 1] * sy, points[:, 1] * sy
        x, y = x * cos - y * sin, x * sin + y * cos
        out.append([(ox + box * a, oy + box * b) for a, b in zip(x, y)])
    return out


def draw_digit(label: int, style: int = 0, seed: int = 0, size: int = 280) -> Image.Image:
    """A `size` x `size` grey picture of digit `label` (0-9) in `style` (0 or 1): dark ink on white."""
    if label not in STROKES or not 0 <= style < STYLES:
        raise ValueError(f"no digit {label!r} in style {style!r}: labels are 0-9, styles 0-{STYLES - 1}")
    rng = np.random.default_rng([seed, label, style])
    width = max(2, round(size * rng.uniform(0.05, 0.1)))                  # pen width
    picture = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(picture)
    for stroke in _bend(STROKES[label][style], rng, size):
        pen.line(stroke, fill=0, width=width, joint="curve")
        for x, y in (stroke[0], stroke[-1]):                              # round pen ends
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return picture


def handwriting_set(per_class: int = 4, seed: int = 0) -> list[tuple[int, Image.Image]]:
    """[(label, picture)]: `per_class` of each digit 0-9, the styles taken in turn."""
    return [(label, draw_digit(label, i % STYLES, seed=seed * 1000 + i))
            for label in range(10) for i in range(per_class)]
