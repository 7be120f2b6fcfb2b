"""The Sketch tab's answers, without Gradio: a batch of drawings -> what each output shows.

`predict` reads each drawing like MNIST (`drawings.digit_from_value`), runs the drawings chosen
for the same model as one batch, and makes each answer's views (`views`). It imports no
Gradio, so the served app can run it in a process of its own (`answer_process`).
"""

import logging

import numpy as np

from ...checkpoints import CheckpointError
from ...mnist.model import row_probabilities
from ...mnist.preprocess import EmptyDrawingError, ImageError
from ...mnist.registry import ModelRegistry
from ...mnist.strokes import StrokesError
from .drawings import digit_from_value, version_of
from .views import DRAW_A_DIGIT, PREFIX_ROWS, ROWS_HINT, row_chart_value, seen_html, top_classes

_log = logging.getLogger(__name__)


def _answer_for(digit, rows, version, reads_as_it_goes: bool) -> tuple:
    return (top_classes(rows[-1].tolist()), seen_html(digit, version), row_chart_value(rows),
            ROWS_HINT if reads_as_it_goes else PREFIX_ROWS)


def message(text: str, version=None) -> tuple:
    """A message in the label's place (what to draw, what was wrong), with empty views."""
    return text, seen_html(None, version), None, ROWS_HINT


def predict(registry: ModelRegistry, drawings: list, models: list) -> tuple[list, list, list, list]:
    """A batch of (drawing, model) -> lists of (top-3 label, 28x28 input, row-by-row rows, note).

    A drawing is what `digit_from_value` reads: strokes, a picture file, an image array or a
    Sketchpad value; a model is a path or a name from the model list.

    The label is {digit: probability} for the three likeliest digits, or a message ("draw a
    digit", what was wrong with the input, an unknown model); the rows are each digit's
    probability after rows 1..28 (`views.row_chart_value`), which the page draws. Drawings
    for the same model go through it in one batch. A drawing that cannot be read, for whatever
    reason, gets its message; the others are answered.
    """
    answers: list = [None] * len(drawings)
    groups: dict[str, list] = {}
    for i, (value, key) in enumerate(zip(drawings, models)):
        version = version_of(value)
        try:
            digit = digit_from_value(value)
        except EmptyDrawingError as e:        # "draw a digit", or why not yet ("a single dot ...")
            answers[i] = message(str(e) or DRAW_A_DIGIT, version)
            continue
        except (StrokesError, ImageError) as e:
            answers[i] = message(str(e), version)
            continue
        except Exception as e:  # noqa: BLE001 -- one bad drawing must not fail the batch's others
            _log.exception("reading a drawing failed")
            answers[i] = message(f"this drawing could not be read ({type(e).__name__}): send strokes, "
                                 "a picture file or an (H, W) image array", version)
            continue
        entry = registry.choose(key)
        if entry is None:
            answers[i] = message(f"unknown model {key!r}: pick one from the list" if key
                                  else "no model available: train one first", version)
            continue
        groups.setdefault(entry.path, []).append((i, digit, version))
    for path, items in groups.items():
        try:
            model = registry.model(path)
        except CheckpointError as e:
            for i, _, version in items:
                answers[i] = message(f"model unavailable, pick another: {e}", version)
            continue
        rows = row_probabilities(model, np.stack([digit for _, digit, _ in items]))
        for (i, digit, version), digit_rows in zip(items, rows):
            answers[i] = _answer_for(digit, digit_rows, version, model.config.reads_as_it_goes)
    return tuple(list(column) for column in zip(*answers)) if answers else ([], [], [], [])
