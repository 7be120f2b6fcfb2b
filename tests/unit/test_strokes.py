"""Strokes from the canvas: checked, rasterised, and read the same as a picture of the same drawing."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from rnn_demo.mnist.preprocess import EmptyDrawingError, preprocess_sketch, preprocess_upload, to_mnist
from rnn_demo.mnist.strokes import MAX_POINTS, StrokesError, rasterise

SEVEN = [[(100, 70), (340, 70), (170, 390)]]
TWO = [[(120, 140), (180, 80), (280, 80), (320, 150), (250, 250), (120, 380), (340, 380)]]


def drawing(lines, brush=30, size=448, erase=()):
    return {"width": size, "height": size, "brush": brush,
            "strokes": [{"points": [list(p) for p in line], "erase": i in erase} for i, line in enumerate(lines)]}


def layer(lines, brush=30, size=448):
    """The same strokes drawn by PIL on a transparent layer, as the old Sketchpad sent them."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for line in lines:
        draw.line(line, fill="black", width=brush, joint="curve")
        for x, y in line:
            draw.ellipse((x - brush / 2, y - brush / 2, x + brush / 2, y + brush / 2), fill="black")
    return np.asarray(image)


@pytest.mark.parametrize("lines", [SEVEN, TWO])
def test_strokes_rasterise_to_the_same_28x28_as_the_picture_of_them(lines):
    from_strokes = to_mnist(rasterise(drawing(lines)))
    from_layer = preprocess_sketch({"background": None, "layers": [layer(lines)], "composite": None})
    paper = 255 - layer(lines)[..., 3]                                  # black ink on white paper
    from_paper = preprocess_upload(paper)
    assert np.abs(from_strokes - from_layer).mean() < 0.01
    assert np.abs(from_strokes - from_paper).mean() < 0.02


def test_an_erasing_stroke_clears_what_is_under_it():
    ink = rasterise(drawing([[(50, 224), (400, 224)], [(224, 150), (224, 300)]], brush=20, erase={1}))
    assert ink[224, 100] == 1.0 and ink[224, 224] == 0.0            # the bar is cut where erased
    assert ink[150:300, 224].max() == 0.0


def test_the_canvas_size_sets_the_raster_and_points_outside_are_cut_off():
    ink = rasterise(drawing([[(10, 10), (600, 600)]], size=200))
    assert ink.shape == (200, 200) and ink[190, 190] > 0


@pytest.mark.parametrize("value", [
    drawing([]),                                          # nothing drawn
    drawing([[(224, 224)]]),                              # a single point: a dot, not a digit
    drawing([[(500, 500), (600, 700)]]),                  # entirely outside the canvas
    drawing([[(100, 224), (350, 224)], [(100, 224), (350, 224)]], erase={1}),   # erased again
])
def test_nothing_to_read_asks_for_a_digit(value):
    with pytest.raises(EmptyDrawingError, match="draw a digit"):
        to_mnist(rasterise(value))


@pytest.mark.parametrize("value, message", [
    ({"strokes": []}, "width must be a number"),
    ({"width": 0, "height": 448, "strokes": []}, "width must be between 1 and 4096"),
    ({"width": 448, "height": float("nan"), "strokes": []}, "height must be a number"),
    ({"width": 448, "height": 448, "brush": -3, "strokes": []}, "brush width must be between"),
    ({"width": 448, "height": 448, "strokes": {"points": []}}, "strokes must be a list"),
    ({"width": 448, "height": 448, "strokes": [{"points": "abc"}]}, "no list of points"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[1, 2, 3]]}]}, "pairs of numbers"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[1, None]]}]}, "not a finite number"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[float("nan"), 2]]}]}, "not a finite number"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[-1, 2]]}]}, ">= 0"),
    ({"width": 448, "height": 448, "strokes": [{"points": [[1, 1]] * (MAX_POINTS + 1)}]}, "more than 20,000"),
    ("strokes", "a drawing is"),
])
def test_malformed_drawings_are_refused_with_a_message(value, message):
    with pytest.raises(StrokesError, match=message):
        rasterise(value)


def test_a_drawing_without_a_brush_width_gets_one_in_proportion_to_the_canvas():
    value = drawing([[(50, 224), (400, 224)]])
    del value["brush"]
    ink = rasterise(value)                                  # 448 / 16 = 28 px
    assert ink[:, 224].sum() == pytest.approx(28, abs=2)


def test_reading_draws_at_most_read_side_pixels_a_side_and_a_big_canvas_reads_like_a_small_one():
    from rnn_demo.mnist.strokes import READ_SIDE
    from rnn_demo.ui.sketch.drawings import digit_from_value

    assert rasterise(drawing(SEVEN, size=448), max_side=READ_SIDE).shape == (READ_SIDE, READ_SIDE)
    wide = {**drawing(SEVEN), "width": 896}                      # the same strokes on a wider canvas
    assert rasterise(wide, max_side=READ_SIDE).shape == (READ_SIDE // 2, READ_SIDE)
    k = 4096 / 448                                               # the same seven, drawn 9x bigger
    big = drawing([[(x * k, y * k) for x, y in line] for line in SEVEN], brush=30 * k, size=4096)
    small = digit_from_value(drawing(SEVEN))
    assert np.abs(digit_from_value(big) - small).mean() < 0.01
    # Read at READ_SIDE, a drawing gives nearly the 28x28 of its full-size raster.
    assert np.abs(small - to_mnist(rasterise(drawing(SEVEN)))).mean() < 0.03
