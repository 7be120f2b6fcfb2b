"""python -m rnn_demo.bench NAME [options]: one benchmark of BENCHMARKS; --help lists them, NAME --help each."""

import argparse
import sys

from . import abuse, eval_mode, gpu, my_digits, polling, precision, sketch, soak, time_to_accuracy, train, ui

BENCHMARKS = {"train": train, "precision": precision, "eval-mode": eval_mode, "time-to-accuracy": time_to_accuracy,
              "sketch": sketch, "ui": ui, "my-digits": my_digits, "polling": polling, "soak": soak,
              "gpu": gpu, "abuse": abuse}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_demo.bench",
                                     description=f"Benchmarks: {', '.join(BENCHMARKS)}.")
    sub = parser.add_subparsers(dest="what", required=True)
    for name, module in BENCHMARKS.items():
        p = sub.add_parser(name, help=module.__doc__.splitlines()[0].replace("%", "%%"),
                           description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
