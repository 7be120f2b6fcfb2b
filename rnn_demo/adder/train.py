"""Train and evaluate the binary adder; one loop, written as a generator of plain events.

    for event in train_adder(AdderConfig(), AdderTrainConfig()):
        print(event)   # {"kind": "step", "step": 12, "length": 5, "loss": 0.41} ...

Event kinds, in order: ``start`` (once), ``step`` (every ``log_every`` steps), ``eval`` (every
``eval_every`` steps: bit accuracy and exact match on fresh pairs of the training length),
``end`` (once: per-length results, checkpoint path, status). The CLI prints them, the
playground plots them, the tests assert on them.
"""

import math
import threading
import time
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F

from ..checkpoints import save_checkpoint
from ..devices import device_label, resolve_device
from ..options import check_all, option
from .data import DENSITIES, add_bits, encode, make_batch
from .model import Adder, AdderConfig

# Lengths every adder is scored on: all of 1..20, then far beyond anything it trained on.
DEFAULT_LENGTHS = tuple(range(1, 21)) + (64, 256, 1000)


@dataclass
class AdderTrainConfig:
    """The recipe. Defaults: ours (exact up to 1000 bits); `notebook_recipe()` is the notebook's."""
    max_length: int = option(8, "longest operands trained on, in bits")
    min_length: int = option(1, "shortest operands; each step draws a length in [min, max]")
    steps: int = option(600, "optimiser steps")
    batch_size: int = option(128, "pairs per step")
    lr: float = option(0.05, "Adam learning rate")
    loss: str = option("bce", "bce, or mse on the sigmoid as the notebook did", choices=("bce", "mse"))
    state_noise: float = option(0.2, "std of noise added to the LSTM state between steps")
    density: str = option("random", "how operand bits are drawn (see rnn_demo.adder.data)",
                          choices=DENSITIES)
    pad: int = option(1, "zero steps after the operands (the carry-out needs one)")
    seed: int = option(0, "seed for the weights and the data")
    device: str = option("cpu", "cpu | cuda | auto (a 5-unit LSTM is faster on a CPU)")
    log_every: int = option(1, "steps per step event", cli=False)
    eval_every: int = option(100, "steps between evaluations at the training length", cli=False)
    eval_pairs: int = option(1000, "random pairs per length in the final evaluation", flag="--pairs")
    eval_lengths: tuple = option(DEFAULT_LENGTHS, "lengths of the final evaluation", cli=False)

    def validate(self) -> "AdderTrainConfig":
        checks = [
            (1 <= self.min_length <= self.max_length <= 64,
             f"training lengths must satisfy 1 <= min <= max <= 64, got {self.min_length}..{self.max_length}"),
            (1 <= self.steps <= 100_000, f"steps must be between 1 and 100000, got {self.steps}"),
            (1 <= self.batch_size <= 65536, f"batch size must be between 1 and 65536, got {self.batch_size}"),
            (0 < self.lr <= 10 and math.isfinite(self.lr), f"learning rate must be > 0 and <= 10, got {self.lr}"),
            (self.loss in ("bce", "mse"), f"loss must be 'bce' or 'mse', got {self.loss!r}"),
            (0 <= self.state_noise <= 2, f"state noise must be in [0, 2], got {self.state_noise}"),
            (self.density in DENSITIES, f"density must be one of {DENSITIES}, got {self.density!r}"),
            (1 <= self.pad <= 16, f"pad must be between 1 and 16, got {self.pad}"),
            (self.log_every >= 1 and self.eval_every >= 1, "log_every and eval_every must be >= 1"),
            (self.eval_pairs >= 1, f"eval pairs must be >= 1, got {self.eval_pairs}"),
            (all(1 <= n <= 100_000 for n in self.eval_lengths), "eval lengths must be in 1..100000"),
        ]
        check_all(checks)
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["eval_lengths"] = list(self.eval_lengths)
        return d


def notebook_recipe(**overrides) -> AdderTrainConfig:
    """The reference notebook: length 5, batch 1, 8 x 250 pairs, MSE, Adam 1e-2, uniform bits."""
    notebook = AdderTrainConfig(max_length=5, min_length=5, steps=2000, batch_size=1, lr=1e-2,
                                loss="mse", state_noise=0.0, density="half", eval_every=250)
    return replace(notebook, **overrides)


