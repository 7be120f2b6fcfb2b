"""The Binary adder tab: add two binary numbers with the LSTM, look inside it, train a new one.

Handlers first, then the views they draw, then `build_adder_tab`, which lays out the tab and
wires it. Per-user data (an adder trained in this browser session) lives in `gr.State`; the
shipped adder is read once per file version and shared read-only.
"""

import functools
import math
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from ...adder.data import MAX_BITS, AdderInputError, bits_to_int, bits_to_str, parse_binary
from ...adder.model import Adder, AdderConfig, add_with_model, find_carry_unit
from ...adder.train import AdderTrainConfig, train_adder
from ...checkpoints import CheckpointError, load_checkpoint
from ..handlers import bind
from ..lab import Lab
from .views import bits_html, carry_figure, generalisation_figure

ADDER_FILE = "adder.pt"
UI_EVAL_LENGTHS = tuple(range(1, 21)) + (32, 64, 128, 256)
UI_EVAL_PAIRS = 200


# ---------------------------------------------------------------- models

@functools.lru_cache(maxsize=4)
def _shipped(path: str, mtime: float):
    """The shipped adder, its checkpoint and carry unit; cached per file version."""
    ckpt = load_checkpoint(path, kind="adder")
    model = Adder.from_checkpoint(ckpt)
    return model, ckpt, find_carry_unit(model)


def _active_adder(checkpoints: Path, trained: dict | None):
    """(model, checkpoint, carry unit, description): this session's own adder, else the shipped one."""
    if trained is not None:
        model = Adder.from_checkpoint(trained)
        return model, trained, find_carry_unit(model), "the adder you trained in this session"
    path = Path(checkpoints) / ADDER_FILE
    if not path.is_file():
        raise gr.Error(f"No adder is loaded: {path} is missing. Train one below, or run "
                       "`python -m rnn_demo train-adder`.")
    try:
        model, ckpt, unit = _shipped(str(path), path.stat().st_mtime)
    except CheckpointError as e:
        raise gr.Error(f"The shipped adder cannot be used: {e}") from None
    return model, ckpt, unit, f"the shipped adder ({path.name})"


def _parse_pair(a_text: str, b_text: str):
    try:
        return parse_binary(a_text, "A"), parse_binary(b_text, "B")
    except AdderInputError as e:
        # A refused input is the user's to fix, not a server fault: no traceback in the log.
        raise gr.Error(str(e), title="Not a binary number", print_exception=False) from None


def _number_text(bits) -> str:
    """Binary on the first line, decimal on the second."""
    return f"{bits_to_str(bits)}\n= {bits_to_int(bits)} in decimal"


# ---------------------------------------------------------------- handlers

def add(checkpoints: Path, a_text: str, b_text: str, trained: dict | None):
    """The model's sum and the true sum of two binary strings, each in binary and decimal."""
    a_bits, b_bits = _parse_pair(a_text, b_text)
    model, *_ = _active_adder(checkpoints, trained)
    result = add_with_model(model, a_bits, b_bits)
    return _number_text(result["predicted"].tolist()), _number_text(result["truth"].tolist())


def explain(checkpoints: Path, a_text: str, b_text: str, trained: dict | None):
    """The bit-by-bit view and the carry unit's trace for the same two strings."""
    a_bits, b_bits = _parse_pair(a_text, b_text)
    model, _, unit, _ = _active_adder(checkpoints, trained)
    result = add_with_model(model, a_bits, b_bits)
    return bits_html(a_bits, b_bits, result), carry_figure(result, unit)


def train_new(hidden_size, max_length, steps):
    """Train an adder with the tab's settings; stream its loss, then make it this session's adder."""
    try:
        model_config = AdderConfig(hidden_size=int(hidden_size)).validate()
        config = AdderTrainConfig(max_length=int(max_length), steps=int(steps), eval_every=50,
                                  eval_lengths=UI_EVAL_LENGTHS, eval_pairs=UI_EVAL_PAIRS).validate()
        if not 1 <= config.steps <= 5000:
            raise ValueError(f"steps must be between 1 and 5000 here, got {config.steps}")
    except (TypeError, ValueError) as e:
        raise gr.Error(str(e), title="Cannot train with these settings", print_exception=False) from None
    losses, last_draw = [], 0.0
    for event in train_adder(model_config, config, name="your adder"):
        if event["kind"] == "step":
            losses.append((event["step"], event["loss"]))
            if time.perf_counter() - last_draw > 0.3:
                last_draw = time.perf_counter()
                yield (_loss_frame(losses), f"Training... step {event['step']} of {config.steps}, "
                       f"loss {event['loss']:.4f}", gr.skip(), gr.skip(), gr.skip())
        elif event["kind"] == "end":
            text = (f"Trained in {event['train_seconds']:.1f} s ({event['steps_done']} steps, "
                    f"{event['params']} parameters). **The playground now uses this adder**; "
                    "reload the page to go back to the shipped one.")
            yield (_loss_frame(losses), text, event["checkpoint"],
                   generalisation_figure(event["generalisation"], config.max_length,
                                         "your adder", UI_EVAL_PAIRS),
                   _describe(event["checkpoint"], "your adder, trained in this session"))


def refresh(checkpoints: Path, a_text: str, b_text: str, trained: dict | None):
    """After training: redo the sum with the new adder, if the boxes hold a valid pair."""
    try:
        return (*add(checkpoints, a_text, b_text, trained), *explain(checkpoints, a_text, b_text, trained))
    except gr.Error:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()


