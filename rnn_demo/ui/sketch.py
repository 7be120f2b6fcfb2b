"""The Sketch tab: draw a digit and watch each recurrent model read it, row by row.

Handlers first (module level, the model registry passed in), then `build_sketch_tab`, which
lays out and wires.
"""

import functools
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image

from ..checkpoints import CheckpointError
from ..mnist.model import predict, row_probabilities
from ..mnist.preprocess import EmptyDrawingError, ImageError, preprocess_sketch, preprocess_upload
from ..mnist.registry import Listing, ModelRegistry
from .timers import tick_while_visible

CANVAS = 448                      # canvas pixels; the digit is scaled to 20 px whatever its size
BRUSH_SIZE = 18                   # a ~36 px stroke on a digit ~300 px tall: ~2.4 px after boxing
REFRESH_SECONDS = 4
MAX_UPLOADS = 64                  # pictures read per upload; the rest are named, not read
DRAW_A_DIGIT = "draw a digit"
PREFIX_ROWS = ("**Row by row**: this model needs the whole image before it answers (it is "
               "bidirectional or pools over all rows), so each point is its answer to rows 1 to *t* "
               "with the rest left blank: the digit as if drawn only down to row *t*. Pick `rnn`, "
               "`lstm`, `gru` or `fast` to watch a model's state change its mind as it reads.")
ROWS_HINT = ("**Row by row**: the probability of each digit after the model has read rows 1 to "
             "*t* (top to bottom). Early rows are ambiguous; watch it settle.")
COMPARE_HEADERS = ["model", "prediction", "confidence", "test accuracy"]

# Gradio 6's Sketchpad mounts with no tool selected ("select the draw tool to start") and can
# lose it again (Clear, a re-mounted tab). Whenever no tool is highlighted, pick the brush; a
# tool the user chose (eraser, pan) is left alone. Installed once per page by an HTML block.
SELECT_BRUSH_JS = """
if (!window.__rnnSketchBrush) {
  window.__rnnSketchBrush = true;
  setInterval(() => {
    const root = document.getElementById('sketchpad');
    if (!root || !root.querySelector('canvas') || root.querySelector('button.highlight')) return;
    const brush = root.querySelector('button[title="Brush"]') || root.querySelector('button.quite-round');
    if (brush) brush.click();
  }, 300);
}
"""


def _seen(digit: np.ndarray) -> Image.Image:
    """The 28x28 input as the model sees it (white ink on black), enlarged with visible pixels."""
    return Image.fromarray((digit * 255).astype(np.uint8)).resize((140, 140), Image.Resampling.NEAREST)


def _top3(probs) -> dict:
    return {str(d): float(p) for d, p in enumerate(probs)}


