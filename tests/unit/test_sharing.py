"""A lab a class can share: runs have owners, queues have quotas and turns, runs have size limits."""

import json
import subprocess
import sys
import threading
import time

import pytest
import torch

from rnn_demo.mnist.runs import limits
from rnn_demo.mnist.runs.quotas import OPERATOR, NotYourRun, QuotaError, Quotas, new_token, owner_id, visitor
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.runs.fair_queue import FairQueue
from rnn_demo.mnist.model import RowRNNConfig
from rnn_demo.mnist.presets import NOTEBOOK_PRESETS
from rnn_demo.mnist.runs.manager import RunManager
from rnn_demo.mnist.train import TrainConfig

TINY = RowRNNConfig(cell="gru", hidden_size=16)


def quick(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 1, "batch_size": 64, "lr": 1e-2, "device": "cpu", **overrides})


class Gate:
    """A splits factory that holds the worker until `release()`: later runs stay queued."""

    def __init__(self):
        self.opened = threading.Event()

    def __call__(self, device):
        assert self.opened.wait(30), "test never released the worker"
        return synthetic_splits(n_train=128, n_val=32, n_test=32, device=device)

    def release(self):
        self.opened.set()


@pytest.fixture
def gate():
    return Gate()


@pytest.fixture
def manager(tmp_path, gate):
    """A manager whose worker waits at the gate: every run stays queued or running until release."""
    manager = RunManager(tmp_path / "runs", splits_factory=gate, quotas=Quotas(per_owner=3, total=5))
    yield manager
    for record in manager.list_runs():
        manager.stop(record["id"])
    gate.release()


ALICE, BOB = visitor(new_token()), visitor(new_token())


def test_runs_record_a_hash_of_the_owner_token_never_the_token(tmp_path):
    token = new_token()
    manager = RunManager(tmp_path / "runs", splits_factory=lambda d: synthetic_splits(device=d))
    record = manager.wait(manager.start(TINY, quick(), by=visitor(token))["id"])
    stored = (tmp_path / "runs" / record["id"] / "run.json").read_text()
    assert token not in stored and json.loads(stored)["owner"] == owner_id(token) != token
    assert owner_id(token) == owner_id(token) != owner_id(new_token())
    with pytest.raises(ValueError):
        visitor("short")


def test_only_the_owner_or_the_operator_stops_or_deletes_a_run(manager, gate):
    mine = manager.start(TINY, quick(), by=ALICE)
    with pytest.raises(NotYourRun, match="belongs to another visitor"):
        manager.stop(mine["id"], by=BOB)
    assert manager.get(mine["id"])["status"] in ("queued", "running")
    manager.stop(mine["id"], by=ALICE)
    gate.release()
    assert manager.wait(mine["id"])["status"] == "stopped"
    with pytest.raises(NotYourRun):
        manager.delete(mine["id"], by=BOB)
    assert manager.get(mine["id"])
    theirs = manager.wait(manager.start(TINY, quick(), by=BOB)["id"])
    manager.delete(theirs["id"], by=OPERATOR)               # the operator manages every run
    manager.delete(mine["id"], by=ALICE)
    assert manager.list_runs() == []


def test_a_visitor_past_their_quota_is_refused_naming_it_and_others_still_start(manager):
    for _ in range(3):
        manager.start(TINY, quick(), by=ALICE)
    with pytest.raises(QuotaError, match="limit is 3 per visitor"):
        manager.start(TINY, quick(), by=ALICE)
    manager.start(TINY, quick(), by=BOB)
    manager.start(TINY, quick(), by=BOB)                  # 5 active: the lab's total
    with pytest.raises(QuotaError, match="limit is 5 in total"):
        manager.start(TINY, quick(), by=visitor(new_token()))
    assert manager.start(TINY, quick(), by=OPERATOR)["status"] == "queued"   # no quota for the operator
    assert manager.usage(ALICE) == (3, 6)


def test_a_stopped_run_frees_its_place_in_the_quota(manager):
    runs = [manager.start(TINY, quick(), by=ALICE) for _ in range(3)]
    manager.stop(runs[-1]["id"], by=ALICE)                  # queued: leaves at once
    assert manager.room(ALICE) == 1
    manager.start(TINY, quick(), by=ALICE)


def test_reproduce_the_notebook_counts_nine_runs_trimmed_for_a_visitor_whole_for_the_operator(manager):
    manager.start(TINY, quick(epochs=500), by=ALICE)
    queued = manager.reproduce_notebook(device="cpu", epochs=1, by=ALICE)
    assert [r["name"] for r in queued] == NOTEBOOK_PRESETS[:2]
    with pytest.raises(QuotaError, match="per visitor"):
        manager.reproduce_notebook(device="cpu", epochs=1, by=ALICE)
    assert len(manager.reproduce_notebook(device="cpu", epochs=1, by=OPERATOR)) == len(NOTEBOOK_PRESETS)


def test_fair_queue_serves_owners_round_robin():
    q = FairQueue()
    for run in ("a1", "a2", "a3"):
        q.push(run, "A")
    q.push("b1", "B")
    q.push("b2", "B")
    assert list(q) == ["a1", "b1", "a2", "b2", "a3"]
    assert q.pop() == "a1" and q.pop() == "b1"
    q.push("c1", "C")                    # a latecomer joins the round being served
    assert list(q) == ["c1", "a2", "b2", "a3"] and q.position("a2") == 2
    q.push("a4", "A")
    assert q.remove("b2") and not q.remove("b2") and "b2" not in q
    assert [q.pop() for _ in range(len(q))] == ["c1", "a2", "a3", "a4"] and q.pop() is None


