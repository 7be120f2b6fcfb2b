"""Digit pictures labelled by their names: read files, folders and zips; write a set as a zip.

A picture's label comes from its name, in the ways people already keep digit pictures:

- a folder named by the digit, as torchvision's ImageFolder expects: `digits/3/a.png` is a 3
  (the nearest folder named by a number wins over the file's own name);
- the reference notebook's `my3.png` (also `my_3.png`, `my-3.png`);
- a name that starts with the digit: `3.png`, `3_anything.png`, `3-anything.jpg`.

Any of these may come inside a zip. Each picture becomes a 28x28 MNIST-style digit: a 28x28
grey picture with a black background is already in MNIST's format (it is what `write_zip`
writes) and is taken as it is, so a set survives an export and an import unchanged; anything
else goes through `rnn_demo.mnist.preprocess.preprocess_upload`.

Every file left out gets its own line in `Import.problems` and the rest are still read: no
label in the name, a label outside 0..9, not a picture, a corrupted picture, a blank one, a
path in a zip that would leave its folder (absolute, `..`, a drive, a link), and the limits
below. Limits, so that no upload can fill the memory or the disk: MAX_ZIP_BYTES per zip file,
MAX_ZIP_ENTRIES entries, MAX_UNZIPPED_BYTES unpacked in all, MAX_PICTURE_BYTES per picture,
at most MAX_RATIO times compression for a member over 1 MB (a zip bomb), MAX_PICTURES per
import, and MAX_IMPORT_PIXELS decoded per import (each picture's size read from its header
first, as ink.open_image does). Zips are read in memory, member by member; nothing is ever extracted to disk.
"""

import base64
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from ..atomic import atomic_open
from .ink import PixelBudget, open_image
from .preprocess import EmptyDrawingError, ImageError, preprocess_upload

# The extensions torchvision's ImageFolder reads (torchvision.datasets.folder.IMG_EXTENSIONS).
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
MAX_PICTURES = 2_000
MAX_PICTURE_BYTES = 20_000_000
MAX_ZIP_BYTES = 50_000_000          # the app's upload limit too
MAX_ZIP_ENTRIES = 5_000
MAX_UNZIPPED_BYTES = 200_000_000
MAX_IMPORT_PIXELS = 400_000_000     # decoded in one import: 30 phone photos, or thousands of small digits
MAX_RATIO = 100                     # deflate squeezes real pictures 1-20x; a bomb 1000x
RATIO_FROM_BYTES = 1_000_000        # small members may compress well (a blank BMP): not a bomb
EXPORT_FOLDER = "my-digits"

_MY = re.compile(r"^my[_\- ]?(\d+)$", re.IGNORECASE)              # my3
_LEADING = re.compile(r"^(\d+)(?:[_\-. ].*)?$")                   # 3, 3_anything, 3-x
_NUMBER = re.compile(r"^\d+$")


class LabelError(ValueError):
    """A name that gives no label 0..9; the message says what was wrong and how to name it."""


@dataclass
class Picture:
    name: str                       # as shown to the user: "my3.png", "set.zip: 3/a.png"
    label: int
    image: np.ndarray               # (28, 28) float32 in [0, 1], white ink on black


@dataclass
class Import:
    pictures: list[Picture] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)      # one line per file left out
    stopped: bool = False                                   # a picture was left for MAX_PICTURES
    budget: PixelBudget = field(default_factory=lambda: PixelBudget(MAX_IMPORT_PIXELS))

    def has_room(self) -> bool:
        """Whether one more picture may be read; asked for one too many, it records `stopped`."""
        self.stopped = self.stopped or len(self.pictures) >= MAX_PICTURES
        return not self.stopped


def label_from_name(name: str) -> int:
    """The digit a picture's path names (see the module docstring); LabelError if none."""
    path = PurePosixPath(str(name).replace("\\", "/"))
    if len(path.parts) > 1 and _NUMBER.match(path.parent.name):
        number, where = path.parent.name, f"folder {path.parent.name}/"
    else:
        match = _MY.match(path.stem) or _LEADING.match(path.stem)
        if not match:
            raise LabelError("no label in its name: call it my3.png or 3_anything.png, or put it "
                             "in a folder named 3")
        number, where = match.group(1), "its name"
    if int(number) > 9:
        raise LabelError(f"{where} gives label {number}, outside 0..9")
    return int(number)


