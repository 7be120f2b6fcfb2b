"""A run's metrics log: trainer events as JSON lines, appended and flushed one by one.

A crash loses at most the line being written; readers take complete lines only, so a torn
last line is never misread. Only events of the shape the trainer writes are read (`well_formed`):
a line written by anything else is skipped. `Curves.advance` reads only the bytes added since.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

RATE_WINDOW = 200                    # step events the ETA's step rate is measured over


def parse_lines(data: bytes) -> list[dict]:
    """The events of JSON-lines bytes, in order; a line torn by a crash (not JSON), or JSON that
    is no event (not an object with a "kind"), is skipped."""
    events = []
    for line in data.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if well_formed(event):
            events.append(event)
    return events


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_NUMBERS = {"start": ("steps_per_epoch", "epochs"), "step": ("step", "loss"),
            "epoch": ("epoch", "train_loss", "val_loss", "val_acc")}


def well_formed(event) -> bool:
    """Whether `event` has the shape the trainer writes: an object with a kind, a numeric time,
    and the numbers its readers use (a start's steps per epoch and epochs are whole)."""
    if not isinstance(event, dict) or not isinstance(event.get("kind"), str):
        return False
    if "time" in event and not _number(event["time"]):
        return False
    numbers = _NUMBERS.get(event["kind"], ())
    if not all(_number(event.get(k)) for k in numbers):
        return False
    if event["kind"] == "end" and not isinstance(event.get("status"), str):
        return False
    return event["kind"] != "start" or all(isinstance(event[k], int) for k in numbers)


class EventLog:
    """Append-only writer: one JSON line per event, stamped with the wall time, flushed at once."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> "EventLog":
        self._file = open(self.path, "a")
        return self

    def write(self, event: dict) -> dict:
        """Append `event` with its wall time ("time", seconds since the epoch); return it so stamped."""
        stamped = {**event, "time": time.time()}
        self._file.write(json.dumps(stamped) + "\n")
        self._file.flush()
        return stamped

    def __exit__(self, *exc) -> None:
        self._file.close()


@dataclass
class Curves:
    """What a run's metrics log held so far; `advance` reads only the bytes added since."""
    offset: int = 0
    start: dict | None = None
    end: dict | None = None
    error: str | None = None
    steps: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    times: list = field(default_factory=list)        # wall time (s since the epoch) of each step event
    epochs: list = field(default_factory=list)       # one dict per epoch event
    adapt: dict | None = None                        # a fine-tune to my digits: its plan (adapt.py)
    folds: list = field(default_factory=list)        # ... and one dict per held-out estimate run
    first_time: float | None = None
    last_time: float | None = None

    def advance(self, path: Path) -> bool:
        """Read complete new lines of `path`; True if anything was added."""
        try:
            with open(path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return False
        cut = chunk.rfind(b"\n") + 1          # a half-written last line waits for next time
        if cut == 0:
            return False
        self.offset += cut
        for event in parse_lines(chunk[:cut]):
            self._add(event)
        return True

    def _add(self, event: dict) -> None:
        kind, when = event["kind"], event.get("time", self.last_time)
        if kind == "start":
            self.start, self.first_time = event, when
        elif kind == "step":
            self.steps.append(event["step"])
            self.losses.append(event["loss"])
            self.times.append(when)
        elif kind == "epoch":
            self.epochs.append(event)
        elif kind == "end":
            self.end = event
        elif kind == "adapt":
            self.adapt = event
        elif kind == "fold":
            self.folds.append(event)
        elif kind == "error":
            self.error = str(event.get("reason"))
        self.last_time = when

    def step_rate(self, window: int = RATE_WINDOW) -> float | None:
        """Steps per second over the last `window` step events, validation pauses left out."""
        per_epoch = self.start["steps_per_epoch"] if self.start else 0
        steps = seconds = 0.0
        for i in range(max(len(self.steps) - window, 1), len(self.steps)):
            before, after = self.steps[i - 1], self.steps[i]
            if per_epoch and (before - 1) // per_epoch != (after - 1) // per_epoch:
                continue                   # a validation pass lies between these two steps
            steps += after - before
            seconds += self.times[i] - self.times[i - 1]
        return steps / seconds if seconds > 0 else None

    def progress(self) -> dict:
        """Epoch x of y, steps done, elapsed seconds, the measured step rate and an ETA.

        ETA = steps left / steps per second over the last RATE_WINDOW steps, plus one validation
        pass (as long as the mean one so far) for each epoch left.
        """
        if self.start is None:
            return {}
        per_epoch, epochs = max(self.start["steps_per_epoch"], 1), self.start["epochs"]
        total = epochs * per_epoch
        done = self.steps[-1] if self.steps else 0
        elapsed = (self.last_time or 0) - (self.first_time or 0)
        rate, eta = self.step_rate(), None
        if rate and self.end is None:
            validating = [e["seconds"] - e["train_seconds"] for e in self.epochs
                          if _number(e.get("train_seconds")) and _number(e.get("seconds"))]
            per_validation = (validating[-1] / len(validating)) if validating else 0.0
            eta = (total - done) / rate + (epochs - len(self.epochs)) * per_validation
        epoch = min(done // per_epoch + 1, epochs)
        return {"epoch": epoch, "epochs": epochs, "step": done, "total_steps": total,
                "elapsed": elapsed, "rate": rate, "eta": eta}
