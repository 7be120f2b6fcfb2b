"""The Sketch tab: draw a digit and watch each recurrent model read it, row by row, as you draw.

The canvas (`SketchCanvas`) sends its strokes about ten times a second while the pen moves and
once at pen-up; `predict` answers each value with the top-3 label, the 28x28 the model saw and
the probabilities after every row, which the page draws (`RowChart`). The page asks with direct
calls that skip Gradio's queue (one request, one response), batched on the server across
visitors (`DynamicBatcher`); API clients' `/predict` goes through the queue, which batches it
too. The served app computes the answers (`answers.predict`) in a process of its own
(`AnswerProcess`), off the GIL that the server's event loop needs. A page's call waits for its
previous one, so an answer for an older drawing never replaces a newer one. The compare table
and "look inside" follow a finished drawing in one event, about 0.2 s after pen-up and so
usually after its answer (`settle`). The API takes a drawing or a picture.

Handlers first (module level, the model registry passed in), then `build_sketch_tab`, which
lays out and wires.
"""

import json
import logging
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from ...checkpoints import CheckpointError
from ...mnist.inside import inside_value
from ...mnist.model import predict as predict_probabilities
from ...mnist.preprocess import EmptyDrawingError, ImageError, preprocess_upload
from ...mnist.registry import Listing, ModelRegistry
from ...mnist.strokes import StrokesError
from ..handlers import bind
from ..lab import Lab
from ..timers import tick_while_visible
from .answer_process import AnswerProcess
from .answers import message, predict
from .canvas import SketchCanvas
from .drawings import digit_from_value, screen, version_of
from .dynamic_batching import Busy, DynamicBatcher
from .inside_view import RowInspector
from .my_digits import build_my_digits
from .row_chart import RowChart
from .views import DRAW_A_DIGIT, ROWS_HINT, seen_html

REFRESH_SECONDS = 4
MAX_UPLOADS = 64                  # pictures read per upload; the rest are named, not read
MAX_BATCH = 16                    # drawings answered by one model call
COMPARE_HEADERS = ["model", "prediction", "confidence", "test accuracy"]
PREDICT_API = """A drawing and a model (a name or path from the list; None: the tab's default) -> the top-3
label (or a message: what to draw, or what was wrong), the 28x28 input the model read (HTML with
an inline PNG), the probability of each digit after rows 1..28 ({"rows": 28 lists of 10,
"answer": digit}, or None) and a note on the row view. A drawing is strokes ({"width", "height",
"brush", "strokes": [{"points": [[x, y], ...], "erase": false}]}), a picture file, an image array
(H, W[, C]) or a Sketchpad value."""
_log = logging.getLogger(__name__)


def as_sent(component: gr.components.Component, value):
    """A value for an output -> what Gradio sends for it: the component's own postprocess, as plain data.

    The answer events are wired with `postprocess=False` and call this in the batch's thread:
    Gradio would otherwise postprocess in a thread hop of its own, per output and per answer,
    on the event loop that serves every visitor (a third of a /predict answer's time there).
    """
    value = component.postprocess(value)
    return value.model_dump() if hasattr(value, "model_dump") else value


def look_inside(registry: ModelRegistry, drawing, model, open_: bool = True):
    """A drawing and a model -> every "look inside" view as JSON lists (shapes in `inside_value`).

    Skipped mid-stroke, and while the view is closed in the page (`open_` False).
    """
    if not open_ or (isinstance(drawing, dict) and drawing.get("live")):
        return gr.skip()
    try:
        digit = digit_from_value(drawing)
    except EmptyDrawingError:
        return {"message": "Draw a digit to look inside."}
    except (StrokesError, ImageError) as e:
        return {"message": str(e)}
    entry = registry.choose(model)
    if entry is None:
        return {"message": f"unknown model {model!r}: pick one from the list"}
    try:
        loaded = registry.model(entry.path)
    except CheckpointError as e:
        return {"message": f"model unavailable, pick another: {e}"}
    return inside_value(loaded, digit, entry.name, version_of(drawing))


def inspect_api(registry: ModelRegistry, drawing: dict | list | None, model: str | None = None) -> dict:
    """Every "look inside" view of a drawing, for a model given by name or path (default: the tab's).

    drawing: what /predict takes (strokes, a picture file, an image array or a Sketchpad value).
    Returns JSON lists: hidden (layers, directions, 28, H) hidden states after each row; gates
    (layers, directions, 28, G, H) in [0, 1], G = len(gate_names) (LSTM: input, forget, output;
    GRU: reset, update; plain RNN: none); row_logits (28, 10) after rows 1..t; probabilities (10,);
    importance (28,) occlusion importance in probability units; order (layers, directions, H)
    units sorted by peak row; digit (28, 28) the input; or {"message": ...} when there is
    nothing to read.
    """
    return look_inside(registry, drawing, model)


