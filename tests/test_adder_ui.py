"""The Binary adder tab: its handlers, its `/add` API through gradio_client, and a browser."""

import random
import re
from pathlib import Path

import gradio as gr
import pytest
import torch

from rnn_demo.adder import Adder, AdderConfig
from rnn_demo.ui.adder import add, explain, train_new

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"


def untrained_adder() -> dict:
    """A session adder as the tab keeps it: a checkpoint dict, here of random weights."""
    torch.manual_seed(0)
    model = Adder(AdderConfig())
    return {"kind": "adder", "config": AdderConfig().to_dict(), "state_dict": model.state_dict(),
            "metrics": {}, "train_config": {"max_length": 8}}


# ---------------------------------------------------------------- handlers

def test_add_gives_the_model_sum_and_the_true_sum_in_binary_and_decimal():
    assert add("1011", "110", None, CHECKPOINTS) == ("10001\n= 17 in decimal",) * 2
    assert add("0000_1111 1111", "1", None, CHECKPOINTS)[1] == "100000000\n= 256 in decimal"


def test_bad_input_gives_a_message_naming_the_character_and_position():
    with pytest.raises(gr.Error, match="B: character '2' at position 3"):
        add("1", "10201", None, CHECKPOINTS)
    with pytest.raises(gr.Error, match="A is empty"):
        add("   ", "1", None, CHECKPOINTS)
    with pytest.raises(gr.Error, match="limit is 4,096 bits"):
        add("1" * 4097, "1", None, CHECKPOINTS)


def test_a_missing_adder_is_reported_not_crashed(tmp_path):
    with pytest.raises(gr.Error, match="No adder is loaded"):
        add("1", "1", None, tmp_path)


def test_explain_marks_each_wrong_bit_and_shows_each_confidence():
    page, figure = explain("1" * 12, "1" * 12, untrained_adder(), CHECKPOINTS)
    assert page.count('class="bar"') == 13                       # one confidence bar per sum bit
    wrong = page.count('class="wrong"')
    assert wrong > 0 and f"{wrong} of 13 sum bits wrong" in page
    assert re.search(r"p\(1\) = 0\.\d{4}", page)
    assert figure is not None
    page, _ = explain("1011", "110", None, CHECKPOINTS)
    assert 'class="wrong"' not in page and "All 5 sum bits right" in page


def test_training_from_the_tab_streams_loss_then_hands_over_the_new_adder():
    updates = list(train_new(3, 4, 50))
    loss_frame, status, adder, figure, info = updates[-1]
    assert len(loss_frame) == 50 and list(loss_frame.columns) == ["step", "loss"]
    assert "now uses this adder" in status and "3 units" in info
    assert adder["config"]["hidden_size"] == 3 and figure is not None
    add("101", "1", adder, CHECKPOINTS)                           # the playground accepts it
    with pytest.raises(gr.Error, match="hidden size"):
        list(train_new(0, 4, 50))


# ---------------------------------------------------------------- through the API

@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


def test_api_add_returns_the_sum(client):
    assert client.predict("1111", "1", api_name="/add") == ("10000\n= 16 in decimal",) * 2


def test_api_adds_1000_bit_numbers_exactly(client):
    rng = random.Random(3)
    x, y = rng.getrandbits(1000) | 1 << 999, rng.getrandbits(1000)
    model_sum, true_sum = client.predict(format(x, "b"), format(y, "b"), api_name="/add")
    assert model_sum == true_sum == f"{x + y:b}\n= {x + y} in decimal"


def test_api_reports_bad_input_clearly(client):
    with pytest.raises(Exception, match="'x' at position 3"):
        client.predict("10x1", "1", api_name="/add")
    with pytest.raises(Exception, match="limit"):
        client.predict("1" * 5000, "1", api_name="/add")


# ---------------------------------------------------------------- in a browser

def open_tab(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Binary adder").click()
    page.wait_for_selector("#adder-a textarea")


def test_browser_types_two_numbers_and_reads_the_sum(page, app_url):
    open_tab(page, app_url)
    page.locator("#adder-a textarea").fill("1101 0110")
    page.locator("#adder-b textarea").fill("1_1111")
    page.locator("#adder-run").click()
    page.wait_for_function("document.querySelector('#adder-sum textarea').value.length > 0")
    assert page.locator("#adder-sum textarea").input_value() == "11110101\n= 245 in decimal"
    assert page.locator("#adder-truth textarea").input_value() == "11110101\n= 245 in decimal"
    page.wait_for_selector("#adder-bits .adder-grid")
    assert "All 9 sum bits right" in page.locator("#adder-bits").inner_text()
    page.wait_for_selector("#adder-carry img, #adder-carry svg, #adder-carry canvas")
    assert page.locator("#adder-generalisation img, #adder-generalisation svg").count() > 0

    page.locator("#adder-b textarea").fill("12")
    page.locator("#adder-run").click()
    page.get_by_text("'2' at position 2").first.wait_for()


def test_browser_trains_a_new_adder_and_uses_it(page, app_url):
    open_tab(page, app_url)
    page.get_by_text("Train a new adder").click()
    steps = page.locator("#adder-steps input[type=number]")
    steps.fill("50")
    steps.press("Enter")
    page.locator("#adder-train").click()
    page.get_by_text("The playground now uses this adder").wait_for(timeout=120_000)
    assert "your adder" in page.locator("#adder-model").inner_text()
    page.locator("#adder-a textarea").fill("1")
    page.locator("#adder-b textarea").fill("1")
    page.locator("#adder-run").click()
    page.wait_for_function("document.querySelector('#adder-truth textarea').value.length > 0")
    assert page.locator("#adder-truth textarea").input_value() == "10\n= 2 in decimal"
