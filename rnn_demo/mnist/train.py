"""One training loop for the row-reading classifiers, written as a generator of plain events.

    for event in train(model_config, TrainConfig(epochs=1), splits):
        print(event)   # {"kind": "step", "epoch": 1, "step": 12, "loss": 0.83} ...

Event kinds, in order: ``start`` (once), ``step`` (every ``log_every`` steps), ``epoch`` (after
each epoch's validation), ``end`` (once: test accuracy, checkpoint path, status). The CLI prints
them, the UI plots them, the tests assert on them.

Precision: the default is fp32, the reference notebook's, so a preset trains in the same
arithmetic on every machine and a seeded CPU run is the same run everywhere. `bf16` (or `auto`,
bf16 where the hardware has it) runs the training steps under autocast; weights, optimiser state
and checkpoints stay float32. Validation and test run in fp32 either way: the accuracy a
checkpoint records is then the accuracy of the weights as everything else runs them (the Sketch
tab, `python -m rnn_demo evaluate`), whatever precision trained them.

Weight averaging: with `ema` > 0 an exponential moving average of the weights is kept beside
them (WarmupEMA: torch.optim.swa_utils.AveragedModel with timm's warm-up of the decay);
validation, test and the checkpoint use the average.

Clocks: on a GPU the clock is read after the queued work has finished (devices.sync), so
`train_seconds` is the time the training steps took, not the time it took to queue them.
"""

import math
import threading
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

from ..checkpoints import save_checkpoint
from ..devices import device_label, resolve_device, sync
from ..options import check_all, option
from ..precision import PRECISIONS, autocast, resolve_precision
from .data import Splits, batch_count, batches
from .model import RowRNN, RowRNNConfig, count_parameters

OPTIMIZERS = ("adam", "adamw")
CUDA_LOG_EVERY = 10          # on a GPU, steps per loss read-back at least: each read-back is a device sync
SCHEDULES = ("constant", "onecycle", "cosine")


@dataclass
class TrainConfig:
    """The recipe; defaults are the reference notebook's (Adam 1e-3, batch 512, 10 epochs)."""
    epochs: int = option(10, "passes over the training images")
    batch_size: int = option(512, "images per step")
    lr: float = option(1e-3, "peak learning rate", label="Learning rate")
    optimizer: str = option("adam", "optimizer", choices=OPTIMIZERS)
    weight_decay: float = option(0.0, "weight decay")
    schedule: str = option("constant", "learning-rate schedule", choices=SCHEDULES)
    grad_clip: float = option(0.0, "max global gradient norm; 0 = off", label="Gradient clip (0 = off)")
    label_smoothing: float = option(0.0, "label smoothing of the cross-entropy")
    max_shift: int = option(0, "random translation of each training image, up to this many pixels",
                            label="Max shift (px, augmentation)")
    max_rotation: float = option(0.0, "random rotation of each training image, up to this many degrees",
                                 label="Max rotation (degrees, augmentation)")
    max_scale: float = option(0.0, "random scaling of each training image by up to this fraction "
                              "(0.1: 0.9 to 1.1 times its size)", label="Max scale (fraction, augmentation)")
    ema: float = option(0.0, "decay of an exponential moving average of the weights, which "
                        "validation, test and the checkpoint use (e.g. 0.999, warmed up over the "
                        "first steps); 0 = off",
                        label="Weight EMA decay (0 = off)")
    seed: int = option(0, "seed for the weights and the batch order")
    device: str = option("auto", "auto (a GPU when there is one) | cpu | cuda | cuda:N")
    precision: str = option("fp32", "arithmetic of the training steps: fp32, bf16 (autocast; weights "
                            "stay float32), or auto: bf16 where the device computes it natively "
                            "(CUDA, AVX-512 BF16 / AMX CPUs), else fp32", choices=PRECISIONS)
    log_every: int = option(1, "steps per loss read-back (losses are batched, not lost); on a GPU "
                            "at least CUDA_LOG_EVERY", cli=False)

    def validate(self) -> "TrainConfig":
        checks = [
            (1 <= self.epochs <= 1000, f"epochs must be between 1 and 1000, got {self.epochs}"),
            (1 <= self.batch_size <= 65536, f"batch size must be between 1 and 65536, got {self.batch_size}"),
            (0 < self.lr <= 10 and math.isfinite(self.lr), f"learning rate must be > 0 and <= 10, got {self.lr}"),
            (self.optimizer in OPTIMIZERS, f"optimizer must be 'adam' or 'adamw', got {self.optimizer!r}"),
            (0 <= self.weight_decay <= 1, f"weight decay must be in [0, 1], got {self.weight_decay}"),
            (self.schedule in SCHEDULES,
             f"schedule must be constant, onecycle or cosine, got {self.schedule!r}"),
            (self.grad_clip >= 0, f"gradient clip must be >= 0, got {self.grad_clip}"),
            (0 <= self.label_smoothing < 1, f"label smoothing must be in [0, 1), got {self.label_smoothing}"),
            (0 <= self.max_shift <= 8, f"max shift must be between 0 and 8 pixels, got {self.max_shift}"),
            (0 <= self.max_rotation <= 45,
             f"max rotation must be between 0 and 45 degrees, got {self.max_rotation}"),
            (0 <= self.max_scale <= 0.5, f"max scale must be between 0 and 0.5, got {self.max_scale}"),
            (0 <= self.ema < 1, f"ema decay must be in [0, 1), got {self.ema}"),
            (self.log_every >= 1, f"log_every must be >= 1, got {self.log_every}"),
            (0 <= self.seed < 2**63, f"seed must be between 0 and 2**63 - 1, got {self.seed}"),
            (self.precision in PRECISIONS,
             f"precision must be fp32, bf16 or auto, got {self.precision!r}"),
        ]
        check_all(checks)
        return self

    def to_dict(self) -> dict:
        return asdict(self)