def test_runs_on_a_device_start_round_robin_by_owner(tmp_path, gate):
    manager = RunManager(tmp_path / "runs", splits_factory=gate, quotas=Quotas(per_owner=5, total=20))
    first = manager.start(TINY, quick(), name="a0", by=ALICE)     # holds the worker at the gate
    queued = [manager.start(TINY, quick(), name=n, by=who)
              for n, who in (("a1", ALICE), ("a2", ALICE), ("a3", ALICE), ("b1", BOB), ("b2", BOB))]
    gate.release()
    done = [manager.wait(r["id"]) for r in [first, *queued]]
    order = [r["name"] for r in sorted(done, key=lambda r: r["started"])]
    assert order == ["a0", "b1", "a1", "b2", "a2", "a3"]     # B's first run waits for none of A's


def test_a_run_too_big_for_free_memory_is_refused_with_the_estimate(manager, monkeypatch):
    monkeypatch.setattr(limits, "free_bytes", lambda device: 2 * 2**30)
    big = RowRNNConfig(cell="lstm", hidden_size=1024, num_layers=2, bidirectional=True)
    need = limits.activation_bytes(big, 4096)
    assert need == 4096 * 28 * 1024 * 2 * 2 * 21 * 4
    with pytest.raises(ValueError, match=r"needs about 37\.\d GiB.*2\.0 GiB free") as refused:
        manager.start(big, quick(batch_size=4096))
    assert "batch 4096 x 28 rows x hidden 1024 x 2 layer(s) x 2 direction(s) x 21 values" in str(refused.value)
    assert manager.start(big, quick(batch_size=16))["status"] in ("queued", "running")


def test_the_activation_estimate_bounds_what_autograd_keeps():
    """CELL_TYPES[cell].kept_per_unit against the bytes torch actually saves for backward (CPU): never below, < 2x above."""
    from rnn_demo.mnist.model import RowRNN
    for cell in ("rnn", "gru", "lstm"):
        config = RowRNNConfig(cell=cell, hidden_size=32, num_layers=2, bidirectional=True)
        model, storages = RowRNN(config), {}

        def keep(t):
            storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
            return t
        with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
            model(torch.rand(16, 28, 28)).sum()
        weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
        saved = sum(n for ptr, n in storages.items() if ptr not in weights)
        estimate = limits.activation_bytes(config, 16)
        assert saved <= estimate < 2 * saved, (cell, saved, estimate)


def test_the_command_line_stops_a_run_the_app_is_training(tmp_path):
    manager = RunManager(tmp_path / "runs", splits_factory=lambda d: synthetic_splits(device=d))
    record = manager.start(TINY, quick(epochs=500), by=ALICE)
    deadline = time.monotonic() + 30
    while not manager.curves(record["id"]).steps and time.monotonic() < deadline:
        time.sleep(0.05)
    cli = subprocess.run([sys.executable, "-m", "rnn_demo", "runs", "stop", record["id"],
                          "--runs", str(tmp_path / "runs")], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert record["id"] in cli.stdout and manager.wait(record["id"], timeout=10)["status"] == "stopped"


def test_quotas_come_from_the_environment_and_bad_values_are_named():
    assert Quotas.from_environ({"RNN_DEMO_MAX_RUNS_PER_OWNER": "5"}) == Quotas(per_owner=5, total=20)
    with pytest.raises(ValueError, match="RNN_DEMO_MAX_RUNS must be a whole number"):
        Quotas.from_environ({"RNN_DEMO_MAX_RUNS": "many"})
    with pytest.raises(ValueError, match=">= 1"):
        Quotas(per_owner=0).validate()



def test_the_command_line_lists_and_deletes_anyones_runs(tmp_path, capsys):
    from rnn_demo.cli import main
    manager = RunManager(tmp_path / "runs", splits_factory=lambda d: synthetic_splits(n_train=64, device=d))
    record = manager.wait(manager.start(TINY, quick(), by=ALICE)["id"])
    assert main(["runs", "list", "--runs", str(tmp_path / "runs")]) == 0
    listed = capsys.readouterr().out
    assert "1 run(s)" in listed and record["id"] in listed and f"visitor {ALICE.owner[:8]}" in listed
    assert main(["runs", "delete", record["id"], "--runs", str(tmp_path / "runs")]) == 0
    assert not (tmp_path / "runs" / record["id"]).exists()
    assert main(["runs", "list", "--runs", str(tmp_path / "nowhere")]) == 2
    assert "no runs folder" in capsys.readouterr().err


def test_a_weight_average_counts_its_copy_of_the_weights(manager, monkeypatch):
    model = RowRNNConfig(cell="gru", hidden_size=512)
    params = limits.count_params(model)
    plain, averaged = limits.training_bytes(model, 16), limits.training_bytes(model, 16, averaged=True)
    assert averaged - plain == 4 * params
    # free memory between the two estimates: only the run with a weight EMA is refused
    monkeypatch.setattr(limits, "free_bytes", lambda device: int((plain + averaged) / 2 / limits.FREE_SHARE))
    with pytest.raises(ValueError, match="20 bytes per parameter"):
        manager.start(model, quick(batch_size=16, ema=0.999))
    assert manager.start(model, quick(batch_size=16))["status"] in ("queued", "running")
