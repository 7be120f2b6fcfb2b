"""Checkpoints as plain data: a dict of config, state dict and metrics, read with weights_only=True.

Layout::

    {"format": 1, "kind": "row_rnn" | "adder", "config": {...}, "state_dict": {...},
     "metrics": {...}, "train_config": {...}, "created": "2026-11-28T21:40:00+00:00"}

Nothing callable is stored, so loading never runs code from the file.
"""

import datetime as _dt
from pathlib import Path

import torch

from .atomic import atomic_open

FORMAT_VERSION = 1
KINDS = ("row_rnn", "adder")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file and the reason."""


def save_checkpoint(path, kind: str, config: dict, state_dict: dict, metrics: dict | None = None,
                    train_config: dict | None = None) -> Path:
    """Write a checkpoint atomically (temp file in the same folder, then rename)."""
    if kind not in KINDS:
        raise ValueError(f"unknown checkpoint kind {kind!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT_VERSION,
        "kind": kind,
        "config": dict(config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in state_dict.items()},
        "metrics": dict(metrics or {}),
        "train_config": dict(train_config or {}),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    with atomic_open(path, "wb") as f:
        torch.save(payload, f)
    return path


def load_checkpoint(path, map_location="cpu", kind: str | None = None) -> dict:
    """Read and validate a checkpoint; raise CheckpointError naming the file if it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises many types for corrupt, truncated or unsafe files
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a readable rnn_demo checkpoint (corrupt, truncated or "
                              f"unsafe): {reason[:200]}") from e
    if not isinstance(ckpt, dict) or "format" not in ckpt:
        raise CheckpointError(f"{path}: not an rnn_demo checkpoint (no 'format' field)")
    if ckpt["format"] != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {ckpt['format']!r}, expected {FORMAT_VERSION}")
    for key, typ in (("kind", str), ("config", dict), ("state_dict", dict), ("metrics", dict)):
        if not isinstance(ckpt.get(key), typ):
            raise CheckpointError(f"{path}: checkpoint field {key!r} is missing or malformed")
    if ckpt["kind"] not in KINDS:
        raise CheckpointError(f"{path}: unknown checkpoint kind {ckpt['kind']!r}")
    if kind is not None and ckpt["kind"] != kind:
        raise CheckpointError(f"{path}: is a {ckpt['kind']!r} checkpoint, expected {kind!r}")
    if not all(isinstance(v, torch.Tensor) for v in ckpt["state_dict"].values()):
        raise CheckpointError(f"{path}: state dict holds something other than tensors")
    return ckpt
