"""My digits in the Sketch tab: save drawings with their label, import and export them, score every model.

The set lives in this browser only (gr.BrowserState, see `rnn_demo.mnist.my_digits` for its
format and limits): it survives a reload and a server restart, and two visitors of one server
never see each other's digits, because the server keeps none of them. Every handler reads the
set back with `parse_set`, never trusting it, and `mine`: behind a login a set is marked with
its user's id, and another user signed in on the same browser starts from an empty set (the
logout button also clears it; ui/visitors.py). The strip is one gr.HTML component drawn from the
stored PNGs, so showing a thousand digits writes no file.

Handlers first (module level, the model registry passed in), then `build_my_digits`.
"""

import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from ...mnist.digit_files import read_pictures, write_zip
from ...mnist.my_digits import MyDigitsError, add_digit, add_pictures, as_tensors, clear, counts, parse_set
from ...mnist.my_digits import delete_digit as delete_from_set
from ...mnist.preprocess import EmptyDrawingError, ImageError
from ...mnist.registry import ModelRegistry
from ...mnist.runs.manager import RunManager
from ...mnist.scoring import MIN_CONFUSION_DIGITS, accuracy_table, score
from ...mnist.strokes import StrokesError
from ..browser import browser_state
from ..handlers import bind
from ..visitors import Visitors
from .adapt_view import build_adapt
from .drawings import digit_from_value
from .stored_set import marked, mine

SCORE_HEADERS = ["model", "right", "accuracy on my digits", "MNIST test accuracy"]
DRAWING_KEYS = ("width", "height", "brush", "eraser", "strokes")     # what redraws a digit

STRIP_TEMPLATE = """
<div class="strip">
  {{#each value}}
  <figure class="tile {{#if this.wrong}}wrong{{/if}}" data-id="{{this.id}}" title="{{this.title}}">
    <img src="data:image/png;base64,{{this.png}}" width="56" height="56" alt="a {{this.label}}">
    <figcaption>{{this.caption}}</figcaption>
    <button type="button" class="delete" data-id="{{this.id}}" title="Delete this digit">×</button>
  </figure>
  {{/each}}
</div>
"""

STRIP_CSS = """
.strip { display: flex; flex-wrap: wrap; gap: 6px; max-height: 330px; overflow-y: auto; }
.tile { position: relative; margin: 0; padding: 3px; border: 2px solid transparent; border-radius: 6px;
  background: var(--background-fill-secondary); text-align: center; width: 64px; }
.tile img { image-rendering: pixelated; display: block; margin: 0 auto; }
.tile figcaption { font-size: 11px; line-height: 1.3; }
.tile.wrong { border-color: #d62728; }
.tile.wrong figcaption { color: #d62728; font-weight: 700; }
.tile .delete { position: absolute; top: 0; right: 2px; border: none; background: none; cursor: pointer;
  color: var(--body-text-color-subdued); font-size: 14px; padding: 0 2px; }
.tile .delete:hover { color: #d62728; }
"""

STRIP_JS = """
element.addEventListener('click', e => {
  const b = e.target.closest('button.delete');
  if (b) trigger('delete', {id: b.dataset.id});
});
"""


def _summary(digits: dict, notes=()) -> str:
    """The set's size and counts per digit, then any lines about it."""
    n = len(digits["digits"])
    lines = [f"**{n} digit{'s' if n != 1 else ''}** in your set"
             + (": " + ", ".join(f"{d}×{c}" for d, c in enumerate(counts(digits)) if c) if n else
                ". Draw a digit, then press the button with its label.")]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines)


def views(registry: ModelRegistry, stored, model_path, request: gr.Request):
    """(strip tiles, summary, every model's score, confusion counts) for the set and the chosen model."""
    digits, notes = mine(stored, request)
    entries = digits["digits"]
    if not entries:
        return [], _summary(digits, notes), pd.DataFrame(columns=SCORE_HEADERS), \
            gr.Dataframe(visible=False)
    images, labels = as_tensors(digits)
    entry = registry.scan().choose(model_path)
    result = score(registry.model(entry.path), images, labels) if entry is not None else None
    tiles = []
    for i, d in enumerate(entries):
        tile = {"id": d["id"], "png": d["png"], "label": d["label"], "wrong": False,
                "caption": f"{d['label']}", "title": f"{d['label']} from {d['source']}"}
        if result is not None:
            answer = result.predictions[i]
            tile.update(wrong=answer != d["label"], caption=f"{d['label']} → {answer}"
                        + (" ✗" if answer != d["label"] else ""),
                        title=f"{d['label']} from {d['source']}; {entry.name} reads {answer} "
                              f"({100 * result.confidences[i]:.0f}%)")
        tiles.append(tile)
    table, warnings = accuracy_table(registry, images, labels)
    scores = pd.DataFrame([[s.name, f"{s.correct}/{s.total}", f"{100 * s.accuracy:.1f}%",
                            "?" if s.mnist_test_acc is None else f"{100 * s.mnist_test_acc:.2f}%"]
                           for s in table], columns=SCORE_HEADERS)
    if result is not None and result.confusion is not None:
        confusion = gr.Dataframe(pd.DataFrame(result.confusion, columns=[f"read {d}" for d in range(10)])
                                 .assign(drawn=[f"{d}" for d in range(10)]).set_index("drawn").reset_index(),
                                 visible=True, label=f"{entry.name}: how each digit you drew was read "
                                                     "(rows: the label, columns: the answer)")
    else:
        confusion = gr.Dataframe(visible=False)
    extra = [] if result is None or result.confusion is not None else \
        [f"A confusion count appears from {MIN_CONFUSION_DIGITS} digits on."]
    return tiles, _summary(digits, [*notes, *warnings, *extra]), scores, confusion


