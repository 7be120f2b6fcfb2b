"""The Sketch tab's upload gallery: one line per file, named by the file's own name; one file that
cannot be read never sinks the rest of its batch."""

from pathlib import Path

import numpy as np
from drawn import drawn_ink
from PIL import Image

from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.ui.sketch import tab as sketch
from rnn_demo.ui.sketch.tab import predict_files

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"


def scan(digit: int) -> Image.Image:
    """Dark ink on light paper, 8-bit grey."""
    return Image.fromarray(np.round(255 * (0.9 - 0.8 * drawn_ink(digit, 280))).astype(np.uint8))


def test_every_file_is_answered_in_order_even_when_some_cannot_be_read(tmp_path):
    scan(7).save(tmp_path / "my 7.png")
    scan(1).convert("RGB").convert("LAB").save(tmp_path / "lab scan.tif")     # Pillow has no LAB -> grey
    (tmp_path / "broken.png").write_text("not a picture")
    Image.new("L", (200, 200), 240).save(tmp_path / "blank.png")
    names = ["my 7.png", "lab scan.tif", "broken.png", "blank.png"]
    items = predict_files(ModelRegistry(CHECKPOINTS), [str(tmp_path / n) for n in names], "fast")
    captions = [caption for _, caption in items]
    assert len(captions) == 4
    assert captions[0].startswith("7 ") and captions[0].endswith("my 7.png")
    assert captions[1].startswith("1 ") and captions[1].endswith("lab scan.tif")
    assert captions[2].startswith("broken.png: not an image")
    assert captions[3].startswith("blank.png: draw a digit")
    assert not any(str(tmp_path) in c for c in captions), captions   # the file's name, not its folder
    assert all(image.size == (140, 140) for image, _ in items)


def test_an_unexpected_failure_in_one_file_stays_on_that_files_line(tmp_path, monkeypatch):
    scan(7).save(tmp_path / "good.png")
    scan(1).save(tmp_path / "trips-a-bug.png")
    real = sketch.preprocess_upload

    def buggy(path):
        if Path(path).name == "trips-a-bug.png":
            raise RuntimeError("a bug")
        return real(path)

    monkeypatch.setattr(sketch, "preprocess_upload", buggy)
    items = predict_files(ModelRegistry(CHECKPOINTS),
                          [str(tmp_path / "trips-a-bug.png"), str(tmp_path / "good.png")], "fast")
    captions = [caption for _, caption in items]
    assert captions[0] == "trips-a-bug.png: could not be read (RuntimeError; see the server log)"
    assert captions[1].startswith("7 ") and captions[1].endswith("good.png")
