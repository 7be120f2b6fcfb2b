"""The "Adapt to my handwriting" button's handler, called directly: a run of the browser's owner,
streamed progress, an honest before/after table, and the adapted model chosen at the end."""

import shutil

import gradio as gr
import pytest

from rnn_demo.mnist.runs.quotas import owner_id
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.my_digits import add_pictures, new_set
from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.mnist.runs.manager import RunManager
from rnn_demo.ui.sketch import adapt_view
from rnn_demo.ui.sketch.adapt_view import adapt_start
from rnn_demo.ui.visitors import Visitors


@pytest.fixture
def lab(tmp_path, tiny_checkpoint, monkeypatch):
    """A manager on synthetic MNIST, a registry with the tiny model, quick fine-tunes."""
    (tmp_path / "checkpoints").mkdir()
    shutil.copy(tiny_checkpoint[0], tmp_path / "checkpoints" / "tiny.pt")
    manager = RunManager(tmp_path / "runs", splits_factory=lambda device: synthetic_splits(device=device))
    registry = ModelRegistry(tmp_path / "checkpoints", tmp_path / "runs")
    monkeypatch.setattr(adapt_view, "ADAPT_SECONDS", 2.0)
    monkeypatch.setattr(adapt_view, "POLL_SECONDS", 0.05)
    return manager, Visitors(), registry


def _set(images, labels) -> dict:
    digits, refused = add_pictures(new_set(), [(im.numpy(), int(y), f"{int(y)}_{i}.png")
                                               for i, (im, y) in enumerate(zip(images, labels))])
    assert not refused
    return digits


def test_adapting_streams_progress_then_chooses_the_new_model_of_this_browser(lab, my_bars):
    manager, visitors, registry = lab
    stored = _set(*my_bars(20))
    updates = list(adapt_start(manager, visitors, registry, stored, str(registry.scan().default.path), None, None))
    who = updates[0][2]
    texts = [text for text, _, _ in updates]
    assert len(texts) >= 2 and "adapted to your 20 digits" in texts[-1], texts
    assert "| your held-out digits (20; 4-fold" in texts[-1] and "| MNIST test (10,000 images) |" in texts[-1]
    chosen = updates[-1][1]
    assert isinstance(chosen, gr.Dropdown)
    (run,) = manager.list_runs()
    assert run["status"] == "completed" and run["owner"] == owner_id(who["token"])
    adapted = registry.scan().find(chosen.value)
    assert adapted.run_id == run["id"] and adapted.name == "tiny adapted to my digits"
    assert all(w == who for _, _, w in updates)          # the same owner throughout


def test_a_set_that_cannot_be_adapted_to_says_why_and_queues_nothing(lab, my_bars):
    manager, visitors, registry = lab
    images, labels = my_bars(20)
    for stored in (None, _set(images[labels == labels[0]], labels[labels == labels[0]])):
        (update,) = list(adapt_start(manager, visitors, registry, stored, None, None, None))
        assert update[0].startswith("**Not adapted:**"), update
    assert manager.list_runs() == []


def shown_after(value, *updates):
    """The Model dropdown's value once `updates` (gr.Dropdown updates, gr.skip()) land in this order,
    as the page applies them: an update sets the value only if it was given one."""
    for update in updates:
        if isinstance(update, gr.Dropdown) and "value" in update.constructor_args:
            value = update.value
    return value


def test_the_model_list_refresh_never_undoes_the_adapted_model_chosen_meanwhile(lab, my_bars):
    from rnn_demo.ui.sketch.tab import refresh
    manager, visitors, registry = lab
    old = str(registry.scan().default.path)
    listing = registry.scan()
    known = [[(e.label, e.path) for e in listing.entries], listing.warnings]    # what the page knows
    *_, (_, chosen, _) = adapt_start(manager, visitors, registry, _set(*my_bars(20)), old, None, None)
    # A timer tick whose inputs were read before the adapt's last update landed: the old model, the
    # old list. Its answer may land before or after that update; either way the adapted one stays.
    ticked, state, _ = refresh(registry, old, known)
    assert state != known and chosen.value in [path for _, path in ticked.choices]
    assert shown_after(old, chosen, ticked) == chosen.value
    assert shown_after(old, ticked, chosen) == chosen.value


def test_the_model_list_refresh_chooses_the_default_when_the_chosen_model_is_gone(lab):
    from rnn_demo.ui.sketch.tab import refresh
    _, _, registry = lab
    update, _, _ = refresh(registry, "/no/such/model.pt", None)
    assert shown_after("/no/such/model.pt", update) == registry.scan().default.path
