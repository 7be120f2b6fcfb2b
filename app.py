"""The RNN lab: draw a digit, add binary numbers with an LSTM, train models live.

    python app.py [--host 127.0.0.1] [--port 7860]

Importing this module builds the UI without serving it.
"""

import argparse
import os
from pathlib import Path

import gradio as gr

from rnn_demo.mnist.runs import RunManager
from rnn_demo.ui.adder import build_adder_tab
from rnn_demo.ui.browser import installation_secret
from rnn_demo.ui.sketch import build_sketch_tab
from rnn_demo.ui.training import build_training_tab

ROOT = Path(__file__).resolve().parent
CHECKPOINTS = Path(os.environ.get("RNN_DEMO_CHECKPOINTS", ROOT / "checkpoints"))
RUNS = Path(os.environ.get("RNN_DEMO_RUNS", ROOT / "runs"))
DATA = Path(os.environ.get("RNN_DEMO_DATA", ROOT / "data"))   # MNIST, for the Training tab
STATE = Path(os.environ.get("RNN_DEMO_STATE", ROOT / "state"))   # server-side secrets and per-browser data

INTRO = """# RNN lab
Recurrent networks, live: a classifier that reads a digit **one row per time step**, an LSTM
that **adds binary numbers** of any length, and a **training** bench to make your own."""


def build_app(checkpoints: Path = CHECKPOINTS, runs: Path = RUNS, data: Path = DATA,
              state: Path = STATE) -> gr.Blocks:
    # One run manager for the server: all browsers share the runs; per-user state is gr.State,
    # or gr.BrowserState keyed by this installation's secret when it must outlive a restart.
    manager = RunManager(runs, data_root=data)
    secret = installation_secret(state)
    with gr.Blocks(title="RNN lab") as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Sketch", id="sketch-tab") as sketch_tab:
                build_sketch_tab(checkpoints, runs, secret, tab=sketch_tab)
            with gr.Tab("Binary adder", id="adder-tab"):
                build_adder_tab(checkpoints)
            with gr.Tab("Training", id="training-tab"):
                build_training_tab(manager)
    return demo


demo = build_app()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the RNN lab.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    args = parser.parse_args()
    demo.queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port,
                                                   max_file_size="50mb")
