"""The Sketch tab, end to end: its API through gradio_client and a drawing in headless Chromium."""

import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from rnn_demo.registry import ModelRegistry

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ModelRegistry(ROOT / "checkpoints").scan().entries
assert SHIPPED, "checkpoints/ ships trained models"


def layer_png(tmp_path, draw, name="layer.png", size=448) -> str:
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw(ImageDraw.Draw(layer))
    path = tmp_path / name
    layer.save(path)
    return str(path)


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)


def sketch_value(path):
    from gradio_client import handle_file
    return {"background": None, "layers": [handle_file(path)], "composite": None}


def test_api_predict_reads_a_drawn_one_and_shows_what_the_model_saw(client, tmp_path):
    one = layer_png(tmp_path, lambda d: d.line([(230, 60), (215, 390)], "black", width=36))
    label, seen, rows, note = client.predict(sketch_value(one), SHIPPED[0].path, api_name="/predict")
    assert label["label"] == "1", label
    assert len(label["confidences"]) == 3 and label["confidences"][0]["confidence"] > 0.5
    assert Image.open(seen).size == (140, 140)       # the 28x28 input, enlarged 5x
    assert rows is not None                            # every model gets a row-by-row plot
    assert ("whole image" in note) == (SHIPPED[0].bidirectional or SHIPPED[0].readout != "last"), note


def test_api_predict_asks_for_a_digit_on_an_empty_canvas(client, tmp_path):
    empty = layer_png(tmp_path, lambda d: None)
    label, seen, _, _ = client.predict(sketch_value(empty), SHIPPED[0].path, api_name="/predict")
    assert label["label"] == "draw a digit" and not label.get("confidences")
    assert seen is None


def test_api_predict_takes_a_model_by_name_and_refuses_an_unknown_one(client, tmp_path):
    one = layer_png(tmp_path, lambda d: d.line([(230, 60), (215, 390)], "black", width=36))
    label, *_ = client.predict(sketch_value(one), SHIPPED[-1].name, api_name="/predict")
    assert label["label"].isdigit()
    label, *_ = client.predict(sketch_value(one), "no-such-model", api_name="/predict")
    assert "unknown model" in label["label"] and not label.get("confidences")


def test_api_compare_lists_every_shipped_model(client, tmp_path):
    one = layer_png(tmp_path, lambda d: d.line([(230, 60), (215, 390)], "black", width=36))
    table = client.predict(sketch_value(one), api_name="/compare")
    names = [row[0] for row in table["data"]]
    assert set(names) >= {e.name for e in SHIPPED}
    assert all(row[2].endswith("%") for row in table["data"])


def test_api_predict_files_answers_every_file_even_a_broken_one(client, tmp_path):
    from gradio_client import handle_file
    seven = Image.new("L", (300, 400), 230)                      # a photo: dark ink on paper
    ImageDraw.Draw(seven).line([(60, 70), (240, 70), (120, 350)], fill=25, width=28)
    seven.save(tmp_path / "my7.png")
    (tmp_path / "broken.png").write_text("not a picture")
    gallery = client.predict([handle_file(str(tmp_path / "my7.png")),
                              handle_file(str(tmp_path / "broken.png"))],
                             SHIPPED[0].path, api_name="/predict_files")
    captions = [item["caption"] for item in gallery]
    assert len(captions) == 2
    assert captions[0].startswith("7 ") and "my7.png" in captions[0]
    assert "broken.png" in captions[1] and "not an image" in captions[1]


def test_api_predict_files_refuses_a_non_image_file_type_clearly(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict([handle_file(str(tmp_path / "notes.txt"))], SHIPPED[0].path,
                       api_name="/predict_files")


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
