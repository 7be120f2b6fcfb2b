"""AnswerProcess: the Sketch tab's answers from a process of its own, the same as in the thread."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnn_demo.bench.pen_digits import as_canvas_value, pen_digits
from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.ui.answer_process import AnswerProcess
from rnn_demo.ui.sketch_answers import predict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def answering(tmp_path_factory):
    process = AnswerProcess(ROOT / "checkpoints", tmp_path_factory.mktemp("runs"))
    yield process
    process.close()


def drawings_and_models():
    drawings = [as_canvas_value(strokes) for _, strokes in pen_digits(3, seed=5)]
    drawings += [{"width": 448, "height": 448, "strokes": []},                # nothing drawn
                 {"width": 0, "height": 10, "strokes": []}]                   # malformed
    models = [None, "fast", "gru", None, None]
    return drawings + [drawings[0]], models + ["no such model"]


def test_the_process_answers_as_the_thread_does(answering, tmp_path):
    drawings, models = drawings_and_models()
    here = predict(ModelRegistry(ROOT / "checkpoints", tmp_path), drawings, models)
    there = answering(drawings, models)
    labels, seen, rows, notes = there
    assert [label if isinstance(label, str) else max(label, key=label.get) for label in labels][:3] \
        == [str(digit) for digit, _ in pen_digits(3, seed=5)]
    assert labels[3] == "draw a digit" and "width must be" in labels[4] and "no such model" in labels[5]
    assert seen == here[1] and notes == here[3]
    for a, b in zip(labels, here[0]):
        assert a == b if isinstance(a, str) else a == pytest.approx(b, abs=1e-6)
    for a, b in zip(rows, here[2]):
        assert (a is None and b is None) or np.allclose(a["rows"], b["rows"], atol=1e-3)


def test_a_killed_process_is_replaced_and_the_call_answered(answering):
    drawings, models = drawings_and_models()
    answering(drawings[:1], models[:1])                       # the process is up
    children = multiprocessing.active_children()
    workers = [p for p in children if p.pid != os.getpid()]
    assert workers, "no answering process"
    for p in workers:
        os.kill(p.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(p.is_alive() for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    labels = answering(drawings[:3], models[:3])[0]
    assert [max(label, key=label.get) for label in labels] == [str(d) for d, _ in pen_digits(3, seed=5)]


def test_the_answering_modules_import_without_gradio():
    code = "import sys, rnn_demo.ui.answer_process; print('gradio' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
