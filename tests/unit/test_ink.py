"""Every picture a person has is read: any sample format, any colour mode, ink on either side of
the paper however tightly cropped, and every field of an editor value. Inputs are drawn in code."""

import io

import numpy as np
import pytest
from drawn import crop_to_ink, drawn_ink, read
from PIL import Image, ImageDraw

from rnn_demo.mnist.ink import ImageError, read_levels
from rnn_demo.mnist.preprocess import EmptyDrawingError, preprocess_sketch, preprocess_upload

DIGITS = (7, 1, 0)
PAPER, INK = 56000 / 65535, 8000 / 65535       # a scanner's 16-bit levels of paper and ink


def scan(digit: int, size: int = 280) -> np.ndarray:
    """(H, W) float levels in [0, 1]: dark ink on light paper, as a scanner sees them."""
    return PAPER - drawn_ink(digit, size) * (PAPER - INK)


def eight_bit(levels: np.ndarray) -> np.ndarray:
    return np.round(levels * 255).astype(np.uint8)


def saved(image: Image.Image, fmt: str, **options) -> io.BytesIO:
    """The image written to an in-memory file, as an upload would arrive."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    buffer.seek(0)
    return buffer


def on_transparency(ink: np.ndarray, colour=(0, 0, 0)) -> np.ndarray:
    """(H, W, 4) uint8: strokes of one colour whose alpha is the ink, on a transparent canvas."""
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = np.round(ink * 255)
    return rgba


# ---- sample formats: rescaled by their own bit depth or range, never clipped to 0..255 ----------

SAMPLE_FORMATS = {
    "16-bit PNG (I;16)": lambda v: saved(Image.fromarray(np.round(v * 65535).astype(np.uint16)), "PNG"),
    "32-bit integer TIFF (I), 16-bit levels": lambda v: saved(
        Image.fromarray(np.round(v * 65535).astype(np.int32)), "TIFF"),
    "32-bit integer TIFF (I), full range": lambda v: saved(
        Image.fromarray(np.round(v * (2**31 - 1)).astype(np.int32)), "TIFF"),
    "float TIFF (F) in 0..1": lambda v: saved(Image.fromarray(v.astype(np.float32)), "TIFF"),
    "uint16 array": lambda v: np.round(v * 65535).astype(np.uint16),
    "uint16 RGB array": lambda v: np.dstack([np.round(v * 65535).astype(np.uint16)] * 3),
    "float64 array in 0..1": lambda v: v.astype(np.float64),
    "float32 array in 0..255": lambda v: (v * 255).astype(np.float32),
    "int64 array in 0..255": lambda v: np.round(v * 255).astype(np.int64),
    "float array of negative levels": lambda v: (v * 2 - 1).astype(np.float32),
}


@pytest.mark.parametrize("kind", SAMPLE_FORMATS)
def test_every_sample_format_reads_like_its_8_bit_copy(kind):
    seen = [preprocess_upload(SAMPLE_FORMATS[kind](scan(digit))) for digit in DIGITS]
    for digit, digit_seen in zip(DIGITS, seen):
        assert np.abs(digit_seen - preprocess_upload(eight_bit(scan(digit)))).max() < 0.05, digit
    assert read(*seen) == list(DIGITS)


def test_a_bilevel_array_is_read():
    assert read(*(preprocess_upload(scan(digit) > 0.5) for digit in DIGITS)) == list(DIGITS)


# ---- colour modes: whatever Pillow can open is read, through RGBA when it has no grey ----------

def _palette_with_transparency(ink):
    image = Image.fromarray((ink > 0.5).astype(np.uint8)).convert("P")
    image.putpalette([255, 255, 255, 0, 0, 0])           # 0: background, 1: black ink
    return saved(image, "PNG", transparency=0)


COLOUR_MODES = {
    "L*a*b* TIFF": lambda v, ink: saved(Image.fromarray(eight_bit(v)).convert("RGB").convert("LAB"), "TIFF"),
    "CMYK JPEG": lambda v, ink: saved(Image.fromarray(eight_bit(v)).convert("CMYK"), "JPEG", quality=95),
    "HSV image": lambda v, ink: Image.fromarray(eight_bit(v)).convert("RGB").convert("HSV"),
    "bilevel PNG (mode 1)": lambda v, ink: saved(Image.fromarray(eight_bit(v)).convert("1", dither=Image.Dither.NONE), "PNG"),
    "palette GIF": lambda v, ink: saved(Image.fromarray(eight_bit(v)).convert("P"), "GIF"),
    "palette PNG with transparency": lambda v, ink: _palette_with_transparency(ink),
    "LA PNG": lambda v, ink: saved(Image.fromarray(on_transparency(ink)[..., [0, 3]]), "PNG"),
    "RGBA PNG, black ink": lambda v, ink: saved(Image.fromarray(on_transparency(ink)), "PNG"),
    "RGBA PNG, red ink": lambda v, ink: saved(Image.fromarray(on_transparency(ink, (220, 30, 30))), "PNG"),
}


@pytest.mark.parametrize("kind", COLOUR_MODES)
def test_every_colour_mode_is_read(kind):
    pictures = [COLOUR_MODES[kind](scan(digit), drawn_ink(digit, 280)) for digit in DIGITS]
    assert read(*(preprocess_upload(picture) for picture in pictures)) == list(DIGITS)


@pytest.mark.parametrize("mode", ["P", "1", "I;16"])
def test_large_pictures_in_any_mode_are_downscaled_and_read(mode):
    levels = scan(7, size=2400)
    image = Image.fromarray(np.round(levels * 65535).astype(np.uint16)) if mode == "I;16" \
        else Image.fromarray(eight_bit(levels)).convert(mode)
    assert read(preprocess_upload(saved(image, "PNG"))) == [7]


# ---- which side is ink: decided by the border and the alpha, not by how much ink there is -----

@pytest.mark.parametrize("pen", [30, 60])
def test_white_ink_on_transparency_is_read_from_the_alpha_however_tightly_cropped(pen):
    seen = []
    for digit in DIGITS:
        layer = on_transparency(drawn_ink(digit, 400, pen), colour=(255, 255, 255))
        seen.append(preprocess_upload(crop_to_ink(layer)))
        assert np.abs(seen[-1] - preprocess_upload(layer)).max() < 0.1, digit
    assert read(*seen) == list(DIGITS)


@pytest.mark.parametrize("pen", [30, 60])
def test_ink_covering_most_of_a_tight_crop_is_still_the_ink(pen):
    inks = [crop_to_ink(drawn_ink(digit, 400, pen)) for digit in DIGITS]
    assert read(*(preprocess_upload(eight_bit(1.0 - ink)) for ink in inks)) == list(DIGITS)  # dark on white
    assert read(*(preprocess_upload(eight_bit(ink)) for ink in inks)) == list(DIGITS)        # white on black


@pytest.mark.parametrize("paper, ink", [(0.45, 0.1), (0.3, 0.6), (0.55, 0.9)],
                         ids=["dark ink on grey paper", "light ink on dark paper", "light ink on grey"])
def test_ink_is_the_side_furthest_from_the_paper_whatever_its_grey(paper, ink):
    pictures = [eight_bit(paper + drawn_ink(digit, 280) * (ink - paper)) for digit in DIGITS]
    assert read(*(preprocess_upload(picture) for picture in pictures)) == list(DIGITS)


def test_rounded_transparent_corners_of_a_photo_are_not_ink():
    corners = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(corners).rounded_rectangle([0, 0, 279, 279], radius=40, fill=255)
    photos = [np.dstack([eight_bit(scan(digit))] * 3 + [np.asarray(corners)]) for digit in DIGITS]
    assert read(*(preprocess_upload(photo) for photo in photos)) == list(DIGITS)


def test_transparent_holes_in_an_opaque_scan_count_as_paper():
    rgba = np.dstack([eight_bit(scan(7))] * 3 + [np.full((280, 280), 255, np.uint8)])
    rgba[230:270, 10:60, 3] = 0                         # a hole away from the ink
    assert np.abs(preprocess_upload(rgba) - preprocess_upload(eight_bit(scan(7)))).max() < 0.05


# ---- editor values: empty only if background, layers and composite all hold no ink ------------

def _opaque(levels):
    return np.dstack([eight_bit(levels)] * 3 + [np.full(levels.shape, 255, np.uint8)])


BLANK_LAYER = np.zeros((280, 280, 4), np.uint8)
WHITE = _opaque(np.ones((280, 280)))
EDITOR_VALUES = {
    "digit in the background, no layers": lambda d: {"background": _opaque(scan(d)), "layers": [],
                                                     "composite": None},
    "blank layer, digit in the composite": lambda d: {"background": None, "layers": [BLANK_LAYER],
                                                      "composite": _opaque(scan(d))},
    "digit in the background, blank layer": lambda d: {"background": _opaque(scan(d)),
                                                       "layers": [BLANK_LAYER], "composite": None},
    "strokes in a layer, white elsewhere": lambda d: {"background": WHITE, "composite": WHITE,
                                                      "layers": [on_transparency(drawn_ink(d, 280))]},
    "strokes in a larger layer": lambda d: {"background": WHITE, "composite": None,
                                            "layers": [on_transparency(drawn_ink(d, 560))]},
}


@pytest.mark.parametrize("kind", EDITOR_VALUES)
def test_a_digit_in_any_field_of_an_editor_value_is_read(kind):
    assert read(*(preprocess_sketch(EDITOR_VALUES[kind](digit)) for digit in DIGITS)) == list(DIGITS)


def test_an_editor_value_with_no_ink_anywhere_asks_for_a_digit():
    with pytest.raises(EmptyDrawingError, match="draw a digit"):
        preprocess_sketch({"background": WHITE, "layers": [BLANK_LAYER], "composite": WHITE})


# ---- what cannot be read is a clear ImageError ----------------------------------------------

@pytest.mark.parametrize("source, message", [
    (np.full((50, 50), np.nan, np.float32), "NaN"),
    (np.zeros((50, 50, 5), np.uint8), "shape"),
    (np.zeros((0, 50), np.uint8), "shape"),
    (np.array([["a", "b"], ["c", "d"]]), "numbers"),
    (42, "expected a picture"),
], ids=["nan", "five-channels", "empty", "strings", "a-number"])
def test_what_is_not_a_picture_is_an_image_error(source, message):
    with pytest.raises(ImageError, match=message):
        read_levels(source)


def test_an_unreadable_or_truncated_file_is_named_without_its_folder(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    whole = saved(Image.fromarray(eight_bit(scan(7))), "PNG").getvalue()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    for name in ("notes.png", "cut.png"):
        with pytest.raises(ImageError) as error:
            preprocess_upload(tmp_path / name)
        assert str(error.value).startswith(f"{name}: not an image") and str(tmp_path) not in str(error.value)
