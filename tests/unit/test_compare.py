"""Comparing runs like a tracker: smoothing, scales, x axes, colours, the config diff, progress,
and the metrics exported as CSV, JSON Lines and TensorBoard events."""

import csv
import json
import math

import pytest

from rnn_demo.mnist.runs.export import TensorBoardLog, export_files, write_csv
from rnn_demo.mnist.runs.log import Curves, EventLog
from rnn_demo.ui.training.compare import plot_update
from rnn_demo.ui.training.compare_view import (PALETTE, X_AXES, X_FORMAT, Y_FORMAT, axis_limits, colours, config_diff,
                                              ema, faint, metric_frame, series, thin, y_name)


def fake_log(path, steps_per_epoch=4, epochs=2, t0=1000.0, written=None):
    """A metrics log as the trainer and EventLog write it (`written` of `epochs` epochs so far),
    with known values and times: 0.5 s per step, a validation of 1 s after each epoch."""
    lines = [{"kind": "start", "epochs": epochs, "steps_per_epoch": steps_per_epoch, "time": t0,
              "model_config": {"cell": "gru"}, "train_config": {"lr": 0.01}}]
    step = 0
    for epoch in range(1, (written or epochs) + 1):
        for _ in range(steps_per_epoch):
            step += 1
            lines.append({"kind": "step", "epoch": epoch, "step": step, "loss": 2.0 / step + 0.1 / 3,
                          "time": t0 + step * 0.5})
        lines.append({"kind": "epoch", "epochs": epochs, "epoch": epoch, "train_loss": 1.0 / epoch,
                      "val_loss": 0.9 / epoch, "val_acc": 0.5 + 0.1 * epoch, "train_seconds": step * 0.5,
                      "seconds": step * 0.5 + epoch, "time": t0 + step * 0.5 + epoch})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    curves = Curves()
    curves.advance(path)
    return curves


def test_smoothing_is_tensorboards_debiased_ema_computed_by_hand():
    # w = 0.5: s = 0.5*1 = 0.5 -> 0.5/0.5 = 1; s = 0.25 + 1 = 1.25 -> 1.25/0.75; s = 0.625 + 1.5 -> 2.125/0.875
    assert ema([1, 2, 3], 0.5) == pytest.approx([1.0, 1.25 / 0.75, 2.125 / 0.875])
    assert ema([4.0, 1.0, 7.0], 0.0) == [4.0, 1.0, 7.0]
    assert ema([3.0] * 50, 0.9) == pytest.approx([3.0] * 50)             # no pull towards 0
    with pytest.raises(ValueError):
        ema([1.0], 1.0)


