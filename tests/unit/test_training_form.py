"""The Training tab's form: what it shows for a preset rebuilds exactly that preset."""

from dataclasses import replace

import pytest

from rnn_demo.mnist.presets import PRESETS
from rnn_demo.ui.training.form import FORM, configs_from_form, preset_values


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_form_fields_rebuild_its_model_and_recipe(name):
    """What the tab shows for a preset, started as a custom model, trains exactly that preset."""
    values = {**preset_values(name), "seed": 7}
    assert set(values) == set(FORM)
    _, model, recipe = configs_from_form("custom", values, "cpu")
    preset = PRESETS[name]
    assert model == preset.model
    assert recipe == replace(preset.train, seed=7, device="cpu")


def test_a_named_preset_keeps_its_model_whatever_the_model_fields_say():
    values = {**preset_values("fast"), "cell": "lstm", "hidden_size": 7}
    name, model, _ = configs_from_form("rnn", values, "cpu")
    assert name == "rnn" and model == PRESETS["rnn"].model


@pytest.mark.parametrize("field, value, message", [
    ("epochs", 2.5, "epochs must be a whole number"), ("lr", None, "lr is empty"),
    ("hidden_size", 0, "hidden size must be between 1 and 4096"),
    ("hidden_size", 1.5, "hidden size must be a whole number, got 1.5"),
    ("epochs", float("nan"), "epochs must be a finite number, got nan"),
    ("seed", float("inf"), "seed must be a finite number, got inf"), ("seed", "Infinity", "seed must be a finite"),
    ("epochs", "many", "epochs must be a number, got 'many'"), ("lr", True, "lr must be a finite number"),
    ("epochs", 0, "epochs must be between 1 and 1000, got 0")])
def test_bad_form_values_are_refused_naming_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        configs_from_form("custom", {**preset_values("fast"), field: value}, "cpu")


@pytest.mark.parametrize("preset", ["rnn-bn-mlp", "custom"])
def test_batch_size_1_is_refused_for_a_batch_norm_model(preset):
    values = {**preset_values("lstm-bn-mlp"), "batch_size": 1}
    with pytest.raises(ValueError, match="batch size 1 cannot train a model with batch norm"):
        configs_from_form(preset, values, "cpu")


def test_numbers_sent_as_text_are_read_as_numbers():
    _, _, recipe = configs_from_form("custom", {**preset_values("fast"), "epochs": "2", "lr": " 3e-3"}, "cpu")
    assert (recipe.epochs, recipe.lr) == (2, 3e-3)

