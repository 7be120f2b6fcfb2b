"""Training runs in processes of their own, all at once on one GPU: runs per GPU, and `best`'s search.

Each run is `python -m rnn_demo.bench.runs_at_once JOB.json`: it trains one preset and appends
its epoch and end records to a shared JSON-lines file, which the parent reads. Part of the GPU
benchmark (gpu.py).
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..checkpoints import load_checkpoint, save_checkpoint
from ..devices import resolve_device
from ..mnist.data import Splits, load_mnist
from ..mnist.model import RowRNN
from ..mnist.presets import get_preset
from ..mnist.runs.log import parse_lines
from ..mnist.train import evaluate, train
from .training_checks import SEEDS, Report, train_preset

SLOTS = (1, 4, 8)
CLASS_SIZE = 30
# Candidates for `best`, as overrides of the preset. They were chosen by this benchmark's run of
# 2026-12-04 as overrides of the preset before it (BiGRU 128, 20 epochs, shifts only); the
# winner, "bigru256", is the preset now (docs/best.md).
BEST_CANDIDATES = {"bigru256": {}, "bilstm256": {"cell": "lstm"}}

def worker(job: dict) -> None:
    """Train `job`'s preset; append its epoch and end records to job["events"] (JSON lines).

    With job["go"] set, load and warm up first, touch job["ready"], and start when `go` exists.
    """
    device = resolve_device(job["device"])
    splits = load_mnist(job["data"], device=device, log=lambda m: None)
    if job.get("n_train"):
        splits = splits.subset(job["n_train"], 1000, 1000)
    if job.get("withhold_test"):
        splits = splits.without_test()
    if job.get("go"):
        train_preset(job["preset"], splits.subset(2048, 256, 0), device, epochs=1,
               **{k: v for k, v in job["overrides"].items() if k != "epochs"})
        Path(job["ready"]).touch()
        while not Path(job["go"]).exists():
            time.sleep(0.005)
    model_config, config = get_preset(job["preset"]).configs(device=str(device), **job["overrides"])
    started = time.time()
    with open(job["events"], "a") as events:
        for event in train(model_config, config, splits, out=job.get("checkpoint"), name=job["tag"]):
            if event["kind"] in ("epoch", "end"):
                record = {"tag": job["tag"], "kind": event["kind"], "time": time.time(),
                          **{k: event.get(k) for k in ("epoch", "val_acc", "train_seconds", "status",
                                                        "test_acc", "best_val_acc")}}
                if event["kind"] == "end":
                    record["started"] = started
                events.write(json.dumps(record) + "\n")
                events.flush()


def _spawn(jobs: list[dict], work: Path) -> list[subprocess.Popen]:
    procs = []
    for i, job in enumerate(jobs):
        path = work / f"job{i}.json"
        path.write_text(json.dumps(job))
        procs.append(subprocess.Popen([sys.executable, "-m", "rnn_demo.bench.runs_at_once", str(path)],
                                      env={**os.environ, "OMP_NUM_THREADS": "1"}))
    return procs


def _read_events(path: Path) -> list[dict]:
    return parse_lines(path.read_bytes()) if path.exists() else []


def _finish(procs, deadline: float) -> bool:
    """Wait for every process until the deadline (time.monotonic()); kill the rest. True if all ended."""
    for p in procs:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    late = [p for p in procs if p.poll() is None]
    for p in late:
        p.kill()
        p.wait()
    return not late


# ---- 4. runs per GPU ---------------------------------------------------------------------------
def slots(report: Report, device, data_root, tiny: bool, deadline: float) -> None:
    rows = []
    for k in ((1, 2) if tiny else SLOTS):
        work = Path(tempfile.mkdtemp(prefix=f"rnn-demo-slots{k}-"))
        events, go = work / "events.jsonl", work / "go"
        jobs = [{"tag": f"fast-{i}", "preset": "fast", "overrides": {"seed": i}, "device": str(device),
                 "data": str(data_root) if data_root else None, "events": str(events),
                 "ready": str(work / f"ready{i}"), "go": str(go), "n_train": 4096 if tiny else None}
                for i in range(k)]
        procs = _spawn(jobs, work)
        while sum((work / f"ready{i}").exists() for i in range(k)) < k:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        start = time.time()
        go.touch()
        done = _finish(procs, deadline)
        ends = [e for e in _read_events(events) if e["kind"] == "end"]
        wall = max((e["time"] for e in ends), default=time.time()) - start
        completed = [e for e in ends if e["status"] == "completed"]
        images = len(completed) * get_preset("fast").train.epochs * (4096 if tiny else 50_000)
        row = {"runs": k, "completed": len(completed), "all_ended": done,
               "wall_seconds": round(wall, 2), "images_per_second": round(images / wall),
               "train_seconds": [round(e["train_seconds"], 2) for e in ends],
               "test_acc": [e["test_acc"] for e in ends]}
        rows.append(row)
        report.say(f"  {k} at once: {row}")
    solo = rows[0]["wall_seconds"]
    best = min(rows, key=lambda r: math.ceil(CLASS_SIZE / r["runs"]) * r["wall_seconds"])
    class_minutes = {r["runs"]: round(math.ceil(CLASS_SIZE / r["runs"]) * r["wall_seconds"] / 60, 2)
                     for r in rows}
    report.say(f"  a class of {CLASS_SIZE} starting `fast` at once, minutes until the last run ends "
               f"(waves of K runs): {class_minutes}; 1 slot {math.ceil(CLASS_SIZE) * solo / 60:.2f}, "
               f"best K={best['runs']}")
    report.save("slots", {"rows": rows, "class_minutes": class_minutes})


# ---- 5. best -----------------------------------------------------------------------------------
def best_start(device, data_root, tiny: bool) -> dict:
    """Start every (candidate, seed) of `best` in a process of its own; returns what best_finish needs."""
    work = Path(tempfile.mkdtemp(prefix="rnn-demo-best-"))
    events = work / "events.jsonl"
    candidates = ({"tiny-gru": dict(hidden_size=16, num_layers=1, epochs=1, max_rotation=10.0,
                                    max_scale=0.1, ema=0.9)} if tiny else BEST_CANDIDATES)
    jobs = [{"tag": f"{name}-seed{seed}", "preset": "best", "overrides": {**overrides, "seed": seed},
             "device": str(device), "data": str(data_root) if data_root else None,
             "events": str(events), "withhold_test": True, "n_train": 2048 if tiny else None,
             "checkpoint": str(work / f"{name}-seed{seed}.pt")}
            for name, overrides in candidates.items() for seed in SEEDS]
    return {"work": work, "events": events, "candidates": candidates, "jobs": jobs,
            "procs": _spawn(jobs, work), "start": time.time()}


def best_finish(report: Report, started: dict, device, splits: Splits, out: Path, tiny: bool,
                deadline: float) -> None:
    """Wait for the runs; choose on validation; score the chosen configuration's seeds on test."""
    work, events, candidates, jobs, start = (started[k] for k in ("work", "events", "candidates",
                                                                  "jobs", "start"))
    all_ended = _finish(started["procs"], deadline)
    records = _read_events(events)
    ends = {e["tag"]: e for e in records if e["kind"] == "end" and e["status"] == "completed"}
    progress = {}
    for e in records:
        if e["kind"] == "epoch":
            progress.setdefault(e["tag"], []).append(round(e["val_acc"], 4))
    report.say(f"  {len(ends)} of {len(jobs)} runs completed in {time.time() - start:.0f} s")
    for tag, accs in progress.items():
        report.say(f"    {tag}: val {accs}")
    means = {name: sum(ends[f"{name}-seed{s}"]["val_acc"] for s in SEEDS) / len(SEEDS)
             for name in candidates if all(f"{name}-seed{s}" in ends for s in SEEDS)}
    result = {"all_ended": all_ended, "val_progress": progress, "mean_val_acc": means,
              "scored_in_training": {tag: e["test_acc"] for tag, e in ends.items()},   # None: withheld
              "seconds": time.time() - start}
    if means:
        name = max(means, key=means.get)
        scored = {}
        test_splits = splits if not tiny else splits.subset(2048, 1000, 1000)
        for seed in SEEDS:
            path = work / f"{name}-seed{seed}.pt"
            model = RowRNN.from_checkpoint(path, device=device)
            _, test_acc = evaluate(model, test_splits.test_x, test_splits.test_y)   # once per model
            ckpt = load_checkpoint(path)
            ckpt["metrics"]["test_acc"] = test_acc
            save_checkpoint(path, "row_rnn", ckpt["config"], ckpt["state_dict"], ckpt["metrics"],
                            ckpt["train_config"])
            scored[seed] = {"val_acc": ends[f"{name}-seed{seed}"]["val_acc"], "test_acc": test_acc,
                            "train_seconds": ends[f"{name}-seed{seed}"]["train_seconds"]}
            report.say(f"  {name} seed {seed}: {scored[seed]}")
        shipped = max(SEEDS, key=lambda s: scored[s]["val_acc"])
        (out / "best.pt").write_bytes((work / f"{name}-seed{shipped}.pt").read_bytes())
        tests = [scored[s]["test_acc"] for s in SEEDS]
        mean = sum(tests) / len(tests)
        sd = (sum((t - mean) ** 2 for t in tests) / (len(tests) - 1)) ** 0.5
        result.update(chosen=name, overrides=candidates[name], seeds=scored, shipped_seed=shipped,
                      test_mean=mean, test_sd=sd)
        report.say(f"  chosen {name} (mean val {means[name]:.4f}); shipped seed {shipped}; "
                   f"test {100 * mean:.2f}% +- {100 * sd:.2f}")
    report.save("best", result)


if __name__ == "__main__":
    worker(json.loads(Path(sys.argv[1]).read_text()))
