"""The Training tab: launch runs on GPU or CPU, watch their curves live, stop, compare, delete.

Runs train in the RunManager's worker threads, not in a request, so a closed tab or a page
reload does not stop them. The manager is process-wide server state (every browser sees the
same runs); which run a browser is watching lives in gr.State. A 1 s gr.Timer reads only the
new lines of the watched run's metrics log and redraws only what changed.

Handlers first (module level, the manager passed in), then the form, then `build_training_tab`,
which lays out and wires.
"""

import functools
import inspect
import time
from dataclasses import asdict

import gradio as gr

from ..mnist.model import RowRNNConfig
from ..mnist.presets import PRESETS, Preset, get_preset
from ..mnist.runs import ACTIVE, RunManager
from ..mnist.train import TrainConfig
from ..options import choices, describe, label
from .runs_view import (
    COMPARE_METRICS,
    CUSTOM,
    compare_frame,
    device_choices,
    live_frames,
    runs_table,
    status_text,
)

DEFAULT_PRESET = "fast" if "fast" in PRESETS else "lstm"
MODEL_FORM = ("cell", "nonlinearity", "hidden_size", "num_layers", "bidirectional", "norm", "head",
              "mlp_hidden", "dropout", "readout")
RECIPE_FORM = ("epochs", "batch_size", "lr", "schedule", "optimizer", "weight_decay", "max_shift",
               "seed", "grad_clip", "label_smoothing", "precision")
FORM = MODEL_FORM + RECIPE_FORM
FILLED = tuple(f for f in FORM if f != "seed")        # what choosing a preset fills in
INTEGERS = {name for cls in (RowRNNConfig, TrainConfig) for name, kind in cls.__annotations__.items()
            if kind is int}
NOTE_SECONDS = 8                      # how long a message stays above the live status
CUSTOM_BASE = Preset(CUSTOM, "a model built in the form", RowRNNConfig())


def noted(message: str) -> dict:
    """A fresh per-browser view state carrying a message the timer keeps showing for a while."""
    return {"note": message, "note_until": time.time() + NOTE_SECONDS}


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
    fields = {}
    for name in used:
        value = values[name]
        if value is None or value == "":
            raise ValueError(f"{name.replace('_', ' ')} is empty")
        if name in INTEGERS and float(value) != int(value):
            raise ValueError(f"{name.replace('_', ' ')} must be a whole number, got {value}")
        fields[name] = int(value) if name in INTEGERS else value
    if "norm" in fields:
        fields["norm"] = None if fields["norm"] == "none" else fields["norm"]
    model, recipe = base.configs(device=device or "auto", **fields)
    return base.name, model, recipe


# ---- handlers -----------------------------------------------------------------------------

def fill_from_preset(preset):
    """Choosing a preset fills the model and recipe fields (the seed stays)."""
    if preset not in PRESETS:
        return [gr.skip()] * len(FILLED)
    values = preset_values(preset)
    return [values[f] for f in FILLED]


def start(manager: RunManager, preset, device, *values):
    """Queue a run on `device`; the status shows its id, device and parameter count at once."""
    try:
        name, model, recipe = configs_from_form(preset, dict(zip(FORM, values)), device)
        record = manager.start(model, recipe, name=name)
    except (ValueError, TypeError) as e:
        return f"**Not started:** {e}", gr.skip(), noted(f"**Not started:** {e}")
    return status_text(manager, record["id"]), record["id"], {}


# The API names start's parameters after the form's fields: /train_start(preset=..., epochs=...).
start.__signature__ = inspect.Signature(
    [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
     for n in ("manager", "preset", "device", *FORM)])


def stop(manager: RunManager, watched):
    """Stop the run this browser is watching (a queued one leaves its queue at once)."""
    if watched is None:
        return "No run to stop.", gr.skip()
    try:
        record = manager.stop(watched)
    except ValueError as e:
        return str(e), noted(str(e))
    note = "Stopping ..." if record["status"] in ACTIVE else f"Run already {record['status']}."
    return status_text(manager, watched, note), noted(note)


