"""The reference notebook's training path, as a baseline measured in the same run as ours.

torchvision's MNIST dataset, ToTensor per sample, a DataLoader of batch 512, Adam at the
preset's learning rate, no schedule: what `python -m rnn_demo.bench train` and
`time-to-accuracy` compare our tensor-resident pipeline against. Also the notebook's way of
scoring a model (left in train mode), which `python -m rnn_demo.bench eval-mode` compares with ours.
"""

import copy
import time

import torch
import torch.nn.functional as F

from ..devices import sync
from ..mnist.data import batches, default_root, ensure_mnist
from ..mnist.presets import get_preset
from ..mnist.train import build_model, evaluate


def notebook_pipeline_epochs(preset_name: str, device, epochs: int = 1, root=None, on_epoch=None):
    """The notebook's way: torchvision MNIST + ToTensor + DataLoader(batch 512, shuffle).

    Trains on its own 50k/10k split of the training set, like the notebook; returns seconds per
    epoch (training only). `on_epoch(epoch, seconds, model)` is called after each epoch.
    """
    from torch.utils.data import DataLoader, random_split
    from torchvision import datasets, transforms
    ensure_mnist(root, log=lambda m: None)
    full = datasets.MNIST(str(root or default_root()), train=True, download=False,
                          transform=transforms.ToTensor())
    train_set, _ = random_split(full, [50_000, 10_000], generator=torch.Generator().manual_seed(0))
    loader = DataLoader(train_set, batch_size=512, shuffle=True)
    preset = get_preset(preset_name)
    model = build_model(preset.model, 0, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=preset.train.lr)
    times, elapsed = [], 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        for images, labels in loader:
            images, labels = images.squeeze(1).to(device), labels.to(device)   # (B, 28, 28)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        sync(device)
        times.append(time.perf_counter() - t0)
        elapsed += times[-1]
        if on_epoch is not None:
            on_epoch(epoch, elapsed, model)
    return times


THRESHOLDS = (0.97, 0.98, 0.99)       # the validation accuracies time-to-accuracy reports


def notebook_time_to_accuracy(device, splits, epochs: int = 10, root=None) -> dict:
    """`lstm` through the notebook's pipeline: when its validation accuracy first crossed each of
    THRESHOLDS, and where it ended.

    Returns {"crossed": {threshold: (training seconds, epoch)}, "train_seconds", "val_acc",
    "test_acc"}; validation (`splits`' own) after every epoch, the test set once, at the end.
    """
    crossed, last = {}, {}

    def on_epoch(epoch, seconds, model):
        _, acc = evaluate(model, splits.val_x, splits.val_y)
        last.update(model=model, train_seconds=seconds, val_acc=acc)
        for t in THRESHOLDS:
            if acc >= t and t not in crossed:
                crossed[t] = (seconds, epoch)

    notebook_pipeline_epochs("lstm", device, epochs, root, on_epoch)
    _, test_acc = evaluate(last.pop("model"), splits.test_x, splits.test_y)
    return {"crossed": crossed, **last, "test_acc": test_acc}


@torch.no_grad()
def notebook_accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Accuracy as the notebook scored it: the model left in train mode, batches of 512 in order.

    The notebook never called model.eval(), so BatchNorm normalised each batch by that batch's
    own mean and variance rather than by the running averages kept during training. The model's
    running statistics (which train mode updates) and its mode are restored afterwards.
    """
    was_training, saved = model.training, copy.deepcopy(model.state_dict())
    model.train()
    correct = 0
    for images, labels in batches(x, y, batch_size, shuffle=False):
        correct += (model(images).argmax(1) == labels).sum().item()
    model.load_state_dict(saved)
    model.train(was_training)
    return correct / max(len(x), 1)
