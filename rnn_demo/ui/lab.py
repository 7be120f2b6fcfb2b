"""What every tab shares, built once by app.py: the page, the models, the run store, who is visiting.

    with gr.Blocks() as demo:
        lab = Lab.build(demo, checkpoints, runs, secret, manager, operators)
        with gr.Tab("Sketch") as tab:
            build_sketch_tab(lab, tab)

Every `build_*_tab(lab, tab)` takes this one object and the gr.Tab it lays itself out in. It is
server state on purpose: one registry of model files and one run store for every browser; what
belongs to one visitor lives in gr.State or gr.BrowserState (see visitors.py, browser.py).
"""

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ..mnist.registry import ModelRegistry
from ..mnist.runs.manager import RunManager
from .visitors import Visitors


@dataclass(frozen=True)
class Lab:
    demo: gr.Blocks
    checkpoints: Path              # shipped models (and the adder)
    runs: Path                     # the run store's folder: a finished run's model joins the list
    registry: ModelRegistry        # the models in both, scanned on demand
    manager: RunManager            # the run store every browser shares
    visitors: Visitors             # who is asking: the login, the browser's cookie or the API session
    secret: str                    # keys this installation's per-browser state
    answers_in_process: bool = False   # the Sketch tab answers in a process of its own (served)

    @classmethod
    def build(cls, demo: gr.Blocks, checkpoints: Path, runs: Path, secret: str, manager: RunManager,
              operators=frozenset(), answers_in_process: bool = False) -> "Lab":
        """Inside `demo`, before its tabs: Visitors makes its session state at the page's top level."""
        return cls(demo, Path(checkpoints), Path(runs), ModelRegistry(Path(checkpoints), Path(runs)),
                   manager, Visitors(frozenset(operators)), secret, answers_in_process)
