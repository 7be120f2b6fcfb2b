"""My digits as browser data: compact JSON, capped, and never trusted when it comes back."""

import base64
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from rnn_demo.mnist import my_digits
from rnn_demo.mnist.my_digits import (
    MyDigitsError,
    add_digit,
    as_tensors,
    clear,
    counts,
    delete_digit,
    new_set,
    parse_set,
)


def digit(seed: int) -> np.ndarray:
    """A (28, 28) float image in [0, 1], as preprocess makes them."""
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def through_a_browser(value):
    """What comes back after a value has been stored as JSON."""
    return json.loads(json.dumps(value))


def png_of(array) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def small_set(n=3):
    digits = new_set()
    for i in range(n):
        digits, _ = add_digit(digits, digit(i), i % 10, source=f"my{i}.png")
    return digits


def test_a_set_survives_json_with_its_pictures_labels_and_drawings():
    drawing = {"strokes": [[[10, 20], [30, 40]]], "canvas": [448, 448], "brush": 18}
    digits, note = add_digit(new_set(), digit(0), 3, drawing=drawing)
    digits, _ = add_digit(digits, digit(1), 7, source="7_x.png")
    assert note == "saved a 3 (1 digits)"
    back, problems = parse_set(through_a_browser(digits))
    assert problems == [] and back == digits
    images, labels = as_tensors(back)
    assert images.dtype == torch.uint8 and images.shape == (2, 28, 28)
    assert labels.tolist() == [3, 7] and counts(back)[3] == counts(back)[7] == 1
    expected = (digit(0) * 255).round().astype(np.uint8)
    assert np.array_equal(images[0].numpy(), expected)           # stored as MNIST stores: uint8
    first = back["digits"][0]
    assert first["drawing"] == drawing and first["source"] == "sketch"
    assert len(first["id"]) == 8 and first["created"].endswith("Z")


def test_a_digit_costs_well_under_a_kilobyte_of_browser_storage():
    mnist_like = np.zeros((28, 28), np.float32)
    mnist_like[4:24, 12:16] = 1.0
    digits = new_set()
    for i in range(20):
        digits, _ = add_digit(digits, np.roll(mnist_like, i % 5, axis=1), i % 10)
    size = len(json.dumps(digits, separators=(",", ":")))
    assert size / 20 < 600, size / 20
    assert my_digits.MAX_DIGITS * size / 20 < my_digits.MAX_SET_BYTES


def test_adding_returns_a_new_set_and_delete_and_clear_do_what_they_say():
    digits = small_set(3)
    before = json.dumps(digits)
    grown, _ = add_digit(digits, digit(9), 9)
    assert json.dumps(digits) == before and len(grown["digits"]) == 4
    gone = delete_digit(grown, grown["digits"][1]["id"])
    assert [d["label"] for d in gone["digits"]] == [0, 2, 9]
    assert delete_digit(gone, "ffffffff") == gone
    assert clear() == new_set() and parse_set(clear()) == (new_set(), [])


@pytest.mark.parametrize("label", [10, -1, True, "3", 2.0, None])
def test_a_label_outside_0_to_9_is_refused(label):
    with pytest.raises(MyDigitsError, match="is not a digit 0-9"):
        add_digit(new_set(), digit(0), label)


def test_a_picture_that_is_not_28x28_is_refused():
    with pytest.raises(MyDigitsError, match="28x28"):
        add_digit(new_set(), np.zeros((20, 20)), 1)


def test_a_full_set_refuses_more_digits(monkeypatch):
    monkeypatch.setattr(my_digits, "MAX_DIGITS", 3)
    with pytest.raises(MyDigitsError, match="full .3 digits"):
        add_digit(small_set(3), digit(5), 5)


def test_a_drawing_too_large_is_left_out_and_the_digit_kept():
    big = {"strokes": [[[i, i] for i in range(5000)]]}
    digits, note = add_digit(new_set(), digit(0), 4, drawing=big)
    assert digits["digits"][0]["drawing"] is None and "was not kept" in note
    assert digits["digits"][0]["label"] == 4


def test_near_the_byte_budget_drawings_go_first_then_digits_are_refused(monkeypatch):
    def size(value):
        return len(json.dumps(value, separators=(",", ":")))
    per_digit = size(small_set(1)) - size(new_set())
    monkeypatch.setattr(my_digits, "MAX_SET_BYTES", size(new_set()) + 2 * per_digit + 100)
    digits, note = add_digit(small_set(1), digit(1), 1, drawing={"strokes": [[[100, 200]] * 60]})
    assert digits["digits"][1]["drawing"] is None and "storage budget" in note
    with pytest.raises(MyDigitsError, match="MB of browser storage"):
        add_digit(digits, digit(2), 2)


@pytest.mark.parametrize("value, message", [
    ("a string", "not a set of digits"),
    ([1, 2, 3], "not a set of digits"),
    ({"digits": "none"}, "not a set of digits"),
    ({"version": 2, "digits": []}, "version 2"),
    ({"version": 1, "digits": [{1, 2}]}, "not JSON data"),
])
def test_a_stored_value_that_is_not_a_set_is_ignored_with_one_line(value, message):
    digits, problems = parse_set(value)
    assert digits == new_set() and len(problems) == 1 and message in problems[0]


def test_an_oversized_stored_set_is_ignored_with_one_line(monkeypatch):
    stored = through_a_browser(small_set(4))
    monkeypatch.setattr(my_digits, "MAX_DIGITS", 3)
    digits, problems = parse_set(stored)
    assert digits == new_set() and len(problems) == 1 and "over the limits" in problems[0]


def test_bad_digit_records_are_left_out_one_line_each_and_the_rest_kept():
    good = through_a_browser(small_set(2))["digits"]
    tall = png_of(np.zeros((30000, 1)))                         # a picture, but not a digit's
    records = [
        good[0],
        {**good[1], "label": 11},
        {**good[1], "png": "not base64!"},
        {**good[1], "png": base64.b64encode(b"not a png").decode()},
        {**good[1], "png": tall},
        {**good[1], "id": "../../x"},
        {**good[1], "drawing": {"s": "x" * 20_000}},
        "a string",
        good[0],                                                 # the same id again
        good[1],
    ]
    digits, problems = parse_set({"version": 1, "digits": records})
    assert [d["id"] for d in digits["digits"]] == [good[0]["id"], good[1]["id"]]
    assert len(problems) == 8
    for line, words in zip(problems, ["label 11", "not a readable PNG", "not a readable PNG",
                                      "30000", "not 8 hex digits", "drawing is over",
                                      "not a digit record", "repeats"]):
        assert words in line, (words, line)
    assert all(line.startswith("my digits: digit ") for line in problems)
