"""Scoring models on my digits: every model's accuracy, each digit's answer, a confusion count."""

import shutil

import torch

from rnn_demo.mnist.model import RowRNN, predict
from rnn_demo.mnist.registry import ModelRegistry
from rnn_demo.mnist.scoring import MIN_CONFUSION_DIGITS, accuracy_table, confusion, score


def test_each_digit_gets_the_models_answer_and_confidence(tiny_checkpoint):
    path, splits = tiny_checkpoint
    model = RowRNN.from_checkpoint(path)
    images, labels = splits.test_x[:12], splits.test_y[:12]
    result = score(model, images, labels)
    probs = predict(model, images.float() / 255)
    assert result.predictions == probs.argmax(1).tolist()
    assert torch.allclose(torch.tensor(result.confidences), probs.max(1).values)
    assert result.labels == labels.tolist()
    assert result.correct == sum(p == y for p, y in zip(result.predictions, result.labels))
    assert result.misread == [i for i in range(12) if result.predictions[i] != result.labels[i]]
    assert result.confusion is None                       # 12 digits: too few to count confusions


def test_a_confusion_count_from_twenty_digits_on(tiny_checkpoint, my_bars):
    path, splits = tiny_checkpoint
    model = RowRNN.from_checkpoint(path)
    images, labels = my_bars(MIN_CONFUSION_DIGITS)        # a writing it half misreads
    result = score(model, images, labels)
    matrix = torch.tensor(result.confusion)
    assert matrix.shape == (10, 10) and matrix.sum() == MIN_CONFUSION_DIGITS
    assert matrix.diag().sum() == result.correct
    assert matrix.sum(1).tolist() == torch.bincount(labels, minlength=10).tolist()
    assert confusion([3, 3, 5], [3, 8, 5])[3] == [0, 0, 0, 1, 0, 0, 0, 0, 1, 0]


def test_every_model_is_scored_best_first_and_a_broken_one_is_reported(tiny_checkpoint, tmp_path,
                                                                         my_bars):
    path, splits = tiny_checkpoint
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    shutil.copy(path, folder / "reader.pt")
    untrained = RowRNN.from_checkpoint(path)
    torch.nn.init.zeros_(untrained.head.weight)                  # answers the same for every digit
    torch.nn.init.zeros_(untrained.head.bias)
    ckpt = torch.load(path, weights_only=True)
    torch.save({**ckpt, "state_dict": untrained.state_dict()}, folder / "blank.pt")
    (folder / "broken.pt").write_bytes(b"not a checkpoint")
    images, labels = splits.test_x[:30], splits.test_y[:30]
    table, warnings = accuracy_table(ModelRegistry(folder), images, labels)
    assert [row.name for row in table] == ["reader", "blank"]
    reader = table[0]
    expected = score(RowRNN.from_checkpoint(path), images, labels)
    assert reader.total == 30 and reader.correct == expected.correct
    assert reader.accuracy > table[1].accuracy and reader.mnist_test_acc == ckpt["metrics"]["test_acc"]
    assert len(warnings) == 1 and "broken.pt" in warnings[0]
