"""What the Training tab shows of runs: the runs table, the limits, epoch plots and the status text.

Plain functions of a RunManager and its records; no widgets here (see ui/training/tab.py; the
comparison's plots are in compare_view.py).
"""

import time

import pandas as pd
import torch

from ...mnist.runs.limits import FREE_SHARE
from ...mnist.runs.manager import RunManager
from ...mnist.runs.quotas import Actor

CUSTOM = "custom"


def device_choices() -> list[tuple[str, str]]:
    """auto / cuda (with its name, only when present) / cpu."""
    if not torch.cuda.is_available():
        return [("auto → cpu (no GPU found)", "auto"), ("cpu", "cpu")]
    gpus = [(f"cuda:{i} ({torch.cuda.get_device_name(i)})", f"cuda:{i}")
            for i in range(torch.cuda.device_count())]
    return [(f"auto → {gpus[0][0]}", "auto"), *gpus, ("cpu", "cpu")]


def _clock(seconds) -> str:
    seconds = int(max(seconds or 0, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def duration(seconds) -> str:
    """A time as every table of the tab shows it: "12.5 s" under a minute, else "1:09" (h:mm:ss)."""
    if seconds is None:
        return "–"
    return f"{seconds:.1f} s" if seconds < 60 else _clock(seconds)


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def _model_text(r: dict) -> str:
    m = r["model_config"]
    text = f"{'Bi' if m['bidirectional'] else ''}{m['cell'].upper()} {m['hidden_size']}"
    text += f"x{m['num_layers']}" if m["num_layers"] > 1 else ""
    text += f" {m['nonlinearity']}" if m["cell"] == "rnn" else ""
    text += f" +{m['norm'][0].upper()}N" if m["norm"] else ""
    text += " +MLP" if m["head"] == "mlp" else ""
    return f"{r['name']}: {text}" if r["name"] != CUSTOM else text


def _recipe_text(t: dict) -> str:
    parts = [f"{t['epochs']} ep", f"bs {t['batch_size']}", f"{t['optimizer']} {t['lr']:g}", t["schedule"]]
    parts += [f"wd {t['weight_decay']:g}"] if t["weight_decay"] else []
    parts += [f"shift {t['max_shift']}px"] if t["max_shift"] else []
    parts += [f"rotate {t['max_rotation']:g}°"] if t.get("max_rotation") else []
    parts += [f"scale ±{t['max_scale']:g}"] if t.get("max_scale") else []
    parts += [f"EMA {t['ema']:g}"] if t.get("ema") else []
    return " · ".join(parts + [f"seed {t['seed']}"])


def owner_text(record: dict, me: Actor | None) -> str:
    """'you', 'another visitor' or 'the operator' (a run started from Python or the command line);
    an operator sees the user name of a run started behind a login."""
    if record.get("owner") is None:
        return "the operator"
    if me is not None and record["owner"] == me.owner:
        return "you"
    name = record.get("owner_name")
    return name if me is not None and me.operator and isinstance(name, str) else "another visitor"


def _unreadable_row(run_id: str) -> list:
    return [run_id, "unreadable run", "its run.json could not be read (see the server's log)", "–", "–",
            "unreadable", "–", "–", "–"]


def runs_table(manager: RunManager, me: Actor | None = None) -> pd.DataFrame:
    """One row per run, newest first: what it trained, where, whose, how it ended; then a row
    "unreadable run" for each run whose record was skipped (the server's log says why).
    Its train time is the comparison's (the training steps alone, known once a run ends)."""
    rows = []
    for r in manager.list_runs():
        status = r["status"] + (f" (#{r['position']} in queue)" if r.get("position") else "")
        try:
            rows.append([r["id"], _model_text(r), _recipe_text(r["train_config"]), r["device"],
                         owner_text(r, me), status, _pct(r["best_val_acc"]), _pct(r["test_acc"]),
                         duration(r.get("train_seconds"))])
        except (KeyError, TypeError, ValueError, AttributeError):    # a field of a shape no run writes
            rows.append(_unreadable_row(r["id"]))
    rows += [_unreadable_row(run_id) for run_id in sorted(manager.unreadable)]
    return pd.DataFrame(rows, columns=["run", "model", "hyperparameters", "device", "by", "status",
                                       "best val acc", "test acc", "train time"])


def limits_text(manager: RunManager, me: Actor | None) -> str:
    """The quotas and size limits, with how much of them this visitor and the lab use now."""
    mine, everyone = manager.usage(me) if me is not None else (0, manager.usage(Actor())[1])
    q = manager.quotas
    who = ("**Operator:** no quota; you may stop or delete any run" if me is not None and me.operator
           else f"**Your runs:** {mine} of {q.per_owner} queued or running")
    return (f"{who} · **the lab:** {everyone} of {q.total} · one run trains per device at a time, "
            f"visitors take turns · models up to {manager.max_params:,} parameters whose training "
            f"fits in {FREE_SHARE:.0%} of the device's free memory")


def epoch_frames(curves) -> tuple:
    """The notebook's per-epoch plots as DataFrames: training and validation loss, validation accuracy."""
    val = pd.DataFrame([{"epoch": e["epoch"], "loss": e[k], "split": split} for e in curves.epochs
                        for k, split in (("train_loss", "training"), ("val_loss", "validation"))],
                       columns=["epoch", "loss", "split"])
    acc = pd.DataFrame({"epoch": [e["epoch"] for e in curves.epochs],
                        "accuracy (%)": [100 * e["val_acc"] for e in curves.epochs]})
    return tuple(None if frame.empty else frame for frame in (val, acc))   # None: "no data yet"


def progress_bar(done: int, total: int, width: int = 24) -> str:
    """A text bar for `done` of `total` steps: ▰▰▰▱▱ 42%."""
    share = min(max(done / total, 0.0), 1.0) if total else 0.0
    filled = round(share * width)
    return f"`{'▰' * filled}{'▱' * (width - filled)}` {100 * share:.0f}%"


def status_text(manager: RunManager, run_id, note: str = "") -> str:
    """Who, where, how far: the run's id, device, parameters, progress and results."""
    if run_id is None:
        return note or "No run yet: pick a preset (or build a model), then press **Start**."
    try:
        r, curves = manager.get(run_id), manager.curves(run_id)
    except ValueError as e:
        return f"{note}\n\n{e}" if note else str(e)
    lines = [f"**Run `{r['id']}`** · {_model_text(r)} · **{r['device']}** · {r['params']:,} parameters"]
    status, p = r["status"], curves.progress()
    if status == "queued":
        lines.append(f"Status: **queued**, position {r.get('position') or '?'} on {r['train_config']['device']}")
    elif status == "running" and not p:
        lines.append("Status: **running** (loading data)")
    elif status == "running":
        elapsed = time.time() - curves.first_time
        eta = max(p["eta"] - (time.time() - curves.last_time), 0) if p["eta"] is not None else None
        lines.append(f"Status: **running**, epoch {p['epoch']} of {p['epochs']} · step {p['step']}/"
                     f"{p['total_steps']} · elapsed {_clock(elapsed)}" +
                     (f" · {p['rate']:.1f} steps/s" if p["rate"] else "") +
                     (f" · about {_clock(eta)} left" if eta is not None else ""))
        lines.append(progress_bar(p["step"], p["total_steps"]))
    else:
        reason = f" ({r['reason']})" if r.get("reason") else ""
        # both clocks, named: the tables show the train time, the wall time adds loading and testing
        spent = [f"train time {duration(r.get('train_seconds'))}"] if r.get("train_seconds") is not None else []
        spent += [f"{duration(r['seconds'])} in all"] if r.get("seconds") is not None else []
        lines.append(f"Status: **{status}**{reason} after {r['epochs_done']} epoch(s)" +
                     (f": {', '.join(spent)}" if spent else ""))
    if curves.epochs:
        e = curves.epochs[-1]
        lines.append(f"Epoch {e['epoch']}: validation loss {e['val_loss']:.4f}, accuracy {_pct(e['val_acc'])}")
    if r["test_acc"] is not None:
        # The run's id, not the checkpoint's path: every visitor sees this, and the server's folders
        # are none of their business (Export gives the file).
        lines.append(f"**Test accuracy: {_pct(r['test_acc'])}** · the model is now in the Sketch tab's model "
                     "list; Export gives its checkpoint")
    return "\n\n".join(([note] if note else []) + lines)
