"""The My digits section's handlers, called directly: a browser's set is never trusted."""

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image, ImageDraw

from rnn_demo.mnist.my_digits import add_digit, new_set, parse_set
from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.ui.sketch.my_digits import delete, export_zip, import_files, save, views
from rnn_demo.ui.sketch.stored_set import mine

CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"
ONE = {"width": 448, "height": 448, "brush": 28, "version": 3, "live": False,
       "strokes": [{"points": [[224, 60], [220, 390]], "erase": False}]}


def event(**data):
    return SimpleNamespace(**data)


def test_saving_keeps_the_digit_its_label_and_its_strokes():
    stored, note = save(None, ONE, event(label=1), None)
    digits, problems = parse_set(stored)
    assert not problems and [d["label"] for d in digits["digits"]] == [1] and "saved a 1" in note
    assert digits["digits"][0]["drawing"] == {k: ONE[k] for k in ("width", "height", "brush", "strokes")}


def test_saving_refuses_a_bad_label_an_empty_canvas_and_a_forged_set():
    for label in ("7", 11, None, -1):
        stored, note = save(None, ONE, event(label=label), None)
        assert parse_set(stored)[0]["digits"] == [] and note.startswith("Nothing saved"), (label, note)
    stored, note = save(None, {**ONE, "strokes": []}, event(label=3), None)
    assert note == "Nothing saved: draw a 3 first, then press 3."
    stored, note = save({"version": 1, "digits": "lots"}, ONE, event(label=1), None)
    assert len(parse_set(stored)[0]["digits"]) == 1        # the forged value was dropped, not trusted


def test_deleting_by_the_tile_id():
    stored, _ = save(None, ONE, event(label=1), None)
    stored, _ = save(stored, ONE, event(label=7), None)
    first = stored["digits"][0]["id"]
    stored, note = delete(stored, event(id=first), None)
    assert [d["label"] for d in stored["digits"]] == [7] and note == "Deleted one digit."


def test_views_score_every_model_and_mark_misreads():
    registry = ModelRegistry(CHECKPOINTS)
    stored, _ = save(None, ONE, event(label=1), None)
    stored, _ = save(stored, ONE, event(label=8), None)                 # a 1 labelled 8: misread
    tiles, summary, scores, confusion = views(registry, stored, "fast", None)
    assert [t["wrong"] for t in tiles] == [False, True] and tiles[1]["caption"] == "8 → 1 ✗"
    assert "2 digits" in summary and len(scores) == len(registry.scan().entries)
    assert set(scores["right"]) <= {"1/2", "0/2", "2/2"}


def test_importing_pictures_named_by_label_reports_each_bad_file(tmp_path):
    seven = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(seven).line([(40, 40), (160, 40), (80, 180)], fill=0, width=14)
    seven.save(tmp_path / "my7.png")
    (tmp_path / "3_broken.png").write_text("not a picture")
    seven.save(tmp_path / "unlabelled.png")
    stored, cleared, note = import_files(None, [str(tmp_path / n) for n in ("my7.png", "3_broken.png",
                                                                             "unlabelled.png")], None)
    assert [d["label"] for d in stored["digits"]] == [7] and cleared is None
    assert "Imported 1 digit(s) from 3 file(s)" in note
    assert "3_broken.png" in note and "unlabelled.png" in note


def test_exporting_writes_an_imagefolder_zip(tmp_path):
    import zipfile
    digits, _ = add_digit(new_set(), np.zeros((28, 28)), 5)
    update = export_zip(digits, None)
    names = zipfile.ZipFile(update.value["path"] if isinstance(update.value, dict) else update.value).namelist()
    assert len(names) == 1 and names[0].startswith("my-digits/5/5_")


class SignedIn:
    def __init__(self, username):
        self.username, self.headers = username, {}


def test_behind_a_login_the_next_user_of_a_browser_does_not_get_the_last_ones_digits():
    alice, bob = SignedIn("alice"), SignedIn("bob")
    stored, _ = save(None, ONE, event(label=1), alice)
    stored, _ = save(stored, ONE, event(label=7), alice)
    assert len(mine(stored, alice)[0]["digits"]) == 2
    hidden, notes = mine(stored, bob)
    assert hidden["digits"] == [] and "saved by someone else" in notes[0]
    tiles, summary, _, _ = views(None, stored, "fast", bob)
    assert tiles == [] and "saved by someone else" in summary
    anonymous, _ = save(None, ONE, event(label=3), None)               # saved before the login
    assert mine(anonymous, alice)[0]["digits"] == [] and len(mine(anonymous, None)[0]["digits"]) == 1
    with pytest.raises(gr.Error, match="empty"):
        export_zip(stored, bob)
    stored, _ = save(stored, ONE, event(label=4), bob)                # bob's set replaces it
    assert [d["label"] for d in mine(stored, bob)[0]["digits"]] == [4]
    assert mine(stored, alice)[0]["digits"] == []
    assert "alice" not in str(stored) and "bob" not in str(stored)      # marked by an id, not a name
