"""My digits: a personal set of labelled 28x28 digits as plain JSON data that a browser can keep.

The set lives in the browser's localStorage (through gr.BrowserState), so it is one compact,
JSON-serialisable value and every function here returns a new one instead of changing its input::

    {"version": 1,
     "digits": [{"id": "5f3a9c1e",                  # 8 hex digits, unique in the set
                 "label": 3,                        # 0-9
                 "png": "iVBORw0KGgo...",           # base64 PNG, 28x28, 8-bit grey
                 "source": "sketch",                # or the imported file's name
                 "created": "2026-12-01T10:00:00Z", # UTC, to the second
                 "drawing": null}]}                 # or any JSON value, e.g. the strokes

The picture is MNIST-style, as `rnn_demo.mnist.preprocess` makes it: white ink on black, the
digit boxed to 20x20 and centred by mass, stored as uint8 like MNIST's own files (a PNG of it
is 100-400 bytes). `drawing` is opaque here: the Sketch tab keeps what it needs to redraw the
digit (strokes as point lists, canvas size, brush width) and this module only caps its size.

Limits: MAX_DIGITS digits and MAX_SET_BYTES of JSON in all (about 1.33 times as many
characters in localStorage once gr.BrowserState has encrypted and base64-encoded it; browsers
allow about 5 million per site). A drawing over MAX_DRAWING_BYTES, or one that would take the
set over its budget, is left out and the digit kept, with a note saying so.

A value coming back from a browser is never trusted: `parse_set` checks it and keeps the
digits that pass, with one line per digit left out; a value that is not a set at all, or is
over the limits, gives an empty set and one line saying why.
"""

import base64
import binascii
import datetime as _dt
import io
import json
import re
import secrets

import numpy as np
import torch
from PIL import Image

VERSION = 1
MAX_DIGITS = 1000
MAX_SET_BYTES = 1_500_000       # compact JSON; ~2 MB in localStorage after encryption + base64
MAX_DRAWING_BYTES = 8_000       # one digit's drawing, as compact JSON
MAX_PNG_CHARS = 4_000           # base64 of a 28x28 grey PNG is 100-600 characters
MAX_SOURCE_CHARS = 120
SIDE = 28
_ID = re.compile(r"^[0-9a-f]{8}$")


class MyDigitsError(ValueError):
    """A digit cannot be added (bad label or picture, the set is full); the message says why."""


def new_set() -> dict:
    """An empty set."""
    return {"version": VERSION, "digits": []}


