"""Checkpoints are plain data: they round-trip, and bad files fail clearly without running code."""

import os

import pytest
import torch

from rnn_demo.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from rnn_demo.mnist.model import RowRNN, RowRNNConfig


def _save_model(path):
    config = RowRNNConfig(cell="gru", hidden_size=12, norm="layer")
    model = RowRNN(config).eval()
    save_checkpoint(path, "row_rnn", config.to_dict(), model.state_dict(), {"test_acc": 0.5})
    return model


def test_round_trip_gives_the_same_predictions(tmp_path):
    model = _save_model(tmp_path / "m.pt")
    loaded, ckpt = RowRNN.from_checkpoint(tmp_path / "m.pt"), load_checkpoint(tmp_path / "m.pt")
    x = torch.rand(2, 28, 28)
    torch.testing.assert_close(loaded(x), model(x))
    assert ckpt["metrics"]["test_acc"] == 0.5 and ckpt["kind"] == "row_rnn" and ckpt["created"]
    assert not list(tmp_path.glob("*.tmp")), "atomic write leaves no temp file"


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "empty"])
def test_damaged_files_give_an_error_naming_the_file(tmp_path, damage):
    path = tmp_path / "bad.pt"
    _save_model(path)
    if damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "foreign":
        torch.save([1, 2, 3], path)
    else:
        path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="bad.pt"):
        load_checkpoint(path)


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_loading_never_runs_code_from_the_file(tmp_path):
    marker = tmp_path / "pwned"
    evil = _Evil()
    _Evil.marker = marker
    torch.save({"format": 1, "kind": "row_rnn", "config": {}, "state_dict": {}, "metrics": {},
                "payload": evil}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_checkpoint(tmp_path / "evil.pt")
    assert not marker.exists()


def test_wrong_kind_and_mismatched_weights_are_reported(tmp_path):
    _save_model(tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="expected 'adder'"):
        load_checkpoint(tmp_path / "m.pt", kind="adder")
    ckpt = load_checkpoint(tmp_path / "m.pt")
    ckpt["config"]["hidden_size"] = 64      # weights no longer fit the config
    torch.save(ckpt, tmp_path / "tampered.pt")
    with pytest.raises(CheckpointError, match="tampered.pt"):
        RowRNN.from_checkpoint(tmp_path / "tampered.pt")


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
