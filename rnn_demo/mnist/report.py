"""Reports written from checkpoints' own metrics: the reproduction table, its plots, the model card.

    write_reproduce_table(Path("docs/reproduce/README.md"), Path("checkpoints"), "cpu")
    write_seeds_table(Path("docs/reproduce/seeds.md"), {"lstm": [Path("runs/reproduce-seeds/lstm-seed0.pt")]}, "cpu")
    write_model_card("checkpoints")      # checkpoints/README.md

Nothing here trains; every number comes from the files, so a report can be rewritten at any time.
"""

import datetime as _dt
import statistics
from pathlib import Path

from ..checkpoints import CheckpointError, load_checkpoint
from .presets import PRESETS


def plot_history(name: str, steps: list, losses: list, history: list, out_dir: Path) -> Path:
    """The notebook's three plots side by side: train loss vs iteration, val loss and acc vs epoch."""
    from matplotlib.figure import Figure  # no pyplot: its global state is not thread-safe
    fig = Figure(figsize=(13, 3.4))
    axes = fig.subplots(1, 3)
    axes[0].plot(steps, losses, lw=0.8)
    axes[0].set(title="Training loss", xlabel="iteration", ylabel="cross-entropy")
    epochs = [h["epoch"] for h in history]
    axes[1].plot(epochs, [h["val_loss"] for h in history], marker="o")
    axes[1].set(title="Validation loss", xlabel="epoch")
    axes[2].plot(epochs, [100 * h["val_acc"] for h in history], marker="o", color="tab:green")
    axes[2].set(title="Validation accuracy (%)", xlabel="epoch")
    fig.suptitle(name)
    fig.tight_layout()
    path = out_dir / f"{name}.png"
    fig.savefig(path, dpi=80)
    return path



