"""`reproduce --seeds` trains every preset once per seed, keeps the shipped models, and writes
each preset's spread over its seeds, flagged where the notebook's number is outside it."""

import re
import statistics
from pathlib import Path

import pytest

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.cli import main
from rnn_demo.mnist import cli as mnist_cli
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.report import seed_summary

FLAGS = ["--epochs", "1", "--hidden-size", "16", "--batch-size", "64", "--device", "cpu"]


@pytest.fixture
def synthetic(monkeypatch, tmp_path):
    """The CLI reads synthetic bars instead of MNIST, in an empty working folder."""
    monkeypatch.setattr(mnist_cli, "load_mnist", lambda *a, **kw: synthetic_splits(n_train=256))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _row(table: str, name: str) -> list[str]:
    line = next(l for l in table.splitlines() if l.startswith(f"| `{name}` |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_reproduce_over_seeds_writes_each_presets_mean_std_and_range(synthetic, capsys):
    assert main(["reproduce", "--presets", "rnn,gru", "--seeds", "0,1,2", "--out", "report", *FLAGS]) == 0
    folder = synthetic / "runs" / "reproduce-seeds"
    assert sorted(p.name for p in folder.glob("*.pt")) == [
        f"{name}-seed{seed}.pt" for name in ("gru", "rnn") for seed in (0, 1, 2)]
    assert not (synthetic / "checkpoints").exists(), "the shipped models are never overwritten"
    table = (synthetic / "report" / "seeds.md").read_text()
    for name in ("rnn", "gru"):
        ckpts = [load_checkpoint(folder / f"{name}-seed{s}.pt") for s in (0, 1, 2)]
        assert [c["train_config"]["seed"] for c in ckpts] == [0, 1, 2]
        accs = [100 * c["metrics"]["test_acc"] for c in ckpts]
        row = _row(table, name)
        assert row[2] == "3"
        assert row[3] == f"{statistics.fmean(accs):.2f} ± {statistics.stdev(accs):.2f}"
        assert row[4] == f"{min(accs):.2f} – {max(accs):.2f}"
        assert re.findall(r"(\d): ", row[5]) == ["0", "1", "2"]
    # the notebook's rnn (92.40%) and our tiny models on synthetic bars: the flag follows the range
    rnn = [100 * load_checkpoint(folder / f"rnn-seed{s}.pt")["metrics"]["test_acc"] for s in (0, 1, 2)]
    flag = _row(table, "rnn")[7]
    if min(rnn) <= 92.40 <= max(rnn):
        assert flag == "inside"
    else:
        assert flag.startswith("**outside**") and f"{92.40 - statistics.fmean(rnn):+.2f}" in flag
    assert _row(table, "gru")[7] == "n/a"


def test_the_notebooks_number_is_flagged_only_outside_our_range():
    assert seed_summary([90.5, 91.0, 91.5], 92.40)["notebook"] == "above"
    assert seed_summary([90.5, 91.0, 91.5], 90.00)["notebook"] == "below"
    assert seed_summary([90.5, 91.0, 91.5], 91.50)["notebook"] == "inside"
    summary = seed_summary([90.5, 91.0, 91.5], None)
    assert summary["notebook"] is None and summary["std"] == pytest.approx(0.5)
    assert seed_summary([97.0], 97.28)["std"] is None


def test_seeds_go_to_their_own_folder_when_asked(synthetic):
    assert main(["reproduce", "--presets", "lstm", "--seeds", "4", "--out", "r", "--checkpoints", "mine",
                 *FLAGS]) == 0
    assert [p.name for p in (synthetic / "mine").glob("*.pt")] == ["lstm-seed4.pt"]
    assert "| `lstm` |" in (synthetic / "r" / "seeds.md").read_text()


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "0,x"], "comma-separated whole numbers"),
    (["--seeds", "1,1"], "no repeats"),
    (["--seeds", "0,1", "--seed", "3"], "not both"),
])
def test_bad_seeds_exit_with_one_line(argv, message, synthetic, capsys):
    assert main(["reproduce", "--presets", "rnn", *argv, *FLAGS]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1



def test_resume_keeps_seeds_trained_with_the_same_configs_and_retrains_the_others(synthetic):
    argv = ["reproduce", "--presets", "rnn", "--out", "r", "--checkpoints", "c", *FLAGS]
    assert main([*argv, "--seeds", "0"]) == 0
    first = (synthetic / "c" / "rnn-seed0.pt").stat().st_mtime_ns       # written atomically: a new file
    assert main([*argv, "--seeds", "0,1", "--resume"]) == 0
    assert (synthetic / "c" / "rnn-seed0.pt").stat().st_mtime_ns == first     # kept
    assert _row((synthetic / "r" / "seeds.md").read_text(), "rnn")[2] == "2"          # both in the table
    assert main([*argv, "--seeds", "0", "--resume", "--lr", "0.01"]) == 0             # another recipe
    assert load_checkpoint(synthetic / "c" / "rnn-seed0.pt")["train_config"]["lr"] == 0.01


def test_reproduce_retrains_the_shipped_presets_and_not_the_gpu_recipes():
    from rnn_demo.mnist.presets import SHIPPED_PRESETS
    shipped = {p.stem for p in (Path(__file__).resolve().parents[2] / "checkpoints").glob("*.pt")} - {"adder"}
    assert set(SHIPPED_PRESETS) == shipped
    assert "gpu-1s" not in SHIPPED_PRESETS and "best" in SHIPPED_PRESETS