def _is_picture(name: str) -> bool:
    return name.lower().endswith(PICTURE_EXTENSIONS)


def _hidden(name: str) -> bool:
    """Dot files and folders, and the __MACOSX copies a Mac adds to a zip: not the user's pictures."""
    return any(part.startswith(".") and part != ".." or part == "__MACOSX"
               for part in PurePosixPath(name).parts)


def _unsafe(name: str) -> str | None:
    """Why a zip member's path would leave the folder it is unpacked into, or None."""
    if "\x00" in name:
        return "its path holds a NUL character"
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "its path is absolute"
    if ".." in parts:
        return "its path climbs out of the folder (..)"
    return None


def read_digit(source, budget: PixelBudget | None = None) -> np.ndarray:
    """(28, 28) float32 MNIST-style digit from a picture (path, file or PIL image).

    Raises ImageError (not a readable picture, or past `budget`, see ink.open_image) or
    EmptyDrawingError (no digit in it).
    """
    image = open_image(source, budget)
    if image.size == (28, 28) and image.mode == "L":
        pixels = np.asarray(image, dtype=np.float32) / 255.0
        if np.median(pixels) < 0.5:                     # already MNIST-style: white on black
            if pixels.max() <= 0.2:
                raise EmptyDrawingError("the picture is blank")
            return pixels
    return preprocess_upload(image)


def _picture(data: io.BytesIO, shown: str, label: int, into: Import) -> None:
    try:
        into.pictures.append(Picture(shown, label, read_digit(data, into.budget)))
    except EmptyDrawingError:
        into.problems.append(f"{shown}: no digit found in it: it is blank, faint or a single dot")
    except ImageError as e:
        into.problems.append(f"{shown}: {str(e).removeprefix('the upload: ')}")


def _read_file(path: Path, shown: str, label_name: str, into: Import) -> None:
    try:
        label = label_from_name(label_name)
    except LabelError as e:
        into.problems.append(f"{shown}: {e}")
        return
    try:
        size = path.stat().st_size
        if size > MAX_PICTURE_BYTES:
            into.problems.append(f"{shown}: {size / 1e6:.0f} MB is over the "
                                 f"{MAX_PICTURE_BYTES / 1e6:.0f} MB limit for one picture")
            return
        data = io.BytesIO(path.read_bytes())
    except OSError as e:
        into.problems.append(f"{shown}: could not be read ({e.strerror or e})")
        return
    _picture(data, shown, label, into)


def _read_folder(folder: Path, shown: str, into: Import) -> None:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if _hidden(relative) or not path.is_file():
                continue
            if not into.has_room():
                return
            where = f"{shown}/{relative}"
            if not _is_picture(name):
                into.problems.append(f"{where}: not a picture ({', '.join(PICTURE_EXTENSIONS)})")
                continue
            _read_file(path, where, relative, into)


