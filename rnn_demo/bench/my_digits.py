"""My digits: every model's accuracy on a handwritten set, and adapting models to it, before/after.

    python -m rnn_demo.bench my-digits                          # a drawn-in-code set, 4 per digit
    python -m rnn_demo.bench my-digits --folder my-digits.zip --adapt best,lstm --threads 1
    python -m rnn_demo.bench my-digits --draw-in-browser my-digits.zip --ui-adapt lstm

The set is `--folder` (any layout `evaluate-folder` reads, e.g. the Sketch tab's export) or, by
default, `rnn_demo.bench.handwriting`'s pen-stroke digits written as PNG files and read back
through the same import. With `--draw-in-browser ZIP`, the set is first drawn with the mouse in
the Sketch tab of a served app (`pen_digits`, `--per-class` of each, seed `--seed`), saved with
its buttons and exported as ZIP (draw_in_browser.py); `--ui-adapt MODEL` also presses the tab's
Adapt button for MODEL and prints what the page showed. Prints every model's accuracy on the set, then for each model in
`--adapt` the held-out accuracy before and after, MNIST validation and test before and after,
and the adaptation's wall time (estimate runs, final run and every measurement included).
"""

import argparse
import tempfile
import time
from pathlib import Path

import torch

from ..mnist.adapt import AdaptConfig, adapt
from ..mnist.data import load_mnist
from ..mnist.digit_files import read_pictures
from ..mnist.my_digits import add_pictures, as_tensors, new_set
from ..mnist.registry import ModelRegistry
from ..mnist.scoring import accuracy_table
from .handwriting import handwriting_set


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--folder", default=None,
                        help="labelled pictures: a folder or a zip (default: a set drawn in code)")
    parser.add_argument("--draw-in-browser", default=None, metavar="ZIP",
                        help="draw the set with the mouse in the app's Sketch tab and export it to ZIP first")
    parser.add_argument("--ui-adapt", default=None, metavar="MODEL",
                        help="with --draw-in-browser: press the tab's Adapt button for MODEL")
    parser.add_argument("--screenshots", default=None, help="with --draw-in-browser: a folder for page PNGs")
    parser.add_argument("--per-class", type=int, default=4,
                        help="digits of each kind drawn in code (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawn set and the adaptation")
    parser.add_argument("--checkpoints", default="checkpoints", help="models to score (default: checkpoints)")
    parser.add_argument("--adapt", default="best,lstm", help="models to adapt, comma-separated, '' for none")
    parser.add_argument("--seconds", type=float, default=AdaptConfig.seconds,
                        help=f"training time budget per adaptation (default: {AdaptConfig.seconds})")
    parser.add_argument("--steps", type=int, default=None, help="fixed steps per fine-tune instead")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (default: torch's choice); 1 avoids stalls when "
                             "other processes keep every core busy")


def _read_set(args):
    if args.folder:
        found = read_pictures([args.folder])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for i, (label, picture) in enumerate(handwriting_set(args.per_class, args.seed)):
                picture.save(Path(tmp) / f"{label}_{i}.png")
            found = read_pictures([tmp])
    for line in found.problems:
        print(f"skipped {line}")
    digits, problems = add_pictures(new_set(), [(p.image, p.label, p.name) for p in found.pictures])
    for line in problems:
        print(f"not added {line}")
    return as_tensors(digits)


def _draw_in_browser(args) -> None:
    from .draw_in_browser import draw_set
    from .pen_digits import pen_digits

    shots = Path(args.screenshots) if args.screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    drawn = draw_set(pen_digits(10 * args.per_class, seed=args.seed), Path(args.draw_in_browser),
                     adapt_model=args.ui_adapt, screenshots=shots)
    print(f"drew {drawn['saved']} digits with the mouse in the Sketch tab, saved each with its label "
          f"button, exported {drawn['zip']} ({time.perf_counter() - t0:.0f} s in all)")
    if drawn["adapt"] is not None:
        print(f"\nThe tab's Adapt for {args.ui_adapt} (click to table: {drawn['adapt_seconds']:.1f} s) showed:\n")
        print(drawn["adapt"])
    args.folder = str(drawn["zip"])


def run(args) -> int:
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.draw_in_browser:
        _draw_in_browser(args)
    images, labels = _read_set(args)
    what = args.folder or f"{args.per_class} pen-stroke digits per class drawn in code (seed {args.seed})"
    print(f"{len(labels)} digits: {what}; per digit {torch.bincount(labels, minlength=10).tolist()}")
    registry = ModelRegistry(Path(args.checkpoints))
    table, warnings = accuracy_table(registry, images, labels)
    for line in warnings:
        print(f"warning: {line}")
    print("\n| model | my digits | MNIST test |\n|---|---|---|")
    for row in table:
        mnist = f"{100 * row.mnist_test_acc:.2f}%" if row.mnist_test_acc is not None else "?"
        print(f"| {row.name} | {row.correct}/{row.total} ({100 * row.accuracy:.1f}%) | {mnist} |")

    names = [n for n in args.adapt.split(",") if n]
    if not names:
        return 0
    mnist = load_mnist(device="cpu", log=lambda m: None)
    print("\n| model | steps x runs | held-out before | after | MNIST val before | after "
          "| MNIST test before | after | wall time |\n|---|---|---|---|---|---|---|---|---|")
    for name in names:
        entry = registry.scan().find(name)
        if entry is None:
            raise ValueError(f"no model {name!r} in {args.checkpoints}")
        config = AdaptConfig(seconds=args.seconds, steps=args.steps, seed=args.seed, device="cpu")
        t0 = time.perf_counter()
        end = list(adapt(entry.path, images, labels, mnist, config))[-1]
        wall = time.perf_counter() - t0
        a = end["adapted"]
        print(f"| {name} | {a['steps']} x {a['runs']} | {100 * a['held_out_before']:.1f}% | "
              f"{100 * a['held_out_after']:.1f}% | {100 * a['mnist_val_before']:.2f}% | "
              f"{100 * end['val_acc']:.2f}% | {100 * a['source_test_acc']:.2f}% | "
              f"{100 * end['test_acc']:.2f}% | {wall:.1f} s |", flush=True)
    return 0