# ---------------------------------------------------------------- views

def _loss_frame(losses):
    """(step, loss) pairs as a frame with numeric columns, even when empty.

    The browser's plot reads the axis types off the first frame it draws and keeps them for
    every later one: an empty frame of objects would make both axes categorical for good.
    """
    steps, values = zip(*losses) if losses else ((), ())
    return pd.DataFrame({"step": pd.Series(steps, dtype="int64"),
                         "loss": pd.Series(values, dtype="float64")})


def _describe(ckpt: dict, who: str) -> str:
    m, tc = ckpt.get("metrics", {}), ckpt.get("train_config", {})
    seconds = m.get("train_seconds")
    return (f"Using **{who}**: LSTM with {ckpt['config'].get('hidden_size')} units, trained on "
            f"numbers of up to {tc.get('max_length', '?')} bits"
            + (f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) and math.isfinite(seconds) else "")
            + ".")


# ---------------------------------------------------------------- layout and wiring

INTRO = f"""### An LSTM that adds binary numbers
It reads the two numbers **one bit pair per step, least significant bit first**, keeps the carry
in its state, and writes one sum bit per step (plus one more step for the carry out). It was
trained on numbers of at most 8 bits; try it on numbers up to {MAX_BITS:,} bits. Spaces and
underscores are ignored, and numbers of different lengths are padded with zeros."""

EXAMPLES = [["1011", "110"], ["1111 1111", "1"], ["1010_1010_1010_1010_1010", "0101_0101_0101_0101_0111"],
            ["1" * 300, "1"]]


def build_adder_tab(lab: Lab, tab: gr.Tab) -> None:
    """Lay out the Binary adder tab inside `tab` and wire its events."""
    checkpoints = lab.checkpoints
    trained = gr.State(None)           # this session's own adder (a checkpoint dict), if any
    gr.Markdown(INTRO)
    shipped_path = checkpoints / ADDER_FILE
    shipped_figure, shipped_text = None, f"No adder found at `{shipped_path}`: train one below."
    try:
        _, ckpt, _ = _shipped(str(shipped_path), shipped_path.stat().st_mtime)
        shipped_text = _describe(ckpt, "the shipped adder")
        results = ckpt["metrics"].get("generalisation")
        if results:
            shipped_figure = generalisation_figure(results, ckpt.get("train_config", {}).get("max_length"),
                                                   "the shipped adder", results[0]["pairs"])
    except (OSError, CheckpointError) as e:
        shipped_text = f"The shipped adder cannot be used ({e}); train one below."
    model_info = gr.Markdown(shipped_text, elem_id="adder-model")

    with gr.Row():
        a = gr.Textbox(label="A (binary)", placeholder="e.g. 1011 0110", elem_id="adder-a",
                       max_lines=4, scale=5)
        b = gr.Textbox(label="B (binary)", placeholder="e.g. 111", elem_id="adder-b",
                       max_lines=4, scale=5)
        run = gr.Button("Add", variant="primary", elem_id="adder-run", scale=1)
    gr.Examples(EXAMPLES, [a, b], label="Try")
    with gr.Row():
        model_sum = gr.Textbox(label="The model's sum", lines=2, max_lines=6, interactive=False,
                               elem_id="adder-sum", buttons=["copy"])
        true_sum = gr.Textbox(label="The true sum", lines=2, max_lines=6, interactive=False,
                              elem_id="adder-truth", buttons=["copy"])
    bits = gr.HTML(elem_id="adder-bits")
    carry = gr.Plot(label="Inside the model: the carry", elem_id="adder-carry")
    generalisation = gr.Plot(shipped_figure, label="Generalisation: accuracy against length",
                             elem_id="adder-generalisation")

    with gr.Accordion("Train a new adder (a few seconds)", open=False):
        with gr.Row():
            hidden_size = gr.Slider(1, 32, value=5, step=1, label="Hidden size (LSTM units)",
                                    elem_id="adder-hidden")
            max_length = gr.Slider(1, 16, value=8, step=1, label="Training length (bits, at most)",
                                   elem_id="adder-length")
            steps = gr.Slider(50, 3000, value=600, step=50, label="Training steps",
                              elem_id="adder-steps")
        train = gr.Button("Train", variant="primary", elem_id="adder-train")
        status = gr.Markdown(elem_id="adder-train-status")
        loss_plot = gr.LinePlot(_loss_frame([]), x="step", y="loss", title="Training loss",
                                y_axis_format="~g", height=260,
                                elem_id="adder-loss")

    add_event = gr.on([run.click, a.submit, b.submit], bind(add, checkpoints), [a, b, trained],
                      [model_sum, true_sum], api_name="add", concurrency_limit=8)
    add_event.success(bind(explain, checkpoints), [a, b, trained], [bits, carry],
                      api_visibility="private", concurrency_limit=8)
    # A refused input clears every result view: no earlier sum next to the message.
    add_event.failure(lambda: ("", "", "", None), None, [model_sum, true_sum, bits, carry],
                      api_visibility="private")
    train.click(train_new, [hidden_size, max_length, steps],
                [loss_plot, status, trained, generalisation, model_info],
                api_name="train_adder", concurrency_limit=2, concurrency_id="adder-train"
                ).success(bind(refresh, checkpoints), [a, b, trained],
                          [model_sum, true_sum, bits, carry],
                          api_visibility="private")
