"""The command line: bad arguments exit non-zero with one clear line; a dry run trains and saves."""

import pytest

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.cli import build_parser, main
from rnn_demo.mnist.cli import configs_from_args
from rnn_demo.mnist.presets import get_preset


@pytest.mark.parametrize("argv, message", [
    (["train", "--preset", "transformer"], "unknown preset 'transformer'"),
    (["train", "--lr", "0"], "learning rate must be > 0"),
    (["train", "--lr", "-0.1"], "learning rate must be > 0"),
    (["train", "--epochs", "0"], "epochs must be between 1 and 1000"),
    (["train", "--device", "cuda"], "no CUDA GPU is available"),
    (["evaluate", "/nonexistent/model.pt"], "no such checkpoint"),
    (["train", "--preset", "rnn-bn-mlp", "--batch-size", "1"], "batch size 1 cannot train"),
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
    ckpt = load_checkpoint(out, kind="row_rnn")
    assert ckpt["metrics"]["epochs_done"] == 1 and ckpt["config"]["cell"] == "gru"


def test_every_model_and_recipe_option_reaches_the_configs():
    args = build_parser().parse_args(["train", "--preset", "fast", "--dropout", "0.3", "--label-smoothing",
                                      "0.1", "--grad-clip", "0.5", "--max-shift", "2", "--weight-decay",
                                      "0.01", "--schedule", "cosine", "--hidden-size", "64", "--norm", "layer",
                                      "--bidirectional"])
    preset = get_preset("fast")
    model, recipe = configs_from_args("fast", args)
    assert (model.dropout, model.hidden_size, model.norm, model.bidirectional) == (0.3, 64, "layer", True)
    assert model.cell == preset.model.cell                      # what was not given stays the preset's
    assert (recipe.label_smoothing, recipe.grad_clip, recipe.max_shift) == (0.1, 0.5, 2)
    assert (recipe.weight_decay, recipe.schedule) == (0.01, "cosine")
    assert recipe.lr == preset.train.lr and recipe.epochs == preset.train.epochs
    plain = build_parser().parse_args(["train", "--preset", "fast"])
    assert configs_from_args("fast", plain) == (preset.model, preset.train)
    dry = build_parser().parse_args(["train", "--preset", "best", "--dry-run", "--norm", "none"])
    model, recipe = configs_from_args("best", dry)
    assert recipe.epochs == 1 and model.norm is None


def test_a_diverging_run_ends_with_one_line_not_a_traceback(capsys):
    assert main(["train", "--preset", "rnn-relu-256", "--lr", "10", "--dry-run", "--device", "cpu",
                 "--out", "/dev/null/never"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: training loss became") and "Traceback" not in "\n".join(err)


def test_absurd_dropout_is_refused_with_one_line(capsys):
    assert main(["train", "--preset", "gru", "--dropout", "1.5", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "dropout must be in [0, 1)" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["reproduce", "--help"],
                                  ["train-adder", "--help"], ["evaluate-adder", "--help"]])
def test_every_command_explains_itself(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0 and "usage: python -m rnn_demo" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["train", "precision", "eval-mode", "time-to-accuracy", "sketch", "ui", "my-digits",
                                  "polling", "soak"])
def test_every_benchmark_explains_itself(name, capsys):
    from rnn_demo.bench.__main__ import main as bench_main
    for argv in (["--help"], [name, "--help"]):
        with pytest.raises(SystemExit) as exit_:
            bench_main(argv)
        assert exit_.value.code == 0 and name in capsys.readouterr().out
