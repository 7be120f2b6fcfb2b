"""Importing pictures named by label (files, ImageFolder folders, zips) and exporting a set as a zip.

Every bad input gets its own line and the rest of the import still works.
"""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from rnn_demo.bench.handwriting import draw_digit
from rnn_demo.mnist import digit_files
from rnn_demo.mnist.digit_files import LabelError, label_from_name, read_digit, read_pictures, write_zip
from rnn_demo.mnist.my_digits import add_pictures, as_tensors, new_set


def png(label: int, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    draw_digit(label, seed % 2, seed).save(buffer, format="PNG")
    return buffer.getvalue()


def labels_of(found) -> dict:
    return {p.name: p.label for p in found.pictures}


def one_line_about(found, name: str, words: str) -> None:
    lines = [line for line in found.problems if name in line]
    assert len(lines) == 1, (name, found.problems)
    assert words in lines[0], lines[0]


@pytest.mark.parametrize("name, label", [
    ("my3.png", 3), ("MY_7.PNG", 7), ("my-0.jpg", 0),            # the notebook's names
    ("3.png", 3), ("5_anything.png", 5), ("9-from-paper.webp", 9), ("2 two.bmp", 2),
    ("digits/4/a.png", 4), ("4/7_odd.png", 4),                   # ImageFolder: the folder wins
    ("photos/my8.png", 8), (r"set\6\x.png", 6),
])
def test_labels_come_from_the_name_or_the_folder(name, label):
    assert label_from_name(name) == label


@pytest.mark.parametrize("name, words", [
    ("digit.png", "no label in its name"), ("three.png", "no label"), ("x3.png", "no label"),
    ("my12.png", "label 12, outside 0..9"), ("10_a.png", "outside 0..9"), ("12/a.png", "folder 12/"),
])
def test_a_name_without_a_label_0_to_9_says_why(name, words):
    with pytest.raises(LabelError, match=words):
        label_from_name(name)


def test_the_notebooks_flat_folder_of_my0_to_my9(tmp_path):
    for label in range(10):
        (tmp_path / f"my{label}.png").write_bytes(png(label))
    found = read_pictures(tmp_path)
    assert found.problems == []
    assert sorted(labels_of(found).values()) == list(range(10))
    for p in found.pictures:
        assert p.image.shape == (28, 28) and p.image.dtype == np.float32 and p.image.max() == 1.0


def test_an_imagefolder_layout_and_names_with_leading_digits(tmp_path):
    for label in range(10):
        (tmp_path / str(label)).mkdir()
        (tmp_path / str(label) / "a.png").write_bytes(png(label, 1))
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "5_extra.png").write_bytes(png(5, 2))
    found = read_pictures(tmp_path)
    assert found.problems == []
    shown = labels_of(found)
    assert shown[f"{tmp_path.name}/3/a.png"] == 3 and shown[f"{tmp_path.name}/loose/5_extra.png"] == 5
    assert len(shown) == 11


def test_a_zip_of_any_layout_reads_like_the_folder(tmp_path):
    archive = tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("set/2/a.png", png(2))
        z.writestr("set/my7.png", png(7))
        z.writestr("9_x.png", png(9))
        z.writestr("__MACOSX/set/._my7.png", b"resource fork")      # a Mac's metadata: skipped
        z.writestr("set/.DS_Store", b"junk")
    found = read_pictures(archive)
    assert found.problems == []
    assert labels_of(found) == {"mine.zip: set/2/a.png": 2, "mine.zip: set/my7.png": 7,
                                "mine.zip: 9_x.png": 9}


def test_uploads_with_temporary_names_take_the_label_from_the_original_name(tmp_path):
    picture, archive = tmp_path / "tmp8x7f2a", tmp_path / "tmp99q1"
    picture.write_bytes(png(4))
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("1/a.png", png(1))
    found = read_pictures([picture, archive], names=["my4.png", "digits.zip"])
    assert found.problems == []
    assert labels_of(found) == {"my4.png": 4, "digits.zip: 1/a.png": 1}
    assert read_pictures([picture]).problems[0].startswith("tmp8x7f2a: not a picture")


