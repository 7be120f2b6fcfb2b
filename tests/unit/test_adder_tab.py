"""The Binary adder tab's handlers, called directly (no server)."""

import re
from pathlib import Path

import gradio as gr
import pytest
import torch

from rnn_demo.adder.model import Adder, AdderConfig
from rnn_demo.ui.adder.tab import add, explain, train_new

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def untrained_adder() -> dict:
    """A session adder as the tab keeps it: a checkpoint dict, here of random weights."""
    torch.manual_seed(0)
    model = Adder(AdderConfig())
    return {"kind": "adder", "config": AdderConfig().to_dict(), "state_dict": model.state_dict(),
            "metrics": {}, "train_config": {"max_length": 8}}


def test_add_gives_the_model_sum_and_the_true_sum_in_binary_and_decimal():
    assert add(CHECKPOINTS, "1011", "110", None) == ("10001\n= 17 in decimal",) * 2
    assert add(CHECKPOINTS, "0000_1111 1111", "1", None)[1] == "100000000\n= 256 in decimal"


def test_bad_input_gives_a_message_naming_the_character_and_position():
    with pytest.raises(gr.Error, match="B: character '2' at position 3"):
        add(CHECKPOINTS, "1", "10201", None)
    with pytest.raises(gr.Error, match="A is empty"):
        add(CHECKPOINTS, "   ", "1", None)
    with pytest.raises(gr.Error, match="limit is 4,096 bits"):
        add(CHECKPOINTS, "1" * 4097, "1", None)


def test_a_refused_input_is_not_logged_as_a_server_error():
    """Gradio prints a traceback for every gr.Error unless told not to; a typo is no server fault."""
    for a, b in (("10x1", "1"), ("", "1"), ("1" * 5000, "1")):
        with pytest.raises(gr.Error) as refused:
            add(CHECKPOINTS, a, b, None)
        assert refused.value.print_exception is False
    with pytest.raises(gr.Error) as refused:
        list(train_new(0, 4, 50))
    assert refused.value.print_exception is False


def test_a_missing_adder_is_reported_not_crashed(tmp_path):
    with pytest.raises(gr.Error, match="No adder is loaded"):
        add(tmp_path, "1", "1", None)


def test_explain_marks_each_wrong_bit_and_shows_each_confidence():
    page, figure = explain(CHECKPOINTS, "1" * 12, "1" * 12, untrained_adder())
    assert page.count('class="bar"') == 13                       # one confidence bar per sum bit
    wrong = page.count('class="wrong"')
    assert wrong > 0 and f"{wrong} of 13 sum bits wrong" in page
    assert re.search(r"p\(1\) = 0\.\d{4}", page)
    assert figure is not None
    page, _ = explain(CHECKPOINTS, "1011", "110", None)
    assert 'class="wrong"' not in page and "All 5 sum bits right" in page


def test_training_from_the_tab_streams_loss_then_hands_over_the_new_adder():
    updates = list(train_new(3, 4, 50))
    loss_frame, status, adder, figure, info = updates[-1]
    assert len(loss_frame) == 50 and list(loss_frame.columns) == ["step", "loss"]
    assert "now uses this adder" in status and "3 units" in info
    assert adder["config"]["hidden_size"] == 3 and figure is not None
    add(CHECKPOINTS, "101", "1", adder)                           # the playground accepts it
    with pytest.raises(gr.Error, match="hidden size"):
        list(train_new(0, 4, 50))


def test_the_loss_chart_starts_with_numeric_axes():
    """The browser keeps the axis types of the first frame it draws, an empty one included."""
    from rnn_demo.ui.adder.tab import _loss_frame
    plot = gr.LinePlot(x="step", y="loss")
    for losses in ([], [(1, 0.7), (2, 0.5)]):
        assert plot.postprocess(_loss_frame(losses)).datatypes == {"step": "quantitative",
                                                                   "loss": "quantitative"}
