"""Latency of the Sketch tab's work on CPU: preprocessing plus prediction, and the compare table.

    python -m rnn_demo.bench sketch [--checkpoints checkpoints] [--model best] [--repeats 50]

Times what a stroke costs in process (the Gradio round trip and the browser are not included):
a 448x448 RGBA sketch layer -> 28x28 -> one model's probabilities and per-row probabilities
(target: median < 20 ms), and every shipped model's prediction for one digit (< 150 ms).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ..mnist.model import predict, row_probabilities
from ..mnist.preprocess import preprocess_sketch
from ..mnist.registry import ModelRegistry


def sample_sketch(size: int = 448) -> dict:
    """A hand-drawn-looking "4" on a transparent layer, as the Sketchpad sends it."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    s = size / 448
    d.line([(150 * s, 80 * s), (120 * s, 250 * s), (300 * s, 250 * s)], "black", width=int(36 * s))
    d.line([(260 * s, 110 * s), (250 * s, 380 * s)], "black", width=int(36 * s))
    return {"background": None, "layers": [np.asarray(layer)], "composite": None}


def median_ms(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoints", default="checkpoints",
                        help="folder of shipped checkpoints (default: checkpoints)")
    parser.add_argument("--model", default=None,
                        help="model for the single-prediction timing (default: the Sketch tab's, "
                             "the most accurate)")
    parser.add_argument("--repeats", type=int, default=50, help="timed runs per measurement (default: 50)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (default: 0 = torch's choice); 1 avoids stalls "
                             "when other processes keep every core busy")


def run(args) -> int:
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    registry = ModelRegistry(Path(args.checkpoints))
    listing = registry.scan()
    for warning in listing.warnings:
        print(f"warning: {warning}")
    if not listing.entries:
        print(f"no row-reading checkpoints in {args.checkpoints}; train some first "
              "(python -m rnn_demo reproduce)")
        return 1
    entry = next((e for e in listing.entries if e.name == args.model), listing.default)
    sketch = sample_sketch()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{len(listing.entries)} models, median of {args.repeats} runs")

    t_pre = median_ms(lambda: preprocess_sketch(sketch), args.repeats)
    model = registry.model(entry.path)

    def one():
        digit = preprocess_sketch(sketch)
        row_probabilities(model, digit)[-1]          # the prediction is the last row, as in the tab

    t_one = median_ms(one, args.repeats)
    for e in listing.entries:          # load every model once, outside the timing
        registry.model(e.path)

    def compare():
        digit = preprocess_sketch(sketch)
        for e in registry.scan().entries:
            predict(registry.model(e.path), digit)

    t_compare = median_ms(compare, args.repeats)
    print(f"preprocess (448x448 sketch -> 28x28):          {t_pre:7.2f} ms")
    print(f"preprocess + {entry.name} prediction + row view:  {t_one:7.2f} ms   (target < 20 ms) "
          f"{'OK' if t_one < 20 else 'SLOW'}")
    print(f"compare table, {len(listing.entries)} models:                  {t_compare:7.2f} ms   "
          f"(target < 150 ms) {'OK' if t_compare < 150 else 'SLOW'}")
    if (t_one >= 20 or t_compare >= 150) and torch.get_num_threads() > 1:
        print("slow with several threads: if other processes keep the cores busy (training), "
              "small single-image runs stall on thread hand-offs; compare with --threads 1")
    return 0
