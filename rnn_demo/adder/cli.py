"""Adder commands: `train-adder` and `evaluate-adder`; registered by `rnn_demo.cli`.

    python -m rnn_demo train-adder [--max-length 8 --hidden-size 5 --steps 600 ...]
    python -m rnn_demo train-adder --recipe notebook      # the notebook's recipe, for comparison
    python -m rnn_demo evaluate-adder checkpoints/adder.pt --lengths 1-20,64,256,1000
"""

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from ..checkpoints import load_checkpoint
from ..devices import resolve_device
from ..options import add_options, given
from .model import Adder, AdderConfig
from .train import (
    DEFAULT_LENGTHS,
    AdderTrainConfig,
    evaluate_adder,
    exhaustive_check,
    notebook_recipe,
    train_adder,
)


def parse_lengths(text: str) -> tuple[int, ...]:
    """'1-20,64,256' -> (1, 2, ..., 20, 64, 256); ValueError with a clear message otherwise."""
    lengths = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                lengths.extend(range(lo, hi + 1))
            else:
                lengths.append(int(part))
        except ValueError:
            raise ValueError(f"bad length {part!r} in --lengths; write e.g. 1-20,64,256,1000") from None
    if not lengths or any(n < 1 or n > 100_000 for n in lengths):
        raise ValueError("--lengths needs numbers between 1 and 100000, e.g. 1-20,64,256,1000")
    return tuple(lengths)


def format_table(results: list[dict], max_length: int | None = None) -> str:
    """Per-length bit accuracy and exact match side by side, as a Markdown table."""
    lines = ["| length | pairs | bit accuracy | exact match |", "|---:|---:|---:|---:|"]
    for r in results:
        mark = " (trained up to here)" if r["length"] == max_length else ""
        lines.append(f"| {r['length']}{mark} | {r['pairs']:,} | {100 * r['bit_accuracy']:.3f}% "
                     f"| {100 * r['exact_match']:.1f}% |")
    return "\n".join(lines)


def print_events(events, out=None, progress=None):
    """Print the adder trainer's events, with a tqdm bar over the steps; return the end event."""
    out, progress = out or sys.stdout, progress or sys.stderr
    bar, end = None, None
    for event in events:
        kind = event["kind"]
        if kind == "start":
            total = event["steps"]
            print(f"Training {event['name']} on {event['device']} ({event['params']} parameters)", file=out)
            bar = tqdm(total=total, unit="step", file=progress, disable=None, leave=False,
                       dynamic_ncols=True)
        elif kind == "step":
            bar.update(event["step"] - bar.n)
            bar.set_postfix(loss=f"{event['loss']:.4f}", refresh=False)
        elif kind == "eval":
            tqdm.write(f"Step [{event['step']}/{total}] - length {event['length']}: bit accuracy "
                       f"{100 * event['bit_accuracy']:.2f}%, exact match {100 * event['exact_match']:.1f}%",
                       file=out)
        elif kind == "end":
            bar.close()
            end = event
            print(f"Run {event['status']} after {event['steps_done']} steps "
                  f"({event['train_seconds']:.2f} s of training)", file=out)
            print(format_table(event["generalisation"], event["max_length"]), file=out)
            if event.get("checkpoint_path"):
                print(f"Checkpoint: {event['checkpoint_path']}", file=out)
    return end


def cmd_train_adder(args) -> int:
    # A 5-unit LSTM is all per-op overhead: extra threads only add synchronisation.
    torch.set_num_threads(1)
    base = notebook_recipe() if args.recipe == "notebook" else AdderTrainConfig()
    values = given(args, AdderTrainConfig)
    if args.lengths:
        values["eval_lengths"] = parse_lengths(args.lengths)
    if args.dry_run:
        values.update(steps=20, eval_pairs=50, eval_lengths=(1, 8, 64))
    config = replace(base, **values).validate()
    model_base = AdderConfig(forget_bias=None) if args.recipe == "notebook" else AdderConfig()
    model_config = replace(model_base, **given(args, AdderConfig)).validate()
    out = None if args.dry_run else Path(args.out)
    name = "adder" if args.recipe == "ours" else "adder (notebook recipe)"
    end = print_events(train_adder(model_config, config, out=out, name=name))
    return 0 if end and end["status"] == "completed" else 1


def cmd_evaluate_adder(args) -> int:
    torch.set_num_threads(1)
    device = resolve_device(args.device)
    ckpt = load_checkpoint(args.checkpoint, map_location=device, kind="adder")
    model = Adder.from_checkpoint(ckpt, device)
    lengths = parse_lengths(args.lengths) if args.lengths else DEFAULT_LENGTHS
    if args.pairs < 1:
        raise ValueError(f"--pairs must be >= 1, got {args.pairs}")
    trained = ckpt.get("train_config", {}).get("max_length")
    print(f"{args.checkpoint}: hidden size {ckpt['config'].get('hidden_size')}, trained on lengths "
          f"up to {trained}; {args.pairs:,} random pairs per length (seed {args.seed})")
    results = evaluate_adder(model, lengths, args.pairs, seed=args.seed, device=device)
    print(format_table(results, trained))
    if args.exhaustive:
        check = exhaustive_check(model, args.exhaustive, device)
        print(f"Exhaustive, every pair of {args.exhaustive}-bit numbers: {check['exact']:,} of "
              f"{check['pairs']:,} sums exact" + (f"; first wrong: {check['wrong']}" if check["wrong"] else ""))
    return 0


def register(subparsers) -> None:
    """Add `train-adder` and `evaluate-adder` to the top-level parser's subcommands."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = subparsers.add_parser("train-adder", help="train the binary-adder LSTM")
    p.add_argument("--recipe", choices=["ours", "notebook"], default="ours",
                   help="'notebook': length 5, batch 1, 2000 steps, MSE, Adam 1e-2, default init "
                        "(default: ours)")
    add_options(p, AdderConfig, title="model: an option not given keeps the recipe's value")
    add_options(p, AdderTrainConfig, title="recipe: an option not given keeps the recipe's value "
                                           "(the default shown is ours)")
    p.add_argument("--lengths", default=None, help="lengths for the final evaluation (default: 1-20,64,256,1000)")
    p.add_argument("--out", default="checkpoints/adder.pt", help="checkpoint path (default: checkpoints/adder.pt)")
    p.add_argument("--dry-run", action="store_true", help="20 steps, small evaluation, no checkpoint")
    p.set_defaults(func=cmd_train_adder)

    p = subparsers.add_parser("evaluate-adder", help="per-length bit accuracy and exact match",
                              formatter_class=fmt)
    p.add_argument("checkpoint")
    p.add_argument("--lengths", default=None, help="e.g. 1-20,64,256,1000 (default: that)")
    p.add_argument("--pairs", type=int, default=1000, help="random pairs per length")
    p.add_argument("--seed", type=int, default=1234, help="seed of the test pairs")
    p.add_argument("--exhaustive", type=int, default=0, metavar="BITS",
                   help="also check every pair of BITS-bit numbers (8 = 65,536 pairs)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.set_defaults(func=cmd_evaluate_adder)
