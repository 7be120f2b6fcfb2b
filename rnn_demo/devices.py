"""Resolve a device name once, at the edge, and pass a torch.device down."""

import os
import platform

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when available, else CPU; 'cuda' fails clearly when there is no GPU."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use 'cpu' or 'auto'")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu' or 'cuda'")


def sync(device: torch.device) -> None:
    """Wait for the work queued on a GPU, so that a clock read next says when it finished."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_label(device: torch.device) -> str:
    """A human name for a device: 'cpu' or 'cuda (NVIDIA H200)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return "cpu"


def machine_label(device: torch.device) -> str:
    """The machine a result was measured on, for reports.

    'cpu: 2-core x86_64 (AMD EPYC), 1 torch thread, torch 2.14.1' or 'cuda (NVIDIA H200), torch 2.14.1'.
    """
    version = torch.__version__.split("+")[0]
    if device.type == "cuda":
        return f"{device_label(device)}, torch {version}"
    name = torch.cpu.get_capabilities().get("cpu_name") or "unknown CPU"
    threads = torch.get_num_threads()
    return (f"cpu: {os.cpu_count()}-core {platform.machine()} ({name}), {threads} torch "
            f"thread{'s' if threads != 1 else ''}, torch {version}")
