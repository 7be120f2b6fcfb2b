"""Mixed precision: which precision a run trains in on a device, and the autocast around its steps.

    precision = resolve_precision("auto", device)     # "bf16" where the hardware has it, else "fp32"
    with autocast(device, precision):
        logits = model(images)                        # matmuls and recurrent cells in bf16

bf16 keeps float32's exponent range, so unlike fp16 it needs no loss scaling. Autocast only
changes the arithmetic: the weights, their gradients and the optimiser state stay float32, and so
do checkpoints.
"""

from contextlib import contextmanager

import torch

PRECISIONS = ("fp32", "bf16", "auto")


def native_bf16(device: torch.device) -> bool:
    """True where bf16 is computed in hardware, so that autocast makes training faster.

    CUDA: compute capability 8.0 and later (Ampere on) have bf16 tensor cores; ROCm GPUs too.
    CPU: the instruction sets torch detects at start-up (`torch.cpu.get_capabilities()`, read
    from cpuinfo): AVX-512 BF16 or AMX-BF16. Elsewhere bf16 is emulated in float32 and slower
    than float32 itself (docs/benchmarks.md), and oneDNN has no bf16 LSTM on
    CPUs without AVX-512.
    """
    if device.type == "cuda":
        return bool(torch.version.hip) or torch.cuda.get_device_capability(device)[0] >= 8
    if device.type == "cpu":
        flags = torch.cpu.get_capabilities()
        return bool(flags.get("avx512_bf16") or flags.get("amx_bf16"))
    return False


def resolve_precision(name: str, device: torch.device) -> str:
    """'fp32' or 'bf16' for a run on `device`: 'auto' is bf16 where `native_bf16(device)`."""
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
    if name == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return name


@contextmanager
def autocast(device: torch.device, precision: str):
    """Run the block under bf16 autocast when `precision` is 'bf16'; as written when 'fp32'.

    A kernel that has no bf16 version on this device fails with a message that says what to do.
    """
    if precision == "fp32":
        yield
        return
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            yield
    except torch.cuda.OutOfMemoryError:
        raise
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RuntimeError(f"this model cannot train in bf16 on {device.type} here; use precision "
                           f"fp32 (or auto, which picks bf16 only where the hardware has it): "
                           f"{first[:200]}") from e
