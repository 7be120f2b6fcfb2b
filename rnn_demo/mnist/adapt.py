"""Adapt a model to my handwriting: fine-tune it briefly on my digits mixed with MNIST, and measure.

    for event in adapt(ckpt, images, labels, mnist, AdaptConfig(seconds=20), out="mine.pt"):
        print(event)

Every fine-tune is a run of the one trainer, `rnn_demo.mnist.train.train`, started from the
source checkpoint's weights, for one pass over a mixed training set: `steps` batches of
`batch_size` images, a `my_share` of them my digits (repeated as often as needed, each copy
shifted by up to `max_shift` pixels) and the rest MNIST training images as they are, so the
model does not forget MNIST.

How the figures stay honest (the rule, decided here and recorded with the numbers):

- Refused, with the reason: an empty set, one digit class only, fewer than MIN_DIGITS digits.
- Held-out estimate. Under HOLD_OUT_FROM digits, stratified k-fold with k = FOLDS: the recipe
  runs k times, each time without one fold, and each digit is read by the run that did not see
  it, so every digit counts once. From HOLD_OUT_FROM digits on, one stratified hold-out of a
  fifth of the set. "held-out before" is the source model on the same digits.
- The saved model is then fine-tuned on all the digits with the same recipe; its held-out
  figure is the estimate above (of this recipe, on digits its runs did not see).
- MNIST: validation accuracy before and after on a fixed subset (the first `mnist_val` images
  of the seeded validation split); test accuracy after on the whole test split (the trainer's
  end event), before from the source checkpoint's own record.

With `steps` not given, they are chosen so that the whole adaptation takes about `seconds` on
this machine: what is left once the measurements are counted (MNIST validation is timed before,
and validation again plus the test split are projected at that pace) is shared by the runs at
the pace of two timed steps, never fewer than MIN_STEPS. With `steps` given and the same seed,
everything is deterministic on CPU.

Events, in order: ``adapt`` (the plan and the "before" figures), ``fold`` (one per estimate
run), then the final run's own ``start``/``step``/``epoch``/``end``. The end event and the
checkpoint's metrics carry an ``adapted`` record: the source, the set's size, the protocol and
the before/after figures; MNIST after is the run's own `val_acc` (on the same validation subset)
and `test_acc`.
"""

import copy
import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..checkpoints import load_checkpoint
from ..devices import resolve_device
from ..options import check_all, option
from .data import Splits, random_shift, to_float
from .model import RowRNN, RowRNNConfig
from .train import TrainConfig, evaluate, train

MIN_DIGITS = 10
FOLDS = 4
HOLD_OUT_FROM = 100
HOLD_OUT_FOLDS = 5              # one fold of five: a fifth of the set
MIN_STEPS, MAX_STEPS = 5, 1000


class AdaptError(ValueError):
    """Adaptation refused: the set is empty, of one class, or too small; the message says why."""


@dataclass
class AdaptConfig:
    """The fine-tuning recipe and its time budget."""
    seconds: float = option(20.0, "about how long the whole adaptation may take (every run and "
                                  "measurement); sets the steps when --steps is not given")
    steps: int | None = option(None, "steps per fine-tune; none: as many as --seconds allows")
    batch_size: int = option(64, "images per step")
    my_share: float = option(0.25, "share of the training images that are my digits; the rest are MNIST")
    lr: float = option(1e-4, "peak learning rate (AdamW, one-cycle: warm up, then anneal)")
    max_shift: int = option(2, "random translation of each copy of my digits (not MNIST's), up to "
                               "this many pixels")
    mnist_val: int = option(2000, "MNIST validation images measured before and after (a fixed subset)")
    seed: int = option(0, "seed for the folds, the MNIST sample and the batch order")
    device: str = option("auto", "auto (a GPU when there is one) | cpu | cuda | cuda:N")

    def validate(self) -> "AdaptConfig":
        checks = [
            (0 < self.seconds <= 3600, f"seconds must be in (0, 3600], got {self.seconds}"),
            (self.steps is None or MIN_STEPS <= self.steps <= MAX_STEPS,
             f"steps must be between {MIN_STEPS} and {MAX_STEPS}, got {self.steps}"),
            (1 <= self.batch_size <= 4096, f"batch size must be between 1 and 4096, got {self.batch_size}"),
            (0 < self.my_share <= 1, f"my share must be in (0, 1], got {self.my_share}"),
            (0 < self.lr <= 1 and math.isfinite(self.lr), f"learning rate must be in (0, 1], got {self.lr}"),
            (0 <= self.max_shift <= 8, f"max shift must be between 0 and 8 pixels, got {self.max_shift}"),
            (self.mnist_val >= 1, f"mnist_val must be at least 1, got {self.mnist_val}"),
        ]
        check_all(checks)
        return self

    def train_config(self) -> TrainConfig:
        # One-cycle warms up: a fresh Adam's first steps move every weight by about lr at once.
        # In trials (10-60 steps on 40 digits) a peak of 1e-3 cost `fast` 0.3 points of MNIST
        # test, 3e-4 cost `lstm` and `gru` up to 0.6 (1.0 at a constant rate); 1e-4 kept them
        # all within 0.1 (docs/my-digits.md).
        return TrainConfig(epochs=1, batch_size=self.batch_size, lr=self.lr, optimizer="adamw",
                           weight_decay=1e-4, schedule="onecycle", grad_clip=1.0,
                           seed=self.seed, device=self.device)


