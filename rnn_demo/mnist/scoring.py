"""Score models on a small labelled set: each model's accuracy, per-digit answers, a confusion count.

    table, warnings = accuracy_table(registry, images, labels)     # every model, best first
    result = score(model, images, labels)                          # one model, digit by digit

`images` are uint8 (N, 28, 28) as MNIST stores them (`my_digits.as_tensors`) or floats in
[0, 1]; `labels` are (N,) digits. Everything returned is plain data (lists, ints, floats).
"""

from dataclasses import dataclass

import torch

from ..checkpoints import CheckpointError
from .data import to_float
from .model import RowRNN
from .registry import ModelRegistry

MIN_CONFUSION_DIGITS = 20       # below this a confusion count says more about luck than the model


@dataclass(frozen=True)
class ModelScore:
    """One model's accuracy on the set, next to its accuracy on MNIST's test set."""
    name: str
    path: str
    source: str                 # "shipped" | "run"
    correct: int
    total: int
    mnist_test_acc: float | None

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class Score:
    """One model, digit by digit; `confusion` only from MIN_CONFUSION_DIGITS digits on."""
    labels: list[int]
    predictions: list[int]
    confidences: list[float]    # the probability of the predicted digit
    confusion: list[list[int]] | None   # [label][prediction] counts, 10x10

    @property
    def correct(self) -> int:
        return sum(p == y for p, y in zip(self.predictions, self.labels))

    @property
    def accuracy(self) -> float:
        return self.correct / len(self.labels) if self.labels else 0.0

    @property
    def misread(self) -> list[int]:
        """Indices of the digits read wrongly."""
        return [i for i, (p, y) in enumerate(zip(self.predictions, self.labels)) if p != y]


def _floats(images) -> torch.Tensor:
    images = torch.as_tensor(images)
    return to_float(images) if images.dtype == torch.uint8 else images.float()


@torch.inference_mode()
def probabilities(model: RowRNN, images, batch_size: int = 1024) -> torch.Tensor:
    """(N, 10) class probabilities for (N, 28, 28) images, in batches on the model's device."""
    x = _floats(images)
    if len(x) == 0:
        return torch.zeros(0, 10)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = torch.cat([torch.softmax(model(x[i:i + batch_size].to(device)), dim=-1).cpu()
                     for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def confusion(labels, predictions) -> list[list[int]]:
    """10x10 counts: row = the true digit, column = the model's answer."""
    labels, predictions = torch.as_tensor(labels), torch.as_tensor(predictions)
    return torch.bincount(labels * 10 + predictions, minlength=100).reshape(10, 10).tolist()


def score(model: RowRNN, images, labels) -> Score:
    """The model's answer and confidence for each digit, and a confusion count if there are enough."""
    probs = probabilities(model, images)
    confidences, predictions = probs.max(dim=1) if len(probs) else (torch.zeros(0), torch.zeros(0))
    labels = torch.as_tensor(labels).tolist()
    predictions = predictions.long().tolist()
    matrix = confusion(labels, predictions) if len(labels) >= MIN_CONFUSION_DIGITS else None
    return Score(labels, predictions, confidences.tolist(), matrix)


def accuracy_table(registry: ModelRegistry, images, labels) -> tuple[list[ModelScore], list[str]]:
    """Every model the registry lists, scored on the set, most accurate first; and one line per
    model that could not be loaded (or per unusable checkpoint the scan found)."""
    listing = registry.scan()
    labels = torch.as_tensor(labels)
    scores, warnings = [], list(listing.warnings)
    for entry in listing.entries:
        try:
            model = registry.model(entry.path)
        except CheckpointError as e:
            warnings.append(str(e))
            continue
        correct = int((probabilities(model, images).argmax(1) == labels).sum()) if len(labels) else 0
        scores.append(ModelScore(entry.title, entry.path, entry.source, correct, len(labels), entry.test_acc))
    scores.sort(key=lambda s: (-s.accuracy, -(s.mnist_test_acc or 0.0)))
    return scores, warnings
