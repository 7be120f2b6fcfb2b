"""A run's time reads the same in the runs table and in the comparison: its train time (the
training steps alone); the status names it and adds the time in all."""

from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.presets import get_preset
from rnn_demo.mnist.runs.manager import RunManager
from rnn_demo.ui.training.compare_view import config_diff
from rnn_demo.ui.training.runs_view import duration, runs_table, status_text


def test_the_runs_table_and_the_comparison_show_one_train_time(tmp_path):
    manager = RunManager(tmp_path / "runs", splits_factory=lambda d: synthetic_splits(device=d))
    model, recipe = get_preset("fast").configs(epochs=1, batch_size=64, device="cpu")
    run = manager.wait(manager.start(model, recipe)["id"])
    assert run["seconds"] > run["train_seconds"] > 0          # two clocks: loading and testing are not training
    table, diff = runs_table(manager), config_diff([run], {})
    assert table.columns[-1] == "train time" == diff.columns[-2]
    assert table["train time"][0] == diff["train time"][0] == duration(run["train_seconds"])
    status = status_text(manager, run["id"])
    assert f"train time {duration(run['train_seconds'])}, {duration(run['seconds'])} in all" in status


def test_a_time_reads_in_seconds_under_a_minute_and_on_a_clock_above():
    assert [duration(s) for s in (None, 0.85, 64.4, 3725)] == ["–", "0.8 s", "1:04", "1:02:05"]