def reproduce(manager: RunManager, epochs, device):
    """Queue the notebook's nine experiments with its recipe and the epochs in the form."""
    try:
        queued = manager.reproduce_notebook(device=device or "auto", epochs=int(epochs or 10))
    except (ValueError, TypeError) as e:
        return f"**Not started:** {e}", gr.skip(), noted(f"**Not started:** {e}"), gr.skip()
    ids = [r["id"] for r in queued]
    note = f"Queued the notebook's {len(ids)} experiments, {int(epochs or 10)} epochs each."
    return status_text(manager, ids[0], note), ids[0], noted(note), gr.Dropdown(choices=ids, value=ids)


def select_run(compare, evt: gr.SelectData):
    """A click on a row of the runs table: watch that run and add it to the comparison."""
    run_id = (evt.row_value or [None])[0]
    if not run_id:
        return gr.skip(), gr.skip(), gr.skip()
    compare = list(compare or [])
    compare = compare if run_id in compare else compare + [run_id]
    return run_id, {}, gr.Dropdown(value=compare)


def delete(manager: RunManager, watched, compare):
    """Delete the watched run's folder (refused while it is queued or running)."""
    if watched is None:
        return "Select a run in the table first.", gr.skip(), gr.skip(), gr.skip()
    try:
        manager.delete(watched)
    except ValueError as e:
        return f"**Not deleted:** {e}", gr.skip(), noted(f"**Not deleted:** {e}"), gr.skip()
    note = f"Deleted run `{watched}`."
    return note, None, noted(note), gr.Dropdown(value=[c for c in compare or [] if c != watched])


def redraw_compare(manager: RunManager, compare, metric):
    """The chosen metric of the compared runs, overlaid."""
    x_title = COMPARE_METRICS.get(metric, ("epoch",))[0]
    return gr.LinePlot(compare_frame(manager, compare, metric), x_title=x_title, y_title=metric)


def poll(manager: RunManager, watched, seen, compare, metric):
    """One timer tick: redraw only what changed since this browser's last tick."""
    seen, skip = dict(seen or {}), gr.skip()
    status_md, plots, table_df, choices_update, compare_df = skip, [skip] * 3, skip, skip, skip
    if watched is None:                        # a fresh page: follow the newest active run
        records = manager.list_runs()
        active = [r for r in records if r["status"] == "running"] or \
                 [r for r in records if r["status"] in ACTIVE]
        watched = (active or records or [{"id": None}])[0]["id"]
    if watched is not None:
        try:
            curves, active = manager.curves(watched), manager.get(watched)["status"] in ACTIVE
        except ValueError:                     # deleted by another browser
            watched, curves, active = None, None, False
        if curves is not None and seen.get("drawn") != (watched, curves.offset):
            plots = list(live_frames(curves))
            if seen.get("epochs_drawn") == (watched, len(curves.epochs)):
                plots[1:] = [skip, skip]       # the per-epoch plots change once an epoch
            seen.update(drawn=(watched, curves.offset), epochs_drawn=(watched, len(curves.epochs)))
        note = seen.get("note") if time.time() < seen.get("note_until", 0) else ""
        if active or seen.get("described") != (watched, note):   # clocks tick while it runs
            status_md = status_text(manager, watched, note)
            seen["described"] = None if active else (watched, note)
    changed = seen.get("version") != manager.version
    if changed:
        table_df = runs_table(manager)
        ids = list(table_df["run"])
        compare = [c for c in compare or [] if c in ids]
        choices_update = gr.Dropdown(choices=ids, value=compare)
    wanted = (list(compare or []), metric)
    if compare and (changed or seen.get("compared") != wanted or seen.get("compare_live")):
        compare_df = redraw_compare(manager, compare, metric)
        seen["compare_live"] = any(r["status"] in ACTIVE for r in manager.list_runs() if r["id"] in compare)
    seen.update(version=manager.version, compared=wanted)
    return status_md, *plots, table_df, choices_update, compare_df, watched, seen


# ---- the form: one component per config field, labels and help from the dataclasses ----------

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
            form["grad_clip"] = _number(T, "grad_clip", v["grad_clip"], minimum=0)
            form["label_smoothing"] = _number(T, "label_smoothing", v["label_smoothing"], minimum=0)
        form["precision"] = _radio(T, "precision", v["precision"])
    assert tuple(form) == FORM, "the form lays out every FORM field, in order"
    return form


