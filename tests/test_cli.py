"""The command line: bad arguments exit non-zero with one clear line; a dry run trains and saves."""

import pytest

from rnn_demo.cli import main
from rnn_demo.train import load_row_rnn


@pytest.mark.parametrize("argv, message", [
    (["train", "--preset", "transformer"], "unknown preset 'transformer'"),
    (["train", "--lr", "0"], "learning rate must be > 0"),
    (["train", "--lr", "-0.1"], "learning rate must be > 0"),
    (["train", "--epochs", "0"], "epochs must be between 1 and 1000"),
    (["train", "--device", "cuda"], "no CUDA GPU is available"),
    (["evaluate", "/nonexistent/model.pt"], "no such checkpoint"),
])
def test_bad_arguments_exit_nonzero_with_one_line(argv, message, capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert message in err and len(err.splitlines()) == 1, err


def test_dry_run_trains_one_epoch_and_writes_a_loadable_checkpoint(tmp_path, capsys):
    out = tmp_path / "dry.pt"
    assert main(["train", "--preset", "gru", "--dry-run", "--device", "cpu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Epoch [1/1] - Validation loss:" in printed and "Validation accuracy:" in printed
    assert "Test accuracy:" in printed
    model, ckpt = load_row_rnn(out)
    assert ckpt["metrics"]["epochs_done"] == 1 and ckpt["config"]["cell"] == "gru"


def test_regularisation_options_reach_the_model_and_the_recipe():
    from rnn_demo.cli import build_parser, model_config_from_args, train_config_from_args
    from rnn_demo.presets import get_preset
    args = build_parser().parse_args(["train", "--preset", "fast", "--dropout", "0.3", "--label-smoothing",
                                      "0.1", "--grad-clip", "0.5", "--max-shift", "2", "--weight-decay",
                                      "0.01", "--schedule", "cosine"])
    preset = get_preset("fast")
    model, recipe = model_config_from_args(preset, args), train_config_from_args(preset, args)
    assert model.dropout == 0.3 and model.cell == preset.model.cell
    assert (recipe.label_smoothing, recipe.grad_clip, recipe.max_shift) == (0.1, 0.5, 2)
    assert (recipe.weight_decay, recipe.schedule) == (0.01, "cosine")
    assert recipe.lr == preset.train_overrides["lr"]          # what was not given stays the preset's
    plain = build_parser().parse_args(["train", "--preset", "fast"])
    assert model_config_from_args(preset, plain) == preset.model


def test_absurd_dropout_is_refused_with_one_line(capsys):
    assert main(["train", "--preset", "gru", "--dropout", "1.5", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "dropout must be in [0, 1)" in err and len(err.splitlines()) == 1