def _rows_figure(rows=None) -> Figure | None:
    """(28, 10) probabilities after each row -> a line per digit; the final top 3 stand out."""
    if rows is None:
        return None
    rows = np.asarray(rows)
    top = set(np.argsort(rows[-1])[-3:].tolist())
    fig = Figure(figsize=(7, 3.3), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["tab10"].colors
    steps = np.arange(1, rows.shape[0] + 1)
    for digit in range(rows.shape[1]):
        strong = digit in top
        ax.plot(steps, rows[:, digit], color=colours[digit], lw=2.4 if strong else 1.0,
                alpha=1.0 if strong else 0.45, label=str(digit), zorder=3 if strong else 2)
        peak = int(rows[:, digit].argmax())
        if strong or rows[peak, digit] > 0.3:   # name the lines that matter, where they peak
            ax.annotate(str(digit), (steps[peak], rows[peak, digit]), xytext=(0, 4),
                        textcoords="offset points", ha="center", color=colours[digit],
                        fontsize=11, fontweight="bold")
    ax.set(xlim=(1, rows.shape[0] + 0.5), ylim=(0, 1.08), xlabel="rows read (top to bottom)",
           ylabel="probability")
    ax.grid(alpha=0.3)
    ax.legend(title="digit", loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8,
              title_fontsize=8, frameon=False)
    return fig


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


def read_digit(registry: ModelRegistry, digit, model_path):
    """(label, rows plot, rows note) for a preprocessed digit and a chosen model."""
    if digit is None:
        return DRAW_A_DIGIT, _rows_figure(), ROWS_HINT
    entry = registry.scan().choose(model_path)
    if entry is None:
        message = (f"unknown model {model_path!r}: pick one from the list" if model_path
                   else "no model available: train one first")
        return message, _rows_figure(), ROWS_HINT
    try:
        model = registry.model(entry.path)
    except CheckpointError as e:
        gr.Warning(str(e))
        return "model unavailable: pick another", _rows_figure(), ROWS_HINT
    digit = np.asarray(digit, dtype=np.float32)
    rows = row_probabilities(model, digit)          # its last row is the prediction
    note = ROWS_HINT if model.config.reads_as_it_goes else PREFIX_ROWS
    return _top3(rows[-1].tolist()), _rows_figure(rows), note


def predict_sketch(registry: ModelRegistry, sketch, model_path):
    """Drawing + model -> top-3 label, the 28x28 input, the row-by-row plot, its note."""
    try:
        digit = preprocess_sketch(sketch)
    except EmptyDrawingError:
        return DRAW_A_DIGIT, None, _rows_figure(), ROWS_HINT, None
    except ImageError as e:
        return str(e), None, _rows_figure(), ROWS_HINT, None
    label, rows, note = read_digit(registry, digit, model_path)
    return label, _seen(digit), rows, note, digit.tolist()


def compare_digit(registry: ModelRegistry, digit):
    """Every available model's prediction for one preprocessed digit."""
    if digit is None:
        return pd.DataFrame(columns=COMPARE_HEADERS)
    digit = np.asarray(digit, dtype=np.float32)
    out = []
    for entry in registry.scan().entries:
        try:
            probs = predict(registry.model(entry.path), digit)[0]
        except CheckpointError:
            continue
        acc = f"{100 * entry.test_acc:.2f}%" if entry.test_acc is not None else "?"
        out.append([entry.name, int(probs.argmax()), f"{100 * float(probs.max()):.1f}%", acc])
    return pd.DataFrame(out, columns=COMPARE_HEADERS)


def compare_sketch(registry: ModelRegistry, sketch):
    """Drawing -> a table of every available model's prediction and confidence."""
    try:
        return compare_digit(registry, preprocess_sketch(sketch))
    except (EmptyDrawingError, ImageError):
        return compare_digit(registry, None)


def predict_files(registry: ModelRegistry, files, model_path):
    """Uploaded pictures -> gallery of (28x28 input, 'name: prediction (confidence)')."""
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
        name = path.name
        try:
            digit = preprocess_upload(path)
        except (EmptyDrawingError, ImageError) as e:
            items.append((Image.new("L", (140, 140), 60), f"{name}: {e}"))
            continue
        if model is None:
            items.append((_seen(digit), f"{name}: no such model {model_path!r}"))
            continue
        probs = predict(model, digit)[0]
        items.append((_seen(digit), f"{int(probs.argmax())} ({100 * float(probs.max()):.0f}%)"
                                    f" {name}"))
    return items


def refresh(registry: ModelRegistry, current, known):
    """New or removed checkpoints -> new dropdown choices; nothing changed -> no update."""
    fresh = registry.scan()
    choices = [(e.label, e.path) for e in fresh.entries]
    state = [choices, fresh.warnings]
    if state == known:
        return gr.skip(), gr.skip(), gr.skip()
    value = current if fresh.find(current) else (fresh.default.path if fresh.default else None)
    warnings = _warnings_md(fresh)
    return (gr.Dropdown(choices=choices, value=value), state,
            gr.Markdown(warnings, visible=bool(warnings)))


def build_sketch_tab(checkpoints: Path, runs: Path, tab=None):
    """Build the tab's components and wire them; `tab` (the enclosing gr.Tab) refreshes on select."""
    registry = ModelRegistry(Path(checkpoints), Path(runs))   # a cache of files, shared by design
    listing = registry.scan()
    bind = functools.partial

    # ---- layout ------------------------------------------------------------------------------
    gr.Markdown("Draw a digit; each model reads it **one row per time step**, top to bottom, "
                "the way it was trained on MNIST.")
    warnings = _warnings_md(listing)
    warnings_md = gr.Markdown(warnings, visible=bool(warnings), elem_id="sketch-warnings")
    known = gr.State([[(e.label, e.path) for e in listing.entries], listing.warnings])
    digit_state = gr.State(None)
    gr.HTML("Undo and clear are at the canvas's top right, the eraser on its left.",
            js_on_load=SELECT_BRUSH_JS, elem_id="sketch-tips", padding=False)
    with gr.Row():
        with gr.Column(scale=3):
            sketchpad = gr.Sketchpad(
                elem_id="sketchpad", label="Draw a digit", type="numpy", image_mode="RGBA",
                canvas_size=(CANVAS, CANVAS), fixed_canvas=True, layers=False, transforms=(),
                brush=gr.Brush(default_size=BRUSH_SIZE, colors=["#000000"], color_mode="fixed"),
                eraser=gr.Eraser(default_size=BRUSH_SIZE * 2), height=CANVAS + 140)
            with gr.Row():
                model_dd = gr.Dropdown(
                    choices=[(e.label, e.path) for e in listing.entries],
                    value=listing.default.path if listing.default else None,
                    label="Model", elem_id="sketch-model", scale=3,
                    allow_custom_value=True)   # runs appear after start; handlers check the value
                predict_btn = gr.Button("Predict", variant="primary", elem_id="sketch-predict",
                                        scale=1)
        with gr.Column(scale=2):
            label = gr.Label(num_top_classes=3, label="Prediction", elem_id="sketch-prediction",
                             value=DRAW_A_DIGIT)
            seen = gr.Image(label="What the model sees (28x28)", elem_id="sketch-input",
                            interactive=False, height=170, buttons=[])
    with gr.Row():
        with gr.Column(scale=3):
            rows_plot = gr.Plot(label="Row by row", elem_id="sketch-rows", format="png")
        with gr.Column(scale=2):
            rows_note = gr.Markdown(ROWS_HINT, elem_id="sketch-rows-note")
            compare = gr.Dataframe(pd.DataFrame(columns=COMPARE_HEADERS), label="Every model "
                                   "on this drawing", elem_id="sketch-compare", interactive=False)
            compare_btn = gr.Button("Compare all models", size="sm",
                                    elem_id="sketch-compare-button")
    gr.Markdown("**Upload** photos or scans of handwritten digits (dark on light or light on "
                "dark); each is cropped, boxed and centred like MNIST.")
    with gr.Row():
        upload = gr.File(file_count="multiple", file_types=["image"], label="Digit pictures",
                         elem_id="sketch-upload", scale=1)
        gallery = gr.Gallery(label="28x28 inputs and predictions", elem_id="sketch-gallery",
                             columns=6, height=260, object_fit="contain", fit_columns=False, scale=2)
    timer = gr.Timer(REFRESH_SECONDS)                 # the Sketch tab is the one shown first

    # ---- wiring ------------------------------------------------------------------------------
    sketch_outputs = [label, seen, rows_plot, rows_note, digit_state]
    sketchpad.change(bind(predict_sketch, registry), [sketchpad, model_dd], sketch_outputs, api_name="predict",
                     trigger_mode="always_last", show_progress="hidden").then(
        bind(compare_digit, registry), [digit_state], [compare], api_visibility="private",
        show_progress="hidden")
    predict_btn.click(bind(predict_sketch, registry), [sketchpad, model_dd], sketch_outputs,
                      api_visibility="private").then(
        bind(compare_digit, registry), [digit_state], [compare], api_visibility="private")
    model_dd.change(bind(read_digit, registry), [digit_state, model_dd], [label, rows_plot, rows_note],
                    api_visibility="private", show_progress="hidden")
    compare_btn.click(bind(compare_sketch, registry), [sketchpad], [compare], api_name="compare")
    upload.change(bind(predict_files, registry), [upload, model_dd], [gallery], api_name="predict_files")
    refresh_io = dict(inputs=[model_dd, known], outputs=[model_dd, known, warnings_md],
                      api_visibility="private", show_progress="hidden")
    timer.tick(bind(refresh, registry), **refresh_io)
    if tab is not None:
        tab.select(bind(refresh, registry), **refresh_io)
        tick_while_visible(timer, tab)
    return sketchpad
