"""What the comparison shows: runs' curves, smoothed, on a chosen x axis, one colour per run; their config diff.

Plain functions of Curves and run records; no widgets here (see compare.py).

Smoothing is TensorBoard's: an exponential moving average with weight w in [0, 1),
    s_t = w s_(t-1) + (1 - w) x_t,  s_(-1) = 0,  shown as s_t / (1 - w^(t+1))
(the division removes the pull towards the zero start), applied to the per-step training loss;
the per-epoch curves have a few points each, none of them noise to smooth away. The raw curve
is drawn faintly behind the smoothed one in a lighter tint of the run's colour. A log scale plots log10 of the values
(Gradio's LinePlot has no log axis) and keeps the value itself for the tooltip.
"""

import json
import math
import zlib
from dataclasses import asdict

import pandas as pd

from ...mnist.model import RowRNNConfig
from ...mnist.train import TrainConfig
from ..palette import PALETTE
from .runs_view import duration

X_AXES = ("step", "epoch", "seconds")          # "seconds": wall-clock seconds since the run started
METRICS = {"training loss": "loss", "validation loss": "val_loss", "validation accuracy": "val_acc"}
LOGGABLE = ("training loss", "validation loss")  # accuracy stays linear
MAX_POINTS = 1000                     # per series; Gradio's LinePlot bins beyond 1000 rows in the browser
RAW = " · raw"
MARGIN = 0.05                         # share of an axis left free past the data, so an end point shows whole
# d3 formats: significant digits with trailing zeros dropped, never "1e+2" nor "98.000000"
X_FORMAT, Y_FORMAT = ",~r", "~r"


def ema(values: list, weight: float) -> list:
    """TensorBoard's debiased exponential moving average of `values` (weight 0: the values)."""
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {weight}")
    smoothed, last = [], 0.0
    for t, value in enumerate(values):
        last = weight * last + (1 - weight) * value
        smoothed.append(last / (1 - weight ** (t + 1)))
    return smoothed


