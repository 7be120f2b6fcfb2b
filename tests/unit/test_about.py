"""The About section: it names every preset, says truly what each name means, and why `best` is less sure."""

import re
from dataclasses import asdict
from pathlib import Path

import gradio as gr
import pytest

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.mnist.presets import NOTEBOOK_PRESETS, PRESETS
from rnn_demo.ui.about import about_markdown, build_about, confidence_note, preset_table, smoothed_target

ROOT = Path(__file__).resolve().parents[2]


def rows() -> dict:
    """The preset table's rows: name -> its cells."""
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in preset_table().splitlines()[2:]]
    return {row[0].strip("`"): row[1:] for row in cells}


def test_the_table_names_every_preset_once():
    table = preset_table()
    for name in PRESETS:
        assert len(re.findall(rf"^\| `{re.escape(name)}` \|", table, flags=re.M)) == 1, name
    assert list(rows()) == list(PRESETS)


def test_a_row_reads_as_the_name_does():
    cell, direction, size, norm, head, _, origin = rows()["bilstm-ln-mlp"]
    assert (cell, direction, size, norm) == ("LSTM", "both ways", "1 x 128", "LayerNorm")
    assert head == "Linear 64 -> ReLU -> Linear" and origin == "notebook: 98.04% test"
    cell, direction, size, norm, head, recipe, origin = rows()["rnn-relu-256"]
    assert (cell, size, norm, head) == ("RNN (relu)", "1 x 256", "none", "Linear") and "0.0003" in recipe
    cell, direction, size, _, head, recipe, origin = rows()["best"]
    assert (cell, direction, size, origin) == ("GRU", "both ways", "2 x 256", "ours")
    assert "mean + max" in head and "smoothing 0.05" in recipe


def test_the_name_parts_the_about_explains_hold_for_every_preset_named_by_its_parts():
    by_parts = [n for n in PRESETS if n.split("-")[0].removeprefix("bi") in ("rnn", "lstm", "gru")]
    assert set(NOTEBOOK_PRESETS) <= set(by_parts)          # the rest (fast, best ...) are named by purpose
    for name in by_parts:
        m, parts = PRESETS[name].model, name.split("-")
        assert parts[0].removeprefix("bi") == m.cell, name
        assert parts[0].startswith("bi") == m.bidirectional, name
        assert ("ln" in parts) == (m.norm == "layer") and ("bn" in parts) == (m.norm == "batch"), name
        assert ("mlp" in parts) == (m.head == "mlp"), name
        assert ("relu" in parts) == (m.nonlinearity == "relu"), name


def test_the_shipped_models_are_the_presets_the_table_describes():
    for path in sorted((ROOT / "checkpoints").glob("*.pt")):
        ckpt = load_checkpoint(path)
        if ckpt["kind"] != "row_rnn":
            continue
        assert path.stem in PRESETS, path.name
        assert {**asdict(PRESETS[path.stem].model), **ckpt["config"]} == asdict(PRESETS[path.stem].model), path.name


def test_best_is_less_sure_because_of_its_label_smoothing():
    assert smoothed_target(0.05) == pytest.approx(0.955)       # 1 - 0.05 + 0.05 / 10
    assert smoothed_target(0.0) == 1.0
    e = PRESETS["best"].train.label_smoothing
    assert e > 0 and f"label smoothing {e:g}" in confidence_note()
    assert f"{100 * smoothed_target(e):.1f}%" in confidence_note()


def test_the_about_section_is_a_closed_accordion_with_the_text():
    with gr.Blocks():
        about = build_about()
    assert isinstance(about, gr.Accordion) and about.open is False and about.label == "About this lab"
    (text,) = about.children
    assert text.value == about_markdown() and "reference notebook" in text.value


def test_the_readmes_preset_table_is_the_apps():
    readme = (ROOT / "README.md").read_text()
    start, end = readme.index("<!-- about-presets -->"), readme.index("<!-- /about-presets -->")
    assert readme[start:end].split("-->", 1)[1].strip() == preset_table(), \
        "README's preset table is stale; it should read:\n" + preset_table()
