"""Benchmarks that print numbers, never pass or fail: `python -m rnn_demo.bench NAME [options]`.

Each module is one benchmark with `add_arguments(parser)` and `run(args)`; where there is a
baseline (the notebook's pipeline, an unwatched run) it is measured in the same run.
"""