def write_reproduce_table(path: Path, checkpoints: Path, device: str) -> None:
    """One row per preset whose checkpoint exists, read from the checkpoint's own metrics."""
    lines = [
        "# Reproducing the notebook",
        "",
        f"`python -m rnn_demo reproduce` on **{device}**, {_dt.date.today().isoformat()}. Test accuracy "
        "after the last epoch; the test set is touched once per model. Train time excludes validation "
        "and depends on what else the machine was doing; `python -m rnn_demo.bench train` times an "
        "epoch cleanly.",
        "",
        "| preset | model | epochs | lr | notebook test acc. | ours | parameters | train time | device |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    plots = []
    for name, preset in PRESETS.items():
        try:
            ckpt = load_checkpoint(checkpoints / f"{name}.pt", kind="row_rnn")
        except CheckpointError:
            continue
        m, tc = ckpt["metrics"], ckpt["train_config"]
        nb = f"{preset.notebook_acc:.2f}%" if preset.notebook_acc is not None else "n/a"
        ours = f"{100 * m['test_acc']:.2f}%" if m.get("test_acc") is not None else m.get("status", "?")
        lines.append(f"| `{name}` | {preset.description} | {m.get('epochs_done')} | {tc.get('lr', 0):g} | "
                     f"{nb} | {ours} | {m.get('params', 0):,} | {m.get('train_seconds', 0):.0f} s | "
                     f"{m.get('device', '?')} |")
        if (path.parent / f"{name}.png").exists():
            plots.append(f"![{name}]({name}.png)")
    if (path.parent / "seeds.md").exists():
        lines += ["", "One seed per preset here; [seeds.md](seeds.md) has each notebook preset over "
                  "several seeds, with the notebook's number flagged where it lies outside our range."]
    lines += ["", "Per preset, the notebook's three plots (training loss per iteration, validation "
              "loss and accuracy per epoch):", "", *plots]
    path.write_text("\n".join(lines) + "\n")


def seed_summary(accs: list[float], notebook: float | None) -> dict:
    """Test accuracies (percent) of one preset over its seeds: mean, sample std, range, and where
    the notebook's single number falls ('inside', 'above' or 'below' our range; None if unknown)."""
    lo, hi = min(accs), max(accs)
    where = None
    if notebook is not None:
        where = "above" if notebook > hi else "below" if notebook < lo else "inside"
    return {"n": len(accs), "mean": statistics.fmean(accs), "min": lo, "max": hi,
            "std": statistics.stdev(accs) if len(accs) > 1 else None, "notebook": where}


def write_seeds_table(path: Path, runs: dict[str, list[Path]], machine: str) -> None:
    """One row per preset over its seeds' checkpoints, read from the checkpoints' own metrics.

    A row is flagged when the notebook's number lies outside the range of our seeds.
    """
    lines = [
        "# Reproducing the notebook over seeds",
        "",
        f"`python -m rnn_demo reproduce --seeds ...` on **{machine}**, {_dt.date.today().isoformat()}. "
        "Test accuracy after the last epoch, one run per seed (the seed sets the initial weights and "
        "the batch order; the 50k/10k split is the same for every run). std is the sample standard "
        "deviation over the seeds. **outside** marks a row whose notebook number (one run) lies "
        "outside the range of ours, with its distance from our mean in points and in standard "
        "deviations. A flag asks for a look, it is not a verdict: one more run of the very same "
        "recipe lands outside the range of n runs with probability 2/(n+1), half the time for n = 3.",
        "",
        "| preset | model | seeds | test acc. mean ± std | min – max | per seed | notebook | notebook vs our range "
        "| val acc. mean | train time per run | precision |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, paths in runs.items():
        ckpts = [load_checkpoint(p, kind="row_rnn") for p in paths]
        done = [c for c in ckpts if c["metrics"].get("test_acc") is not None]
        if not done:
            continue
        preset = PRESETS.get(name)
        notebook = preset.notebook_acc if preset else None
        accs = [100 * c["metrics"]["test_acc"] for c in done]
        s = seed_summary(accs, notebook)
        std = f"{s['std']:.2f}" if s["std"] is not None else "n/a"
        per_seed = ", ".join(f"{c['train_config'].get('seed')}: {a:.2f}" for c, a in zip(done, accs))
        flag = {"inside": "inside", None: "n/a"}.get(s["notebook"])
        if flag is None:                                  # above or below our range
            gap = notebook - s["mean"]
            sigmas = f" = {gap / s['std']:+.1f} std" if s["std"] else ""
            flag = f"**outside** ({s['notebook']}; {gap:+.2f}{sigmas})"
        val = statistics.fmean(100 * c["metrics"]["val_acc"] for c in done)
        seconds = statistics.fmean(c["metrics"].get("train_seconds", 0) for c in done)
        precision = "/".join(sorted({c["metrics"].get("precision", "fp32") for c in done}))
        lines.append(f"| `{name}` | {preset.description if preset else '?'} | {s['n']} | "
                     f"{s['mean']:.2f} ± {std} | {s['min']:.2f} – {s['max']:.2f} | {per_seed} | "
                     f"{f'{notebook:.2f}' if notebook is not None else 'n/a'} | {flag} | {val:.2f} | "
                     f"{seconds:.0f} s | {precision} |")
    path.write_text("\n".join(lines) + "\n")


HEADER = """# Shipped models

Trained with this project's own command line (`make reproduce`, i.e. `python -m rnn_demo
reproduce`) on 50,000 training images; the model is the one after the last epoch, and the test set
(10,000 images) is touched once. The notebook's nine presets use its recipe (Adam 1e-3, or 3e-4 for
`rnn-relu-256`, batch 512, 10 epochs); `gru`, `fast` and `best` are ours, each recipe in the
table. `best` is the most accurate; `fast` (the Sketch tab's default) reads as it goes and trains in seconds. Each file
is a plain dict (config, state dict, metrics, recipe) read with `torch.load(...,
weights_only=True)`; the app reads the metrics below from the files themselves.
"""


def _fmt_pct(x):
    return f"{100 * x:.2f}%" if isinstance(x, (int, float)) else "n/a"


def _fmt(value):
    return f"{value:.3g}" if isinstance(value, float) else value


# Recipe fields named only when set, and how: (field, format of its value).
RECIPE_EXTRAS = (("weight_decay", "wd {:g}"), ("grad_clip", "clip {:g}"), ("label_smoothing", "smoothing {:g}"),
                 ("max_shift", "shift ±{} px"), ("max_rotation", "rotation ±{:g}°"), ("max_scale", "scale ±{:g}"),
                 ("ema", "weight EMA {:g}"))


def recipe(train_config: dict) -> str:
    """A recipe in a few words: what differs from the notebook's (Adam 1e-3, batch 512, constant)."""
    t = train_config
    if not t:
        return "?"
    parts = [f"{t.get('optimizer', 'adam')} {t.get('lr', 1e-3):g}", f"batch {t.get('batch_size', '?')}"]
    if t.get("schedule", "constant") != "constant":
        parts.append(t["schedule"])
    parts += [template.format(t[name]) for name, template in RECIPE_EXTRAS if t.get(name)]
    return ", ".join(parts)


def model_card(folder: Path) -> str:
    rows, adder_rows, problems = [], [], []
    for path in sorted(Path(folder).glob("*.pt")):
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as e:
            problems.append(str(e))
            continue
        m, size = ckpt["metrics"], path.stat().st_size / 1024
        if ckpt["kind"] == "row_rnn":
            preset = PRESETS.get(path.stem)
            desc = preset.description if preset else ckpt["config"].get("cell", "?")
            nb = _fmt_pct(preset.notebook_acc / 100) if preset and preset.notebook_acc else "n/a"
            rows.append((-(m.get("test_acc") or 0), f"| `{path.name}` | {desc} | {recipe(ckpt.get('train_config', {}))} | "
                        f"{_fmt_pct(m.get('test_acc'))} | {nb} | "
                        f"{m.get('params', 0):,} | {m.get('epochs_done', '?')} | {m.get('device', '?')} | "
                        f"{m.get('train_seconds', 0):.0f} s | {ckpt['created'][:10]} | {size:.0f} KiB |"))
        else:
            adder_rows.append(f"| `{path.name}` | {ckpt['config']} | "
                              f"{', '.join(f'{k}: {_fmt(v)}' for k, v in m.items() if not isinstance(v, (dict, list)))} | "
                              f"{ckpt['created'][:10]} | {size:.0f} KiB |")
    text = [HEADER, "## Row-reading classifiers (MNIST), most accurate first", "",
            "| file | model | recipe | test acc. | notebook | parameters | epochs | device | train time | date | size |",
            "|---|---|---|---|---|---|---|---|---|---|---|", *[row for _, row in sorted(rows)]]
    if adder_rows:
        text += ["", "## Binary adder", "", "| file | config | metrics | date | size |",
                 "|---|---|---|---|---|", *adder_rows]
    if problems:
        text += ["", "## Unreadable files", "", *[f"- {p}" for p in problems]]
    return "\n".join(text) + "\n"


def write_model_card(folder="checkpoints") -> Path:
    path = Path(folder) / "README.md"
    path.write_text(model_card(Path(folder)))
    return path