def compare(registry: ModelRegistry, value) -> list[list]:
    """A drawing -> a row [model, prediction, confidence, test accuracy] per available model.

    No rows for an empty or unreadable drawing (the answer says why).
    """
    try:
        digit = digit_from_value(value)
    except (EmptyDrawingError, StrokesError, ImageError):
        return []
    out = []
    for entry in registry.recent().entries:
        try:
            probs = predict_probabilities(registry.model(entry.path), digit)[0]
        except CheckpointError:
            continue
        acc = f"{100 * entry.test_acc:.2f}%" if entry.test_acc is not None else "?"
        out.append([entry.title, int(probs.argmax()), f"{100 * float(probs.max()):.1f}%", acc])
    return out


def settled_views(registry: ModelRegistry, drawing, model, open_: bool):
    """A finished drawing -> (the compare table, the "look inside" value or a skip when closed).

    One event for both: each event costs the page a pass over every component's state. The
    canvas fires it only for a drawing that is not live (pen-up, Undo, Clear).
    """
    return (pd.DataFrame(compare(registry, drawing), columns=COMPARE_HEADERS),
            look_inside(registry, drawing, model, open_))


def _seen(digit: np.ndarray) -> Image.Image:
    """The 28x28 input as the model sees it (white ink on black), enlarged with visible pixels."""
    return Image.fromarray((digit * 255).astype(np.uint8)).resize((140, 140), Image.Resampling.NEAREST)


def _file_caption(name: str, error: Exception) -> str:
    """'name: what was wrong', the file's own name once (errors from a file may already start with it)."""
    message = str(error) or type(error).__name__
    return message if message.startswith(f"{name}:") else f"{name}: {message}"


def predict_files(registry: ModelRegistry, files, model_path):
    """Uploaded pictures -> gallery of (28x28 input, caption), one item per file, in order.

    A file that cannot be read gets a grey tile captioned with its own name (never the
    server's temporary folder) and the reason; the rest of the batch is still answered.
    """
    items = []
    model = None
    entry = registry.scan().choose(model_path)
    if entry is not None:
        try:
            model = registry.model(entry.path)
        except CheckpointError as e:
            gr.Warning(str(e))
    files = list(files or [])
    if len(files) > MAX_UPLOADS:
        gr.Warning(f"{len(files)} pictures uploaded; the first {MAX_UPLOADS} are read.")
    for f in files[:MAX_UPLOADS]:
        path = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
        name = path.name                  # Gradio keeps the uploaded file's own name
        try:
            digit = preprocess_upload(path)
        except (EmptyDrawingError, ImageError) as e:
            items.append((Image.new("L", (140, 140), 60), _file_caption(name, e)))
            continue
        except Exception as e:  # a bug in one file's path must not sink the batch: logged, shown
            _log.exception("reading the upload %s failed", name)
            items.append((Image.new("L", (140, 140), 60),
                          f"{name}: could not be read ({type(e).__name__}; see the server log)"))
            continue
        if model is None:
            items.append((_seen(digit), f"{name}: no such model {model_path!r}"))
            continue
        probs = predict_probabilities(model, digit)[0]
        items.append((_seen(digit), f"{int(probs.argmax())} ({100 * float(probs.max()):.0f}%)"
                                    f" {name}"))
    return items


def refresh(registry: ModelRegistry, current, known):
    """New or removed checkpoints -> new dropdown choices; nothing changed -> no update.

    The value only when the chosen model is gone: `current` was read when this tick was sent, and
    a model chosen since (Adapt's last update chooses the adapted one) would be undone by it."""
    fresh = registry.scan()
    choices = [(e.label, e.path) for e in fresh.entries]
    state = [choices, fresh.warnings]
    if state == known:
        return gr.skip(), gr.skip(), gr.skip()
    gone = fresh.find(current) is None
    value = {"value": fresh.default.path if fresh.default else None} if gone else {}
    warnings = _warnings_md(fresh)
    return (gr.Dropdown(choices=choices, **value), state,
            gr.Markdown(warnings, visible=bool(warnings)))


def _warnings_md(listing: Listing) -> str:
    if not listing.warnings and listing.entries:
        return ""
    lines = [f"- {w if len(w) <= 160 else w[:157] + '...'}" for w in listing.warnings]
    if not listing.entries:
        lines.insert(0, "**No trained model found.** Train one in the Training tab or run "
                        "`python -m rnn_demo reproduce`.")
    else:
        lines.insert(0, "**Some checkpoints were left out:**")
    return "\n".join(lines)


# ---- layout and wiring -----------------------------------------------------------------------

