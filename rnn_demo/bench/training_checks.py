"""The GPU benchmark's parts that train in this process: correctness, time to accuracy, the notebook.

Each part prints as it goes and saves its results through a Report (results.json); see gpu.py
for the whole benchmark and how to run it.
"""

import itertools
import json
import math
import tempfile
import time
from pathlib import Path

import torch

from ..mnist.data import Splits
from ..mnist.model import RowRNN
from ..mnist.presets import get_preset
from ..mnist.runs.manager import RunManager
from ..mnist.train import train
from .notebook import notebook_time_to_accuracy

CELL_PRESETS = ("rnn", "lstm", "gru", "bilstm", "lstm-bn-mlp")
SEEDS = (0, 1, 2)
# The GPU recipe search for `fast`, per budget of training seconds: what varies (the rest is
# `fast`'s recipe); the epochs are sized to the budget from each shape's measured epoch time.
FAST_GRID = {
    1.0: [dict(cell=c, batch_size=b, lr=lr) for c in ("gru", "lstm") for b in (1024, 2048)
          for lr in (1e-2, 2e-2)],
    5.0: [dict(cell=c, hidden_size=h, max_shift=s, batch_size=1024, lr=1e-2) for c in ("gru", "lstm")
          for h in (128, 256) for s in (0, 1)],
}


class Report:
    """results.json in `out`, rewritten after every part, and the log printed as it goes."""

    def __init__(self, out: Path):
        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        self.results: dict = {}

    def say(self, text: str) -> None:
        print(text, flush=True)

    def save(self, part: str, value) -> None:
        self.results[part] = value
        (self.out / "results.json").write_text(json.dumps(self.results, indent=1, default=str))


def train_preset(preset: str, splits: Splits, device, out=None, **overrides) -> dict:
    """Train a preset with overrides; the end event plus every epoch's record."""
    model_config, config = get_preset(preset).configs(device=str(device), **overrides)
    end = None
    for event in train(model_config, config, splits, out=out, name=preset):
        if event["kind"] == "end":
            end = event
    return end


def first_crossing(history: list, threshold: float):
    """Training seconds at the end of the first epoch whose validation accuracy reached threshold."""
    return next((h["train_seconds"] for h in history if h["val_acc"] >= threshold), None)


# ---- 1. correctness ----------------------------------------------------------------------------
def correctness(report: Report, device, splits: Splits, tiny: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="rnn-demo-gpu-runs-"))
    manager = RunManager(root, splits_factory=lambda d: splits)
    rows = []
    for preset in CELL_PRESETS:
        record = manager.wait(manager.start_preset(preset, device=str(device), epochs=1)["id"], 600)
        row = {"preset": preset, "status": record["status"], "reason": record["reason"],
               "test_acc": record["test_acc"], "train_seconds": record.get("train_seconds")}
        if record["status"] == "completed":
            row.update(_cpu_agrees(record["checkpoint"], device, splits))
        rows.append(row)
        report.say(f"  {preset:12s} {row}")

    record = manager.start_preset("lstm", device=str(device), epochs=50)
    while (now := manager.get(record["id"]))["epochs_done"] < 1 and now["status"] in ("queued", "running"):
        time.sleep(0.01)
    asked = time.perf_counter()
    manager.stop(record["id"])
    stopped = manager.wait(record["id"], 60)
    stop = {"status": stopped["status"], "seconds_to_stop": time.perf_counter() - asked,
            "epochs_done": stopped["epochs_done"]}
    report.say(f"  stop mid-run: {stop}")

    oom = {"skipped": "no GPU"} if device.type != "cuda" else _out_of_memory(manager, device)
    report.say(f"  out of memory: {oom}")
    report.save("correctness", {"runs": rows, "stop": stop, "out_of_memory": oom})


def _cpu_agrees(path: str, device, splits: Splits) -> dict:
    """The checkpoint loaded on the CPU answers as the same weights on `device` do."""
    on_cpu = RowRNN.from_checkpoint(path, device="cpu")
    on_device = RowRNN.from_checkpoint(path, device=device)
    images = splits.test_x[:512].float().div(255)
    with torch.no_grad():
        p_cpu = torch.softmax(on_cpu(images.cpu()), -1)
        p_dev = torch.softmax(on_device(images.to(device)), -1).cpu()
    return {"cpu_max_prob_diff": (p_cpu - p_dev).abs().max().item(),
            "cpu_same_answers": (p_cpu.argmax(1) == p_dev.argmax(1)).float().mean().item()}


