"""The notebook's way of scoring a model: left in train mode, so BatchNorm uses each batch's own
statistics; a model without BatchNorm scores the same either way."""

import copy

import pytest
import torch

from rnn_demo.bench.eval_mode import with_training_statistics
from rnn_demo.bench.notebook import notebook_accuracy
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.model import RowRNN, RowRNNConfig
from rnn_demo.mnist.train import TrainConfig, build_model, evaluate, train


def _trained(folder, norm):
    splits = synthetic_splits(n_train=256, n_val=256)
    config = RowRNNConfig(cell="gru", hidden_size=16, norm=norm)
    list(train(config, TrainConfig(epochs=2, batch_size=32, lr=3e-2, device="cpu"), splits,
               out=folder / "m.pt"))
    return RowRNN.from_checkpoint(folder / "m.pt"), splits


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return _trained(tmp_path_factory.mktemp("plain"), None)


@pytest.fixture(scope="module")
def batchnorm(tmp_path_factory):
    return _trained(tmp_path_factory.mktemp("batchnorm"), "batch")


def test_without_batchnorm_the_notebooks_score_is_ours(plain):
    model, splits = plain
    _, ours = evaluate(model, splits.val_x, splits.val_y)
    assert notebook_accuracy(model, splits.val_x, splits.val_y, batch_size=64) == ours


def test_batchnorm_is_scored_on_batch_statistics_and_the_model_is_left_as_it_was(batchnorm):
    model, splits = copy.deepcopy(batchnorm[0]), batchnorm[1]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    scored = notebook_accuracy(model, splits.val_x, splits.val_y, batch_size=64)
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # Spoil the running statistics: eval mode (ours) suffers, the notebook's score does not move.
    model.norm.running_mean.fill_(50.0)
    _, spoiled = evaluate(model, splits.val_x, splits.val_y)
    assert notebook_accuracy(model, splits.val_x, splits.val_y, batch_size=64) == scored
    assert spoiled < scored


def test_a_fresh_model_is_untouched_by_scoring():
    model = build_model(RowRNNConfig(cell="rnn", hidden_size=8, norm="batch"), seed=0, device="cpu").train()
    splits = synthetic_splits(n_train=64, n_val=64)
    notebook_accuracy(model, splits.val_x, splits.val_y)
    assert model.training and int(model.norm.num_batches_tracked) == 0


def test_precise_batchnorm_statistics_are_the_training_images_mean_and_variance(batchnorm):
    model, splits = batchnorm
    precise = with_training_statistics(model, splits.train_x, batch_size=len(splits.train_x))
    with torch.no_grad():
        _, state = model.rnn(splits.train_x.float() / 255)
        features = state[-1]                                     # (N, H): what the norm sees
    assert torch.allclose(precise.norm.running_mean, features.mean(0), atol=1e-5)
    assert torch.allclose(precise.norm.running_var, features.var(0), atol=1e-5)
    assert not precise.training and not torch.equal(model.norm.running_mean, precise.norm.running_mean)