def check_set(labels) -> None:
    """Raise AdaptError with the reason when a set cannot be adapted to."""
    labels = torch.as_tensor(labels)
    if len(labels) == 0:
        raise AdaptError("my digits are empty: save or import some digits first")
    classes = labels.unique().tolist()
    if len(classes) == 1:
        raise AdaptError(f"all {len(labels)} digits are {classes[0]}s: adapting needs at least two "
                         "different digits, or the model would learn to answer "
                         f"{classes[0]} to everything")
    if ((labels < 0) | (labels > 9)).any():
        raise AdaptError("labels must be digits 0-9")
    if len(labels) < MIN_DIGITS:
        raise AdaptError(f"only {len(labels)} digits: adapting needs at least {MIN_DIGITS}, so "
                         "that some can be held out to measure it")


def folds(labels, seed: int = 0) -> list[torch.Tensor]:
    """The held-out digit indices of each estimate run (see the module docstring).

    Stratified: each class's digits, in seeded order, are dealt to the folds in turn, and the
    next class starts dealing where the last one stopped, so the folds differ by one at most.
    """
    labels = torch.as_tensor(labels)
    k = FOLDS if len(labels) < HOLD_OUT_FROM else HOLD_OUT_FOLDS
    generator = torch.Generator().manual_seed(seed)
    dealt, turn = [[] for _ in range(k)], 0
    for label in labels.unique().tolist():
        members = (labels == label).nonzero().flatten()
        for i in members[torch.randperm(len(members), generator=generator)].tolist():
            dealt[turn % k].append(i)
            turn += 1
    parts = [torch.tensor(sorted(d), dtype=torch.long) for d in dealt]
    return parts if len(labels) < HOLD_OUT_FROM else parts[:1]


def _draw(n: int, pool: int, generator: torch.Generator) -> torch.Tensor:
    """n indices into range(pool): whole seeded permutations, one after another, cut at n."""
    rounds = max(1, math.ceil(n / pool))
    return torch.cat([torch.randperm(pool, generator=generator) for _ in range(rounds)])[:n]


def _mixed(images, labels, mnist: Splits, config: AdaptConfig, steps: int) -> tuple:
    """(train x, train y): steps x batch images, `my_share` of them my digits, the rest MNIST."""
    total = steps * config.batch_size
    n_mine = max(1, round(config.my_share * total))
    generator = torch.Generator().manual_seed(config.seed)
    mine = _draw(n_mine, len(images), generator)
    sample = _draw(total - n_mine, len(mnist.train_x), generator)
    device = mnist.train_x.device
    # Only my few digits are shifted: MNIST as the models learned it stays as it is (shifting it
    # too cost lstm, trained without shifts, 0.2 points of MNIST test in trials).
    mine_x = random_shift(images[mine], config.max_shift, generator).to(device)
    x = torch.cat([mine_x, mnist.train_x[sample.to(device)]])
    y = torch.cat([labels.to(device)[mine.to(device)], mnist.train_y[sample.to(device)]])
    return x, y


def seconds_per_step(model: RowRNN, config: AdaptConfig, x: torch.Tensor, y: torch.Tensor) -> float:
    """Wall seconds of one training step at this batch size, timed on a copy of the model."""
    device = resolve_device(config.device)
    probe = copy.deepcopy(model).to(device).train()
    optimizer = torch.optim.AdamW(probe.parameters(), lr=config.lr)
    images = to_float(x[:config.batch_size].to(device))
    times = []
    with torch.random.fork_rng(devices=[]):       # dropout in the probe leaves no trace
        for _ in range(3):
            t0 = time.perf_counter()
            loss = F.cross_entropy(probe(images), y[:config.batch_size].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - t0)
    return sum(times[1:]) / 2                       # the first step pays for warm-up


def _load(source) -> tuple[dict, str]:
    if isinstance(source, dict):
        return source, str(source.get("metrics", {}).get("name") or "checkpoint")
    return load_checkpoint(source, kind="row_rnn"), Path(source).stem