def _read_zip(path: Path, shown: str, into: Import) -> None:
    size = path.stat().st_size
    if size > MAX_ZIP_BYTES:
        into.problems.append(f"{shown}: a {size / 1e6:,.0f} MB zip is over the {MAX_ZIP_BYTES / 1e6:.0f} MB "
                             "limit; zip fewer or smaller pictures")
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        into.problems.append(f"{shown}: not a readable zip ({str(e)[:80]})")
        return
    with archive:
        members = archive.infolist()
        declared = sum(m.file_size for m in members)
        if len(members) > MAX_ZIP_ENTRIES:
            into.problems.append(f"{shown}: {len(members):,} entries is over the {MAX_ZIP_ENTRIES:,} "
                                 "limit; nothing was read from it")
            return
        if declared > MAX_UNZIPPED_BYTES:
            into.problems.append(f"{shown}: it would unpack to {declared / 1e6:,.0f} MB, over the "
                                 f"{MAX_UNZIPPED_BYTES / 1e6:.0f} MB limit; nothing was read from it")
            return
        unpacked = 0
        for member in members:
            name = member.filename
            unsafe = _unsafe(name)
            if member.is_dir() or (_hidden(name) and not unsafe):
                continue
            if not into.has_room():
                return
            where = f"{shown}: {name}"
            reason = unsafe or _member_problem(member)
            if reason is None:
                try:
                    label = label_from_name(name)
                except LabelError as e:
                    reason = str(e)
            if reason is not None:
                into.problems.append(f"{where}: {reason}")
                continue
            try:
                with archive.open(member) as f:
                    data = f.read(MAX_PICTURE_BYTES + 1)    # the header's sizes may lie
            # A bad CRC, an encrypted member, an unknown compression, a damaged deflate stream,
            # a truncated archive, a read error: each is this member's own line.
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError,
                    OSError) as e:
                into.problems.append(f"{where}: could not be unpacked ({str(e)[:80]})")
                continue
            unpacked += len(data)
            if len(data) > MAX_PICTURE_BYTES or unpacked > MAX_UNZIPPED_BYTES:
                into.problems.append(f"{where}: unpacks to more than its header said; the rest of "
                                     f"{shown} was not read")
                return
            _picture(io.BytesIO(data), where, label, into)


def _member_problem(member: zipfile.ZipInfo) -> str | None:
    """Why a zip member is not read as a picture (a link, another zip, too big, a bomb), or None."""
    mode = member.external_attr >> 16
    if mode and (mode & 0o170000) == 0o120000:
        return "a symbolic link is not followed"
    if member.filename.lower().endswith(".zip"):
        return "a zip inside a zip is not read; unpack it first"
    if not _is_picture(member.filename):
        return f"not a picture ({', '.join(PICTURE_EXTENSIONS)})"
    if member.file_size > MAX_PICTURE_BYTES:
        return (f"{member.file_size / 1e6:,.0f} MB unpacked is over the "
                f"{MAX_PICTURE_BYTES / 1e6:.0f} MB limit for one picture")
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
        return f"compressed {ratio:,.0f} times (over {MAX_RATIO}): it looks like a zip bomb"
    return None


def read_pictures(sources, names=None) -> Import:
    """Every labelled picture in `sources` (paths of pictures, folders or zips), and the problems.

    `names[i]`, when given, is the original name of `sources[i]`: uploads may arrive under a
    temporary name, and the label is read from the original one.
    """
    sources = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    names = list(names) if names is not None else [None] * len(sources)
    if len(names) != len(sources):
        raise ValueError(f"{len(sources)} sources but {len(names)} names")
    into = Import()
    for source, name in zip(sources, names):
        path = Path(source)
        shown = str(name) if name else path.name
        if not into.has_room():
            continue
        if path.is_dir():
            _read_folder(path, shown, into)
        elif not path.is_file():
            into.problems.append(f"{shown}: no such file or folder")
        elif shown.lower().endswith(".zip") or (not _is_picture(shown) and zipfile.is_zipfile(path)):
            _read_zip(path, shown, into)
        elif _is_picture(shown):
            _read_file(path, shown, shown, into)
        else:
            into.problems.append(f"{shown}: not a picture ({', '.join(PICTURE_EXTENSIONS)}) or a zip")
    if into.stopped:
        into.problems.append(f"stopped at {MAX_PICTURES:,} pictures, the most one import takes; "
                             "the rest were not read")
    return into


def write_zip(digits: dict, path) -> Path:
    """Write a checked set (see rnn_demo.mnist.my_digits) as `my-digits/<label>/<label>_<id>.png`.

    The layout torchvision's ImageFolder reads once unzipped; each picture is the stored
    28x28 MNIST-style PNG (white on black), written as it is. ImageFolder numbers classes by
    sorted folder name, so class index and digit agree only when all ten digits are present.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in digits["digits"]:
            label = entry["label"]
            archive.writestr(f"{EXPORT_FOLDER}/{label}/{label}_{entry['id']}.png",
                             base64.b64decode(entry["png"]))
    return path
