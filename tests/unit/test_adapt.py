"""Adapting a model to my digits: refused with a reason, honest folds, deterministic, and it learns."""

import json
import threading

import pytest
import torch

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.mnist.adapt import FOLDS, HOLD_OUT_FROM, AdaptConfig, AdaptError, adapt, folds
from rnn_demo.mnist.model import RowRNN
from rnn_demo.mnist.train import TrainConfig, train

QUICK = AdaptConfig(steps=12, batch_size=32, my_share=0.5, lr=1e-2, max_shift=0, mnist_val=64,
                    device="cpu")


def test_the_trainer_can_start_from_given_weights_and_record_more_metrics(tiny_checkpoint, tmp_path):
    path, splits = tiny_checkpoint
    ckpt = load_checkpoint(path)
    source = RowRNN.from_checkpoint(ckpt)
    config = TrainConfig(epochs=1, batch_size=64, lr=1e-9, device="cpu")   # a step that moves nothing
    events = list(train(source.config, config, splits, out=tmp_path / "same.pt", init=ckpt["state_dict"],
                        extra_metrics={"adapted": {"source": "tiny"}}))
    first_loss = events[1]["loss"]
    fresh_loss = next(e for e in train(source.config, config, splits) if e["kind"] == "step")["loss"]
    assert first_loss < fresh_loss                          # the trained weights, not fresh ones
    assert events[-1]["test_acc"] == pytest.approx(ckpt["metrics"]["test_acc"], abs=0.01)
    assert events[-1]["adapted"] == {"source": "tiny"}
    assert load_checkpoint(tmp_path / "same.pt")["metrics"]["adapted"] == {"source": "tiny"}


@pytest.mark.parametrize("labels, words", [
    ([], "empty"),
    ([3] * 12, "all 12 digits are 3s"),
    ([1, 2] * 4, "only 8 digits"),
])
def test_adapting_is_refused_with_a_reason(tiny_checkpoint, labels, words):
    path, splits = tiny_checkpoint
    labels = torch.tensor(labels, dtype=torch.long)
    images = torch.zeros(len(labels), 28, 28, dtype=torch.uint8)
    events = adapt(path, images, labels, splits, QUICK)
    with pytest.raises(AdaptError, match=words):
        next(events)


def test_float_pictures_are_read_like_the_uint8_ones_they_round_to(tiny_checkpoint, my_bars):
    path, splits = tiny_checkpoint
    images, labels = my_bars(20)
    as_uint8 = list(adapt(path, images, labels, splits, QUICK))
    as_float = list(adapt(path, images.float() / 255, labels, splits, QUICK))
    assert [e.get("loss") for e in as_float] == [e.get("loss") for e in as_uint8]
    with pytest.raises(ValueError, match="expected .N, 28, 28. images and N labels"):
        next(adapt(path, images[:, :20], labels, splits, QUICK))


def test_k_fold_holds_each_digit_out_once_and_keeps_classes_balanced():
    labels = torch.tensor([0] * 4 + [1] * 4 + [2] * 3 + [3] * 2 + [4] * 1)
    parts = folds(labels, seed=1)
    assert len(parts) == FOLDS
    assert sorted(torch.cat(parts).tolist()) == list(range(len(labels)))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    for part in parts:                                     # four 0s and four 1s: one of each per fold
        assert (labels[part] == 0).sum() == 1 and (labels[part] == 1).sum() == 1
    assert [p.tolist() for p in folds(labels, seed=1)] == [p.tolist() for p in parts]
    assert [p.tolist() for p in folds(labels, seed=2)] != [p.tolist() for p in parts]


def test_from_a_hundred_digits_one_stratified_fifth_is_held_out():
    labels = torch.arange(HOLD_OUT_FROM) % 10
    (part,) = folds(labels)
    assert len(part) == HOLD_OUT_FROM // 5
    assert torch.bincount(labels[part], minlength=10).tolist() == [2] * 10


def _adapt(tiny_checkpoint, my_bars, out=None, **changes):
    path, splits = tiny_checkpoint
    images, labels = my_bars(20)
    config = AdaptConfig(**{**QUICK.__dict__, **changes})
    return list(adapt(path, images, labels, splits, config, out=out))


