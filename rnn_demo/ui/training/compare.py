"""The Training tab's comparison: compared runs' curves, their config diff, and a run's downloads.

Three plots overlay the compared runs (training loss per step, validation loss and accuracy
per epoch), one colour per run in every plot, with a smoothing slider (the raw curve faint
behind), a log scale for the losses, and the x axis in steps, epochs or wall-clock seconds;
hovering a line gives run, x and value. The same view settings draw the watched run's loss
plot. Below, the compared runs' configs (only the fields that differ) and how each ended, and
the watched run's metrics as CSV and JSON Lines and its checkpoint, to download.

The compared runs are kept in the browser (gr.BrowserState), so a reload compares them again.

Handlers first (module level, the manager passed in), then `build_compare` (layout only: the
Training tab wires it, since its timer redraws the plots while compared runs train).
"""

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ...mnist.runs.export import export_files
from ...mnist.runs.files import run_dir
from ...mnist.runs.manager import RunManager
from ..browser import browser_state
from .compare_view import (LOGGABLE, METRICS, X_AXES, X_FORMAT, Y_FORMAT, axis_limits, colours, config_diff,
                           label, metric_frame, y_name)

DEFAULT_VIEW = {"smoothing": 0.6, "log_scale": False, "x_axis": "step"}
# Vega draws a line through a single point (a run's only epoch so far) as a path of zero length,
# "M x,y Z", which shows nothing; a round cap as wide as a dot shows it. Gradio's LinePlot has no
# point marks to ask for instead. The rule holds for every LinePlot of the page.
SINGLE_POINTS_CSS = '<style>g.mark-line path[d$="Z"] { stroke-linecap: round; stroke-width: 8px; }</style>'


@dataclass
class CompareSection:
    """The comparison's components (see build_compare)."""
    runs: gr.Dropdown
    smoothing: gr.Slider
    log_scale: gr.Checkbox
    x_axis: gr.Radio
    plots: list                   # one gr.LinePlot per METRICS entry, in that order
    diff: gr.Dataframe
    export: gr.Button
    files: gr.File
    kept: gr.BrowserState         # the compared runs' ids, in this browser, for the next page load

    @property
    def view(self) -> list:
        """The view settings, as handler inputs: smoothing, log scale, x axis."""
        return [self.smoothing, self.log_scale, self.x_axis]


def _entries(manager: RunManager, run_ids: list, extra=None) -> tuple[list, list]:
    """[((label, colour), curves)] and the records of the runs that still exist, in order."""
    palette = colours(list(run_ids or []) + ([extra] if extra else []))
    entries, records = [], []
    for run_id in run_ids or []:
        try:
            record, curves = manager.get(run_id), manager.curves(run_id)
        except ValueError:
            continue                                      # deleted meanwhile
        entries.append(((label(run_id, record), palette[run_id]), curves))
        records.append(record)
    return entries, records


def plot_update(frame_and_colours, metric: str, x_axis: str, log: bool) -> gr.LinePlot:
    """A LinePlot update for metric_frame's result: axes named, one colour per run."""
    frame, colour_map, legend = frame_and_colours
    y, logged = y_name(metric, log), log and metric in LOGGABLE
    x_title = "wall-clock seconds" if x_axis == "seconds" else x_axis
    x_lim, y_lim = axis_limits(frame, x_axis, y) if frame is not None else (None, None)
    return gr.LinePlot(frame, x=x_axis, y=y, color="run", color_map=colour_map or None,
                       colors_in_legend=legend or None, x_title=x_title, y_title=y,
                       x_lim=x_lim, y_lim=y_lim, x_axis_format=X_FORMAT, y_axis_format=Y_FORMAT,
                       tooltip=["run", "value"] if logged else ["run"])


def redraw(manager: RunManager, compare, smoothing, log_scale, x_axis):
    """The compared runs' three plots and their config diff."""
    x_axis = x_axis if x_axis in X_AXES else "step"
    smoothing = min(max(float(smoothing or 0), 0.0), 0.99)
    entries, records = _entries(manager, compare)
    plots = [plot_update(metric_frame(entries, metric, x_axis, smoothing, bool(log_scale)), metric,
                         x_axis, bool(log_scale)) for metric in METRICS]
    finals = {r["id"]: (c.epochs[-1]["val_acc"] if c.epochs else None)
              for r, (_, c) in zip(records, entries)}
    return *plots, config_diff(records, finals)


