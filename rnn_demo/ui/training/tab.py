"""The Training tab: launch runs on GPU or CPU, watch their curves live, stop, compare, delete.

Runs train in the RunManager's worker threads, not in a request, so a closed tab or a page
reload does not stop them. The manager is process-wide server state (every browser sees the
same runs); which run a browser is watching lives in gr.State, and who is asking is read off
every request (the login, else the browser's cookie; see ui/visitors.py). A gr.Timer, on only while the
tab is shown, redraws what changed (live.py); the comparison is compare.py, the form form.py.

A click answers where it was: a line under Start and Stop (and one beside Delete) says what it did
or why not, and a refusal is also a toast; the status above the curves is often out of view, past
the long form.

Handlers first (module level, the manager passed in), then `build_training_tab`, which lays out
and wires.
"""

import inspect
import time
from typing import Any, NamedTuple

import gradio as gr

from ...mnist.presets import NOTEBOOK_PRESETS, PRESETS
from ...mnist.runs.export import tensorboard_available
from ...mnist.runs.manager import ACTIVE, RunManager
from ...mnist.runs.quotas import NotYourRun
from ..handlers import bind, changed, outputs_of
from ..lab import Lab
from ..timers import tick_while_visible
from ..visitors import Visitors
from .compare import build_compare, compared_outputs, export, redraw, restore, watched_loss
from .form import (DEFAULT_PRESET, FILLED, FORM, MODEL_FORM, build_form, configs_from_form, fill_from_preset,
                   preset_about, preset_values)
from .live import BUSY_SECONDS, hurry, poll
from .runs_view import CUSTOM, device_choices, limits_text, runs_table, status_text

NOTE_SECONDS = 8                      # how long a message stays above the live status


def noted(message: str) -> dict:
    """A message the timer keeps showing above the status for a while (the `note` State: apart
    from `seen`, which a tick already on its way would overwrite)."""
    return {"text": message, "until": time.time() + NOTE_SECONDS}


def refused(what: str, reason) -> str:
    """"**Not started:** reason", also shown as a toast wherever the page is scrolled to."""
    gr.Warning(f"{what}: {reason}")
    return f"**{what}:** {reason}"


class PageLine(gr.Markdown):
    """A Markdown line for the page alone: the API leaves it out, so an endpoint still answers
    with the status text only (a click's line next to its button repeats what the status says)."""
    is_template = True                # drawn as a Markdown

    @property
    def skip_api(self) -> bool:
        return True


# ---- handlers -----------------------------------------------------------------------------
# Those that act on runs take the manager and the Visitors, then the session's `who` (gr.State,
# see ui/visitors.py) and the request last, and hand `who` back, so a token made for an API
# client is kept.
# Each returns a named result: its fields are the components it feeds (outputs_of), and a field
# it does not set keeps its component as it is (handlers.changed).

class Started(NamedTuple):
    status: Any                   # the status Markdown
    action: Any                   # the line under Start and Stop (a PageLine)
    watched: Any                  # the run this browser follows
    seen: Any                     # what the timer drew last ({}: draw everything again)
    note: Any                     # a message the timer keeps showing for a while (noted)
    who: Any


class Stopped(NamedTuple):
    status: Any
    action: Any
    note: Any
    who: Any


class Queued(NamedTuple):         # the notebook's experiments: the comparison changes too
    status: Any
    action: Any
    watched: Any
    seen: Any
    note: Any
    compared: Any                 # the runs compared (a Dropdown's value)
    who: Any


class Deleted(NamedTuple):
    status: Any
    deleted: Any                  # the line beside Delete (a PageLine)
    watched: Any
    seen: Any
    note: Any
    compared: Any
    who: Any


class Selected(NamedTuple):
    watched: Any
    seen: Any
    compared: Any

def start(manager: RunManager, visitors: Visitors, preset, device, *values):
    """Queue a run on `device`; the status shows its id, device and parameter count at once."""
    *values, tensorboard, who, request = values
    me, who = visitors.identify(who, request)
    try:
        name, model, recipe = configs_from_form(preset, dict(zip(FORM, values)), device)
        record = manager.start(model, recipe, name=name, by=me, tensorboard=bool(tensorboard))
    except (ValueError, TypeError) as e:
        line = refused("Not started", e)
        return changed(Started, status=line, action=line, note=noted(line), who=who)
    where = f"position {record['position']} in the queue" if record.get("position") else record["status"]
    line = (f"**Started** run `{record['id']}` ({where}) on {record['device']}: its status and curves "
            "are at the top of the tab.")
    return Started(status_text(manager, record["id"]), line, record["id"], {}, {}, who)


# The API names start's parameters after the form's fields: /train_start(preset=..., epochs=...);
# `who` is session state and `request` Gradio's (known by its type), so neither is an API parameter.
start.__signature__ = inspect.Signature(
    [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
     for n in ("manager", "visitors", "preset", "device", *FORM, "tensorboard", "who")]
    + [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)])
