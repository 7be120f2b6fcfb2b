"""What the Sketch tab shows of an answer: the top-3 label, the 28x28 input, the rows, notes, colours.

Plain functions of arrays: the input as a 28x28 PNG inlined in HTML, and the row-by-row
probabilities as the numbers the browser draws (`row_chart`). No matplotlib on the answer's path.
"""

import base64
import io

import numpy as np
from PIL import Image

from ..palette import PALETTE

DRAW_A_DIGIT = "draw a digit"
DECIMALS = 3                 # row probabilities sent to the browser: 0.001 is 0.25 px of the chart
DIGIT_COLOURS = {str(d): c for d, c in enumerate(PALETTE)}    # the same colour in every view
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


def row_chart_value(rows) -> dict | None:
    """(T, 10) probabilities after rows 1..T -> the chart's value: {"rows": T lists of 10, rounded
    to DECIMALS (NaN as 0), "answer": the likeliest digit after the last row, as the label has it};
    None -> None (empty axes)."""
    if rows is None:
        return None
    rows = np.nan_to_num(np.asarray(rows, dtype=np.float64), nan=0.0, posinf=1.0, neginf=0.0)
    return {"rows": np.round(rows, DECIMALS).tolist(), "answer": int(rows[-1].argmax())}
