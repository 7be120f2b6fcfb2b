"""Write checkpoints/README.md, the model card, from the metrics stored in each checkpoint.

    python -m rnn_demo.model_card [checkpoints]
"""

import sys
from pathlib import Path

from .checkpoints import CheckpointError, load_checkpoint
from .presets import PRESETS

HEADER = """# Shipped models

Trained with this project's own command line (`make reproduce`, i.e. `python -m rnn_demo
reproduce`) on 50,000 training images; the model is the one after the last epoch, and the test set
(10,000 images) is touched once. The notebook's nine presets use its recipe (Adam 1e-3, or 3e-4 for
`rnn-relu-256`, batch 512, 10 epochs); `gru`, `fast` and `best` are ours, each recipe in the
table. `best` (the Sketch tab's default) is the most accurate; `fast` trains in seconds. Each file
is a plain dict (config, state dict, metrics, recipe) read with `torch.load(...,
weights_only=True)`; the app reads the metrics below from the files themselves.
"""


def _fmt_pct(x):
    return f"{100 * x:.2f}%" if isinstance(x, (int, float)) else "n/a"


def _fmt(value):
    return f"{value:.3g}" if isinstance(value, float) else value


def recipe(train_config: dict) -> str:
    """A recipe in a few words: what differs from the notebook's (Adam 1e-3, batch 512, constant)."""
    t = train_config
    if not t:
        return "?"
    parts = [f"{t.get('optimizer', 'adam')} {t.get('lr', 1e-3):g}", f"batch {t.get('batch_size', '?')}"]
    if t.get("schedule", "constant") != "constant":
        parts.append(t["schedule"])
    if t.get("weight_decay"):
        parts.append(f"wd {t['weight_decay']:g}")
    if t.get("grad_clip"):
        parts.append(f"clip {t['grad_clip']:g}")
    if t.get("label_smoothing"):
        parts.append(f"smoothing {t['label_smoothing']:g}")
    if t.get("max_shift"):
        parts.append(f"shift ±{t['max_shift']} px")
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


if __name__ == "__main__":
    print(write_model_card(sys.argv[1] if len(sys.argv) > 1 else "checkpoints"))
