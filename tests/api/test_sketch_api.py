"""The Sketch tab through its API: /predict, /compare and /predict_files with gradio_client."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from rnn_demo.mnist.registry import ModelRegistry

ROOT = Path(__file__).resolve().parents[2]
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


ONE = [[(230, 60), (222, 200), (215, 390)]]                    # a "1" in 448x448 canvas pixels
SEVEN = [[(100, 70), (340, 70), (170, 390)]]


def strokes(lines, brush=36, **extra):
    return {"width": 448, "height": 448, "brush": brush, "version": 7,
            "strokes": [{"points": [list(p) for p in line], "erase": False} for line in lines], **extra}


def picture(tmp_path, lines, name="digit.png", brush=36) -> str:
    """The same strokes drawn by PIL as black ink on white paper."""
    paper = Image.new("L", (448, 448), 255)
    draw = ImageDraw.Draw(paper)
    for line in lines:
        draw.line(line, fill=0, width=brush, joint="curve")
    paper.save(tmp_path / name)
    return str(tmp_path / name)


def top(label) -> str:
    return label["label"]


def test_api_predict_reads_drawn_strokes_and_shows_what_the_model_saw(client):
    label, seen, rows, note = client.predict(strokes(ONE), SHIPPED[0].path, api_name="/predict")
    assert top(label) == "1", label
    assert len(label["confidences"]) == 3 and label["confidences"][0]["confidence"] > 0.5
    assert 'data-version="7"' in seen and "data:image/png;base64," in seen  # the 28x28, inline
    # The probabilities after each row, as numbers (the page draws them): every row, every digit.
    assert len(rows["rows"]) == 28 and all(len(r) == 10 for r in rows["rows"])
    assert max(range(10), key=rows["rows"][-1].__getitem__) == 1 and abs(sum(rows["rows"][-1]) - 1) < 0.01
    assert ("whole image" in note) == (not SHIPPED[0].config.reads_as_it_goes), note


def test_api_predict_gives_the_same_answer_for_strokes_a_file_an_array_and_a_sketchpad(client, tmp_path):
    from gradio_client import handle_file
    path = picture(tmp_path, SEVEN)
    layer = Image.new("RGBA", (448, 448), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line(SEVEN[0], fill="black", width=36, joint="curve")
    layer.save(tmp_path / "layer.png")
    answers = [client.predict(value, SHIPPED[0].path, api_name="/predict")[0] for value in (
        strokes(SEVEN), handle_file(path), np.asarray(Image.open(path)).tolist(),
        sketch_value(str(tmp_path / "layer.png")))]
    assert {top(a) for a in answers} == {"7"}, answers
    confidences = [a["confidences"][0]["confidence"] for a in answers]
    assert max(confidences) - min(confidences) < 0.05, confidences


def test_api_predict_asks_for_a_digit_on_an_empty_canvas(client, tmp_path):
    for empty in (strokes([]), sketch_value(layer_png(tmp_path, lambda d: None)), None):
        label, seen, rows, _ = client.predict(empty, SHIPPED[0].path, api_name="/predict")
        assert top(label) == "draw a digit" and not label.get("confidences")
        assert "data:image" not in seen and rows is None          # the chart shows empty axes


@pytest.mark.parametrize("value, message", [
    ({"width": 448, "height": 448, "strokes": "not a list"}, "strokes must be a list"),
    ({"width": 0, "height": 448, "strokes": []}, "width must be between 1 and 4096"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[1, "x"]]}]}, "pairs of numbers"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[-5, 10], [20, 30]]}]}, ">= 0"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[i % 400, 9] for i in range(20_001)]}]},
     "more than 20,000 points"),
    ({"path": "/etc/passwd"}, "not a drawing or a picture"),
    ({"background": {"path": "/etc/passwd"}, "layers": [], "composite": None}, "send pictures as files"),
    ("hello", "not a drawing or a picture"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[224, 224]]}]}, "a single dot is not enough to read"),
])
def test_api_predict_answers_bad_input_with_a_message_and_keeps_working(client, value, message):
    label, *_ = client.predict(value, SHIPPED[0].path, api_name="/predict")
    assert message in top(label) and not label.get("confidences"), label
    label, *_ = client.predict(strokes(ONE), SHIPPED[0].path, api_name="/predict")
    assert top(label) == "1"                                  # the next drawing works


def test_api_predict_takes_a_model_by_name_and_refuses_an_unknown_one(client):
    label, *_ = client.predict(drawing=strokes(ONE), model=SHIPPED[-1].name, api_name="/predict")
    assert top(label).isdigit()                                # the API page's names: drawing, model
    label, *_ = client.predict(strokes(ONE), "no-such-model", api_name="/predict")
    assert "unknown model" in top(label) and not label.get("confidences")


def seven_photo(tmp_path, name="my7.png") -> Path:
    """A photo of a 7: dark ink on light paper, no transparency."""
    seven = Image.new("L", (300, 400), 230)
    ImageDraw.Draw(seven).line([(60, 70), (240, 70), (120, 350)], fill=25, width=28)
    seven.save(tmp_path / name)
    return tmp_path / name


def test_api_predict_reads_a_digit_in_the_background_or_the_composite(client, tmp_path):
    from gradio_client import handle_file
    seven, blank = str(seven_photo(tmp_path)), layer_png(tmp_path, lambda d: None)
    for value in ({"background": handle_file(seven), "layers": [], "composite": None},
                  {"background": None, "layers": [handle_file(blank)], "composite": handle_file(seven)}):
        label, *_ = client.predict(value, SHIPPED[0].path, api_name="/predict")
        assert label["label"] == "7", (value, label)


def test_api_compare_lists_every_shipped_model(client, tmp_path):
    table = client.predict(strokes(ONE), api_name="/compare")
    names = [row[0] for row in table["data"]]
    assert set(names) >= {e.name for e in SHIPPED}
    assert all(row[2].endswith("%") for row in table["data"])


def test_api_predict_files_answers_every_file_even_a_broken_one(client, tmp_path):
    from gradio_client import handle_file
    seven_photo(tmp_path)
    Image.open(tmp_path / "my7.png").convert("RGB").convert("LAB").save(tmp_path / "lab7.tif")
    (tmp_path / "broken.png").write_text("not a picture")
    gallery = client.predict([handle_file(str(tmp_path / "broken.png")),
                              handle_file(str(tmp_path / "lab7.tif")),
                              handle_file(str(tmp_path / "my7.png"))],
                             SHIPPED[0].path, api_name="/predict_files")
    captions = [item["caption"] for item in gallery]
    assert len(captions) == 3
    assert captions[0].startswith("broken.png: not an image")    # its own name, no server path
    assert "/" not in captions[0] and "gradio" not in captions[0]
    assert captions[1].startswith("7 ") and captions[1].endswith("lab7.tif")
    assert captions[2].startswith("7 ") and captions[2].endswith("my7.png")


def test_api_predict_files_refuses_a_non_image_file_type_clearly(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict([handle_file(str(tmp_path / "notes.txt"))], SHIPPED[0].path,
                       api_name="/predict_files")








def test_the_pages_direct_calls_answer_like_predict_each_with_its_own_drawing(client, app_url):
    """The page skips the queue (one request, one response); calls that arrive together are
    batched on the server, and each still gets the answer to its own drawing."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from rnn_demo.bench.classroom import Page, page_answer_fn

    fn_index = page_answer_fn(client.config)
    dependency = client.config["dependencies"][fn_index]
    assert dependency["queue"] is False and dependency["api_visibility"] == "private"
    drawings = [strokes(ONE, version=i) if i % 2 else strokes(SEVEN, version=i) for i in range(12)]
    pages = [Page(app_url, fn_index, f"direct-{i}") for i in range(len(drawings))]
    try:
        with ThreadPoolExecutor(len(pages)) as pool:
            labels = list(pool.map(lambda pd: pd[0](pd[1]), zip(pages, drawings)))
    finally:
        for page in pages:
            page.http.close()
    assert [top(label) for label in labels] == ["7", "1"] * 6
    expected = client.predict(strokes(SEVEN), None, api_name="/predict")[0]
    assert [c["label"] for c in labels[0]["confidences"]] == [c["label"] for c in expected["confidences"]]
    assert [c["confidence"] for c in labels[0]["confidences"]] == pytest.approx(   # batched vs alone
        [c["confidence"] for c in expected["confidences"]], abs=1e-5)
    # A drawing that cannot be read gets its message, as /predict gives it.
    bad = httpx.post(app_url.rstrip("/") + "/gradio_api/run/predict", timeout=30, json={
        "data": [{"width": 0, "height": 448, "strokes": []}, None], "fn_index": fn_index,
        "session_hash": "direct-bad"}).json()["data"][0]
    assert top(bad) == "the drawing's width must be between 1 and 4096, got 0", bad
