"""The Sketch tab through its API: /predict, /compare and /predict_files with gradio_client."""

from pathlib import Path

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


def test_api_predict_reads_a_drawn_one_and_shows_what_the_model_saw(client, tmp_path):
    one = layer_png(tmp_path, lambda d: d.line([(230, 60), (215, 390)], "black", width=36))
    label, seen, rows, note = client.predict(sketch_value(one), SHIPPED[0].path, api_name="/predict")
    assert label["label"] == "1", label
    assert len(label["confidences"]) == 3 and label["confidences"][0]["confidence"] > 0.5
    assert Image.open(seen).size == (140, 140)       # the 28x28 input, enlarged 5x
    assert rows is not None                            # every model gets a row-by-row plot
    assert ("whole image" in note) == (not SHIPPED[0].config.reads_as_it_goes), note


def test_api_predict_asks_for_a_digit_on_an_empty_canvas(client, tmp_path):
    empty = layer_png(tmp_path, lambda d: None)
    label, seen, _, _ = client.predict(sketch_value(empty), SHIPPED[0].path, api_name="/predict")
    assert label["label"] == "draw a digit" and not label.get("confidences")
    assert seen is None


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