def validate_configs(model_config: RowRNNConfig, config: TrainConfig) -> tuple[RowRNNConfig, TrainConfig]:
    """Both configs validated, plus the rules that need both; ValueError says what to change."""
    model_config.validate()
    config.validate()
    if model_config.norm == "batch" and config.batch_size < 2:
        raise ValueError("batch size 1 cannot train a model with batch norm (it normalises over "
                         "the batch); use a batch size of at least 2, or norm 'layer'")
    return model_config, config


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2048,
             stop: threading.Event | None = None):
    """(mean cross-entropy, accuracy in [0, 1]) of `model` on uint8 images x and labels y, in fp32.

    Returns None if `stop` is set part-way: a stopped run does not wait for a full pass.
    """
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for images, labels in batches(x, y, batch_size, shuffle=False):
        if stop is not None and stop.is_set():
            model.train(was_training)
            return None
        logits = model(images)
        loss_sum += F.cross_entropy(logits, labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum()
    model.train(was_training)
    n = max(len(x), 1)
    return loss_sum.item() / n, correct.item() / n


def build_model(config: RowRNNConfig, seed: int, device: torch.device) -> RowRNN:
    """A freshly initialised model; the seed fixes the weights without touching global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RowRNN(config)
    return model.to(device)


def _finite(losses: list, step: int) -> list:
    """The losses, unless one of them is NaN or infinite: then a clear FloatingPointError."""
    bad = next((v for v in losses if not math.isfinite(v)), None)
    if bad is not None:
        raise FloatingPointError(f"training loss became {bad} by step {step}; try a smaller learning rate")
    return losses


def _step_events(pending: list, epoch: int, step: int):
    """One step event per pending loss, read back with a single device sync."""
    losses = _finite(torch.stack(pending).tolist(), step) if pending else []
    for i, value in enumerate(losses):
        yield {"kind": "step", "epoch": epoch, "step": step - len(losses) + 1 + i, "loss": value}


class WarmupEMA(AveragedModel):
    """torch.optim.swa_utils' AveragedModel with timm's EMA warm-up (ModelEmaV2 / ModelEmaV3).

    After n updates, average = d * average + (1 - d) * weights with d = min(decay, (1 + n) / (10 + n)):
    early on the average follows the weights closely, so a short run's average is not stuck near
    its first step's weights (at 0.999 from the start, 82% of the average after 196 steps would
    still be the weights after step 1). The count is kept here, once per update, not per call of
    the averaging function (AveragedModel calls it once per device and dtype). Its `module` is a
    RowRNN of the same config, so it validates and saves like the model.
    """

    def __init__(self, model: torch.nn.Module, decay: float):
        super().__init__(model, multi_avg_fn=self._average, use_buffers=True)
        self.decay, self.updates = decay, 0
        for module in self.modules():
            if isinstance(module, torch.nn.RNNBase):
                module.flatten_parameters()      # the copy's weights in one block again, for cuDNN

    @torch.no_grad()
    def _average(self, averaged: list, current: list, _) -> None:
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for a, c in zip(averaged, current):
            if a.is_floating_point():
                a.lerp_(c, 1 - d)
            else:                                 # a counter such as BatchNorm's batches tracked
                a.copy_(a * d + c * (1 - d))

    def update_parameters(self, model: torch.nn.Module) -> None:
        super().update_parameters(model)
        self.updates += 1


def _scheduler(optimizer, config: TrainConfig, total_steps: int):
    if config.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    return None


def train(model_config: RowRNNConfig, config: TrainConfig, splits: Splits, out=None,
          stop: threading.Event | None = None, name: str = "custom", init: dict | None = None,
          extra_metrics: dict | None = None):
    """Train a RowRNN on `splits`, yielding events; save a checkpoint to `out` if given.

    Setting `stop` ends the run after the current step; the end event then has status
    'stopped' and the metrics measured so far (no test accuracy). To fine-tune, `init` is the
    state dict to start from instead of fresh weights; `extra_metrics` (e.g. where the weights
    came from) join the metrics of the end event and the checkpoint.
    """
    validate_configs(model_config, config)
    if model_config.norm == "batch" and len(splits.train_x) < 2:
        raise ValueError("batch norm needs at least 2 training images")
    device = resolve_device(config.device)
    precision = resolve_precision(config.precision, device)
    splits = splits.to(device)
    model = build_model(model_config, config.seed, device)
    if init is not None:
        model.load_state_dict(init)
    opt_cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    # On a GPU one fused kernel updates every parameter (the default launches several per tensor).
    optimizer = opt_cls(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                        fused=True if device.type == "cuda" else None)
    averaged = WarmupEMA(model, config.ema) if config.ema else None
    scored = averaged.module if averaged is not None else model     # what is validated and saved
    steps_per_epoch = batch_count(len(splits.train_x), config.batch_size)
    scheduler = _scheduler(optimizer, config, steps_per_epoch * config.epochs)
    generator = torch.Generator().manual_seed(config.seed)
    params = count_parameters(model)
    log_every = max(config.log_every, CUDA_LOG_EVERY) if device.type == "cuda" else config.log_every

    yield {"kind": "start", "name": name, "device": device_label(device), "precision": precision,
           "params": params, "epochs": config.epochs, "steps_per_epoch": steps_per_epoch,
           "model_config": model_config.to_dict(), "train_config": config.to_dict()}

    sync(device)
    t0 = time.perf_counter()
    eval_seconds = 0.0
    history = []                  # per-epoch metrics, kept in the checkpoint
    step, status = 0, "completed"
    for epoch in range(1, config.epochs + 1):
        model.train()
        pending, epoch_loss = [], torch.zeros((), device=device)
        for images, labels in batches(splits.train_x, splits.train_y, config.batch_size,
                                      generator, shuffle=True, max_shift=config.max_shift,
                                      max_rotation=config.max_rotation, max_scale=config.max_scale):
            if stop is not None and stop.is_set():
                status = "stopped"
                break
            with autocast(device, precision):
                logits = model(images)                    # (B, 10); bf16 under autocast
            loss = F.cross_entropy(logits.float(), labels, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            if averaged is not None:
                averaged.update_parameters(model)
            if scheduler is not None:
                scheduler.step()
            step += 1
            detached = loss.detach()
            epoch_loss += detached
            pending.append(detached)
            if len(pending) >= log_every:
                yield from _step_events(pending, epoch, step)
                pending = []
        yield from _step_events(pending, epoch, step)
        sync(device)
        t_eval = time.perf_counter()
        measured = None if status == "stopped" else evaluate(scored, splits.val_x, splits.val_y, stop=stop)
        if measured is None:
            status = "stopped"
            break
        val_loss, val_acc = measured
        _finite([val_loss], step)
        eval_seconds += time.perf_counter() - t_eval
        elapsed = time.perf_counter() - t0
        record = {"epoch": epoch, "train_loss": epoch_loss.item() / steps_per_epoch,
                  "val_loss": val_loss, "val_acc": val_acc, "train_seconds": elapsed - eval_seconds}
        history.append(record)
        yield {"kind": "epoch", "epochs": config.epochs, **record, "seconds": elapsed}

    sync(device)
    train_seconds = time.perf_counter() - t0 - eval_seconds
    test_acc = None
    if status == "completed" and len(splits.test_x):
        _, test_acc = evaluate(scored, splits.test_x, splits.test_y)
    metrics = {
        "name": name, "status": status, "test_acc": test_acc,
        "val_acc": history[-1]["val_acc"] if history else None,
        "best_val_acc": max((h["val_acc"] for h in history), default=None),
        "epochs_done": len(history), "params": params, "device": device_label(device),
        "precision": precision,
        "train_seconds": train_seconds, "history": history, "split_seed": splits.split_seed,
        **(extra_metrics or {}),
    }
    path = None
    if out is not None:
        path = str(save_checkpoint(out, "row_rnn", model_config.to_dict(), scored.state_dict(),
                                   metrics, config.to_dict()))
    yield {"kind": "end", **metrics, "seconds": time.perf_counter() - t0, "checkpoint_path": path}
