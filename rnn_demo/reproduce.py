"""Train the notebook's presets one after another; write a Markdown table and its three plots each."""

import datetime as _dt
import sys
from pathlib import Path

from .presets import NOTEBOOK_PRESETS, PRESETS, get_preset


def plot_history(name: str, steps: list, losses: list, history: list, out_dir: Path) -> Path:
    """The notebook's three plots side by side: train loss vs iteration, val loss and acc vs epoch."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
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
    plt.close(fig)
    return path


def reproduce(names, args, out_dir: Path) -> Path:
    """Train each preset (all notebook presets plus gru by default); return the table's path."""
    from .cli import load_splits_for, print_events, train_config_from_args
    from .devices import device_label, resolve_device
    from .model_card import write_model_card
    from .train import train
    names = names or [n for n in PRESETS if n in NOTEBOOK_PRESETS or n == "gru"]
    presets = [get_preset(n) for n in names]
    device = resolve_device(args.device)
    splits = load_splits_for(args, device)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for preset in presets:
        config = train_config_from_args(preset, args)
        steps, losses = [], []

        def tap(events):
            for e in events:
                if e["kind"] == "step":
                    steps.append(e["step"])
                    losses.append(e["loss"])
                yield e

        ckpt = Path(args.checkpoints) / f"{preset.name}.pt"
        end = print_events(tap(train(preset.model, config, splits, out=ckpt, name=preset.name)))
        plot_history(preset.name, steps, losses, end["history"], out_dir)
        rows.append((preset, config, end))
        _write_table(out_dir / "README.md", rows, device_label(device), len(splits.train_x))
        print(f"wrote {out_dir / 'README.md'}", file=sys.stderr)
    print(f"wrote {write_model_card(args.checkpoints)}", file=sys.stderr)
    return out_dir / "README.md"


def _write_table(path: Path, rows, device: str, n_train: int) -> None:
    lines = [
        "# Reproducing the notebook",
        "",
        f"`python -m rnn_demo reproduce` on **{device}**, {n_train:,} training images, "
        f"{_dt.date.today().isoformat()}. Test accuracy after the last epoch; the test set is "
        "touched once per model. Train time excludes validation.",
        "",
        "| preset | model | epochs | lr | notebook test acc. | ours | parameters | train time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for preset, config, end in rows:
        nb = f"{preset.notebook_acc:.2f}%" if preset.notebook_acc is not None else "n/a"
        ours = f"{100 * end['test_acc']:.2f}%" if end["test_acc"] is not None else end["status"]
        lines.append(f"| `{preset.name}` | {preset.description} | {config.epochs} | {config.lr:g} | {nb} | "
                     f"{ours} | {end['params']:,} | {end['train_seconds']:.0f} s |")
    lines += ["", "Per preset, the notebook's three plots (training loss per iteration, validation "
              "loss and accuracy per epoch):", ""]
    lines += [f"![{p.name}]({p.name}.png)" for p, _, _ in rows]
    path.write_text("\n".join(lines) + "\n")