start.__annotations__ = {"request": gr.Request}


def stop(manager: RunManager, visitors: Visitors, watched, who, request: gr.Request):
    """Stop the run this browser is watching (a queued one leaves its queue at once), if it is ours."""
    me, who = visitors.identify(who, request)
    if watched is None:
        line = refused("Not stopped", "no run is selected: click one in the runs table")
        return changed(Stopped, status=line, action=line, who=who)
    try:
        record = manager.stop(watched, by=me)
    except (ValueError, NotYourRun) as e:
        line = refused("Not stopped", e)
        return Stopped(line, line, noted(line), who)
    note = ("Stopping ..." if record["status"] in ACTIVE else "Stopped before it started."
            if record.get("reason") == "stopped before it started" else f"Run already {record['status']}.")
    return Stopped(status_text(manager, watched, note), f"Run `{watched}`: {note}", noted(note), who)


def reproduce(manager: RunManager, visitors: Visitors, epochs, device, who, request: gr.Request):
    """Queue the notebook's nine experiments (as many as the quota has room for)."""
    me, who = visitors.identify(who, request)
    epochs = int(epochs or 10)
    try:
        queued = manager.reproduce_notebook(device=device or "auto", epochs=epochs, by=me)
    except (ValueError, TypeError) as e:
        line = refused("Not started", e)
        return changed(Queued, status=line, action=line, note=noted(line), who=who)
    ids, q = [r["id"] for r in queued], manager.quotas
    note = f"Queued the notebook's {len(ids)} experiments, {epochs} epochs each."
    if len(ids) < len(NOTEBOOK_PRESETS):
        note = (f"Queued {len(ids)} of the notebook's {len(NOTEBOOK_PRESETS)} experiments "
                f"({', '.join(r['name'] for r in queued)}), {epochs} epochs each: a visitor may have "
                f"{q.per_owner} runs queued or running, the lab {q.total}. Queue the rest as these finish.")
    return Queued(status_text(manager, ids[0], note), note, ids[0], {}, noted(note),
                  gr.Dropdown(value=ids, multiselect=True), who)


def select_run(compare, evt: gr.SelectData):
    """A click on a row of the runs table: watch that run and add it to the comparison."""
    run_id = (evt.row_value or [None])[0]
    if not run_id:
        return changed(Selected)
    compare = list(compare or [])
    compare = compare if run_id in compare else compare + [run_id]
    return Selected(run_id, {}, gr.Dropdown(value=compare, multiselect=True))


def delete(manager: RunManager, visitors: Visitors, watched, compare, who, request: gr.Request):
    """Delete the watched run's folder, if it is ours (refused while it is queued or running)."""
    me, who = visitors.identify(who, request)
    if watched is None:
        line = refused("Not deleted", "no run is selected: click one in the runs table")
        return changed(Deleted, status=line, deleted=line, who=who)
    try:
        manager.delete(watched, by=me)
    except (ValueError, NotYourRun) as e:
        line = refused("Not deleted", e)
        return changed(Deleted, status=line, deleted=line, note=noted(line), who=who)
    note, kept = f"Deleted run `{watched}`.", [c for c in compare or [] if c != watched]
    return Deleted(note, note, None, {}, noted(note), gr.Dropdown(value=kept, multiselect=True), who)


# ---- layout and wiring ---------------------------------------------------------------------