def _out_of_memory(manager: RunManager, device) -> dict:
    """Cap this process's GPU memory at 2 GiB, start a run that needs far more, then lift the cap."""
    device = torch.device("cuda", device.index if device.index is not None else torch.cuda.current_device())
    total = torch.cuda.get_device_properties(device).total_memory
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(2 * 2**30 / total, device)
    try:
        record = manager.wait(manager.start_preset("lstm", device=str(device), epochs=1,
                                                   hidden_size=1024, batch_size=16384)["id"], 300)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0, device)
    after = manager.wait(manager.start_preset("gru", device=str(device), epochs=1)["id"], 300)
    return {"status": record["status"], "reason": record["reason"],
            "next_run": after["status"], "next_run_test_acc": after["test_acc"]}


# ---- 2. fast: time to accuracy -----------------------------------------------------------------
def fast(report: Report, device, splits: Splits, tiny: bool) -> None:
    held_out = splits.without_test()
    train_preset("fast", held_out, device, epochs=1)                          # warm-up, not counted
    shipped = {}
    for precision in ("fp32", "auto"):
        end = train_preset("fast", splits, device, precision=precision)
        shipped[precision] = _summary(end)
        report.say(f"  fast as shipped, {precision}: {shipped[precision]}")

    # Seconds per epoch of each shape in fp32 and bf16: the epochs that fit each budget.
    per_epoch = {}
    shapes = {(r["cell"], r["batch_size"], r.get("hidden_size", 128)) for g in FAST_GRID.values() for r in g}
    for (cell, batch, hidden), precision in itertools.product(sorted(shapes), ("fp32", "bf16")):
        try:
            end = train_preset("fast", held_out, device, cell=cell, batch_size=batch, hidden_size=hidden,
                         precision=precision, epochs=2)
        except RuntimeError as e:                     # a kernel with no bf16 version here
            report.say(f"  {cell} {hidden} batch {batch} {precision}: {str(e)[:160]}")
            continue
        h = end["history"]
        per_epoch[(cell, batch, hidden, precision)] = h[-1]["train_seconds"] - h[0]["train_seconds"]
    report.say("  seconds per epoch: " + ", ".join(f"{c} {h} batch {b} {p}: {s:.3f}"
                                                   for (c, b, h, p), s in per_epoch.items()))

    searched, chosen = [], {}
    for budget, grid in FAST_GRID.items():
        best = None
        for recipe in grid:
            shape = (recipe["cell"], recipe["batch_size"], recipe.get("hidden_size", 128))
            precision = min((p for p in ("fp32", "bf16") if (*shape, p) in per_epoch),
                            key=lambda p: per_epoch[(*shape, p)])
            epochs = max(1, math.floor(0.95 * budget / per_epoch[(*shape, precision)]))
            recipe = {**recipe, "precision": precision, "epochs": min(epochs, 2) if tiny else epochs}
            end = train_preset("fast", held_out, device, **recipe)
            row = {"budget": budget, **recipe, **_summary(end)}
            searched.append(row)
            report.say(f"  search {row}")
            fits = end["train_seconds"] <= budget
            key = (fits, end["val_acc"])
            if best is None or key > best[0]:
                best = (key, recipe)
        chosen[budget] = best[1]

    finals = {}
    for budget, recipe in chosen.items():
        runs = [_summary(train_preset("fast", splits, device, seed=seed, **recipe)) for seed in SEEDS]
        finals[str(budget)] = {"recipe": recipe, "seeds": runs}
        report.say(f"  chosen for {budget} s: {recipe}")
        for seed, run in zip(SEEDS, runs):
            report.say(f"    seed {seed}: {run}")
    report.save("fast", {"shipped": shipped, "seconds_per_epoch": {" ".join(map(str, k)): v
                                                                   for k, v in per_epoch.items()},
                         "search": searched, "chosen": finals})


def _summary(end: dict) -> dict:
    h = end["history"]
    return {"train_seconds": round(end["train_seconds"], 3), "epochs": end["epochs_done"],
            "val_acc": end["val_acc"], "test_acc": end["test_acc"], "precision": end["precision"],
            "val98_at": first_crossing(h, 0.98), "val99_at": first_crossing(h, 0.99)}


# ---- 3. the notebook's pipeline ----------------------------------------------------------------
def notebook(report: Report, device, splits: Splits, data_root, tiny: bool) -> None:
    epochs = 1 if tiny else 10
    result = notebook_time_to_accuracy(device, splits, epochs, data_root)
    result = {"epochs": epochs, **result, "crossed": {str(t): s for t, (s, _) in result["crossed"].items()}}
    report.say(f"  notebook lstm: {result}")
    report.save("notebook", result)

