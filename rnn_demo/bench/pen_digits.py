"""Digits as a person draws them quickly: a few strokes of about ten points, for benchmarks that draw.

    for label, strokes in pen_digits(40, seed=0):   # 4 of each digit, jittered
        ...                                         # strokes: [[(x, y), ...], ...] in [0, 1]

Each digit has one template (strokes in unit canvas coordinates); every copy gets its own
random scale, offset, slant and per-point jitter, so 40 copies are 40 different drawings.
"""

import math
import random


def _arc(cx, cy, rx, ry, start_deg, end_deg, n=10):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in (start_deg + (end_deg - start_deg) * i / (n - 1) for i in range(n))]


def _line(x0, y0, x1, y1, n=10):
    return [(x0 + (x1 - x0) * i / (n - 1), y0 + (y1 - y0) * i / (n - 1)) for i in range(n)]


# Screen coordinates: y grows downwards, so an angle of 90 degrees points down.
TEMPLATES = {
    0: [_arc(0.5, 0.5, 0.22, 0.34, -90, 270, 12)],
    1: [_line(0.52, 0.15, 0.48, 0.85)],
    2: [_arc(0.5, 0.33, 0.2, 0.17, 200, 400, 7) + _line(0.66, 0.43, 0.28, 0.84, 4)[1:]
        + _line(0.28, 0.84, 0.74, 0.84, 4)[1:]],
    3: [_arc(0.48, 0.32, 0.2, 0.16, 210, 450, 8) + _arc(0.48, 0.66, 0.22, 0.18, -90, 150, 8)[1:]],
    4: [_line(0.6, 0.15, 0.26, 0.6, 6) + _line(0.26, 0.6, 0.76, 0.6, 5)[1:], _line(0.62, 0.38, 0.62, 0.86)],
    5: [_line(0.7, 0.16, 0.34, 0.16, 4), _line(0.34, 0.16, 0.31, 0.46, 4)
        + _arc(0.47, 0.64, 0.22, 0.2, 230, 500, 9)[1:]],
    6: [_arc(0.66, 0.62, 0.34, 0.47, 255, 180, 6) + _arc(0.5, 0.66, 0.18, 0.18, 180, 540, 10)[1:]],
    7: [_line(0.24, 0.17, 0.76, 0.17), _line(0.76, 0.17, 0.42, 0.86)],
    8: [_arc(0.5, 0.32, 0.17, 0.16, 90, 450, 10) + _arc(0.5, 0.66, 0.21, 0.18, -90, 270, 10)[1:]],
    9: [_arc(0.48, 0.34, 0.2, 0.17, 0, 360, 10), _line(0.68, 0.34, 0.6, 0.86)],
}


def pen_digits(count: int, seed: int = 0):
    """`count` (label, strokes) pairs, cycling through 0..9; strokes in [0, 1] canvas coordinates."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        label = i % 10
        scale, slant = rng.uniform(0.75, 1.05), rng.uniform(-0.12, 0.12)
        dx, dy = rng.uniform(-0.08, 0.08), rng.uniform(-0.06, 0.06)
        strokes = []
        for stroke in TEMPLATES[label]:
            points = []
            for x, y in stroke:
                x, y = 0.5 + (x - 0.5) * scale, 0.5 + (y - 0.5) * scale
                x += slant * (0.5 - y)
                x, y = x + dx + rng.gauss(0, 0.008), y + dy + rng.gauss(0, 0.008)
                points.append((min(max(x, 0.02), 0.98), min(max(y, 0.02), 0.98)))
            strokes.append(points)
        out.append((label, strokes))
    return out


def as_canvas_value(strokes, size: int = 448, brush: int = 28, version: int = 1) -> dict:
    """Strokes in [0, 1] -> the Sketch canvas's value (rnn_demo.mnist.strokes), in canvas pixels."""
    return {"width": size, "height": size, "brush": brush, "version": version,
            "strokes": [{"points": [[round(x * size, 1), round(y * size, 1)] for x, y in stroke],
                         "erase": False} for stroke in strokes]}
