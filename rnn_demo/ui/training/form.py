"""The Training tab's form: one component per config field, labels and help from the dataclasses.

A preset fills the fields (`preset_values`, `fill_from_preset`); the fields give back the configs
a run starts with (`configs_from_form`), through the same validation as the command line.
"""

import math
from dataclasses import asdict

import gradio as gr

from ...mnist.model import RowRNNConfig
from ...mnist.presets import PRESETS, Preset, get_preset
from ...mnist.train import TrainConfig
from ...options import choices, describe, label
from .runs_view import CUSTOM

DEFAULT_PRESET = "fast" if "fast" in PRESETS else "lstm"
MODEL_FORM = ("cell", "nonlinearity", "hidden_size", "num_layers", "bidirectional", "norm", "head",
              "mlp_hidden", "dropout", "readout")
RECIPE_FORM = ("epochs", "batch_size", "lr", "schedule", "optimizer", "weight_decay", "max_shift",
               "seed", "max_rotation", "max_scale", "ema", "grad_clip", "label_smoothing", "precision")
FORM = MODEL_FORM + RECIPE_FORM
FILLED = tuple(f for f in FORM if f != "seed")        # what choosing a preset fills in
INTEGERS = {name for cls in (RowRNNConfig, TrainConfig) for name, kind in cls.__annotations__.items()
            if kind is int}
NUMBERS = INTEGERS | {name for cls in (RowRNNConfig, TrainConfig) for name, kind in cls.__annotations__.items()
                      if kind in (float, float | None)}
CUSTOM_BASE = Preset(CUSTOM, "a model built in the form", RowRNNConfig())


def preset_values(name: str) -> dict:
    """The form's values for a preset: its model and its recipe, field by field."""
    preset = get_preset(name)
    values = {**asdict(preset.model), **asdict(preset.train)}
    values["norm"] = values["norm"] or "none"
    return {f: values[f] for f in FORM}


def configs_from_form(preset: str, values: dict, device: str):
    """(run name, RowRNNConfig, TrainConfig) from the form; ValueError says which field is wrong.

    A named preset fixes the model (its fields mirror it; editing one switches to "custom");
    the recipe always comes from the hyperparameter fields.
    """
    base = PRESETS.get(preset) or (CUSTOM_BASE if preset == CUSTOM else None)
    if base is None:
        raise ValueError(f"unknown preset {preset!r}")
    used = RECIPE_FORM if preset in PRESETS else FORM
    fields = {name: _field_value(name, values[name]) for name in used}
    if "norm" in fields:
        fields["norm"] = None if fields["norm"] == "none" else fields["norm"]
    model, recipe = base.configs(device=device or "auto", **fields)
    return base.name, model, recipe


def _field_value(name: str, value):
    """A form field's value as its config wants it; ValueError, naming the field, for an empty,
    non-numeric, infinite or fractional (where whole) number. The start event skips Gradio's own
    preprocessing (it rounded 1.5 epochs to 2 without a word, and answered NaN with a bare
    "Error"), so every value arrives as the client sent it and is checked here."""
    words = name.replace("_", " ")
    if value is None or value == "":
        raise ValueError(f"{words} is empty")
    if name not in NUMBERS:
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"{words} must be a number, got {value[:20]!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{words} must be a finite number, got {str(value)[:20]}")
    if name in INTEGERS:
        if value != int(value):
            raise ValueError(f"{words} must be a whole number, got {value:g}")
        return int(value)
    return float(value)


def preset_about(preset) -> str:
    """What a preset is, in full, for the line under the box (an option names the preset alone:
    the descriptions are longer than any box is wide)."""
    if preset in PRESETS:
        return f"`{preset}`: {PRESETS[preset].description}"
    return "A model of your own: set it under **Model**."


def fill_from_preset(preset):
    """Choosing a preset fills the model and recipe fields (the seed stays)."""
    if preset not in PRESETS:
        return [gr.skip()] * len(FILLED)
    values = preset_values(preset)
    return [values[f] for f in FILLED]


def _number(cls, name, value, **kwargs):
    precision = 0 if name in INTEGERS else None
    return gr.Number(value, label=label(cls, name), info=describe(cls, name), precision=precision,
                     elem_id=f"train-{name.replace('_', '-')}", **kwargs)


def _radio(cls, name, value, options=None):
    return gr.Radio(list(options or choices(cls, name)), value=value, label=label(cls, name),
                    info=describe(cls, name), elem_id=f"train-{name.replace('_', '-')}")


def build_form(v: dict) -> dict:
    """The model and recipe fields as components, keyed by field name (FORM order)."""
    M, T = RowRNNConfig, TrainConfig
    form = {}
    with gr.Accordion("Model", open=False, elem_id="train-model"):
        form["cell"] = _radio(M, "cell", v["cell"])
        form["nonlinearity"] = _radio(M, "nonlinearity", v["nonlinearity"])
        with gr.Row():
            form["hidden_size"] = _number(M, "hidden_size", v["hidden_size"], minimum=1, maximum=4096)
            form["num_layers"] = _number(M, "num_layers", v["num_layers"], minimum=1, maximum=8)
        form["bidirectional"] = gr.Checkbox(v["bidirectional"], label=label(M, "bidirectional"),
                                            info=describe(M, "bidirectional"))
        form["norm"] = _radio(M, "norm", v["norm"], ["none", "batch", "layer"])
        with gr.Row():
            form["head"] = _radio(M, "head", v["head"])
            form["mlp_hidden"] = _number(M, "mlp_hidden", v["mlp_hidden"], minimum=1, maximum=4096)
        form["dropout"] = _number(M, "dropout", v["dropout"], minimum=0, maximum=0.99, step=0.05)
        form["readout"] = gr.Radio([("last state", "last"), ("last state + mean + max over rows", "pool")],
                                   value=v["readout"], label=label(M, "readout"),
                                   info=describe(M, "readout"))
    with gr.Accordion("Hyperparameters", open=True):
        with gr.Row():
            form["epochs"] = _number(T, "epochs", v["epochs"], minimum=1, maximum=1000)
            form["batch_size"] = _number(T, "batch_size", v["batch_size"], minimum=1)
            form["lr"] = _number(T, "lr", v["lr"])
        form["schedule"] = _radio(T, "schedule", v["schedule"])
        form["optimizer"] = _radio(T, "optimizer", v["optimizer"])
        with gr.Row():
            form["weight_decay"] = _number(T, "weight_decay", v["weight_decay"], minimum=0)
            form["max_shift"] = _number(T, "max_shift", v["max_shift"], minimum=0, maximum=8)
            form["seed"] = _number(T, "seed", 0)
        with gr.Row():
            form["max_rotation"] = _number(T, "max_rotation", v["max_rotation"], minimum=0, maximum=45)
            form["max_scale"] = _number(T, "max_scale", v["max_scale"], minimum=0, maximum=0.5, step=0.05)
            form["ema"] = _number(T, "ema", v["ema"], minimum=0, maximum=0.9999, step=0.001)
        with gr.Row():
            form["grad_clip"] = _number(T, "grad_clip", v["grad_clip"], minimum=0)
            form["label_smoothing"] = _number(T, "label_smoothing", v["label_smoothing"], minimum=0)
        form["precision"] = _radio(T, "precision", v["precision"])
    assert tuple(form) == FORM, "the form lays out every FORM field, in order"
    return form
