"""Train the notebook's presets one after another; write a Markdown table and its three plots each."""

import datetime as _dt
import sys
from pathlib import Path

from .presets import PRESETS, get_preset


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
    """Train each preset (every preset by default, each with its own recipe); return the table's path."""
    from .cli import load_splits_for, model_config_from_args, print_events, train_config_from_args
    from .devices import device_label, resolve_device
    from .model_card import write_model_card
    from .train import train
    names = names or list(PRESETS)
    presets = [get_preset(n) for n in names]
    device = resolve_device(args.device)
    splits = load_splits_for(args, device)
    out_dir.mkdir(parents=True, exist_ok=True)
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
        model_config = model_config_from_args(preset, args)
        end = print_events(tap(train(model_config, config, splits, out=ckpt, name=preset.name)))
        plot_history(preset.name, steps, losses, end["history"], out_dir)
        _write_table(out_dir / "README.md", Path(args.checkpoints), device_label(device))
        print(f"wrote {out_dir / 'README.md'}", file=sys.stderr)
    print(f"wrote {write_model_card(args.checkpoints)}", file=sys.stderr)
    return out_dir / "README.md"


def _write_table(path: Path, checkpoints: Path, device: str) -> None:
    """One row per preset whose checkpoint exists, read from the checkpoint's own metrics."""
    from .checkpoints import CheckpointError, load_checkpoint
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
    lines += ["", "Per preset, the notebook's three plots (training loss per iteration, validation "
              "loss and accuracy per epoch):", "", *plots]
    path.write_text("\n".join(lines) + "\n")
