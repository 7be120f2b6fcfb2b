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