def watched_loss(manager: RunManager, watched, compare, smoothing, log_scale, x_axis, curves=None):
    """The watched run's training loss, drawn with the comparison's view settings and its colour."""
    if watched is None:
        return None
    x_axis = x_axis if x_axis in X_AXES else "step"
    smoothing = min(max(float(smoothing or 0), 0.0), 0.99)
    try:
        record, curves = manager.get(watched), curves or manager.curves(watched)
    except ValueError:
        return None
    colour = colours(list(compare or []) + [watched])[watched]
    entry = [((label(watched, record), colour), curves)]
    return plot_update(metric_frame(entry, "training loss", x_axis, smoothing, bool(log_scale)),
                       "training loss", x_axis, bool(log_scale))


def export(manager: RunManager, watched):
    """The watched run's metrics (CSV, JSON Lines) and checkpoint (once it has one), to download."""
    if watched is None:
        gr.Warning("Select a run in the table first.")
        return None
    try:
        return downloadable(export_files(run_dir(manager.root, watched)))
    except FileNotFoundError:
        gr.Warning("This run has no metrics yet: it has not started.")
    except (ValueError, OSError) as e:
        gr.Warning(f"Cannot export run {watched}: {e}")
    return None


EXPORTS_KEPT = 3600            # seconds a download's copy stays in the system's temp folder


def downloadable(paths: list[Path]) -> list[str]:
    """Copies of `paths` (hard links where possible) in a fresh folder of the system's temp folder.

    Gradio copies a returned file into its cache and serves it from there; it may take one from
    the temp folder, so the runs folder itself is not among the paths it serves (its run.json
    name owners, and a fine-tune's folder once held private digits). Copies older than
    EXPORTS_KEPT are removed on the way.
    """
    temp = Path(tempfile.gettempdir())
    for old in temp.glob("rnn-lab-export-*"):
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > EXPORTS_KEPT:
                shutil.rmtree(old)
    folder = Path(tempfile.mkdtemp(prefix="rnn-lab-export-"))
    copies = []
    for path in paths:
        copy = folder / Path(path).name
        try:
            os.link(path, copy)
        except OSError:                       # another file system
            shutil.copy2(path, copy)
        copies.append(str(copy))
    return copies


def restore(manager: RunManager, kept, compared):
    """A page that compares nothing yet compares again the runs this browser compared (those that
    still exist); a page that compares some keeps them."""
    if compared:
        return gr.skip()
    ids = {r["id"] for r in manager.list_runs()}
    runs = [run_id for run_id in kept or [] if isinstance(run_id, str) and run_id in ids]
    return gr.Dropdown(value=runs) if runs else gr.skip()


def compared_outputs(section: "CompareSection") -> list:
    """What `redraw` feeds, in its order: one plot per METRICS entry, then the config diff."""
    return [*section.plots, section.diff]


def build_compare(manager: RunManager, choices: list, secret: str) -> CompareSection:
    """Lay out the comparison (inside the current Blocks context); the caller wires it. `secret`
    keys the browser's copy of the compared runs (ui/browser.py)."""
    with gr.Row():
        # custom values: API clients may name runs started after this page was built
        runs = gr.Dropdown(choices, value=[], multiselect=True, scale=3, allow_custom_value=True,
                           label="Compare runs", elem_id="train-compare")
        smoothing = gr.Slider(0, 0.99, value=DEFAULT_VIEW["smoothing"], step=0.01, label="Smoothing",
                              info="of the per-step training loss (exponential moving average); "
                                   "the raw curve stays faint behind",
                              scale=2, elem_id="train-smoothing")
        with gr.Column(scale=1, min_width=180):
            log_scale = gr.Checkbox(DEFAULT_VIEW["log_scale"], label="Log scale (losses)",
                                    elem_id="train-log-scale")
            x_axis = gr.Radio(list(X_AXES), value=DEFAULT_VIEW["x_axis"], label="X axis",
                              elem_id="train-x-axis")
    with gr.Row():
        plots = [gr.LinePlot(x="step", y="value", color="run", title=f"{metric.capitalize()}, runs compared",
                             height=280, elem_id=f"train-compare-{key.replace('_', '-')}")
                 for metric, key in METRICS.items()]
    gr.HTML(SINGLE_POINTS_CSS, visible="hidden", padding=False)   # in the page, taking no room
    diff = gr.Dataframe(config_diff([], {}), label="Compared runs: the settings that differ, and results",
                        interactive=False, wrap=True, elem_id="train-diff")
    with gr.Row():
        export_btn = gr.Button("Export the watched run (CSV, JSON Lines, checkpoint)", size="sm",
                               scale=1, elem_id="train-export")
        files = gr.File(label="Downloads", file_count="multiple", interactive=False, scale=2, height=140,
                        elem_id="train-downloads")
    kept = browser_state("compared-runs", secret, [])
    return CompareSection(runs, smoothing, log_scale, x_axis, plots, diff, export_btn, files, kept)
