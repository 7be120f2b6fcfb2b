"""About this lab: the notebook it grew from, what each preset's name means, and why `best` is less sure.

The preset table and every number in the text come from the configs themselves (PRESETS, the
notebook's recipe as TrainConfig's defaults, the data split, the adder's config), so the page
cannot drift from the code; the README's copy of the table is checked against `preset_table()`.
"""

from dataclasses import asdict

import gradio as gr

from ..adder.model import AdderConfig
from ..mnist.cells import CELLS
from ..mnist.data import N_TRAIN, N_VAL
from ..mnist.model import RowRNNConfig
from ..mnist.presets import NOTEBOOK_PRESETS, PRESETS, Preset
from ..mnist.report import recipe
from ..mnist.train import TrainConfig

NORM_NAMES = {None: "none", "batch": "BatchNorm", "layer": "LayerNorm"}
# How a preset's name is spelled, part by part (`bilstm-ln-mlp`: bidirectional LSTM, LayerNorm, MLP head)
NAME_PARTS = [("`rnn`, `lstm`, `gru`", "the recurrent cell"),
              ("`bi`", "bidirectional: a second pass reads the rows bottom to top"),
              ("`bn`, `ln`", "BatchNorm or LayerNorm on the features the head reads"),
              ("`mlp`", "a two-layer head (Linear -> ReLU -> Linear) instead of one Linear layer"),
              ("`relu-256`", "a plain RNN with relu instead of tanh, 256 units")]
TEST_IMAGES = 10_000                   # MNIST's own test set, untouched by training


def cell_text(model: RowRNNConfig) -> str:
    return f"RNN ({model.nonlinearity})" if model.cell == "rnn" else model.cell.upper()


def head_text(model: RowRNNConfig) -> str:
    head = f"Linear {model.mlp_hidden} -> ReLU -> Linear" if model.head == "mlp" else "Linear"
    # a pooled readout feeds the head the mean and max over rows as well as the last states
    return head + (" on last states + mean + max over rows" if model.readout == "pool" else "")


def recipe_text(preset: Preset) -> str:
    return f"{recipe(asdict(preset.train))}, {preset.train.epochs} epochs"


def preset_row(preset: Preset) -> str:
    m = preset.model
    origin = f"notebook: {preset.notebook_acc:.2f}% test" if preset.notebook_acc is not None else "ours"
    return (f"| `{preset.name}` | {cell_text(m)} | {'both ways' if m.bidirectional else 'top to bottom'} "
            f"| {m.num_layers} x {m.hidden_size} | {NORM_NAMES[m.norm]} | {head_text(m)} "
            f"| {recipe_text(preset)} | {origin} |")


def preset_table() -> str:
    """Every preset as a Markdown table row: cell, direction, layers x units, norm, head, recipe, origin."""
    header = ("| name | cell | direction | layers x units | norm | head | recipe | from |\n"
              "|---|---|---|---|---|---|---|---|")
    return "\n".join([header, *(preset_row(p) for p in PRESETS.values())])


def smoothed_target(label_smoothing: float, classes: int = 10) -> float:
    """The probability the loss asks for on the right digit under label smoothing: 1 - e + e/classes."""
    return 1 - label_smoothing + label_smoothing / classes


def confidence_note() -> str:
    best = PRESETS["best"]
    e, classes = best.train.label_smoothing, best.model.num_classes
    return (f"**Why `best` is less sure.** It was trained with label smoothing {e:g}: the loss asks "
            f"for {100 * smoothed_target(e, classes):.1f}% on the right digit and spreads the rest "
            f"over the other {classes - 1}, instead of asking for 100%. So its top answer tops out "
            f"near {100 * smoothed_target(e, classes):.0f}% even when it is right, where the loss "
            "pushed every other model, trained without smoothing, towards 100%. A calmer "
            "confidence, not a worse answer: it is the most accurate model here.")


def notebook_text() -> str:
    t = TrainConfig()
    return (
        "**The reference notebook.** This lab grew out of a classic course assignment on recurrent "
        "networks, a Jupyter notebook that this repository does not include; \"the notebook\" "
        "everywhere in the lab means it. Its first part reads each MNIST digit as a sequence, "
        f"**one row of 28 pixels per time step**, with {N_TRAIN:,} training, {N_VAL:,} validation "
        f"and {TEST_IMAGES:,} test images, trained with {t.optimizer.capitalize()} {t.lr:g}, batch "
        f"{t.batch_size}, {t.epochs} epochs. It tried {len(NOTEBOOK_PRESETS)} models, the presets "
        f"marked \"notebook\" below with its test accuracy (`python -m rnn_demo reproduce` retrains "
        "them here). It ended by reading ten photos of its author's digits, which is what My digits "
        "does for yours. Its second part is the binary adder: an LSTM with "
        f"{AdderConfig().hidden_size} hidden units that adds two binary numbers bit by bit, least "
        "significant bit first (docs/adder.md compares its recipe with ours).")


def named_by_purpose() -> list[str]:
    """The presets whose names are not built from the parts NAME_PARTS explains (`fast`, `best` ...)."""
    return [n for n in PRESETS if n.split("-")[0].removeprefix("bi") not in CELLS]


def about_markdown() -> str:
    """The whole About text: the notebook, the preset names and their table, `best`'s confidence."""
    parts = "\n".join(f"- {name}: {meaning}" for name, meaning in NAME_PARTS)
    *others, last = [f"`{n}`" for n in named_by_purpose()]
    return "\n\n".join([
        notebook_text(),
        "**What the names mean.** A preset is a model and the recipe that trains it. The "
        "notebook's names (and `gru`) are built from parts:\n" + parts,
        f"{', '.join(others)} and {last} are ours, named for what they are for; their rows say "
        "what is in them.",
        preset_table(),
        confidence_note(),
    ])


def build_about() -> gr.Accordion:
    """A closed "About this lab" section (inside the current Blocks context)."""
    with gr.Accordion("About this lab", open=False, elem_id="about") as about:
        gr.Markdown(about_markdown(), elem_id="about-text")
    return about
