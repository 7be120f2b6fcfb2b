"""Every upload path is capped: one request reads at most MAX_UPLOADS pictures."""

from pathlib import Path

from PIL import Image, ImageDraw

from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.ui.sketch.tab import MAX_UPLOADS, predict_files

ROOT = Path(__file__).resolve().parents[2]


def test_an_upload_of_too_many_pictures_reads_the_first_max_uploads(tmp_path):
    picture = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(picture).line([(32, 8), (32, 56)], fill=0, width=6)     # a "1"
    files = []
    for i in range(MAX_UPLOADS + 6):
        files.append(tmp_path / f"digit-{i}.png")
        picture.save(files[-1])
    registry = ModelRegistry(ROOT / "checkpoints", tmp_path / "runs")
    gallery = predict_files(registry, [str(f) for f in files], None)
    assert len(gallery) == MAX_UPLOADS
