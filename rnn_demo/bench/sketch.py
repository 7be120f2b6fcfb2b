"""Latency of the Sketch tab: in process, through a browser's pen, and for a classroom of users.

    python -m rnn_demo.bench sketch [--model best] [--repeats 50]     # the server's work, in process
    python -m rnn_demo.bench sketch --browser [--digits 40]           # pen-up -> settled label
    python -m rnn_demo.bench sketch --users 50 [--drawings 4]         # concurrent API users, then pages

In process it times what one answer costs the server: a drawing's strokes -> 28x28 -> the model's
prediction and its row-by-row probabilities -> the answer's views (target: median <= 15 ms with
the default model); every "look inside" view of one drawing (target: <= 30 ms); and every
model's prediction for the compare table. `--browser` and
`--users` serve the app and measure from outside (see rnn_demo.bench.pen and .classroom).
"""

import argparse
import statistics
import time
from pathlib import Path

import torch

from ..mnist.model import predict, row_probabilities
from ..mnist.registry import ModelRegistry
from .pen_digits import as_canvas_value, pen_digits


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
                        help="model for the single-answer timing (default: the Sketch tab's, "
                             "the most accurate)")
    parser.add_argument("--repeats", type=int, default=50, help="timed runs per measurement (default: 50)")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (default: 0 = torch's choice); 1 avoids stalls "
                             "when other processes keep every core busy")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--browser", action="store_true",
                      help="headless Chromium draws digits with the mouse; pen-up -> settled label")
    mode.add_argument("--users", type=int, default=0, metavar="N",
                      help="N concurrent gradio_client users send drawings, then N pages")
    parser.add_argument("--digits", type=int, default=40, help="--browser: digits to draw (default: 40)")
    parser.add_argument("--drawings", type=int, default=4, help="--users: drawings per user (default: 4)")


def run(args) -> int:
    if args.browser:
        from .pen import run as run_pen
        return run_pen(args)
    if args.users:
        from .classroom import run as run_classroom
        return run_classroom(args)
    return run_in_process(args)


def run_in_process(args) -> int:
    from ..ui.sketch.drawings import digit_from_value  # how the tab reads a drawing
    from ..ui.sketch.tab import look_inside  # the tab's handlers: views included
    from ..ui.sketch.tab import predict as answer
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
    drawings = [as_canvas_value(strokes) for _, strokes in pen_digits(10)]
    turn = iter(range(10**9))

    def next_drawing():                       # each timed call reads the next of the ten digits
        return drawings[next(turn) % len(drawings)]

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{len(listing.entries)} models, median of {args.repeats} runs over 10 drawn digits")
    t_pre = median_ms(lambda: digit_from_value(next_drawing()), args.repeats)
    model = registry.model(entry.path)
    t_model = median_ms(lambda: row_probabilities(model, digit_from_value(next_drawing())), args.repeats)
    t_answer = median_ms(lambda: answer(registry, [next_drawing()], [entry.path]), args.repeats)
    t_inside = median_ms(lambda: look_inside(registry, next_drawing(), entry.path), args.repeats)
    for e in listing.entries:          # load every model once, outside the timing
        registry.model(e.path)
    digit = digit_from_value(next_drawing())
    t_compare = median_ms(lambda: [predict(registry.model(e.path), digit) for e in registry.scan().entries],
                          args.repeats)
    print(f"strokes -> 28x28 (rasterise + MNIST boxing):        {t_pre:7.2f} ms")
    print(f"  + {entry.name} prediction and row-by-row probabilities: {t_model:7.2f} ms")
    print(f"whole answer (the tab's handler, views included):   {t_answer:7.2f} ms   "
          f"(target <= 15 ms) {'OK' if t_answer <= 15 else 'SLOW'}")
    print(f"look inside (states, gates, row answers, occlusion): {t_inside:7.2f} ms   "
          f"(target <= 30 ms) {'OK' if t_inside <= 30 else 'SLOW'}")
    print(f"compare table, {len(listing.entries)} models:                      {t_compare:7.2f} ms")
    if t_answer > 15 and torch.get_num_threads() > 1:
        print("slow with several threads: if other processes keep the cores busy, small "
              "single-image runs stall on thread hand-offs; compare with --threads 1")
    return 0