def thin(x: list, y: list, max_points: int = MAX_POINTS) -> tuple[list, list]:
    """Average consecutive points so a long curve keeps at most `max_points` points."""
    if len(x) <= max_points:
        return list(x), list(y)
    k = -(-len(x) // max_points)
    return ([sum(x[i:i + k]) / len(x[i:i + k]) for i in range(0, len(x), k)],
            [sum(y[i:i + k]) / len(y[i:i + k]) for i in range(0, len(y), k)])


def colours(run_ids: list) -> dict:
    """One colour per run, from the run id itself (the same whatever else is on screen), with
    clashes among `run_ids` moved to the next free colour in the order given."""
    taken, chosen = set(), {}
    for run_id in dict.fromkeys(run_ids):
        first = zlib.crc32(run_id.encode()) % len(PALETTE)
        pick = next((i % len(PALETTE) for i in range(first, first + len(PALETTE))
                     if i % len(PALETTE) not in taken), first)
        taken.add(pick)
        chosen[run_id] = PALETTE[pick]
    return chosen


def faint(colour: str, share: float = 0.3) -> str:
    """`colour` mixed with white, keeping `share` of it: the raw curve behind the smoothed one."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - share * (255 - c)):02x}" for c in rgb)


def series(curves, metric: str, x_axis: str) -> tuple[list, list]:
    """(x, y) of one metric of a run: per step for the training loss, per epoch otherwise."""
    start = curves.start or {}
    per_epoch = max(start.get("steps_per_epoch", 1), 1)
    t0 = curves.first_time or 0.0
    if metric == "training loss":
        steps, y = curves.steps, curves.losses
        x = {"step": steps, "epoch": [s / per_epoch for s in steps],
             "seconds": [t - t0 for t in curves.times]}[x_axis]
        return list(x), list(y)
    key = METRICS[metric]
    epochs = curves.epochs
    x = {"step": [e["epoch"] * per_epoch for e in epochs], "epoch": [e["epoch"] for e in epochs],
         "seconds": [e.get("time", t0) - t0 for e in epochs]}[x_axis]
    return list(x), [(100 * e[key] if key == "val_acc" else e[key]) for e in epochs]


def label(run_id: str, record: dict | None) -> str:
    """How a run is named in legends and tooltips: the end of its id and its preset."""
    return f"{run_id[-6:]} {record['name'] if record else ''}".strip()


def y_name(metric: str, log: bool) -> str:
    unit = "accuracy (%)" if metric == "validation accuracy" else "loss"
    return f"log10 {unit}" if log and metric in LOGGABLE else unit


def metric_frame(runs: list, metric: str, x_axis: str, smoothing: float, log: bool):
    """One plot's data: `runs` is [(label, curves)]; -> (DataFrame or None, colour_map, legend).

    Columns: x_axis, the y column (y_name), "run" (the series) and "value" (the value itself).
    """
    y_col, logged = y_name(metric, log), log and metric in LOGGABLE
    smoothing = smoothing if metric == "training loss" else 0.0      # per-epoch curves: as measured
    frames, colour_map, legend = [], {}, []
    for (name, colour), curves in runs:
        x, y = series(curves, metric, x_axis)
        if not x:
            continue
        drawn = [(name, ema(y, smoothing), colour)]
        if smoothing > 0:
            drawn.insert(0, (name + RAW, y, faint(colour)))       # first: drawn behind
        for series_name, values, tint in drawn:
            xs, ys = thin(x, values)
            frame = pd.DataFrame({x_axis: xs, "value": ys, "run": series_name})
            frame[y_col] = [math.log10(max(v, 1e-12)) for v in ys] if logged else ys
            frames.append(frame)
            colour_map[series_name] = tint
        legend.append(name)
    if not frames:
        return None, colour_map, legend
    return pd.concat(frames, ignore_index=True)[[x_axis, y_col, "run", "value"]], colour_map, legend


def axis_limits(frame, x_axis: str, y_col: str) -> tuple[list, list]:
    """[low, high] of each axis of a plot's frame, with MARGIN of its span free past the data.

    x starts at 0, where training starts. A single y value gets a span of its own, a tenth of the
    value around it: alone, it would be a scale of zero width, drawn with ticks such as "98.000000".
    """
    x_high = float(frame[x_axis].max())
    y_low, y_high = float(frame[y_col].min()), float(frame[y_col].max())
    y_pad = MARGIN * (y_high - y_low) if y_high > y_low else abs(y_high) / 20 or 1.0
    return [0.0, max(x_high, 0.0) * (1 + MARGIN) or 1.0], [y_low - y_pad, y_high + y_pad]


def config_diff(records: list, finals: dict) -> pd.DataFrame:
    """The compared runs' configs, only the fields that differ, then how each run ended.

    `finals`: run id -> final validation accuracy (its last epoch's), or None.
    """
    flat = []
    for r in records:
        # A run recorded before a field existed ran with its default: no difference to show.
        model = {**asdict(RowRNNConfig()), **r["model_config"]}
        recipe = {**asdict(TrainConfig()), **r["train_config"]}
        fields = {"preset": r["name"], **model,
                  **{k: v for k, v in recipe.items() if k not in ("device", "log_every")}}
        flat.append(fields)
    keys = list(dict.fromkeys(k for fields in flat for k in fields))
    differ = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    rows = []
    for r, fields in zip(records, flat):
        final, test = finals.get(r["id"]), r.get("test_acc")
        rows.append([r["id"], *[fields.get(k) for k in differ],
                     "–" if final is None else f"{100 * final:.2f}%", "–" if test is None else f"{100 * test:.2f}%",
                     duration(r.get("train_seconds")), r["device"]])
    return pd.DataFrame(rows, columns=["run", *[k.replace("_", " ") for k in differ], "final val acc",
                                       "test acc", "train time", "device"])