def test_bad_files_get_a_line_each_and_the_rest_is_read(tmp_path):
    (tmp_path / "my1.png").write_bytes(png(1))
    (tmp_path / "digit.png").write_bytes(png(2))                 # no label
    (tmp_path / "my12.png").write_bytes(png(2))                  # label outside 0..9
    (tmp_path / "3_broken.png").write_bytes(png(3)[:60])         # a truncated picture
    (tmp_path / "4_noise.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    Image.new("L", (200, 200), 255).save(tmp_path / "5_blank.png")
    (tmp_path / "notes.txt").write_text("my digits")
    found = read_pictures([tmp_path, tmp_path / "missing.png"])
    assert list(labels_of(found).values()) == [1]
    one_line_about(found, "digit.png", "no label in its name")
    one_line_about(found, "my12.png", "label 12, outside 0..9")
    one_line_about(found, "3_broken.png", "not an image that can be read")
    one_line_about(found, "4_noise.jpg", "not an image that can be read")
    one_line_about(found, "5_blank.png", "no digit found")
    one_line_about(found, "notes.txt", "not a picture")
    one_line_about(found, "missing.png", "no such file or folder")
    assert len(found.problems) == 7


def test_a_corrupted_picture_inside_a_zip_spoils_only_itself(tmp_path):
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("0/good.png", png(0))
        z.writestr("1/bad.png", png(1)[:80])
        z.writestr("2/good.png", png(2))
        z.writestr("nested.zip", b"PK\x05\x06" + b"\0" * 18)
    found = read_pictures(archive)
    assert sorted(labels_of(found).values()) == [0, 2]
    one_line_about(found, "1/bad.png", "not an image that can be read")
    one_line_about(found, "nested.zip", "a zip inside a zip is not read")


def test_paths_that_would_leave_the_folder_are_refused(tmp_path):
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../3_up.png", png(3))
        z.writestr("a/../../3_deep.png", png(3))
        z.writestr("/etc/3_abs.png", png(3))
        z.writestr("C:/3_drive.png", png(3))
        link = zipfile.ZipInfo("3_link.png")
        link.external_attr = 0o120777 << 16                     # a symbolic link
        z.writestr(link, "/etc/passwd")
        z.writestr("3/fine.png", png(3))
    found = read_pictures(archive)
    assert list(labels_of(found)) == ["slip.zip: 3/fine.png"]
    one_line_about(found, "3_up.png", "climbs out of the folder")
    one_line_about(found, "3_deep.png", "climbs out of the folder")
    one_line_about(found, "3_abs.png", "absolute")
    one_line_about(found, "3_drive.png", "absolute")
    one_line_about(found, "3_link.png", "symbolic link")


def test_a_500_mb_zip_is_refused_without_being_read(tmp_path):
    huge = tmp_path / "huge.zip"
    with open(huge, "wb") as f:
        f.truncate(500_000_000)                                  # sparse: costs no disk
    (tmp_path / "my6.png").write_bytes(png(6))
    found = read_pictures([huge, tmp_path / "my6.png"])
    assert labels_of(found) == {"my6.png": 6}
    one_line_about(found, "huge.zip", "500 MB zip is over the 50 MB limit")


def test_a_zip_bomb_is_refused_by_its_compression_ratio_and_the_rest_read(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("4_bomb.bmp", b"\0" * 5_000_000)              # ~5 kB compressed
        z.writestr("4_fine.png", png(4))
    found = read_pictures(archive)
    assert list(labels_of(found).values()) == [4]
    one_line_about(found, "4_bomb.bmp", "looks like a zip bomb")


def test_a_zip_with_too_many_entries_or_bytes_is_refused_whole(tmp_path, monkeypatch):
    crowded = tmp_path / "crowded.zip"
    with zipfile.ZipFile(crowded, "w") as z:
        for i in range(digit_files.MAX_ZIP_ENTRIES + 1):
            z.writestr(f"{i % 10}/{i}.png", b"")
    found = read_pictures(crowded)
    assert found.pictures == [] and len(found.problems) == 1 and "entries is over" in found.problems[0]
    heavy = tmp_path / "heavy.zip"
    with zipfile.ZipFile(heavy, "w") as z:
        for i in range(3):
            z.writestr(f"{i}/a.png", png(i))
    monkeypatch.setattr(digit_files, "MAX_UNZIPPED_BYTES", 1000)
    found = read_pictures(heavy)
    assert found.pictures == [] and "would unpack to" in found.problems[0]


def test_an_import_stops_at_its_picture_limit_with_a_line(tmp_path, monkeypatch):
    monkeypatch.setattr(digit_files, "MAX_PICTURES", 3)
    for i in range(5):
        (tmp_path / f"{i}_a.png").write_bytes(png(i))
    found = read_pictures(tmp_path)
    assert len(found.pictures) == 3 and "stopped at 3 pictures" in found.problems[-1]


def test_an_mnist_style_picture_is_taken_as_it_is():
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 10:14] = 255
    digit[6:22, 14] = 128
    assert np.array_equal(read_digit(Image.fromarray(digit)), digit / np.float32(255))


def test_export_is_an_imagefolder_zip_that_imports_back_unchanged(tmp_path):
    from torchvision.datasets import ImageFolder  # the reference for the layout
    pictures = [(read_digit(draw_digit(label, i % 2, i)), label, f"{label}_{i}.png")
                for i, label in enumerate([0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9])]
    digits, problems = add_pictures(new_set(), pictures)
    assert problems == []
    archive = write_zip(digits, tmp_path / "out" / "my-digits.zip")
    names = zipfile.ZipFile(archive).namelist()
    first = digits["digits"][0]
    assert f"my-digits/0/0_{first['id']}.png" in names and len(names) == 12
    back = read_pictures(archive)
    assert back.problems == [] and [p.label for p in back.pictures] == [d["label"]
                                                                for d in digits["digits"]]
    images, labels = as_tensors(digits)
    for picture, stored in zip(back.pictures, images):
        assert np.array_equal(np.round(picture.image * 255).astype(np.uint8), stored.numpy())
    zipfile.ZipFile(archive).extractall(tmp_path / "unzipped")
    folder = ImageFolder(str(tmp_path / "unzipped" / "my-digits"))
    assert folder.classes == [str(d) for d in range(10)] and len(folder) == 12
    image, index = folder[0]
    assert index == 0 and image.size == (28, 28)