def test_a_fine_tune_is_deterministic_with_a_seed(tiny_checkpoint, my_bars, tmp_path):
    a = _adapt(tiny_checkpoint, my_bars, out=tmp_path / "a.pt")
    b = _adapt(tiny_checkpoint, my_bars, out=tmp_path / "b.pt")
    c = _adapt(tiny_checkpoint, my_bars, seed=1)

    def figures(events):
        return [(e["kind"], e.get("loss"), e.get("correct"), e.get("val_acc"), e.get("test_acc"))
                for e in events]
    assert figures(a) == figures(b) and figures(a) != figures(c)
    first, second = load_checkpoint(tmp_path / "a.pt"), load_checkpoint(tmp_path / "b.pt")
    assert all(torch.equal(first["state_dict"][k], second["state_dict"][k]) for k in first["state_dict"])


def test_events_come_in_order_and_the_checkpoint_records_its_origin(tiny_checkpoint, my_bars, tmp_path):
    events = _adapt(tiny_checkpoint, my_bars, out=tmp_path / "mine.pt")
    kinds = [e["kind"] for e in events]
    assert kinds[:1 + FOLDS] == ["adapt"] + ["fold"] * FOLDS
    assert kinds[1 + FOLDS] == "start" and kinds[-2:] == ["epoch", "end"]
    assert kinds.count("step") == QUICK.steps
    json.dumps(events)                                     # plain data, for the page and the log
    plan, end = events[0], events[-1]
    assert plan["digits"] == 20 and plan["held_out"] == 20 and plan["protocol"] == f"{FOLDS}-fold"
    assert sum(e["held_out"] for e in events if e["kind"] == "fold") == 20
    ckpt = load_checkpoint(tmp_path / "mine.pt", kind="row_rnn")
    origin = ckpt["metrics"]["adapted"]
    assert origin["source"] == "tiny" and origin["digits"] == 20 and origin["counts"] == [2] * 10
    assert origin["held_out_after"] == sum(e["correct"] for e in events if e["kind"] == "fold") / 20
    assert origin["held_out_before"] == plan["held_out_before"]
    assert ckpt["metrics"]["test_acc"] == end["test_acc"] and end["adapted"] == origin
    assert ckpt["metrics"]["status"] == "completed" and end["checkpoint_path"] == str(tmp_path / "mine.pt")
    RowRNN.from_checkpoint(tmp_path / "mine.pt")


def test_adapting_learns_a_new_handwriting_and_keeps_the_old_one(tiny_checkpoint, my_bars):
    events = _adapt(tiny_checkpoint, my_bars, steps=40)
    plan, end = events[0], events[-1]
    origin = end["adapted"]
    assert plan["held_out_before"] <= 0.6                  # shifted bars: half on the next digit's
    assert origin["held_out_after"] >= plan["held_out_before"] + 0.3, origin
    assert end["val_acc"] >= plan["mnist_val_before"] - 0.1, (plan, end["val_acc"])


def test_stop_ends_the_adaptation_with_a_stopped_end_event(tiny_checkpoint, my_bars, tmp_path):
    path, splits = tiny_checkpoint
    images, labels = my_bars(20)
    stop = threading.Event()
    events = []
    for event in adapt(path, images, labels, splits, QUICK, out=tmp_path / "never.pt", stop=stop):
        events.append(event)
        if event["kind"] == "fold":
            stop.set()
    assert [e["kind"] for e in events] == ["adapt", "fold", "end"]
    assert events[-1]["status"] == "stopped" and events[-1]["checkpoint_path"] is None
    assert not (tmp_path / "never.pt").exists()


def test_without_steps_the_time_budget_sets_them(tiny_checkpoint, my_bars):
    events = _adapt(tiny_checkpoint, my_bars, steps=None, seconds=1.0)
    plan = events[0]
    assert 5 <= plan["steps"] <= 1000
    assert [e["kind"] for e in events].count("step") == plan["steps"]
