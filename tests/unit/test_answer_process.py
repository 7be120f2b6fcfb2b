"""AnswerProcess: the Sketch tab's answers from a process of its own, the same as in the thread."""

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
from rnn_demo.ui.sketch.answer_process import AnswerProcess, BrokenProcessPool
from rnn_demo.ui.sketch.answers import predict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def answering(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    here = ModelRegistry(ROOT / "checkpoints", runs)

    def fallback(drawings, models):
        process.fell_back += 1
        return predict(here, drawings, models)

    process = AnswerProcess(ROOT / "checkpoints", runs, fallback=fallback, timeout=30)
    process.fell_back = 0
    yield process
    process.close()


def labels_of(answers) -> list[str]:
    return [label if isinstance(label, str) else max(label, key=label.get) for label in answers[0]]


def drawings_and_models():
    drawings = [as_canvas_value(strokes) for _, strokes in pen_digits(3, seed=5)]
    drawings += [{"width": 448, "height": 448, "strokes": []},                # nothing drawn
                 {"width": 0, "height": 10, "strokes": []}]                   # malformed
    models = [None, "fast", "gru", None, None]
    return drawings + [drawings[0], drawings[1]], models + ["no such model", ["a", "list"]]


def test_the_process_answers_as_the_thread_does(answering, tmp_path):
    drawings, models = drawings_and_models()
    here = predict(ModelRegistry(ROOT / "checkpoints", tmp_path), drawings, models)
    there = answering(drawings, models)
    labels, seen, rows, notes = there
    assert [label if isinstance(label, str) else max(label, key=label.get) for label in labels][:3] \
        == [str(digit) for digit, _ in pen_digits(3, seed=5)]
    assert labels[3] == "draw a digit" and "width must be" in labels[4] and "no such model" in labels[5]
    assert "unknown model ['a', 'list']" in labels[6]
    assert seen == here[1] and notes == here[3]
    for a, b in zip(labels, here[0]):
        assert a == b if isinstance(a, str) else a == pytest.approx(b, abs=1e-6)
    for a, b in zip(rows, here[2]):
        assert (a is None and b is None) or np.allclose(a["rows"], b["rows"], atol=1e-3)


def test_a_killed_process_is_replaced_and_the_call_answered(answering):
    drawings, models = drawings_and_models()
    pid = answering.pid(timeout=60)
    os.kill(pid, signal.SIGKILL)
    assert labels_of(answering(drawings[:3], models[:3])) == [str(d) for d, _ in pen_digits(3, seed=5)]
    assert answering.fell_back == 0 and answering.pid(timeout=60) not in (None, pid)


def test_a_hung_process_is_killed_after_the_timeout_and_replaced(answering):
    drawings, models = drawings_and_models()
    pid = answering.pid(timeout=60)
    answering.timeout = 10                                 # time enough to start a new one
    try:
        os.kill(pid, signal.SIGSTOP)                       # hung: alive, answering nothing
        t0 = time.monotonic()
        assert labels_of(answering(drawings[:1], models[:1])) == [str(pen_digits(1, seed=5)[0][0])]
        assert 10 <= time.monotonic() - t0 < 35
    finally:
        answering.timeout = 30
    assert answering.fell_back == 0 and answering.pid(timeout=60) not in (None, pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}") and \
            "zombie" not in open(f"/proc/{pid}/status").read():
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read()


def test_after_two_failures_the_fallback_answers_until_the_backoff_ends(monkeypatch):
    calls = []

    def broken(self, drawings, models):
        calls.append("process")
        raise BrokenProcessPool("gone")

    monkeypatch.setattr(AnswerProcess, "_answer", broken)
    process = AnswerProcess(ROOT / "checkpoints", ROOT / "runs", fallback=lambda d, m: ("fallback", d, m),
                            backoff=0.5)
    assert process(["x"], [None]) == ("fallback", ["x"], [None]) and calls == ["process"] * 2
    assert process(["y"], [None])[0] == "fallback" and len(calls) == 2      # within the back-off
    time.sleep(0.6)
    process(["z"], [None])
    assert len(calls) == 4                                                  # tried again after it


def test_the_process_exits_when_the_server_is_killed(tmp_path):
    code = ("import sys, time; from rnn_demo.ui.sketch.answer_process import AnswerProcess\n"
            f"p = AnswerProcess({str(ROOT / 'checkpoints')!r}, {str(tmp_path)!r}, fallback=None)\n"
            "print(p.pid(timeout=60), flush=True); time.sleep(60)")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(server.stdout.readline())
        assert os.path.exists(f"/proc/{pid}")
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}"), "the answering process outlived the server"


def test_the_answering_modules_import_without_gradio():
    code = "import sys, rnn_demo.ui.sketch.answer_process; print('gradio' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_server_ended_by_sigterm_shuts_the_process_down_and_leaks_no_semaphore(tmp_path):
    # kill, systemd and the test harness end a server with SIGTERM; by default that skips Python's
    # shutdown, and the pool's semaphores were reported leaked ("resource_tracker: There appear to be
    # 5 leaked semaphore objects") by the tracker, which outlives the server.
    code = ("import time; from rnn_demo.ui.sketch.answer_process import AnswerProcess\n"
            f"p = AnswerProcess({str(ROOT / 'checkpoints')!r}, {str(tmp_path)!r}, fallback=None)\n"
            "p.start(); print(p.pid(timeout=60), flush=True); time.sleep(60)")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        pid = int(server.stdout.readline())
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)       # until the tracker, which shares stderr, is gone
    finally:
        server.kill()
    assert "leaked semaphore" not in err, err
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read()