# Clear resets the answer in the browser at once, before the server's answer to the blank canvas.
def answers_as_sent(compute, outputs: list, drawings: list, models: list) -> tuple[list, ...]:
    """A batch's answers (compute: `answers.predict` or its AnswerProcess), each output's column
    as Gradio sends it (as_sent). A drawing `drawings.screen` refuses, or a model that is not a
    name, is answered with its message here and never reaches `compute`: the others in its batch
    are answered as usual."""
    refused, kept = {}, []
    for i, (drawing, model) in enumerate(zip(drawings, models)):
        try:
            screen(drawing)
            if model is not None and not isinstance(model, str):     # a nested list would fail to pickle
                raise ValueError(f"a model is a name or a path from the list, not a {type(model).__name__}")
            kept.append(i)
        except ValueError as e:                    # ImageError too
            refused[i] = message(str(e), version_of(drawing))
    columns = compute([drawings[i] for i in kept], [models[i] for i in kept]) if kept else ()
    answers = dict(refused)
    answers.update(zip(kept, zip(*columns)))
    rows = [answers[i] for i in range(len(drawings))]
    return tuple([as_sent(output, value) for value in column] for output, column in zip(outputs, zip(*rows))) \
        if rows else tuple([] for _ in outputs)


async def answer_drawing(batcher: DynamicBatcher, outputs: list, drawing, model, request: gr.Request):
    """The page's answer to one drawing, in a batch with the class's; 'busy' when too many wait."""
    try:
        return await batcher(drawing, model, key=getattr(request, "session_hash", None))
    except Busy:
        busy = message("the server is busy: draw again in a moment", version_of(drawing))
        return tuple(as_sent(output, value) for output, value in zip(outputs, busy))


def predict_api(answer_batch, drawing: list, model: list):
    """/predict's batch (batch=True: lists of drawings and models), answered as the page's are."""
    return answer_batch(drawing, model)


def compare_api(registry: ModelRegistry, drawing: dict | list | None) -> dict:
    """A drawing (what /predict takes) -> every available model's answer, as a table.

    Returns {"headers": ["model", "prediction", "confidence", "test accuracy"], "data": rows};
    no rows when there is nothing to read.
    """
    return {"headers": COMPARE_HEADERS, "data": compare(registry, drawing)}


# On a phone the two columns stack, and the answer fell below the canvas, out of view while
# drawing. There the columns give up their boxes (display: contents) so that the answer can come
# first, then the canvas and the rest in their order.
SKETCH_CSS = """
@media (max-width: 768px) {
  #sketch-draw-col, #sketch-answer-col { display: contents; }
  #sketch-prediction { order: -1; width: 100%; }
  #sketchpad, #sketch-model { width: 100%; }
}
"""
CLEAR_JS = "() => [{label: %s, confidences: null}, null]" % json.dumps(DRAW_A_DIGIT)