def save(stored, drawing, evt: gr.EventData, request: gr.Request):
    """A "Save as" button pressed: the drawing added to the set with that label; (the set, what happened)."""
    digits, _ = mine(stored, request)
    label = getattr(evt, "label", None)
    try:
        image = digit_from_value(drawing)
        kept = {k: drawing[k] for k in DRAWING_KEYS if k in drawing} if isinstance(drawing, dict) else None
        digits, note = add_digit(digits, image, label, source="sketch", drawing=kept)
    except EmptyDrawingError:
        note = f"Nothing saved: draw a {label} first, then press {label}."
    except (StrokesError, ImageError, MyDigitsError) as e:
        note = f"Nothing saved: {e}"
    return marked(digits, request), note


def delete(stored, evt: gr.EventData, request: gr.Request):
    """A tile's × pressed: the set without that digit."""
    digits, _ = mine(stored, request)
    return marked(delete_from_set(digits, str(getattr(evt, "id", ""))), request), "Deleted one digit."


def import_files(stored, files, request: gr.Request):
    """Pictures named by label (my3.png, 3_x.png, folders 0/..9/, or zips of them) added to the set."""
    digits, problems = mine(stored, request)
    paths = [str(f) for f in files or []]
    result = read_pictures(paths, [Path(p).name for p in paths])
    before = len(digits["digits"])
    digits, refused = add_pictures(digits, [(p.image, p.label, p.name) for p in result.pictures])
    notes = [f"Imported {len(digits['digits']) - before} digit(s) from {len(paths)} file(s)."]
    notes += [f"- {line}" for line in (*result.problems, *refused, *problems)]
    return marked(digits, request), None, "\n".join(notes)


def export_zip(stored, request: gr.Request):
    """The set as a zip in torchvision's ImageFolder layout (my-digits/<label>/*.png)."""
    digits, _ = mine(stored, request)
    if not digits["digits"]:
        raise gr.Error("Your set is empty: save or import some digits first.", print_exception=False)
    folder = Path(tempfile.mkdtemp(prefix="my-digits-"))
    return gr.File(str(write_zip(digits, folder / "my-digits.zip")), visible=True)


def clear_set():
    """Every digit of the set deleted."""
    return clear(), gr.Button(visible=False), "Your set is now empty."


def build_my_digits(registry: ModelRegistry, secret: str, sketch, model_dd, manager: RunManager | None = None,
                    visitors: Visitors | None = None):
    """The My digits section, wired to the canvas (its "Save as" buttons) and the model choice;
    with the lab's run manager and visitors, also the "Adapt" button (adapt_view.py)."""
    stored = browser_state("my-digits", secret)
    with gr.Accordion("My digits: your handwriting, every model's score on it", open=True,
                      elem_id="my-digits"):
        summary = gr.Markdown(_summary(parse_set(None)[0]), elem_id="my-digits-summary")
        note = gr.Markdown(elem_id="my-digits-note")
        strip = gr.HTML([], html_template=STRIP_TEMPLATE, css_template=STRIP_CSS, js_on_load=STRIP_JS,
                        apply_default_css=False, elem_id="my-digits-strip")
        with gr.Row():
            scores = gr.Dataframe(pd.DataFrame(columns=SCORE_HEADERS), label="Every model on my digits",
                                  interactive=False, elem_id="my-digits-scores", scale=3)
            confusion = gr.Dataframe(visible=False, interactive=False, elem_id="my-digits-confusion", scale=3)
        with gr.Row():
            upload = gr.File(file_count="multiple", label="Import pictures named by label (my3.png, "
                             "3_anything.png, folders 0/ ... 9/, or a zip of those)",
                             file_types=["image", ".zip"], elem_id="my-digits-import", scale=2)
            with gr.Column(scale=1):
                export_btn = gr.Button("Export as zip (ImageFolder layout)", size="sm",
                                       elem_id="my-digits-export")
                exported = gr.File(visible=False, label="Your digits", elem_id="my-digits-zip")
                clear_btn = gr.Button("Clear my digits", size="sm", variant="stop", elem_id="my-digits-clear")
                confirm_btn = gr.Button("Yes, delete every digit in my set", size="sm", variant="stop",
                                        visible=False, elem_id="my-digits-confirm")
        if manager is not None and visitors is not None:
            build_adapt(manager, visitors, registry, stored, model_dd)
        gr.Markdown("Your digits are kept in this browser only (its local storage): the server keeps "
                    "none of them, and other visitors cannot see them. Adapting sends them to the "
                    "server for that run only: it keeps them in memory, never on disk, and drops them "
                    "when the run ends, however it ends. The adapted "
                    "model is shared like every run (any visitor can pick it or export it), so adapt "
                    "only to digits you are happy to share a model of.",
                    elem_id="my-digits-privacy")

    # Actions change the stored set; its change event (also fired when a page loads a stored set)
    # redraws the views, as does a new model choice.
    private = dict(api_visibility="private", show_progress="hidden")
    sketch.save(save, [stored, sketch], [stored, note], **private)
    strip.delete(delete, stored, [stored, note], **private)
    upload.upload(import_files, [stored, upload], [stored, upload, note], **private)
    export_btn.click(export_zip, stored, exported, **private)
    clear_btn.click(lambda: gr.Button(visible=True), None, confirm_btn, queue=False, **private)
    confirm_btn.click(clear_set, None, [stored, confirm_btn, note], **private)
    gr.on([stored.change, model_dd.change], bind(views, registry), [stored, model_dd],
          [strip, summary, scores, confusion], trigger_mode="always_last", **private)
    return stored