def test_the_raw_curve_is_drawn_faint_behind_the_smoothed_one_in_the_runs_colour(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl")
    frame, colour_map, legend = metric_frame([(("abc123 gru", "#1f77b4"), curves)], "training loss",
                                             "step", 0.6, False)
    assert list(frame["run"].unique()) == ["abc123 gru · raw", "abc123 gru"] and legend == ["abc123 gru"]
    assert colour_map == {"abc123 gru": "#1f77b4", "abc123 gru · raw": faint("#1f77b4")}
    smoothed = frame[frame["run"] == "abc123 gru"]
    assert list(smoothed["loss"]) == pytest.approx(ema(curves.losses, 0.6))
    assert faint("#000000", 0.3) == "#b2b2b2" and faint("#ffffff") == "#ffffff"
    per_epoch, _, _ = metric_frame([(("abc123 gru", "#1f77b4"), curves)], "validation loss", "epoch", 0.6, False)
    assert list(per_epoch["run"].unique()) == ["abc123 gru"]        # a few points each: not smoothed


def test_a_log_scale_plots_log10_of_losses_and_keeps_the_value_for_the_tooltip(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl")
    frame, _, _ = metric_frame([(("r", "#1f77b4"), curves)], "validation loss", "epoch", 0.0, True)
    assert list(frame.columns) == ["epoch", "log10 loss", "run", "value"]
    assert list(frame["log10 loss"]) == pytest.approx([math.log10(0.9), math.log10(0.45)])
    assert list(frame["value"]) == pytest.approx([0.9, 0.45])
    accuracy, _, _ = metric_frame([(("r", "#1f77b4"), curves)], "validation accuracy", "epoch", 0.0, True)
    assert "accuracy (%)" in accuracy.columns                           # accuracy stays linear


def test_the_x_axis_is_steps_epochs_or_wall_clock_seconds(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl")                              # 4 steps per epoch, 0.5 s each
    assert series(curves, "training loss", "step")[0] == list(range(1, 9))
    assert series(curves, "training loss", "epoch")[0] == [s / 4 for s in range(1, 9)]
    assert series(curves, "training loss", "seconds")[0] == [0.5 * s for s in range(1, 9)]
    assert series(curves, "validation accuracy", "step") == ([4, 8], pytest.approx([60.0, 70.0]))
    assert series(curves, "validation loss", "seconds")[0] == [3.0, 6.0]  # after each validation


def test_long_curves_are_thinned_to_at_most_a_thousand_points():
    x, y = thin(list(range(10_000)), [1.0] * 10_000)
    assert len(x) <= 1000 and y == [1.0] * len(x) and x[0] == 4.5


def test_each_run_keeps_one_colour_whatever_else_is_compared():
    runs = [f"20260101-000000-run-{i:06x}" for i in range(12)]
    together = colours(runs[:10])
    assert len(set(together.values())) == 10 and set(together.values()) == set(PALETTE)
    alone = colours([runs[3]])
    assert alone[runs[3]] in PALETTE and colours([runs[3]]) == alone    # stable from run to run


def record(run_id, lr=1e-3, hidden=128, test=None, name="custom"):
    return {"id": run_id, "name": name, "device": "cpu", "test_acc": test, "train_seconds": 12.5,
            "model_config": {"cell": "gru", "hidden_size": hidden, "norm": None},
            "train_config": {"epochs": 3, "lr": lr, "seed": 0, "device": "cpu", "log_every": 1}}


def test_the_config_diff_shows_only_the_fields_that_differ_and_the_results():
    diff = config_diff([record("a", lr=1e-3, hidden=64, test=0.97), record("b", lr=3e-3, hidden=64)],
                       {"a": 0.968, "b": None})
    assert list(diff.columns) == ["run", "lr", "final val acc", "test acc", "train time", "device"]
    assert diff.values.tolist() == [["a", 1e-3, "96.80%", "97.00%", "12.5 s", "cpu"],
                                    ["b", 3e-3, "–", "–", "12.5 s", "cpu"]]
    diff = config_diff([record("a", name="gru"), record("b", hidden=256)], {})
    assert list(diff.columns)[:3] == ["run", "preset", "hidden size"]


def test_a_run_recorded_before_a_field_existed_differs_only_where_it_really_does():
    old, new = record("old", lr=1e-3), record("new", lr=1e-3)
    new["train_config"].update(max_rotation=0.0, max_scale=0.0, ema=0.0)      # today's defaults
    assert list(config_diff([old, new], {}).columns) == ["run", "final val acc", "test acc", "train time",
                                                         "device"]
    new["train_config"]["ema"] = 0.999
    assert "ema" in config_diff([old, new], {}).columns


def test_progress_gives_an_eta_from_the_measured_step_rate(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl", steps_per_epoch=4, epochs=4, written=2)   # still running
    p = curves.progress()
    assert p["rate"] == pytest.approx(2.0)                                # 0.5 s per step, pauses left out
    assert (p["step"], p["total_steps"], p["epoch"]) == (8, 16, 3)
    # 8 steps left at 2 steps/s, plus 2 validations as long as the mean one so far (1 s)
    assert p["eta"] == pytest.approx(8 / 2.0 + 2 * 1.0)


def test_the_csv_export_round_trips_the_metrics_log(tmp_path):
    log = tmp_path / "metrics.jsonl"
    with EventLog(log) as writer:                                  # as the RunManager writes it
        writer.write({"kind": "start", "epochs": 1, "steps_per_epoch": 3, "model_config": {}, "train_config": {}})
        for step, loss in enumerate([2.302585092994046, 1.1 / 3, 0.1 + 0.2], 1):
            writer.write({"kind": "step", "epoch": 1, "step": step, "loss": loss})
        writer.write({"kind": "epoch", "epochs": 1, "epoch": 1, "train_loss": 0.7, "val_loss": 0.6543210987654321,
                      "val_acc": 0.9123, "train_seconds": 1.25, "seconds": 1.5})
        writer.write({"kind": "end", "status": "completed", "test_acc": 0.9})
    with open(write_csv(log, tmp_path / "m.csv")) as f:
        rows = list(csv.DictReader(f))
    events = [json.loads(line) for line in log.read_text().splitlines()]
    metrics = [e for e in events if e["kind"] in ("step", "epoch")]
    assert len(rows) == len(metrics)
    for row, event in zip(rows, metrics):
        for key, value in event.items():
            if key == "epochs":
                continue
            assert type(value)(row[key]) == value, key                   # exact, floats included
    assert rows[-1]["step"] == "3"                                       # an epoch row: its last step


def test_a_runs_downloads_are_named_after_it_and_the_log_is_the_log_itself(tmp_path):
    folder = tmp_path / "20260101-000000-gru-abcdef"
    folder.mkdir()
    fake_log(folder / "metrics.jsonl")
    files = export_files(folder)
    assert [f.name for f in files] == [f"{folder.name}.csv", f"{folder.name}.jsonl"]   # no checkpoint yet
    assert files[1].read_bytes() == (folder / "metrics.jsonl").read_bytes()
    (folder / "checkpoint.pt").write_bytes(b"weights")
    assert [f.name for f in export_files(folder)][-1] == f"{folder.name}.pt"


def test_tensorboard_events_hold_the_runs_scalars(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    curves_log = tmp_path / "m.jsonl"
    fake_log(curves_log)
    with TensorBoardLog(tmp_path / "tb") as tb:
        for line in curves_log.read_text().splitlines():
            tb.write(json.loads(line))
        tb.write({"kind": "end", "test_acc": 0.75, "epochs_done": 2, "time": 1100.0})
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    loss = events.Scalars("train/loss")
    assert [e.step for e in loss] == list(range(1, 9)) and loss[0].wall_time == 1000.5
    assert [(e.step, round(e.value, 4)) for e in events.Scalars("val/accuracy")] == [(4, 0.6), (8, 0.7)]
    assert events.Scalars("test/accuracy")[0].value == pytest.approx(0.75)


def test_a_one_epoch_run_is_one_point_inside_both_axes_with_room_around_it(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl", epochs=3, written=1)       # stopped in epoch 2
    for metric in ("validation loss", "validation accuracy"):
        y = y_name(metric, False)
        frame, _, legend = metric_frame([(("abc123 gru", "#1f77b4"), curves)], metric, "epoch", 0.6, False)
        assert len(frame) == 1 and legend == ["abc123 gru"]
        (x_low, x_high), (y_low, y_high) = axis_limits(frame, "epoch", y)
        point_x, point_y = frame["epoch"][0], frame[y][0]
        # a scale of some width around the point, not the zero-width one drawn "98.000000"
        assert x_low == 0 and x_high > point_x
        assert y_low < point_y < y_high and y_high - y_low > abs(point_y) / 20


def test_axis_limits_leave_a_margin_past_the_data_on_every_x_axis(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl")
    for x_axis in X_AXES:
        frame, _, _ = metric_frame([(("r", "#1f77b4"), curves)], "validation accuracy", x_axis, 0.0, False)
        y = y_name("validation accuracy", False)
        (x_low, x_high), (y_low, y_high) = axis_limits(frame, x_axis, y)
        assert x_low <= frame[x_axis].min() and frame[x_axis].max() < x_high
        assert y_low < frame[y].min() and frame[y].max() < y_high


def test_the_compared_plots_get_the_limits_and_plain_tick_labels(tmp_path):
    curves = fake_log(tmp_path / "m.jsonl", written=1)
    drawn = metric_frame([(("r", "#1f77b4"), curves)], "validation accuracy", "step", 0.0, False)
    plot = plot_update(drawn, "validation accuracy", "step", False)
    assert [plot.x_lim, plot.y_lim] == list(axis_limits(drawn[0], "step", "accuracy (%)"))
    assert plot.x_axis_format == X_FORMAT and plot.y_axis_format == Y_FORMAT
    assert plot_update((None, {}, []), "validation accuracy", "step", False).y_lim is None
