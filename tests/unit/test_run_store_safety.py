"""The run store on a shared server: private digits never on disk, records and logs of the wrong
shape skipped (never a crash), a time limit per visitor's run, and quotas per signed-in user."""

import json
import threading

import pytest
import torch

from rnn_demo.mnist.adapt import AdaptConfig
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.presets import get_preset
from rnn_demo.mnist.runs.files import DIGITS_FILE, RUN_FILE, StopSignal
from rnn_demo.mnist.runs.log import Curves
from rnn_demo.mnist.runs.manager import RunManager
from rnn_demo.mnist.runs.quotas import QuotaError, Quotas, new_token, user, visitor
from rnn_demo.ui.training.runs_view import runs_table

TINY = dict(epochs=1, batch_size=64, device="cpu")


def manager_at(root, gate: threading.Event | None = None, **quotas) -> RunManager:
    """A run store on synthetic MNIST; with `gate`, the first run's data waits for it (a busy device)."""
    def splits(device):
        if gate is not None:
            gate.wait(30)
        return synthetic_splits(device=device)
    return RunManager(root, splits_factory=splits, quotas=Quotas(**quotas) if quotas else None)


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_my_digits_never_touch_the_runs_folder_and_go_with_their_run_however_it_ends(
        tmp_path, tiny_checkpoint, my_bars):
    source, _ = tiny_checkpoint
    gate = threading.Event()
    manager = manager_at(tmp_path / "runs", gate)
    first = manager.start(*get_preset("fast").configs(**TINY), by=visitor(new_token()))   # holds the device
    images, labels = my_bars(20)
    queued = manager.adapt(source, images, labels, AdaptConfig(seconds=1.0, device="cpu"), "mine",
                           by=visitor(new_token()))
    waiting = manager.adapt(source, images, labels, AdaptConfig(seconds=1.0, device="cpu"), "mine too")
    assert not any(DIGITS_FILE in f or f.endswith(".pt") for f in files_under(tmp_path / "runs")), \
        files_under(tmp_path / "runs")
    assert set(manager._digits) == {queued["id"], waiting["id"]}
    manager.stop(waiting["id"])                                  # stopped before it started
    assert waiting["id"] not in manager._digits
    gate.set()
    assert manager.wait(first["id"])["status"] == "completed"
    assert manager.wait(queued["id"])["status"] == "completed"
    assert manager._digits == {}


def test_a_failed_fine_tune_drops_its_digits_and_an_older_versions_files_are_swept(
        tmp_path, tiny_checkpoint, my_bars):
    source, _ = tiny_checkpoint
    manager = manager_at(tmp_path / "runs")
    images, labels = my_bars(20)
    broken = tmp_path / "broken.pt"
    broken.write_bytes(source.read_bytes())
    record = manager.adapt(broken, images, labels, AdaptConfig(seconds=1.0, device="cpu"), "doomed")
    broken.write_bytes(b"not a checkpoint any more")
    assert manager.wait(record["id"])["status"] == "failed"
    assert manager._digits == {}
    leftover = tmp_path / "runs" / record["id"] / DIGITS_FILE      # as a crashed older version left it
    torch.save({"images": images, "labels": labels}, leftover)
    manager_at(tmp_path / "runs")
    assert not leftover.exists()


@pytest.mark.parametrize("record", [[], "a run", {"id": "x"}, {"status": 3},
                                    {"status": "exploded"}, {"model_config": "lstm"},
                                    {"train_config": {"batch_size": "big"}}, {"best_val_acc": "99%"}])
def test_a_run_record_of_the_wrong_shape_is_skipped_with_a_row_that_says_so(tmp_path, record):
    manager = manager_at(tmp_path / "runs")
    good = manager.start(*get_preset("fast").configs(**TINY))
    manager.wait(good["id"])
    bad = tmp_path / "runs" / "20260101-000000-odd-abcdef"
    bad.mkdir()
    whole = json.loads((tmp_path / "runs" / good["id"] / RUN_FILE).read_text())
    (bad / RUN_FILE).write_text(json.dumps({**whole, **record} if isinstance(record, dict) else record))
    restarted = manager_at(tmp_path / "runs")                     # a start-up does not fail on it
    assert [r["id"] for r in restarted.list_runs()] == [good["id"]]
    table = runs_table(restarted)
    assert list(table["run"]) == [good["id"], bad.name]
    assert table.iloc[1]["model"] == "unreadable run" and table.iloc[1]["status"] == "unreadable"
    with pytest.raises(ValueError, match="unreadable run record"):
        restarted.get(bad.name)


def test_lines_of_the_wrong_shape_in_a_metrics_log_are_skipped(tmp_path):
    log = tmp_path / "metrics.jsonl"
    lines = [{"kind": "start", "steps_per_epoch": 2, "epochs": 1, "time": 1.0}, [1, 2], "step", 7,
             {"kind": "step", "step": "one", "loss": 0.5}, {"kind": "step", "step": 1, "loss": 2.0, "time": 2.0},
             {"kind": "epoch", "epoch": 1, "val_acc": None}, {"kind": "end"}, {"kind": "step", "time": "now"},
             {"kind": "step", "step": 2, "loss": 1.0, "time": 3.0}]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{torn")
    curves = Curves()
    assert curves.advance(log)
    assert curves.steps == [1, 2] and curves.losses == [2.0, 1.0] and curves.epochs == [] and curves.end is None
    assert curves.progress()["step"] == 2
    from rnn_demo.mnist.runs.export import metric_rows, read_events
    assert [row["step"] for row in metric_rows(read_events(log))] == [1, 2]


def test_a_visitors_run_stops_at_the_time_limit_and_says_why(tmp_path, monkeypatch):
    manager = manager_at(tmp_path / "runs", run_minutes=1)
    monkeypatch.setattr(StopSignal, "limit", lambda self, seconds: setattr(self, "deadline", 0.0))
    record = manager.start(*get_preset("fast").configs(epochs=50, batch_size=64, device="cpu"),
                           by=visitor(new_token()))
    assert record["max_seconds"] == 60
    ended = manager.wait(record["id"])
    assert ended["status"] == "stopped" and ended["reason"] == "stopped at the lab's limit of 1 minutes per run"
    operator = manager.start(*get_preset("fast").configs(**TINY))
    assert operator["max_seconds"] is None                            # the command line's: no limit
    manager.wait(operator["id"])


def test_quotas_count_per_signed_in_user_whatever_the_session(tmp_path):
    gate = threading.Event()
    manager = manager_at(tmp_path / "runs", gate, per_owner=2, total=20)
    configs = get_preset("fast").configs(**TINY)
    for _ in range(2):                                 # alice, from two browsers: the same user
        record = manager.start(*configs, by=user("alice"))
    assert record["owner_name"] == "alice"
    with pytest.raises(QuotaError, match="the limit is 2 per user"):
        manager.start(*configs, by=user("alice"))
    manager.start(*configs, by=user("bob"))
    gate.set()
    for record in manager.list_runs():                 # no training left behind at exit
        manager.wait(record["id"])
