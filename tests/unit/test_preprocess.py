"""MNIST-style preprocessing: ink, 20x20 box keeping the aspect ratio, centre of mass at the centre."""

from pathlib import Path

import numpy as np
import pytest
from drawn import TWOS, drawn_ink, read
from PIL import Image, ImageDraw

from rnn_demo.mnist.preprocess import (
    MIN_WIDTH,
    EmptyDrawingError,
    ImageError,
    preprocess_sketch,
    preprocess_upload,
    stroke_width,
    to_mnist,
)

ROOT = Path(__file__).resolve().parents[2]


def canvas(draw, size=400) -> np.ndarray:
    """A Sketchpad layer: black strokes drawn by `draw(ImageDraw)` on a transparent canvas."""
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw(ImageDraw.Draw(layer))
    return np.asarray(layer)


def sketch(draw, size=400) -> dict:
    """A Sketchpad value as Gradio hands it over (type="numpy", image_mode="RGBA")."""
    white = np.full((size, size, 4), 255, np.uint8)
    return {"background": white, "layers": [canvas(draw, size)], "composite": white}


def ink_box(digit, threshold=0.3):
    rows = np.flatnonzero((digit > threshold).any(1))
    cols = np.flatnonzero((digit > threshold).any(0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def centre_of_mass(digit):
    ys, xs = np.indices(digit.shape)
    return (ys * digit).sum() / digit.sum(), (xs * digit).sum() / digit.sum()


def test_vertical_stroke_off_to_the_side_becomes_a_centred_one():
    digit = preprocess_sketch(sketch(lambda d: d.line([(60, 100), (60, 300)], "black", width=30)))
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    top, bottom, left, right = ink_box(digit)
    assert bottom - top == 20                       # the longer side fills the 20-pixel box
    assert 4 <= top and bottom <= 24
    assert 12 <= left and right <= 16               # a narrow bar in the middle columns
    assert digit.max() == pytest.approx(1.0) and digit.min() >= 0.0


def test_centre_of_mass_lands_at_the_field_centre():
    # A "7": the mass sits high and right of its bounding box's centre.
    def seven(d):
        d.line([(220, 40), (380, 40)], "black", width=24)
        d.line([(380, 40), (250, 390)], "black", width=24)
    digit = preprocess_sketch(sketch(seven))
    cy, cx = centre_of_mass(digit)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    top, bottom, _, _ = ink_box(digit)
    assert bottom - top == 20


def test_aspect_ratio_is_kept():
    # A wide ring twice as wide as tall -> 20 x ~10, not stretched to a square.
    digit = preprocess_sketch(sketch(lambda d: d.ellipse([50, 150, 350, 300], outline="black", width=20)))
    top, bottom, left, right = ink_box(digit)
    assert right - left == 20
    assert 9 <= bottom - top <= 11


def test_drawing_size_and_position_do_not_matter():
    def one(x, y, s):
        return lambda d: d.line([(x, y), (x + s // 3, y + s)], "black", width=max(2, s // 10))
    small = preprocess_sketch(sketch(one(20, 20, 90)))
    large = preprocess_sketch(sketch(one(150, 40, 330)))
    assert np.abs(small - large).mean() < 0.05


def test_uploads_are_inverted_when_the_background_is_light():
    white_ink = np.zeros((300, 300), np.uint8)
    white_ink[60:240, 140:160] = 255
    dark_ink = 255 - white_ink
    photo = (dark_ink * 0.6 + 90).astype(np.uint8)       # grey paper, grey pencil, no pure values
    a, b, c = (preprocess_upload(x) for x in (white_ink, dark_ink, photo))
    assert np.abs(a - b).max() < 1e-6
    assert np.abs(a - c).max() < 0.05
    assert a[14, 14] > 0.9 and a[0, 0] == 0.0            # ink bright, background black, as MNIST


def test_transparent_png_upload_reads_the_strokes(tmp_path):
    path = tmp_path / "digit.png"
    Image.fromarray(canvas(lambda d: d.line([(200, 50), (200, 350)], "black", width=30))).save(path)
    digit = preprocess_upload(path)
    assert ink_box(digit)[1] - ink_box(digit)[0] == 20


def test_an_opaque_rgba_photo_is_flattened_and_read(tmp_path):
    rgba = np.full((200, 200, 4), 255, np.uint8)
    rgba[40:160, 90:110, :3] = 0
    path = tmp_path / "scan.png"
    Image.fromarray(rgba).save(path)
    assert ink_box(preprocess_upload(path))[1] - ink_box(preprocess_upload(path))[0] == 20


@pytest.mark.parametrize("value", [
    None,
    {"background": None, "layers": [], "composite": None},
    sketch(lambda d: None),                                            # empty canvas
    {"background": None, "layers": [np.zeros((400, 400, 4), np.uint8)],  # eraser only:
     "composite": np.full((400, 400, 4), 255, np.uint8)},                # transparent layer
    sketch(lambda d: d.ellipse([190, 190, 215, 215], fill="black")),   # a single dot
    sketch(lambda d: d.point((10, 10), "black")),                      # a stray pixel
], ids=["none", "no-layers", "empty", "eraser-only", "dot", "pixel"])
def test_nothing_to_read_asks_for_a_digit(value):
    with pytest.raises(EmptyDrawingError, match="draw a digit"):
        preprocess_sketch(value)


@pytest.mark.parametrize("size", [120, 400, 1600])
def test_a_blob_of_any_size_is_a_dot_but_a_bold_stroke_is_not(size):
    # The erosion test: a disc survives an erosion by a quarter of its size; a ring as bold as
    # a fifth of its size (bolder than any MNIST digit's strokes) does not.
    inset, bold = size // 8, size // 5
    with pytest.raises(EmptyDrawingError, match="a single dot"):
        preprocess_sketch(sketch(lambda d: d.ellipse([inset, inset, size - inset, size - inset], fill="black"),
                                 size))
    ring = preprocess_sketch(sketch(lambda d: d.ellipse([inset, inset, size - inset, size - inset],
                                                        outline="black", width=bold), size))
    assert ring.max() == 1.0 and ring[14, 14] < 0.5       # read, with its hole in the middle


def test_blank_page_upload_asks_for_a_digit():
    with pytest.raises(EmptyDrawingError):
        preprocess_upload(np.full((100, 100), 240, np.uint8))


def test_non_image_upload_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a picture")
    with pytest.raises(ImageError, match="notes.txt: not an image"):
        preprocess_upload(path)


def test_a_huge_jpeg_is_decoded_at_a_reduced_size_and_read(tmp_path):
    image = Image.new("L", (8000, 8000), 255)
    ImageDraw.Draw(image).line([(4000, 1000), (4000, 7000)], fill=0, width=600)
    path = tmp_path / "huge.jpg"
    image.save(path, quality=80)
    digit = preprocess_upload(path)
    assert ink_box(digit)[1] - ink_box(digit)[0] == 20


def test_a_small_png_that_declares_huge_pixels_is_refused_from_its_header(tmp_path, monkeypatch):
    """A PNG of one colour compresses to kilobytes whatever its size: what it would cost to decode
    is read from the header, and it is refused before any decoding."""
    from PIL import ImageFile
    path = tmp_path / "bomb.png"
    Image.new("L", (8000, 8000), 255).save(path, optimize=True)
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    with pytest.raises(ImageError, match="bomb.png: 8000x8000 pixels is too large to decode"):
        preprocess_upload(path)


def test_an_import_decodes_at_most_its_pixel_budget_and_names_what_it_left_out(tmp_path, monkeypatch):
    from rnn_demo.mnist import digit_files
    for i in range(4):
        Image.new("L", (3000, 3000), 0).save(tmp_path / f"{i}_big.png")
    monkeypatch.setattr(digit_files, "MAX_IMPORT_PIXELS", 20_000_000)     # room for two of them
    result = digit_files.read_pictures(sorted(tmp_path.glob("*.png")))
    left = [p for p in result.problems if "decoding budget" in p]
    assert [p.split(":")[0] for p in left] == ["2_big.png", "3_big.png"], result.problems


# ---- stroke width: thin pens are brought to MNIST's width (about 2 px by stroke_width) ----------

def test_stroke_width_of_a_long_bar_is_its_width():
    bar = np.zeros((60, 60), np.float32)
    bar[5:55, 20:24] = 1.0
    assert stroke_width(bar) == pytest.approx(4.0, rel=0.1)


@pytest.mark.parametrize("canvas, pens", [(200, (1, 3)), (800, (1, 2, 4, 8)), (1600, (2, 6))])
def test_thin_pens_come_out_as_wide_as_mnist_strokes(canvas, pens):
    for digit in (0, 2, 7):
        for pen in pens:
            width = stroke_width(to_mnist(drawn_ink(digit, canvas, pen)))
            assert 1.5 <= width <= 2.6, (digit, canvas, pen, width)


def test_pens_as_wide_as_mnist_strokes_are_left_as_drawn():
    for digit in (0, 4, 8):
        widths = [stroke_width(to_mnist(drawn_ink(digit, 800, pen))) for pen in (56, 70, 90)]
        assert MIN_WIDTH <= widths[0] < widths[1] < widths[2], (digit, widths)   # a bolder pen shows


def test_every_digit_drawn_with_a_thin_pen_is_read():
    for canvas, pen in ((800, 2), (1600, 2), (300, 1)):
        seen = [to_mnist(drawn_ink(digit, canvas, pen)) for digit in range(10)]
        assert read(*seen) == list(range(10)), (canvas, pen)


def test_the_reported_thin_twos_are_read_as_twos():
    """A "2" drawn in four ways with a 2 px pen on an 800x800 canvas (was read as 1 or 7)."""
    for canvas in (800, 448):
        assert read(*(to_mnist(drawn_ink(two, canvas, 2)) for two in TWOS)) == [2, 2, 2, 2]