def build_sketch_tab(lab: Lab, tab: gr.Tab):
    """Build the tab's components inside `tab` and wire them; the model list refreshes on select.

    My digits keeps its set in the browser under `lab.secret` and adapts a model to it through
    the run store (adapt_view.py). With `lab.answers_in_process` the answers to drawings are
    computed in a process of their own (`AnswerProcess`, started now), as the served app does;
    otherwise in the handler's thread.
    """
    registry = lab.registry                  # a cache of files, shared by design
    listing = registry.scan()

    gr.Markdown("Draw a digit; each model reads it **one row per time step**, top to bottom, "
                "the way it was trained on MNIST. The answer follows your pen.")
    warnings = _warnings_md(listing)
    warnings_md = gr.Markdown(warnings, visible=bool(warnings), elem_id="sketch-warnings")
    known = gr.State([[(e.label, e.path) for e in listing.entries], listing.warnings])
    with gr.Row():
        with gr.Column(scale=3, elem_id="sketch-draw-col"):
            sketch = SketchCanvas(elem_id="sketchpad", save_labels=range(10))
            model_dd = gr.Dropdown(
                choices=[(e.label, e.path) for e in listing.entries],
                value=listing.default.path if listing.default else None,
                label="Model", elem_id="sketch-model",
                allow_custom_value=True)   # runs appear after start; handlers check the value
        with gr.Column(scale=2, elem_id="sketch-answer-col"):
            label = gr.Label(num_top_classes=3, label="Prediction", elem_id="sketch-prediction",
                             value=DRAW_A_DIGIT)
            with gr.Row():
                seen = gr.HTML(seen_html(None), label="What the model sees (28x28)", show_label=True,
                               container=True, elem_id="sketch-input", padding=True, min_width=170)
                rows_note = gr.Markdown(ROWS_HINT, elem_id="sketch-rows-note")
            rows_plot = RowChart(label="Row by row", show_label=True, container=True, padding=True,
                                 elem_id="sketch-rows")
    compare_df = gr.Dataframe(pd.DataFrame(columns=COMPARE_HEADERS), label="Every model on this drawing",
                              elem_id="sketch-compare", interactive=False)
    with gr.Accordion("Look inside: the hidden state, the gates and the rows that decided the answer",
                      open=False, elem_id="sketch-inside-box") as inside_box:
        inside = RowInspector(elem_id="sketch-inside")
    inside_open = gr.State(False)
    build_my_digits(registry, lab.secret, sketch, model_dd, lab.manager, lab.visitors)
    # Apart from My digits' import box above (which saves labelled pictures), and closed: two
    # look-alike drop zones on one tab were taken for each other.
    with gr.Accordion("Read photos or scans of digits (answered here, not saved)", open=False,
                      elem_id="sketch-read-pictures"):
        gr.Markdown("Dark on light or light on dark; each is cropped, boxed and centred like MNIST, "
                    "and read by the chosen model. To keep pictures with their labels, import them "
                    "into My digits instead.")
        with gr.Row():
            upload = gr.File(file_count="multiple", file_types=["image"], label="Pictures to read",
                             elem_id="sketch-upload", scale=1)
            gallery = gr.Gallery(label="28x28 inputs and predictions", elem_id="sketch-gallery",
                                 columns=6, height=260, object_fit="contain", fit_columns=False, scale=2)
    timer = gr.Timer(REFRESH_SECONDS)                 # the Sketch tab is the one shown first

    answer = [label, seen, rows_plot, rows_note]
    inside_io = dict(inputs=[sketch, model_dd, inside_open], outputs=[inside], show_progress="hidden",
                     trigger_mode="always_last")

    if lab.answers_in_process:
        compute = AnswerProcess(lab.checkpoints, lab.runs, fallback=bind(predict, registry))
        compute.start()
    else:
        compute = bind(predict, registry)

    answers = bind(answers_as_sent, compute, answer)
    on_drawing = bind(answer_drawing, DynamicBatcher(answers, MAX_BATCH), answer)

    # The page's answers skip the queue: one request and its response (see dynamic_batching.py).
    # always_last: a page has one answer on its way at most, and the next waits for it (Gradio's
    # page applies the answers of events in flight together in any order: an older drawing's
    # answer would land last). The pen-up drawing may so wait behind the last live one.
    # Their inputs' preprocess is the identity (HTML, a Dropdown that allows any value): skipped.
    page_answer = dict(inputs=[sketch, model_dd], outputs=answer, queue=False, trigger_mode="always_last",
                       api_visibility="private", show_progress="hidden", preprocess=False, postprocess=False)
    # One event for both triggers: the page keeps one answer in flight per event, so with a second
    # event (a model change) an answer to an older drawing could land after a newer one's and stay.
    gr.on([sketch.change, model_dd.change], on_drawing, **page_answer)
    # API clients (gradio_client joins the queue whatever the event says) get the queue's own
    # batching; the page never fires `submit`, so this listener is the API's alone.
    sketch.submit(bind(predict_api, answers), [sketch, model_dd], answer, api_name="predict",
                  api_description=PREDICT_API, batch=True, max_batch_size=MAX_BATCH, concurrency_limit=1,
                  concurrency_id="sketch-answer", preprocess=False, postprocess=False)
    # The answer follows the pen; the other views follow each finished drawing (see SketchCanvas).
    sketch.settle(bind(settled_views, registry), [sketch, model_dd, inside_open], [compare_df, inside],
                  api_visibility="private", show_progress="hidden", trigger_mode="always_last")
    # Clear drops an answer still on its way (to the drawing before), so it cannot follow the reset.
    sketch.clear(None, None, [label, rows_plot], js=CLEAR_JS, show_progress="hidden", queue=False)
    inside_box.expand(lambda: True, None, inside_open, api_visibility="private", queue=False).then(
        bind(look_inside, registry), api_visibility="private", **inside_io)
    inside_box.collapse(lambda: False, None, inside_open, api_visibility="private", queue=False)

    gr.api(bind(inspect_api, registry), api_name="inspect")       # typed by inspect_api's hints
    gr.api(bind(compare_api, registry), api_name="compare")
    model_dd.change(bind(look_inside, registry), api_visibility="private", **inside_io)
    upload.change(bind(predict_files, registry), [upload, model_dd], [gallery], api_name="predict_files")
    refresh_io = dict(inputs=[model_dd, known], outputs=[model_dd, known, warnings_md],
                      api_visibility="private", show_progress="hidden")
    timer.tick(bind(refresh, registry), **refresh_io)
    tab.select(bind(refresh, registry), **refresh_io)
    tick_while_visible(timer, tab)
    return sketch
