"""The Sketch tab in headless Chromium: draw with the mouse, read the label, clear, draw again."""

import time
from pathlib import Path

import pytest

from rnn_demo.mnist.registry import ModelRegistry

SHIPPED = ModelRegistry(Path(__file__).resolve().parents[2] / "checkpoints").scan().entries


def draw_strokes(page, strokes):
    """Each stroke is a list of (x, y) in [0, 1] canvas coordinates; few points, slow repaints."""
    box = page.locator("#sketchpad canvas").first.bounding_box()
    side = min(box["width"], box["height"]) * 0.8
    x0, y0 = box["x"] + (box["width"] - side) / 2, box["y"] + (box["height"] - side) / 2
    for stroke in strokes:
        (x, y), rest = stroke[0], stroke[1:]
        page.mouse.move(x0 + x * side, y0 + y * side)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(x0 + x * side, y0 + y * side, steps=2)
        page.mouse.up()


def prediction_after(page, previous, timeout=90):
    """The top digit shown in #sketch-prediction once it differs from `previous`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = page.inner_text("#sketch-prediction").replace("Prediction", "").strip()
        first = text.splitlines()[0].strip() if text else ""
        if first != previous and first.isdigit():
            return first
        time.sleep(0.5)
    pytest.fail(f"no prediction within {timeout} s; label shows {text!r}")


def test_browser_draw_predict_clear_and_draw_again(page, app_url):
    page.goto(app_url)
    page.wait_for_selector("#sketchpad canvas", timeout=60_000)
    # The brush is active without clicking any tool (Gradio 6 starts with none selected).
    page.wait_for_selector("#sketchpad button.highlight", timeout=15_000)
    assert "draw a digit" in page.inner_text("#sketch-prediction")

    draw_strokes(page, [[(0.5, 0.05), (0.48, 0.95)]])                        # a "1"
    first = prediction_after(page, previous="draw")
    assert first == "1"
    assert page.locator("#sketch-input img").count() == 1

    page.locator("#sketchpad button[title='Clear canvas']").click()
    deadline = time.time() + 30
    while "draw a digit" not in page.inner_text("#sketch-prediction") and time.time() < deadline:
        time.sleep(0.5)
    assert "draw a digit" in page.inner_text("#sketch-prediction")

    # The brush survives Clear: a "7" is drawn and read without touching the toolbar.
    draw_strokes(page, [[(0.15, 0.05), (0.85, 0.05), (0.35, 0.95)]])
    second = prediction_after(page, previous="draw")
    assert second == "7", second
    deadline = time.time() + 30                       # the compare table follows the label
    while time.time() < deadline:
        compare = page.inner_text("#sketch-compare")
        if all(e.name in compare for e in SHIPPED):
            break
        time.sleep(0.5)
    assert all(e.name in compare for e in SHIPPED), compare
