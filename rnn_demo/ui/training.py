"""The Training tab: launch runs on GPU or CPU, watch their curves live, stop, compare, delete.

Runs train in the RunManager's worker threads, not in a request, so a closed tab or a page
reload does not stop them. The manager is process-wide server state (every browser sees the
same runs); which run a browser is watching lives in gr.State. A 1 s gr.Timer reads only the
new lines of the watched run's metrics log and redraws only what changed.
"""

import time
from dataclasses import asdict

import gradio as gr

from ..models import RowRNNConfig
from ..presets import PRESETS, get_preset
from ..runs import ACTIVE, RunManager
from ..train import TrainConfig
from .runs_view import (COMPARE_METRICS, CUSTOM, compare_frame, device_choices, live_frames,
                        runs_table, status_text)

DEFAULT_PRESET = "fast" if "fast" in PRESETS else "lstm"
MODEL_FIELDS = ["cell", "nonlinearity", "hidden_size", "num_layers", "bidirectional", "norm", "head",
                "dropout", "readout"]
TRAIN_FIELDS = ["epochs", "batch_size", "lr", "schedule", "optimizer", "weight_decay", "max_shift",
                "seed", "grad_clip", "label_smoothing"]
INTEGERS = {"hidden_size", "num_layers", "epochs", "batch_size", "max_shift", "seed"}
NOTE_SECONDS = 8                      # how long a message stays above the live status


def noted(message: str) -> dict:
    """A fresh per-browser view state carrying a message the timer keeps showing for a while."""
    return {"note": message, "note_until": time.time() + NOTE_SECONDS}


def preset_values(name: str) -> list:
    """The model and recipe fields a preset stands for, in MODEL_FIELDS + TRAIN_FIELDS order."""
    preset = get_preset(name)
    model, recipe = asdict(preset.model), asdict(TrainConfig(**preset.train_overrides))
    model["norm"] = model["norm"] or "none"
    return [model[f] for f in MODEL_FIELDS] + [recipe[f] for f in TRAIN_FIELDS if f != "seed"]


def configs_from_fields(preset: str, values: list, device: str):
    """(run name, RowRNNConfig, TrainConfig) from the form; ValueError says which field is wrong.

    A named preset fixes the model (its fields mirror it; editing one switches to "custom");
    the recipe always comes from the hyperparameter fields.
    """
    fields = dict(zip(MODEL_FIELDS + TRAIN_FIELDS, values))
    used = TRAIN_FIELDS if preset in PRESETS else MODEL_FIELDS + TRAIN_FIELDS
    for name in used:
        value = fields[name]
        if value is None or value == "":
            raise ValueError(f"{name.replace('_', ' ')} is empty")
        if name in INTEGERS and float(value) != int(value):
            raise ValueError(f"{name.replace('_', ' ')} must be a whole number, got {value}")
        if name in INTEGERS:
            fields[name] = int(value)
    recipe = TrainConfig(device=device or "auto", **{f: fields[f] for f in TRAIN_FIELDS}).validate()
    if preset in PRESETS:
        return preset, get_preset(preset).model, recipe
    if preset != CUSTOM:
        raise ValueError(f"unknown preset {preset!r}")
    fields["norm"] = None if fields["norm"] == "none" else fields["norm"]
    return CUSTOM, RowRNNConfig(**{f: fields[f] for f in MODEL_FIELDS}).validate(), recipe


