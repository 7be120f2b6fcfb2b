"""The training path on a GPU, checked in one run: correctness, time to accuracy, runs per GPU, `best`.

    python -m rnn_demo.bench gpu --out gpu-report             # with CUDA: 5-6 minutes on an H200
    python -m rnn_demo.bench gpu --device cpu --tiny          # the same logic on small sizes

Parts (`--parts`), in this order; each prints as it goes and `--out`/results.json collects them:

1. fast: time to accuracy. `fast` as shipped, then a small search for a GPU recipe on the
   validation split only (cell, batch, peak rate, fp32 or bf16, epochs sized to 1 s and 5 s of
   training), then the chosen recipes over three seeds, which alone touch the test set
   (training_checks.py).
2. notebook: `lstm` through the reference notebook's pipeline, 10 epochs, in the same process.
3. slots: 1, 4 and 8 `fast` runs at once on the GPU, each in its own process, started together:
   throughput, and minutes until a class of 30 has its runs with 1 slot against K
   (runs_at_once.py).
4. best: candidate configurations x 3 seeds, trained at once with the test set withheld; the
   one with the highest mean validation accuracy is chosen, and its seeds alone are scored on
   the test set, once each. The seed with the highest validation accuracy is saved as
   `--out`/best.pt.
5. correctness, while `best` trains (it times nothing reported as a speed): a short run of each
   cell type through RunManager (rnn, lstm, gru, bilstm, lstm-bn-mlp), each checkpoint loaded
   back on the CPU and compared with the device's answers; Stop mid-run (seconds from the
   request to `stopped`); a run that runs out of GPU memory (the process's share of the GPU
   capped first) is marked failed, and the next run trains.

Times are training seconds (validation passes excluded), with the GPU's queue drained before
each clock read. One warm-up run per process comes first, so CUDA's start-up is not counted.
"""

import argparse
import time
from pathlib import Path

from ..devices import machine_label, resolve_device
from ..mnist.data import load_mnist
from .runs_at_once import best_finish, best_start, slots
from .training_checks import Report, correctness, fast, notebook

PARTS = ("fast", "notebook", "slots", "best", "correctness")


def run(args) -> None:
    """Every part in order, each one's results saved as it ends."""
    t0 = time.monotonic()
    deadline = t0 + args.budget
    device = resolve_device(args.device)
    report = Report(Path(args.out))
    report.say(f"GPU checks on {machine_label(device)}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    report.save("machine", machine_label(device))
    splits = load_mnist(args.data, device=device, log=lambda m: None)
    if args.tiny:
        splits = splits.subset(4096, 1000, 1000)
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    # `best` trains for minutes in processes of its own: correctness, which times nothing that
    # is reported as a speed, runs beside it; the timed parts run alone before it.
    order = [p for p in PARTS if p in parts and p != "correctness"]
    steps = {"fast": lambda: fast(report, device, splits, args.tiny),
             "notebook": lambda: notebook(report, device, splits, args.data, args.tiny),
             "slots": lambda: slots(report, device, args.data, args.tiny, deadline - 60),
             "correctness": lambda: correctness(report, device, splits, args.tiny)}
    for part in order:
        if part == "best":
            started = best_start(device, args.data, args.tiny)
            report.say(f"\n== best: {len(started['jobs'])} runs started ({time.monotonic() - t0:.0f} s in)")
            if "correctness" in parts:
                _part(report, "correctness", steps["correctness"], t0)
            _part(report, "best", lambda: best_finish(report, started, device, splits, Path(args.out),
                                                       args.tiny, deadline - 20), t0)
        else:
            _part(report, part, steps[part], t0)
    if "correctness" in parts and "best" not in parts:
        _part(report, "correctness", steps["correctness"], t0)


def _part(report: Report, part: str, step, t0: float) -> None:
    report.say(f"\n== {part} ({time.monotonic() - t0:.0f} s in)")
    started = time.monotonic()
    try:
        step()
    except Exception as e:  # one part failing must not lose the others' results
        report.say(f"  FAILED: {type(e).__name__}: {e}")
        report.save(part, {"failed": f"{type(e).__name__}: {e}"})
    report.say(f"  ({time.monotonic() - started:.0f} s)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", default="gpu-report", help="folder for results.json and best.pt")
    p.add_argument("--data", default=None)
    p.add_argument("--parts", default=",".join(PARTS))
    p.add_argument("--budget", type=float, default=540.0, help="seconds for every part together")
    p.add_argument("--tiny", action="store_true", help="small sizes, to check the logic on a CPU")
