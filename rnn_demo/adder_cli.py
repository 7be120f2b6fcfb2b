"""Command line for the binary adder: `train-adder` and `evaluate-adder`, registered by cli.py.

    python -m rnn_demo train-adder [--max-length 8 --hidden-size 5 --steps 600 ...]
    python -m rnn_demo train-adder --recipe notebook      # the notebook's recipe, for comparison
    python -m rnn_demo evaluate-adder checkpoints/adder.pt --lengths 1-20,64,256,1000
"""

import argparse
import sys
from pathlib import Path

from .adder_train import DEFAULT_LENGTHS, AdderTrainConfig


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


def _print_events(events, out=None, progress=None):
    out, progress = out or sys.stdout, progress or sys.stderr
    end = None
    for event in events:
        kind = event["kind"]
        if kind == "start":
            total = event["steps"]
            print(f"Training {event['name']} on {event['device']} ({event['params']} parameters)", file=out)
        elif kind == "step":
            if progress.isatty() and (event["step"] % 10 == 0 or event["step"] == total):
                print(f"\rstep {event['step']}/{total} loss {event['loss']:.4f}", end="",
                      file=progress, flush=True)
        elif kind == "eval":
            if progress.isatty():
                print(file=progress)
            print(f"Step [{event['step']}/{total}] - length {event['length']}: bit accuracy "
                  f"{100 * event['bit_accuracy']:.2f}%, exact match {100 * event['exact_match']:.1f}%",
                  file=out, flush=True)
        elif kind == "end":
            end = event
            print(f"Run {event['status']} after {event['steps_done']} steps "
                  f"({event['train_seconds']:.2f} s of training)", file=out)
            print(format_table(event["generalisation"], event["max_length"]), file=out)
            if event.get("checkpoint_path"):
                print(f"Checkpoint: {event['checkpoint_path']}", file=out)
    return end


def cmd_train_adder(args) -> int:
    import torch
    from .adder import AdderConfig
    from .adder_train import notebook_recipe, train_adder
    # A 5-unit LSTM is all per-op overhead: extra threads only add synchronisation.
    torch.set_num_threads(1)
    values = {k: getattr(args, k) for k in ("max_length", "min_length", "steps", "batch_size", "lr",
                                           "loss", "state_noise", "density", "pad", "seed")
              if getattr(args, k) is not None}
    values["device"] = args.device
    values["eval_pairs"] = args.pairs
    if args.lengths:
        values["eval_lengths"] = parse_lengths(args.lengths)
    if args.dry_run:
        values.update(steps=20, eval_pairs=50, eval_lengths=(1, 8, 64))
    config = notebook_recipe(**values) if args.recipe == "notebook" else AdderTrainConfig(**values)
    model_config = AdderConfig(hidden_size=args.hidden_size,
                               forget_bias=None if args.recipe == "notebook" else args.forget_bias)
    out = None if args.dry_run else Path(args.out)
    name = "adder" if args.recipe == "ours" else "adder (notebook recipe)"
    end = _print_events(train_adder(model_config, config.validate(), out=out, name=name))
    return 0 if end and end["status"] == "completed" else 1


def cmd_evaluate_adder(args) -> int:
    import torch
    from .adder_train import evaluate_adder, exhaustive_check, load_adder
    from .devices import resolve_device
    torch.set_num_threads(1)
    device = resolve_device(args.device)
    model, ckpt = load_adder(args.checkpoint, device)
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
    """Add `train-adder` and `evaluate-adder` to the main parser's subcommands."""
    d = AdderTrainConfig()
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = subparsers.add_parser("train-adder", help="train the binary-adder LSTM", formatter_class=fmt)
    p.add_argument("--recipe", choices=["ours", "notebook"], default="ours",
                   help="'notebook': length 5, batch 1, 2000 steps, MSE, Adam 1e-2, default init")
    p.add_argument("--hidden-size", type=int, default=5, help="LSTM units")
    p.add_argument("--forget-bias", type=float, default=-3.0, help="initial forget-gate bias")
    p.add_argument("--max-length", type=int, default=None, help=f"longest training operands (ours: {d.max_length})")
    p.add_argument("--min-length", type=int, default=None, help=f"shortest training operands (ours: {d.min_length})")
    p.add_argument("--steps", type=int, default=None, help=f"optimiser steps (ours: {d.steps})")
    p.add_argument("--batch-size", type=int, default=None, help=f"pairs per step (ours: {d.batch_size})")
    p.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (ours: {d.lr})")
    p.add_argument("--loss", choices=["bce", "mse"], default=None, help="loss (ours: bce)")
    p.add_argument("--state-noise", type=float, default=None, help=f"state noise std (ours: {d.state_noise})")
    p.add_argument("--density", choices=["random", "half"], default=None, help="operand bits (ours: random)")
    p.add_argument("--pad", type=int, default=None, help="zero steps after the operands (ours: 1)")
    p.add_argument("--seed", type=int, default=None, help="seed for weights and data (ours: 0)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--lengths", default=None, help="lengths for the final evaluation (default: 1-20,64,256,1000)")
    p.add_argument("--pairs", type=int, default=d.eval_pairs, help="random pairs per evaluated length")
    p.add_argument("--out", default="checkpoints/adder.pt", help="checkpoint path")
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
