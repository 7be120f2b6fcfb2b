"""What the Sketch tab shows of an answer: the top-3 label, the 28x28 input, the row-by-row curves.

Plain functions of arrays, drawn by the browser: the input as a 28x28 PNG inlined in HTML, the
row-by-row probabilities as an inline SVG chart. No matplotlib on the answer's path, and no
charting library in the page: a Vega chart (gr.LinePlot) took the browser about 0.2 s to redraw
per answer, which the answers to a drawing in progress (ten a second) kept paying.
"""

import base64
import io

import numpy as np
from PIL import Image

DRAW_A_DIGIT = "draw a digit"
CHART_W, CHART_H = 420, 250                  # the row-by-row chart's SVG user units
LEFT, RIGHT, TOP, BOTTOM = 38, 12, 10, 58    # margins: axis labels, the legend under the x axis
# One colour per digit, the same in every view (matplotlib's tab10).
DIGIT_COLOURS = {str(d): c for d, c in enumerate(
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"])}
ROWS_HINT = ("**Row by row**: the probability of each digit after the model has read rows 1 to "
             "*t* (top to bottom). Early rows are ambiguous; watch it settle.")
PREFIX_ROWS = ("**Row by row**: this model needs the whole image before it answers (it is "
               "bidirectional or pools over all rows), so each point is its answer to rows 1 to *t* "
               "with the rest left blank: the digit as if drawn only down to row *t*. Pick `rnn`, "
               "`lstm`, `gru` or `fast` to watch a model's state change its mind as it reads.")


def top_classes(probs) -> dict:
    """(10,) probabilities -> {"digit": probability} for gr.Label."""
    return {str(d): float(p) for d, p in enumerate(probs)}


def png_data_url(digit: np.ndarray) -> str:
    """(28, 28) floats in [0, 1] -> a data: URL of the 28x28 greyscale PNG (white ink on black)."""
    buffer = io.BytesIO()
    Image.fromarray((np.clip(digit, 0, 1) * 255).round().astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def seen_html(digit: np.ndarray | None, version=None) -> str:
    """The input as the model sees it, enlarged with visible pixels; `version` names the drawing."""
    stamp = f' data-version="{int(version)}"' if isinstance(version, (int, float)) else ""
    if digit is None:
        return f'<div class="seen-empty"{stamp}>The 28x28 input appears here.</div>'
    return (f'<div class="seen"{stamp}><img src="{png_data_url(digit)}" width="140" height="140" '
            'alt="the 28x28 image the model reads" style="image-rendering: pixelated; '
            'border: 1px solid #888"></div>')


def rows_svg(rows, note: str = "") -> str:
    """(T, 10) probabilities after each row -> an SVG line chart (one line per digit, colours of
    DIGIT_COLOURS, a tooltip per point: row, digit, probability); None -> the empty axes.

    `note` goes in the chart's accessible title. The probabilities are rounded to 0.1 pixel.
    """
    rows = None if rows is None else np.asarray(rows, dtype=np.float64)
    steps = 28 if rows is None else rows.shape[0]
    w, h = CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM
    x = lambda t: LEFT + (t - 1) * w / max(steps - 1, 1)           # noqa: E731  row 1..T
    y = lambda p: TOP + (1 - p) * h                                 # noqa: E731  probability 0..1
    parts = [f'<svg class="rows-chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
             f'aria-label="Probability of each digit after each row{": " + note if note else ""}" '
             'xmlns="http://www.w3.org/2000/svg" style="width:100%;height:auto;font:11px sans-serif">']
    for p in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + w}" y1="{y(p):.1f}" y2="{y(p):.1f}" stroke="#8884" />'
                     f'<text x="{LEFT - 4}" y="{y(p) + 4:.1f}" text-anchor="end" fill="currentColor">{p:g}</text>')
    for t in range(1, steps + 1):
        if t == 1 or t % 4 == 0:
            parts.append(f'<text x="{x(t):.1f}" y="{TOP + h + 14}" text-anchor="middle" '
                         f'fill="currentColor">{t}</text>')
    parts.append(f'<text x="{LEFT + w / 2:.1f}" y="{TOP + h + 28}" text-anchor="middle" '
                 'fill="currentColor">rows read (top to bottom)</text>')
    for d in range(10):                                             # the legend
        lx = LEFT + d * w / 10
        parts.append(f'<rect x="{lx:.1f}" y="{CHART_H - 14}" width="10" height="10" rx="2" '
                     f'fill="{DIGIT_COLOURS[str(d)]}" /><text x="{lx + 13:.1f}" y="{CHART_H - 5}" '
                     f'fill="currentColor">{d}</text>')
    if rows is not None:
        final = int(rows[-1].argmax())
        for d in sorted(range(10), key=lambda d: d == final):      # the answer's line on top
            points = " ".join(f"{x(t + 1):.1f},{y(p):.1f}" for t, p in enumerate(rows[:, d]))
            width = 3 if d == final else 1.6
            parts.append(f'<polyline data-digit="{d}" points="{points}" fill="none" '
                         f'stroke="{DIGIT_COLOURS[str(d)]}" stroke-width="{width}" '
                         f'stroke-linejoin="round"><title>digit {d}</title></polyline>')
        for t, probs in enumerate(rows, start=1):                  # hover targets, visible ones only
            for d, p in enumerate(probs):
                if p >= 0.02:
                    parts.append(f'<circle cx="{x(t):.1f}" cy="{y(p):.1f}" r="4" fill="transparent">'
                                 f'<title>row {t}: {d} at {100 * p:.0f}%</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