def build_training_tab(manager: RunManager):
    """Build the tab inside the current gr.Tab. `manager` is server state on purpose: every
    browser sees the same runs, and runs outlive the page that started them."""

    # ---- handlers ------------------------------------------------------------------------
    def fill_from_preset(preset):
        if preset not in PRESETS:
            return [gr.skip()] * (len(MODEL_FIELDS) + len(TRAIN_FIELDS) - 1)
        return preset_values(preset)

    def start(preset, cell, nonlinearity, hidden_size, num_layers, bidirectional, norm, head, dropout,
              readout, epochs, batch_size, lr, schedule, optimizer, weight_decay, max_shift, seed, grad_clip,
              label_smoothing, device):
        """Queue a run on `device`; the status shows its id, device and parameter count at once."""
        fields = [cell, nonlinearity, hidden_size, num_layers, bidirectional, norm, head, dropout, readout,
                  epochs, batch_size, lr, schedule, optimizer, weight_decay, max_shift, seed, grad_clip,
                  label_smoothing]
        try:
            name, model, recipe = configs_from_fields(preset, fields, device)
            record = manager.start(model, recipe, name=name)
        except (ValueError, TypeError) as e:
            return f"**Not started:** {e}", gr.skip(), noted(f"**Not started:** {e}")
        return status_text(manager, record["id"]), record["id"], {}

    def stop(watched):
        """Stop the run this browser is watching (a queued one leaves its queue at once)."""
        if watched is None:
            return "No run to stop.", gr.skip()
        try:
            record = manager.stop(watched)
        except ValueError as e:
            return str(e), noted(str(e))
        note = "Stopping ..." if record["status"] in ACTIVE else f"Run already {record['status']}."
        return status_text(manager, watched, note), noted(note)

    def reproduce(epochs, device):
        try:
            queued = manager.reproduce_notebook(device=device or "auto", epochs=int(epochs or 10))
        except (ValueError, TypeError) as e:
            return f"**Not started:** {e}", gr.skip(), noted(f"**Not started:** {e}"), gr.skip()
        ids = [r["id"] for r in queued]
        note = f"Queued the notebook's {len(ids)} experiments, {int(epochs or 10)} epochs each."
        return status_text(manager, ids[0], note), ids[0], noted(note), gr.Dropdown(choices=ids, value=ids)

    def select_run(compare, evt: gr.SelectData):
        run_id = (evt.row_value or [None])[0]
        if not run_id:
            return gr.skip(), gr.skip(), gr.skip()
        compare = list(compare or [])
        compare = compare if run_id in compare else compare + [run_id]
        return run_id, {}, gr.Dropdown(value=compare)

    def delete(watched, compare):
        """Delete the watched run's folder (refused while it is queued or running)."""
        if watched is None:
            return "Select a run in the table first.", gr.skip(), gr.skip(), gr.skip()
        try:
            manager.delete(watched)
        except ValueError as e:
            return f"**Not deleted:** {e}", gr.skip(), noted(f"**Not deleted:** {e}"), gr.skip()
        note = f"Deleted run `{watched}`."
        return note, None, noted(note), gr.Dropdown(value=[c for c in compare or [] if c != watched])

    def poll(watched, seen, compare, metric):
        """One timer tick: redraw only what changed since this browser's last tick."""
        seen, skip = dict(seen or {}), gr.skip()
        status_md, plots, table_df, choices, compare_df = skip, [skip] * 3, skip, skip, skip
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
            choices = gr.Dropdown(choices=ids, value=compare)
        wanted = (list(compare or []), metric)
        if compare and (changed or seen.get("compared") != wanted or seen.get("compare_live")):
            compare_df = redraw_compare(compare, metric)
            seen["compare_live"] = any(r["status"] in ACTIVE for r in manager.list_runs() if r["id"] in compare)
        seen.update(version=manager.version, compared=wanted)
        return status_md, *plots, table_df, choices, compare_df, watched, seen

    def redraw_compare(compare, metric):
        x_title = COMPARE_METRICS.get(metric, ("epoch",))[0]
        return gr.LinePlot(compare_frame(manager, compare, metric), x_title=x_title, y_title=metric)

    # ---- layout ---------------------------------------------------------------------------
    choices = [("custom model", CUSTOM)] + [(f"{n}: {p.description}", n) for n, p in PRESETS.items()]
    values = preset_values(DEFAULT_PRESET)
    v = dict(zip(MODEL_FIELDS + [f for f in TRAIN_FIELDS if f != "seed"], values))
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            preset = gr.Dropdown(choices, value=DEFAULT_PRESET, label="Preset", elem_id="train-preset")
            with gr.Accordion("Model", open=False, elem_id="train-model"):
                model_inputs = [
                    gr.Radio(["rnn", "lstm", "gru"], value=v["cell"], label="Cell", elem_id="train-cell"),
                    gr.Radio(["tanh", "relu"], value=v["nonlinearity"], label="Nonlinearity (rnn cell)"),
                    gr.Number(v["hidden_size"], label="Hidden size", precision=0, minimum=1, maximum=4096,
                              elem_id="train-hidden"),
                    gr.Number(v["num_layers"], label="Layers", precision=0, minimum=1, maximum=8),
                    gr.Checkbox(v["bidirectional"], label="Bidirectional"),
                    gr.Radio(["none", "batch", "layer"], value=v["norm"], label="Norm on the final features"),
                    gr.Radio(["linear", "mlp"], value=v["head"], label="Head"),
                    gr.Number(v["dropout"], label="Dropout", minimum=0, maximum=0.99, step=0.05),
                    gr.Radio([("last state", "last"), ("last state + mean + max over rows", "pool")],
                             value=v["readout"], label="Readout"),
                ]
            with gr.Accordion("Hyperparameters", open=True):
                with gr.Row():
                    epochs = gr.Number(v["epochs"], label="Epochs", precision=0, minimum=1, maximum=1000,
                                       elem_id="train-epochs")
                    batch = gr.Number(v["batch_size"], label="Batch size", precision=0, minimum=1,
                                      elem_id="train-batch-size")
                    lr = gr.Number(v["lr"], label="Learning rate", elem_id="train-lr")
                schedule = gr.Radio(["constant", "onecycle", "cosine"], value=v["schedule"], label="Schedule")
                optimizer = gr.Radio(["adam", "adamw"], value=v["optimizer"], label="Optimizer")
                with gr.Row():
                    weight_decay = gr.Number(v["weight_decay"], label="Weight decay", minimum=0)
                    max_shift = gr.Number(v["max_shift"], label="Max shift (px, augmentation)",
                                          precision=0, minimum=0, maximum=8)
                    seed = gr.Number(0, label="Seed", precision=0)
                with gr.Row():
                    grad_clip = gr.Number(v["grad_clip"], label="Gradient clip (0 = off)", minimum=0)
                    smoothing = gr.Number(v["label_smoothing"], label="Label smoothing", minimum=0)
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

    # ---- wiring -----------------------------------------------------------------------------
    train_inputs = model_inputs + [epochs, batch, lr, schedule, optimizer, weight_decay, max_shift, seed,
                                   grad_clip, smoothing]
    filled = [x for x in train_inputs if x is not seed]
    preset.change(fill_from_preset, preset, filled, api_name="train_preset", show_progress="hidden")
    for field in model_inputs:                # editing the model by hand makes it a custom one
        field.input(lambda: CUSTOM, None, preset, api_name=False, show_progress="hidden")
    start_btn.click(start, [preset, *train_inputs, device], [status, watched, seen], api_name="train_start",
                    show_progress="minimal")
    stop_btn.click(stop, watched, [status, seen], api_name="train_stop", show_progress="minimal")
    reproduce_btn.click(reproduce, [epochs, device], [status, watched, seen, compare], api_name="train_reproduce")
    table.select(select_run, compare, [watched, seen, compare], api_name="train_select")
    delete_btn.click(delete, [watched, compare], [status, watched, seen, compare], api_name="train_delete")
    gr.on([compare.change, metric.change], redraw_compare, [compare, metric], compare_plot,
          api_name="train_compare", show_progress="hidden")
    timer.tick(poll, [watched, seen, compare, metric],
               [status, loss_plot, val_plot, acc_plot, table, compare, compare_plot, watched, seen],
               api_name="train_poll", show_progress="hidden", concurrency_limit=None)