# ---- layout and wiring ---------------------------------------------------------------------

def build_training_tab(manager: RunManager):
    """Build the tab inside the current gr.Tab. `manager` is server state on purpose: every
    browser sees the same runs, and runs outlive the page that started them."""
    bind = functools.partial
    options = [("custom model", CUSTOM)] + [(f"{n}: {p.description}", n) for n, p in PRESETS.items()]
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            preset = gr.Dropdown(options, value=DEFAULT_PRESET, label="Preset", elem_id="train-preset")
            form = build_form(preset_values(DEFAULT_PRESET))
            device = gr.Dropdown(device_choices(), value="auto", label="Device", elem_id="train-device")
            with gr.Row():
                start_btn = gr.Button("Start", variant="primary", elem_id="train-start")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="train-stop")
            reproduce_btn = gr.Button("Reproduce the notebook (queue its 9 experiments, epochs above)",
                                      size="sm", elem_id="train-reproduce")
        with gr.Column(scale=2):
            status = gr.Markdown(status_text(manager, None), elem_id="train-status")
            loss_plot = gr.LinePlot(x="iteration", y="loss", title="Training loss per iteration", height=250,
                                    elem_id="train-loss-plot")
            with gr.Row():
                # "~g": no 93.470000 on one-point plots, no duplicated "2" ticks between epochs
                val_plot = gr.LinePlot(x="epoch", y="loss", color="split", title="Loss per epoch", height=230,
                                       x_axis_format="~g", y_axis_format="~g", elem_id="train-val-plot")
                acc_plot = gr.LinePlot(x="epoch", y="accuracy (%)", title="Validation accuracy per epoch",
                                       height=230, x_axis_format="~g", y_axis_format="~g",
                                       elem_id="train-acc-plot")
    gr.Markdown("### Runs\nClick a row to watch that run and add it to the comparison.")
    table = gr.Dataframe(runs_table(manager), interactive=False, wrap=True, max_height=320,
                         column_widths=["18%", "16%", "24%", "8%", "10%", "8%", "8%", "8%"],
                         elem_id="train-runs")
    with gr.Row():
        # custom values: API clients may name runs started after this page was built
        compare = gr.Dropdown(list(runs_table(manager)["run"]), value=[], multiselect=True, scale=3,
                              allow_custom_value=True, label="Compare runs", elem_id="train-compare")
        metric = gr.Radio(list(COMPARE_METRICS), value="validation accuracy", label="Metric", scale=2)
        delete_btn = gr.Button("Delete the watched run", size="sm", scale=1, elem_id="train-delete")
    compare_plot = gr.LinePlot(x="x", y="value", color="run", title="Runs compared", x_title="epoch / iteration",
                               height=300, elem_id="train-compare-plot")
    watched, seen = gr.State(None), gr.State({})
    timer = gr.Timer(1.0)

    preset.change(fill_from_preset, preset, [form[f] for f in FILLED], api_name="train_preset",
                  show_progress="hidden")
    for name in MODEL_FORM:                   # editing the model by hand makes it a custom one
        form[name].input(lambda: CUSTOM, None, preset, api_name=False, show_progress="hidden")
    start_btn.click(bind(start, manager), [preset, device, *form.values()], [status, watched, seen],
                    api_name="train_start", show_progress="minimal")
    stop_btn.click(bind(stop, manager), watched, [status, seen], api_name="train_stop",
                   show_progress="minimal")
    reproduce_btn.click(bind(reproduce, manager), [form["epochs"], device], [status, watched, seen, compare],
                        api_name="train_reproduce")
    table.select(select_run, compare, [watched, seen, compare], api_name="train_select")
    delete_btn.click(bind(delete, manager), [watched, compare], [status, watched, seen, compare],
                     api_name="train_delete")
    gr.on([compare.change, metric.change], bind(redraw_compare, manager), [compare, metric], compare_plot,
          api_name="train_compare", show_progress="hidden")
    timer.tick(bind(poll, manager), [watched, seen, compare, metric],
               [status, loss_plot, val_plot, acc_plot, table, compare, compare_plot, watched, seen],
               api_name="train_poll", show_progress="hidden", concurrency_limit=None)