def adapt(source, images: torch.Tensor, labels: torch.Tensor, mnist: Splits,
          config: AdaptConfig | None = None, out=None, stop: threading.Event | None = None,
          name: str | None = None):
    """Fine-tune the row_rnn checkpoint `source` (path or loaded dict) to my digits, yielding events.

    images: uint8 (N, 28, 28), or floats in [0, 1]; labels: (N,) digits 0-9; mnist: the splits
    to mix in and measure on. Raises AdaptError (before any event) for a set that cannot be
    adapted to; `stop` ends the work after the current step with an end event of status
    'stopped'; `out`: where the adapted checkpoint goes.
    """
    t0 = time.perf_counter()
    config = (config or AdaptConfig()).validate()
    images, labels = torch.as_tensor(images), torch.as_tensor(labels, dtype=torch.long)
    if images.is_floating_point():                 # preprocess's [0, 1] -> MNIST's uint8
        images = (images.clamp(0, 1) * 255).round().to(torch.uint8)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"expected (N, 28, 28) images and N labels, got {tuple(images.shape)} "
                         f"and {len(labels)}")
    check_set(labels)
    ckpt, source_name = _load(source)
    model_config = RowRNNConfig(**ckpt["config"])
    device = resolve_device(config.device)
    model = RowRNN.from_checkpoint(ckpt, device)
    held = folds(labels, config.seed)
    held_all, runs = torch.cat(held), len(held) + 1
    val = (mnist.val_x[:config.mnist_val], mnist.val_y[:config.mnist_val])
    _, held_before = evaluate(model, images[held_all].to(device), labels[held_all].to(device))
    t_val = time.perf_counter()
    _, val_before = evaluate(model, val[0].to(device), val[1].to(device))
    t_val = time.perf_counter() - t_val
    steps = config.steps
    if steps is None:
        x, y = _mixed(images, labels, mnist, config, 1)
        step_seconds = seconds_per_step(model, config, x, y)
        # Still to measure at the pace validation just took: validation again, the test split.
        measuring = t_val * (1 + len(mnist.test_x) / max(len(val[0]), 1))
        left = config.seconds - (time.perf_counter() - t0) - measuring
        steps = min(max(int(left / runs / step_seconds), MIN_STEPS), MAX_STEPS)
    record = {
        "source": source_name, "source_test_acc": ckpt["metrics"].get("test_acc"),
        "digits": len(labels), "counts": torch.bincount(labels, minlength=10).tolist(),
        "protocol": f"{FOLDS}-fold" if len(held) > 1 else "hold-out 1/5",
        "held_out": len(held_all), "held_out_before": held_before,
        "mnist_val_images": len(val[0]), "mnist_val_before": val_before,
        "steps": steps, "batch_size": config.batch_size, "my_share": config.my_share,
        "runs": runs, "config": asdict(config),
    }
    yield {"kind": "adapt", **record, "seconds": time.perf_counter() - t0}

    recipe, correct = config.train_config(), 0
    for i, part in enumerate(held):
        keep = torch.ones(len(labels), dtype=torch.bool)
        keep[part] = False
        x, y = _mixed(images[keep], labels[keep], mnist, config, steps)
        # Validation and test are this fold's held-out digits: the end event's test_acc.
        fold = Splits(x, y, images[part], labels[part], images[part], labels[part], mnist.split_seed)
        t_fold = time.perf_counter()
        end = list(train(model_config, recipe, fold, stop=stop, name=f"fold {i + 1}",
                         init=ckpt["state_dict"]))[-1]
        if end["status"] != "completed":
            yield {"kind": "end", "status": end["status"], "test_acc": None, "val_acc": None,
                   "best_val_acc": None, "epochs_done": 0, "train_seconds": 0.0,
                   "adapt_seconds": time.perf_counter() - t0, "checkpoint_path": None,
                   "adapted": record}
            return
        hits = round(end["test_acc"] * len(part))
        correct += hits
        yield {"kind": "fold", "fold": i + 1, "folds": len(held), "held_out": len(part),
               "correct": hits, "seconds": time.perf_counter() - t_fold}
    origin = {**record, "held_out_after": correct / len(held_all)}

    x, y = _mixed(images, labels, mnist, config, steps)
    final = Splits(x, y, *val, mnist.test_x, mnist.test_y, mnist.split_seed)
    for event in train(model_config, recipe, final, out=out, stop=stop,
                       name=name or f"{source_name} adapted", init=ckpt["state_dict"],
                       extra_metrics={"adapted": origin}):
        yield {**event, "adapt_seconds": time.perf_counter() - t0} if event["kind"] == "end" else event
