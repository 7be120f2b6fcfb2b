"""Command line: python -m rnn_demo COMMAND; each wing registers its own commands.

    python -m rnn_demo train --preset lstm          # MNIST wing: train, evaluate, reproduce, model-card,
                                                    #   evaluate-folder, finetune
    python -m rnn_demo train-adder                  # adder wing: train-adder, evaluate-adder

Expected failures (bad arguments, no GPU, unusable data or checkpoints, a diverging run) print
one line and exit non-zero; only a bug shows a traceback.
"""

import argparse
import sys

from .adder import cli as adder_cli
from .mnist import cli as mnist_cli
from .mnist.runs import cli as runs_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnn_demo", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    mnist_cli.register(sub)
    runs_cli.register(sub)
    adder_cli.register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, RuntimeError, OSError, FloatingPointError) as e:
        # Bad arguments, missing CUDA, unusable data or checkpoints, a diverging loss.
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
