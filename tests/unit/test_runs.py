"""The run manager: background training with a log per run, stop, queues, history and failures."""

import json
import subprocess
import sys
import threading
import time

import pytest
import torch

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.mnist.runs.quotas import visitor
from rnn_demo.mnist.adapt import AdaptConfig, AdaptError
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.model import RowRNNConfig
from rnn_demo.mnist.presets import NOTEBOOK_PRESETS
from rnn_demo.mnist.runs.files import process_id
from rnn_demo.mnist.runs.log import Curves
from rnn_demo.mnist.runs.manager import RunManager, _failure_reason
from rnn_demo.mnist.train import TrainConfig

TINY = RowRNNConfig(cell="gru", hidden_size=16)


def quick(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "batch_size": 64, "lr": 1e-2, "device": "cpu", **overrides})


@pytest.fixture
def manager(tmp_path):
    return RunManager(tmp_path / "runs", splits_factory=lambda device: synthetic_splits(device=device))


class GatedSplits:
    """A splits factory that holds the worker until `release()`: runs stay queued behind it."""

    def __init__(self):
        self.gate = threading.Event()

    def __call__(self, device):
        assert self.gate.wait(30), "test never released the worker"
        return synthetic_splits(device=device)

    def release(self):
        self.gate.set()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_run_logs_every_event_and_completes_with_a_checkpoint(manager):
    record = manager.start(TINY, quick(), name="tiny")
    assert record["status"] in ("queued", "running")
    assert record["params"] > 0 and record["device"] == "cpu"

    done = manager.wait(record["id"], timeout=60)
    assert done["status"] == "completed" and done["reason"] is None
    assert done["epochs_done"] == 2 and 0 <= done["test_acc"] <= 1 and done["best_val_acc"] > 0.3

    folder = manager.root / record["id"]
    kinds = [json.loads(line)["kind"] for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("epoch") == 2 and kinds.count("step") == 2 * 8   # 512 images / batch 64
    assert load_checkpoint(folder / "checkpoint.pt")["metrics"]["status"] == "completed"

    curves = manager.curves(record["id"])
    assert curves.steps == list(range(1, 17)) and len(curves.losses) == 16
    assert [e["epoch"] for e in curves.epochs] == [1, 2]
    assert curves.progress()["epoch"] == 2 and curves.progress()["eta"] is None


def test_stop_ends_a_run_within_seconds_and_keeps_its_metrics(manager):
    record = manager.start(TINY, quick(epochs=500), name="long")
    assert wait_for(lambda: len(manager.curves(record["id"]).steps) >= 3)

    t0 = time.monotonic()
    manager.stop(record["id"])
    stopped = manager.wait(record["id"], timeout=10)
    assert time.monotonic() - t0 < 2.0
    assert stopped["status"] == "stopped" and stopped["reason"] == "stopped by the user"
    assert stopped["test_acc"] is None
    curves = manager.curves(record["id"])
    assert curves.end["status"] == "stopped" and len(curves.steps) >= 3


def test_a_new_manager_on_the_same_folder_finds_the_history(manager, tmp_path):
    first = manager.wait(manager.start(TINY, quick(epochs=1), name="a")["id"])
    second = manager.wait(manager.start(TINY, quick(epochs=1), name="b")["id"])

    again = RunManager(tmp_path / "runs", splits_factory=lambda device: synthetic_splits(device=device))
    runs = {r["id"]: r for r in again.list_runs()}
    assert set(runs) == {first["id"], second["id"]}
    assert runs[first["id"]]["status"] == "completed"
    assert runs[second["id"]]["test_acc"] == second["test_acc"]
    assert len(again.curves(first["id"]).steps) == 8


def test_a_run_left_running_by_a_dead_app_is_marked_interrupted(manager, tmp_path):
    record = manager.wait(manager.start(TINY, quick(epochs=1))["id"])
    run_json = tmp_path / "runs" / record["id"] / "run.json"
    # As a killed app leaves it: still "running", owned by a process that no longer exists.
    run_json.write_text(json.dumps({**record, "status": "running", "process": "4206649:123"}))

    again = RunManager(tmp_path / "runs", splits_factory=synthetic_splits)
    found = again.get(record["id"])
    assert found["status"] == "interrupted"
    assert "app stopped" in found["reason"]


def test_a_run_owned_by_another_live_app_is_left_alone(manager, tmp_path):
    record = manager.wait(manager.start(TINY, quick(epochs=1))["id"])
    other_app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_json = tmp_path / "runs" / record["id"] / "run.json"
        run_json.write_text(json.dumps({**record, "status": "running",
                                        "process": process_id(other_app.pid)}))
        again = RunManager(tmp_path / "runs", splits_factory=synthetic_splits)
        assert again.get(record["id"])["status"] == "running"
    finally:
        other_app.kill()
        other_app.wait()


@pytest.mark.parametrize("model, config, message", [
    (TINY, quick(lr=-1.0), "learning rate"),
    (TINY, quick(epochs=0), "epochs"),
    (TINY, quick(batch_size=0), "batch size"),
    (TINY, quick(schedule="sometimes"), "schedule"),
    (RowRNNConfig(hidden_size=0), quick(), "hidden size"),
    (RowRNNConfig(cell="transformer"), quick(), "cell"),
    (RowRNNConfig(hidden_size=4096, num_layers=8), quick(), "parameters"),
    (TINY, quick(device="tpu"), "device"),
    (RowRNNConfig(cell="rnn", norm="batch"), quick(batch_size=1), "batch size 1 cannot train"),
])
def test_bad_settings_are_rejected_before_anything_starts(manager, model, config, message):
    with pytest.raises(ValueError, match=message):
        manager.start(model, config)
    assert manager.list_runs() == [] and list(manager.root.iterdir()) == []


def test_asking_for_cuda_without_a_gpu_is_rejected(manager, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        manager.start(TINY, quick(device="cuda"))


def test_a_nan_loss_marks_the_run_failed_and_the_worker_keeps_serving(manager):
    exploding = RowRNNConfig(cell="rnn", nonlinearity="relu", hidden_size=16, head="mlp")
    bad = manager.start(exploding, quick(lr=10.0), name="explodes")
    good = manager.start(TINY, quick(epochs=1), name="fine")

    failed = manager.wait(bad["id"])
    assert failed["status"] == "failed"
    assert "FloatingPointError" in failed["reason"] and "nan" in failed["reason"]
    assert manager.curves(bad["id"]).error == failed["reason"]
    assert manager.wait(good["id"])["status"] == "completed"


def test_runs_on_one_device_queue_in_order_with_visible_positions(tmp_path):
    splits = GatedSplits()
    manager = RunManager(tmp_path / "runs", splits_factory=splits)
    first = manager.start(TINY, quick(epochs=1), name="first")
    assert wait_for(lambda: manager.get(first["id"])["status"] == "running")
    second = manager.start(TINY, quick(epochs=1), name="second")
    third = manager.start(TINY, quick(epochs=1), name="third")
    assert (second["position"], third["position"]) == (1, 2)

    dropped = manager.stop(second["id"])            # a waiting run leaves the queue at once
    assert dropped["status"] == "stopped" and dropped["reason"] == "stopped before it started"
    assert manager.get(third["id"])["position"] == 1

    splits.release()
    assert manager.wait(third["id"])["status"] == "completed"
    assert manager.get(first["id"])["status"] == "completed"
    assert manager.curves(first["id"]).end["time"] <= manager.curves(third["id"]).start["time"]
    assert not (manager.root / second["id"] / "metrics.jsonl").exists()


def test_reproduce_the_notebook_queues_every_notebook_preset_in_order(tmp_path):
    splits = GatedSplits()
    manager = RunManager(tmp_path / "runs", splits_factory=splits)
    queued = manager.reproduce_notebook(device="cpu", epochs=1)
    assert [r["name"] for r in queued] == NOTEBOOK_PRESETS
    assert [r["train_config"]["lr"] for r in queued][:2] == [1e-3, 3e-4]   # the presets' recipes
    assert [manager.get(r["id"]).get("position") for r in queued[1:]] == list(range(1, len(queued)))
    for record in reversed(queued):
        manager.stop(record["id"])
    splits.release()
    assert [manager.wait(r["id"])["status"] for r in queued] == ["stopped"] * len(queued)


def test_delete_refuses_an_active_run_and_removes_a_finished_one(manager):
    record = manager.start(TINY, quick(epochs=500))
    with pytest.raises(ValueError, match="stop it"):
        manager.delete(record["id"])
    manager.stop(record["id"])
    manager.wait(record["id"])
    manager.delete(record["id"])
    assert manager.list_runs() == [] and not (manager.root / record["id"]).exists()
    with pytest.raises(ValueError, match="no run"):
        manager.get(record["id"])
    with pytest.raises(ValueError, match="not a run id"):
        manager.delete("../etc")


def test_curves_read_only_complete_lines_and_skip_torn_ones(tmp_path):
    log = tmp_path / "metrics.jsonl"
    log.write_text('{"kind": "step", "step": 1, "loss": 2.3}\n{"kind": "st')
    curves = Curves()
    assert curves.advance(log) and curves.losses == [2.3]
    with open(log, "a") as f:                       # the half line is completed, then more
        f.write('ep", "step": 2, "loss": 2.1}\n{torn by a crash\n{"kind": "step", "step": 3, "loss": 1.9}\n')
    assert curves.advance(log) and curves.steps == [1, 2, 3]
    assert not curves.advance(log)


def test_a_fine_tune_to_my_digits_is_a_run_of_its_owner_with_adapt_events(manager, tiny_checkpoint, my_bars):
    path, _ = tiny_checkpoint
    images, labels = my_bars(20)
    alice, bob = visitor("a" * 32), visitor("b" * 32)
    config = AdaptConfig(steps=5, batch_size=16, mnist_val=64, device="cpu")
    with pytest.raises(AdaptError, match="two different digits"):     # refused before anything is queued
        manager.adapt(path, images[:12], torch.full((12,), 3), config, name="tiny adapted", by=alice)
    assert manager.list_runs() == []
    record = manager.adapt(path, images, labels, config, name="tiny adapted", by=alice)
    assert record["adapt"]["source"] == str(path) and record["owner"] == alice.owner
    done = manager.wait(record["id"], timeout=60)
    assert done["status"] == "completed", done["reason"]
    folder = manager.root / record["id"]
    assert not (folder / "digits.pt").exists(), "the digits leave the server once the run has trained"
    curves = manager.curves(record["id"])
    assert curves.adapt["digits"] == 20 and len(curves.folds) == curves.adapt["runs"] - 1
    adapted = load_checkpoint(folder / "checkpoint.pt")["metrics"]["adapted"]
    assert adapted["source"] == "tiny" and adapted["held_out"] == 20
    with pytest.raises(Exception, match="another visitor"):
        manager.delete(record["id"], by=bob)
    manager.delete(record["id"], by=alice)


@pytest.mark.parametrize("error", [
    torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
    RuntimeError("cuDNN error: CUDNN_STATUS_ALLOC_FAILED"),
    RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"),
    RuntimeError("CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported"),
])
def test_a_gpu_out_of_memory_in_any_library_reads_as_one_clear_line(error):
    assert _failure_reason(error) == "out of GPU memory: use a smaller batch size or model"
    assert _failure_reason(RuntimeError("shape mismatch")) == "RuntimeError: shape mismatch"
