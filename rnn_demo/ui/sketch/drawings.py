"""What the Sketch tab and its API take as a drawing, read into the 28x28 digit a model sees.

A drawing is a strokes value from the canvas (`rnn_demo.mnist.strokes`), a picture file that
Gradio has checked (sent with gradio_client's `handle_file`), an image array (H, W[, C]) as
nested lists, or a Sketchpad/ImageEditor value {"background", "layers", "composite"}.
"""

import numpy as np

from ...mnist.preprocess import EmptyDrawingError, ImageError, preprocess_sketch, preprocess_upload, to_mnist
from ...mnist.strokes import READ_SIDE, is_strokes, rasterise
from .views import DRAW_A_DIGIT

FILE_DATA = "gradio.FileData"
MAX_DEPTH = 8                 # nesting of lists and dicts: strokes need 5, an (H, W, C) array 3
MAX_VALUES = 500_000          # numbers, strings and containers in one drawing: a 300x300 RGB array fits


def screen(value):
    """`value` if its size and nesting are those of a drawing, else ImageError saying so.

    Walked without recursion before anything else reads it: a value nested thousands deep would
    make Python's own recursion (pickling it to the answering process, or numpy) fail, and with
    it the batch the value came in.
    """
    todo, seen = [(value, 1)], 0
    while todo:
        item, depth = todo.pop()
        seen += 1
        if depth > MAX_DEPTH:
            raise ImageError(f"a drawing is nested at most {MAX_DEPTH} deep: send strokes, a picture "
                             "file or an (H, W) image array")
        if seen > MAX_VALUES:
            raise ImageError(f"a drawing holds at most {MAX_VALUES:,} values: send a picture as a file")
        if isinstance(item, dict):
            todo.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend((v, depth + 1) for v in item)
    return value


def _is_file(value) -> bool:
    """A file Gradio has checked (uploaded through it); a bare {"path": ...} from a client is not."""
    return isinstance(value, dict) and (value.get("meta") or {}).get("_type") == FILE_DATA


def _file_path(value):
    if value is None:
        return None
    if not _is_file(value):
        raise ImageError("send pictures as files (gradio_client: handle_file(path))")
    return value["path"]


def version_of(value):
    """The drawing's version number, if it is a canvas value that has one."""
    version = value.get("version") if isinstance(value, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def digit_from_value(value) -> np.ndarray:
    """(28, 28) float32 in [0, 1] from what `/predict` accepts.

    A strokes drawing (rnn_demo.mnist.strokes), a picture file, an image array (H, W[, C]) as
    nested lists, or a Sketchpad/ImageEditor value {"background", "layers", "composite"}.
    Raises EmptyDrawingError (nothing to read), StrokesError or ImageError (unreadable input).
    """
    if value is None:
        raise EmptyDrawingError(DRAW_A_DIGIT)
    if is_strokes(value):
        return to_mnist(rasterise(value, max_side=READ_SIDE))
    if _is_file(value):
        return preprocess_upload(value["path"])
    if isinstance(value, dict) and {"background", "layers", "composite"} & set(value):
        layers = value.get("layers") or []
        if not isinstance(layers, list):
            raise ImageError("a Sketchpad value's layers must be a list of files")
        return preprocess_sketch({"background": _file_path(value.get("background")),
                                  "layers": [_file_path(layer) for layer in layers],
                                  "composite": _file_path(value.get("composite"))})
    if isinstance(value, list):
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise ImageError("an image array must be a rectangular (H, W) or (H, W, C) list of numbers") from None
        return preprocess_upload(array)
    raise ImageError("not a drawing or a picture: send strokes, a file, an image array or a "
                     "Sketchpad value (see the API page)")
