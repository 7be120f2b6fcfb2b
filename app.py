"""The RNN lab: draw a digit, add binary numbers with an LSTM, train models live.

    python app.py [--host 127.0.0.1] [--port 7860] [--auth USER:PASSWORD] [--operator USER]
    python app.py --help                    # every option (see rnn_demo/ui/serve_options.py)

Importing this module builds the UI without serving it.
"""

import gc
import os
import sys
from pathlib import Path

import gradio as gr

from starlette.middleware import Middleware

from rnn_demo.mnist.runs.quotas import Quotas
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.runs.manager import RunManager
from rnn_demo.ui.about import build_about
from rnn_demo.ui.adder.tab import build_adder_tab
from rnn_demo.ui.browser import installation_secret
from rnn_demo.ui.guard import Guard
from rnn_demo.ui.session_memory import keep_no_values
from rnn_demo.ui.visitors import build_who_bar
from rnn_demo.ui.lab import Lab
from rnn_demo.ui.serve_options import open_warning, parse_args
from rnn_demo.ui.sketch.tab import SKETCH_CSS, build_sketch_tab
from rnn_demo.ui.training.tab import build_training_tab

ROOT = Path(__file__).resolve().parent
CHECKPOINTS = Path(os.environ.get("RNN_DEMO_CHECKPOINTS", ROOT / "checkpoints"))
RUNS = Path(os.environ.get("RNN_DEMO_RUNS", ROOT / "runs"))
DATA = Path(os.environ.get("RNN_DEMO_DATA", ROOT / "data"))   # MNIST, for the Training tab
STATE = Path(os.environ.get("RNN_DEMO_STATE", ROOT / "state"))   # server-side secrets and per-browser data
UPLOADS_KEPT = 3600          # seconds an upload stays in Gradio's cache (swept every half hour)
# Gradio keeps a copy of the page's components (about 0.3 MB; their values no more, see
# ui/session_memory.py) for each session, in an LRU of this many: the bound on that memory
# (docs/security.md). Nothing about who a visitor is lives there (ui/visitors.py), so an evicted
# session loses only what its page shows.
SESSIONS_KEPT = 2000
QUEUE_SIZE = 200             # events waiting in Gradio's queue; past it a call is refused at once
# Gradio summarises its queue's analytics with pandas after every event unless told to do it
# less often; at a classroom's load that summary took a visible share of the server's CPU
# (docs/benchmarks.md). Read when a Blocks is built.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")

INTRO = """# RNN lab
Recurrent networks, live: a classifier that reads a digit **one row per time step**, an LSTM
that **adds binary numbers** of any length, and a **training** bench to make your own."""


def build_app(checkpoints: Path = CHECKPOINTS, runs: Path = RUNS, data: Path = DATA, state: Path = STATE,
              quotas: Quotas | None = None, operators=frozenset(), synthetic: bool = False,
              answers_in_process: bool = False) -> gr.Blocks:
    """The whole app. `synthetic`: train on a small synthetic stand-in for MNIST (load tests);
    `answers_in_process`: the Sketch tab answers drawings in a process of its own (served)."""
    # One run manager for the server: all browsers share the runs; per-user state is gr.State,
    # or gr.BrowserState keyed by this installation's secret when it must outlive a restart.
    factory = (lambda device: synthetic_splits(device=device)) if synthetic else None
    manager = RunManager(runs, splits_factory=factory, data_root=data,
                         quotas=quotas or Quotas.from_environ())
    secret = installation_secret(state)
    with gr.Blocks(title="RNN lab", delete_cache=(UPLOADS_KEPT // 2, UPLOADS_KEPT)) as demo:
        gr.Markdown(INTRO)
        build_about()
        build_who_bar(demo)
        lab = Lab.build(demo, checkpoints, runs, secret, manager, operators, answers_in_process)
        with gr.Tabs():
            with gr.Tab("Sketch", id="sketch-tab") as tab:
                build_sketch_tab(lab, tab)
            with gr.Tab("Binary adder", id="adder-tab") as tab:
                build_adder_tab(lab, tab)
            with gr.Tab("Training", id="training-tab") as tab:
                build_training_tab(lab, tab)
    return demo


if __name__ == "__main__":
    args = parse_args()
    if warning := open_warning(args.host, args.users):
        print(warning, file=sys.stderr)
    demo = build_app(quotas=args.quotas, operators=args.operators, synthetic=args.synthetic_data,
                     answers_in_process=True)
    # A full pass of Python's cyclic garbage collector walks every object the server holds (at
    # this point hundreds of thousands: torch, Gradio, the UI), and each pass stalled every
    # answer under a classroom's load. They live as long as the server, so they leave the
    # collector's passes (gc.freeze); what is made from here on is collected as before.
    gc.collect()
    gc.freeze()
    # No allowed_paths: the runs folder is not served (its records name owners); a run's downloads
    # are copies in the temp folder, which Gradio copies into its cache (ui/training/compare.py).
    # run_history=False: Gradio 6 would otherwise copy every event's inputs and outputs into the
    # browser's localStorage (up to 100): ten answers a second while drawing made each write
    # slower than the last (drawing slowed down digit after digit), it would
    # keep every drawing outside My digits, and its "Runs" link would be mistaken for training runs.
    keep_no_values()                        # no copy of each session's values (ui/session_memory.py)
    # Guard: body and upload caps, the login's throttle and the browser cookie (ui/guard.py).
    demo.queue(default_concurrency_limit=4, max_size=QUEUE_SIZE).launch(
        server_name=args.host, server_port=args.port, auth=args.users or None, max_file_size="50mb",
        run_history=False, state_session_capacity=SESSIONS_KEPT, css=SKETCH_CSS,
        app_kwargs={"middleware": [Middleware(Guard, limits=args.limits)]})
elif __name__ != "__mp_main__":    # not in the answering process, which imports this file
    demo = build_app()