def build_training_tab(lab: Lab, tab: gr.Tab):
    """Build the tab inside `tab`. The lab's run store is server state on purpose: every browser
    sees the same runs, and runs outlive the page that started them."""
    manager, visitors = lab.manager, lab.visitors
    options = [("custom model", CUSTOM)] + [(n, n) for n in PRESETS]
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            preset = gr.Dropdown(options, value=DEFAULT_PRESET, label="Preset", elem_id="train-preset")
            about = gr.Markdown(preset_about(DEFAULT_PRESET), elem_id="train-preset-about")
            form = build_form(preset_values(DEFAULT_PRESET))
            device = gr.Dropdown(device_choices(), value="auto", label="Device", elem_id="train-device")
            tensorboard = gr.Checkbox(False, label="Also write TensorBoard events", elem_id="train-tensorboard",
                                      interactive=tensorboard_available(),
                                      info="into the run's folder: tensorboard --logdir runs" if
                                      tensorboard_available() else "needs pip install tensorboard")
            with gr.Row():
                start_btn = gr.Button("Start", variant="primary", elem_id="train-start")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="train-stop")
            action = PageLine(elem_id="train-action")     # what the last click did, or why not
            reproduce_btn = gr.Button("Reproduce the notebook (queue its 9 experiments, epochs above)",
                                      size="sm", elem_id="train-reproduce")
            limits = gr.Markdown(limits_text(manager, None), elem_id="train-limits")
        with gr.Column(scale=2):
            status = gr.Markdown(status_text(manager, None), elem_id="train-status")
            loss_plot = gr.LinePlot(x="step", y="loss", color="run", title="Training loss (the watched run)",
                                    height=250, elem_id="train-loss-plot")
            with gr.Row():
                # "~g": no 93.470000 on one-point plots, no duplicated "2" ticks between epochs
                val_plot = gr.LinePlot(x="epoch", y="loss", color="split", title="Loss per epoch", height=230,
                                       x_axis_format="~g", y_axis_format="~g", elem_id="train-val-plot")
                acc_plot = gr.LinePlot(x="epoch", y="accuracy (%)", title="Validation accuracy per epoch",
                                       height=230, x_axis_format="~g", y_axis_format="~g",
                                       elem_id="train-acc-plot")
    gr.Markdown("### Runs\nEveryone sees every run; only a run's owner can stop or delete it. "
                "Click a row to watch that run and add it to the comparison. **Train time** is the "
                "training steps alone, here and in the comparison; the status adds the time in all "
                "(loading the data, measuring validation and test accuracy).")
    table = gr.Dataframe(runs_table(manager), interactive=False, wrap=True, max_height=320,
                         column_widths=["17%", "15%", "22%", "7%", "9%", "9%", "7%", "7%", "7%"],
                         elem_id="train-runs")
    with gr.Row(equal_height=True):
        delete_btn = gr.Button("Delete the watched run", size="sm", elem_id="train-delete", scale=1)
        deleted = PageLine(elem_id="train-delete-action", container=False)
    compare = build_compare(manager, list(runs_table(manager)["run"]), lab.secret)
    watched, seen, note, who = gr.State(None), gr.State({}), gr.State({}), visitors.who
    timer = gr.Timer(BUSY_SECONDS, active=False)      # on while this tab is shown (tick_while_visible)

    tick_while_visible(timer, tab)
    preset.change(fill_from_preset, preset, [form[f] for f in FILLED], api_name="train_preset",
                  show_progress="hidden")
    preset.change(preset_about, preset, about, api_visibility="private", show_progress="hidden", queue=False)
    for name in MODEL_FORM:                   # editing the model by hand makes it a custom one
        form[name].input(lambda: CUSTOM, None, preset, api_name=False, show_progress="hidden")
    fed = dict(status=status, action=action, deleted=deleted, watched=watched, seen=seen, note=note,
               compared=compare.runs, who=who)
    start_btn.click(bind(start, manager, visitors), [preset, device, *form.values(), tensorboard, who],
                    outputs_of(Started, fed), api_name="train_start", show_progress="minimal",
                    preprocess=False).then(       # the values as sent: form.configs_from_form checks them
        hurry, None, timer, api_visibility="private", show_progress="hidden")
    stop_btn.click(bind(stop, manager, visitors), [watched, who], outputs_of(Stopped, fed),
                   api_name="train_stop", show_progress="minimal")
    reproduce_btn.click(bind(reproduce, manager, visitors), [form["epochs"], device, who],
                        outputs_of(Queued, fed), api_name="train_reproduce").then(
        hurry, None, timer, api_visibility="private", show_progress="hidden")
    table.select(select_run, compare.runs, outputs_of(Selected, fed), api_name="train_select")
    delete_btn.click(bind(delete, manager, visitors), [watched, compare.runs, who],
                     outputs_of(Deleted, fed), api_name="train_delete")
    view_changes = [compare.runs.change, compare.smoothing.release, compare.log_scale.change,
                    compare.x_axis.change]
    gr.on(view_changes, bind(redraw, manager), [compare.runs, *compare.view], compared_outputs(compare),
          api_name="train_compare", show_progress="hidden")
    gr.on(view_changes, bind(watched_loss, manager), [watched, compare.runs, *compare.view], loss_plot,
          api_visibility="private", show_progress="hidden")
    # The compared runs survive a reload: kept in the browser as they change, and restored when the
    # page has read them back (the BrowserState's change event, fired after the page loads).
    compare.runs.change(None, compare.runs, compare.kept, js="(runs) => [runs]", queue=False,
                        api_visibility="private", show_progress="hidden")
    compare.kept.change(bind(restore, manager), [compare.kept, compare.runs], compare.runs,
                        api_visibility="private", show_progress="hidden")
    compare.export.click(bind(export, manager), watched, compare.files, api_name="train_export")
    poll_io = dict(inputs=[watched, seen, note, compare.runs, *compare.view, who],
                   outputs=[status, loss_plot, val_plot, acc_plot, table, compare.runs,
                            *compared_outputs(compare), limits, watched, seen, timer], show_progress="hidden",
                   concurrency_limit=None)
    timer.tick(bind(poll, manager, visitors), api_name="train_poll", **poll_io)
    tab.select(bind(poll, manager, visitors), api_visibility="private", **poll_io)   # at once, not in 1 s