def _json_size(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_uint8(image) -> np.ndarray:
    """(28, 28) floats in [0, 1] (preprocess's output) or uint8 -> uint8 (28, 28)."""
    array = np.asarray(image)
    if array.shape != (SIDE, SIDE):
        raise MyDigitsError(f"a digit is a 28x28 image, got shape {array.shape}")
    if array.dtype == np.uint8:
        return array.copy()
    array = np.nan_to_num(array.astype(np.float32))
    return (array.clip(0.0, 1.0) * 255.0).round().astype(np.uint8)


def encode_png(image) -> str:
    """(28, 28) image -> base64 text of an 8-bit grey PNG."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image), mode="L").save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_png(text: str) -> np.ndarray:
    """base64 PNG text -> uint8 (28, 28); MyDigitsError if it is not one."""
    if not isinstance(text, str) or len(text) > MAX_PNG_CHARS:
        raise MyDigitsError("its picture is missing or too long for a 28x28 PNG")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(text, validate=True)))
    except (binascii.Error, OSError, SyntaxError, ValueError) as e:
        raise MyDigitsError("its picture is not a readable PNG") from e
    with image:
        if image.size != (SIDE, SIDE):           # checked before the pixels are decoded
            raise MyDigitsError(f"its picture is {image.size[0]}x{image.size[1]}, not 28x28")
        try:
            return np.asarray(image.convert("L"), dtype=np.uint8).copy()
        except (OSError, SyntaxError, ValueError) as e:
            raise MyDigitsError("its picture is not a readable PNG") from e


def _label(value) -> int:
    # bool is an int in Python; True is not a digit.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= 9:
        raise MyDigitsError(f"label {value!r} is not a digit 0-9")
    return int(value)


def _new_id(taken) -> str:
    while (digit_id := secrets.token_hex(4)) in taken:
        pass
    return digit_id


def add_digit(digits: dict, image, label, *, source: str = "sketch", drawing=None,
              digit_id: str | None = None, created: str | None = None) -> tuple[dict, str]:
    """(the set with one more digit, a line to show). `digits` comes from new_set or parse_set;
    `image` is (28, 28), floats in [0, 1] (what preprocess returns) or uint8.

    Raises MyDigitsError for a label outside 0-9, a picture that is not 28x28, or a full set.
    A drawing that is too large is left out and the note says so.
    """
    label = _label(label)
    entries = list(digits["digits"])
    if len(entries) >= MAX_DIGITS:
        raise MyDigitsError(f"my digits are full ({MAX_DIGITS:,} digits): delete some, or export "
                            "them and clear the set")
    taken = {d["id"] for d in entries}
    entry = {"id": digit_id or _new_id(taken), "label": label, "png": encode_png(image),
             "source": str(source)[:MAX_SOURCE_CHARS], "created": created or _now(), "drawing": None}
    if entry["id"] in taken:
        raise MyDigitsError(f"a digit with id {entry['id']!r} is already in the set")
    note = ""
    if drawing is not None:
        size = _json_size(drawing)
        if size > MAX_DRAWING_BYTES:
            note = f" (its drawing, {size:,} bytes, is over {MAX_DRAWING_BYTES:,} and was not kept)"
        else:
            entry["drawing"] = drawing
    new = {"version": VERSION, "digits": entries + [entry]}
    if _json_size(new) > MAX_SET_BYTES and entry["drawing"] is not None:
        entry["drawing"] = None
        note = " (its drawing was not kept: the set is near its storage budget)"
    if _json_size(new) > MAX_SET_BYTES:
        raise MyDigitsError(f"my digits are full ({MAX_SET_BYTES / 1e6:.1f} MB of browser storage): "
                            "delete some, or export them and clear the set")
    return new, f"saved a {label} ({len(new['digits'])} digits){note}"


def add_pictures(digits: dict, pictures) -> tuple[dict, list[str]]:
    """Add imported (image, label, source) triples; (the set, one line per digit not added)."""
    problems = []
    for image, label, source in pictures:
        try:
            digits, _ = add_digit(digits, image, label, source=source)
        except MyDigitsError as e:
            problems.append(f"{source}: {e}")
    return digits, problems


def delete_digit(digits: dict, digit_id: str) -> dict:
    """The set without the digit `digit_id` (unchanged if there is none)."""
    return {"version": VERSION, "digits": [d for d in digits["digits"] if d["id"] != digit_id]}


def clear() -> dict:
    """An empty set (what "clear my digits" stores)."""
    return new_set()


def _check_digit(entry) -> dict:
    """A clean copy of one stored digit, or MyDigitsError saying what is wrong with it."""
    if not isinstance(entry, dict):
        raise MyDigitsError("not a digit record")
    digit_id = entry.get("id")
    if not isinstance(digit_id, str) or not _ID.match(digit_id):
        raise MyDigitsError(f"id {str(digit_id)[:20]!r} is not 8 hex digits")
    label = _label(entry.get("label"))
    decode_png(entry.get("png"))
    source, created = entry.get("source", ""), entry.get("created", "")
    if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
        raise MyDigitsError("its source is not a short text")
    if not isinstance(created, str) or len(created) > 40:
        raise MyDigitsError("its creation time is not a short text")
    drawing = entry.get("drawing")
    if drawing is not None and _json_size(drawing) > MAX_DRAWING_BYTES:
        raise MyDigitsError(f"its drawing is over {MAX_DRAWING_BYTES:,} bytes")
    return {"id": digit_id, "label": label, "png": entry["png"], "source": source,
            "created": created, "drawing": drawing}


def parse_set(value) -> tuple[dict, list[str]]:
    """(a clean set, problems) from whatever a browser sent back; never raises.

    None (a browser with nothing stored) is an empty set. A value that is not a set, is of
    another version, or is over MAX_DIGITS or MAX_SET_BYTES is ignored with one line; a digit
    record that does not check out (or repeats an id) is left out with one line.
    """
    if value is None:
        return new_set(), []
    try:
        size = _json_size(value)
    except (TypeError, ValueError, RecursionError):
        return new_set(), ["my digits: the stored value is not JSON data; it was ignored"]
    if not isinstance(value, dict) or not isinstance(value.get("digits"), list):
        return new_set(), ["my digits: the stored value is not a set of digits; it was ignored"]
    if value.get("version") != VERSION:
        return new_set(), [f"my digits: the stored set is version {str(value.get('version'))[:20]}, "
                           f"this app reads version {VERSION}; it was ignored"]
    if size > MAX_SET_BYTES or len(value["digits"]) > MAX_DIGITS:
        return new_set(), [f"my digits: the stored set ({len(value['digits']):,} digits, {size:,} "
                           f"bytes) is over the limits ({MAX_DIGITS:,} digits, {MAX_SET_BYTES:,} "
                           "bytes); it was ignored"]
    clean, problems, seen = [], [], set()
    for i, entry in enumerate(value["digits"]):
        try:
            digit = _check_digit(entry)
            if digit["id"] in seen:
                raise MyDigitsError(f"id {digit['id']!r} repeats an earlier digit's")
        except MyDigitsError as e:
            problems.append(f"my digits: digit {i + 1} left out: {e}")
            continue
        seen.add(digit["id"])
        clean.append(digit)
    return {"version": VERSION, "digits": clean}, problems


def as_tensors(digits: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 28, 28) and int64 labels (N,) of a set that `parse_set` has checked."""
    entries = digits["digits"]
    images = np.stack([decode_png(d["png"]) for d in entries]) if entries else np.zeros((0, SIDE, SIDE),
                                                                                         np.uint8)
    labels = torch.tensor([d["label"] for d in entries], dtype=torch.int64)
    return torch.from_numpy(images), labels


def counts(digits: dict) -> list[int]:
    """How many digits of each label 0-9 the set holds."""
    return np.bincount([d["label"] for d in digits["digits"]], minlength=10).tolist()
