"""One bad drawing in a batched /predict call fails only itself: a value that breaks preprocessing,
and one nested too deep to be pickled to the answering process, next to good ones."""

import pickle
from pathlib import Path

import gradio as gr
import pytest

from rnn_demo.bench.pen_digits import as_canvas_value, pen_digits
from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.ui.sketch import answers
from rnn_demo.ui.sketch.answers import predict
from rnn_demo.ui.sketch.drawings import MAX_DEPTH, screen
from rnn_demo.ui.sketch.tab import answers_as_sent

ROOT = Path(__file__).resolve().parents[2]


def nested(depth: int):
    value = [0.5]
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return ModelRegistry(ROOT / "checkpoints", tmp_path_factory.mktemp("runs"))


def across_a_process(registry):
    """answers.predict as the answering process runs it: its arguments pickled on the way there."""
    def compute(drawings, models):
        return predict(registry, *pickle.loads(pickle.dumps((drawings, models))))
    return compute


def test_a_drawing_that_breaks_reading_is_answered_with_a_message_and_the_others_are_read(registry, monkeypatch):
    good = [as_canvas_value(strokes) for _, strokes in pen_digits(2, seed=3)]
    read = answers.digit_from_value

    def buggy(value):
        if isinstance(value, dict) and value.get("poison"):
            raise RuntimeError("a bug in one reader")
        return read(value)
    monkeypatch.setattr(answers, "digit_from_value", buggy)
    labels, *_ = predict(registry, [good[0], {"poison": True, "strokes": []}, good[1]], [None] * 3)
    assert "could not be read (RuntimeError)" in labels[1]
    assert [max(labels[i], key=labels[i].get) for i in (0, 2)] == [str(d) for d, _ in pen_digits(2, seed=3)]


def test_a_value_nested_too_deep_never_reaches_the_answering_process(registry):
    good = [as_canvas_value(strokes) for _, strokes in pen_digits(2, seed=4)]
    with pytest.raises(RecursionError):
        pickle.dumps(nested(100_000))                    # what failed the whole batch before
    outputs = [gr.Label(num_top_classes=3), gr.HTML(), gr.JSON(), gr.Markdown()]
    labels, *_ = answers_as_sent(across_a_process(registry), outputs,
                                 [good[0], nested(100_000), good[1], nested(MAX_DEPTH + 1)], [None] * 4)
    assert [label["label"] for label in labels] == [str(pen_digits(2, seed=4)[0][0]), labels[1]["label"],
                                                    str(pen_digits(2, seed=4)[1][0]), labels[3]["label"]]
    assert "nested at most" in labels[1]["label"] and "nested at most" in labels[3]["label"]
    labels, *_ = answers_as_sent(across_a_process(registry), outputs, good, [nested(600), None])
    assert "a model is a name" in labels[0]["label"] and labels[1]["label"] == str(pen_digits(2, seed=4)[1][0])


def test_screen_passes_drawings_and_arrays_and_refuses_floods():
    for value in (as_canvas_value(pen_digits(1, seed=1)[0][1]), nested(3), None, "text"):
        assert screen(value) is value
    with pytest.raises(ValueError, match="at most 500,000 values"):
        screen([[0.0] * 1000] * 501)