def sum_loss(logits: torch.Tensor, targets: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "mse":
        return F.mse_loss(torch.sigmoid(logits), targets)
    return F.binary_cross_entropy_with_logits(logits, targets)


@torch.no_grad()
def score(model: Adder, length: int, pairs: int, generator: torch.Generator,
          device="cpu", chunk: int = 1_000_000) -> dict:
    """Bit accuracy and exact match (all L+1 sum bits right) on fresh uniform random pairs."""
    model.eval()
    bits_right, exact, done = 0, 0, 0
    per_chunk = max(1, chunk // (length + 1))         # bounds memory at thousands of bits
    while done < pairs:
        n = min(per_chunk, pairs - done)
        inputs, targets = make_batch(n, length, generator, device=device)
        right = (model(inputs) > 0).float() == targets        # (n, L+1)
        bits_right += right.sum().item()
        exact += right.all(dim=1).sum().item()
        done += n
    return {"length": length, "pairs": pairs, "bit_accuracy": bits_right / (pairs * (length + 1)),
            "exact_match": exact / pairs}


def evaluate_adder(model: Adder, lengths=DEFAULT_LENGTHS, pairs: int = 1000, seed: int = 1234,
                   device="cpu") -> list[dict]:
    """Per-length bit accuracy and exact match; the same seed gives the same test pairs."""
    generator = torch.Generator().manual_seed(seed)
    return [score(model, int(n), pairs, generator, device) for n in lengths]


@torch.no_grad()
def exhaustive_check(model: Adder, bits: int = 8, device="cpu") -> dict:
    """Every pair of numbers below 2**bits, written with `bits` bits: how many sums are exact."""
    values = torch.arange(2 ** bits, device=device)
    a, b = torch.cartesian_prod(values, values).unbind(1)
    to_bits = lambda v: ((v[:, None] >> torch.arange(bits, device=device)) & 1).to(torch.uint8)
    a_bits, b_bits = to_bits(a), to_bits(b)
    sums, _ = add_bits(a_bits, b_bits)
    model.eval()
    right = ((model(encode(a_bits, b_bits)) > 0) == sums.bool()).all(dim=1)
    return {"pairs": len(right), "exact": int(right.sum()),
            "wrong": [(int(a[i]), int(b[i])) for i in (~right).nonzero().flatten()[:10]]}


def build_adder(config: AdderConfig, seed: int, device) -> Adder:
    """A freshly initialised adder; the seed fixes the weights without touching global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Adder(config)
    return model.to(device)


def _step_events(pending):
    """Step events for buffered (step, length, loss) triples, with one device sync for all."""
    if not pending:
        return
    values = torch.stack([loss for _, _, loss in pending]).tolist()
    if not math.isfinite(values[-1]):
        raise FloatingPointError(f"training loss became {values[-1]} at step {pending[-1][0]}; "
                                 "try a smaller learning rate")
    for (step, length, _), value in zip(pending, values):
        yield {"kind": "step", "step": step, "length": length, "loss": value}


def train_adder(model_config: AdderConfig, config: AdderTrainConfig, out=None,
                stop: threading.Event | None = None, name: str = "adder"):
    """Train an Adder, yielding events; save a checkpoint to `out` if given.

    Setting `stop` ends the run after the current step; the end event then says 'stopped' and
    still carries the evaluation of the weights reached so far.
    """
    config.validate()
    model_config.validate()
    device = resolve_device(config.device)
    model = build_adder(model_config, config.seed, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    val_generator = torch.Generator().manual_seed(config.seed + 10_000)
    params = sum(p.numel() for p in model.parameters())
    yield {"kind": "start", "name": name, "device": device_label(device), "params": params,
           "steps": config.steps, "model_config": model_config.to_dict(),
           "train_config": config.to_dict()}

    t0 = time.perf_counter()
    eval_seconds, status, history, pending = 0.0, "completed", [], []
    step = 0
    for step in range(1, config.steps + 1):
        if stop is not None and stop.is_set():
            status, step = "stopped", step - 1
            break
        model.train()
        length = int(torch.randint(config.min_length, config.max_length + 1, (1,), generator=generator))
        inputs, targets = make_batch(config.batch_size, length, generator, config.pad,
                                     config.density, device)
        if config.state_noise:
            hidden, _ = model.unroll(inputs, config.state_noise, generator)
            logits = model.logits_from_hidden(hidden)
        else:
            logits = model(inputs)
        loss = sum_loss(logits, targets, config.loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        pending.append((step, length, loss.detach()))
        if len(pending) >= config.log_every or step == config.steps:
            yield from _step_events(pending)
            pending = []
        if step % config.eval_every == 0 or step == config.steps:
            t_eval = time.perf_counter()
            record = {"step": step, **score(model, config.max_length, 256, val_generator, device)}
            eval_seconds += time.perf_counter() - t_eval
            history.append(record)
            yield {"kind": "eval", **record, "seconds": time.perf_counter() - t0}

    yield from _step_events(pending)             # what a stop left unreported
    train_seconds = time.perf_counter() - t0 - eval_seconds
    results = evaluate_adder(model, config.eval_lengths, config.eval_pairs, device=device)
    metrics = {
        "name": name, "status": status, "steps_done": step, "params": params,
        "device": device_label(device), "train_seconds": train_seconds,
        "max_length": config.max_length, "history": history, "generalisation": results,
        "exact_everywhere": all(r["exact_match"] == 1.0 for r in results),
    }
    # The checkpoint as plain data, so the playground can use the new adder without a file.
    checkpoint = {"kind": "adder", "config": model_config.to_dict(), "metrics": metrics,
                  "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                  "train_config": config.to_dict()}
    path = None
    if out is not None:
        path = str(save_checkpoint(out, "adder", checkpoint["config"], checkpoint["state_dict"],
                                   metrics, checkpoint["train_config"]))
    yield {"kind": "end", **metrics, "seconds": time.perf_counter() - t0, "checkpoint_path": path,
           "checkpoint": checkpoint}
