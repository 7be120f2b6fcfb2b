"""A run's metrics log: trainer events as JSON lines, appended and flushed one by one.

A crash loses at most the line being written; readers take complete lines only, so a torn
last line is never misread, and `Curves.advance` reads only the bytes added since last time.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path


class EventLog:
    """Append-only writer: one JSON line per event, stamped with the wall time, flushed at once."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> "EventLog":
        self._file = open(self.path, "a")
        return self

    def write(self, event: dict) -> None:
        self._file.write(json.dumps({**event, "time": time.time()}) + "\n")
        self._file.flush()

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
    epochs: list = field(default_factory=list)       # one dict per epoch event
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
        for line in chunk[:cut].splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue                      # a line torn by a crash: skip it
            self._add(event)
        return True

    def _add(self, event: dict) -> None:
        kind = event.get("kind")
        self.last_time = event.get("time", self.last_time)
        if kind == "start":
            self.start, self.first_time = event, event.get("time")
        elif kind == "step":
            self.steps.append(event["step"])
            self.losses.append(event["loss"])
        elif kind == "epoch":
            self.epochs.append(event)
        elif kind == "end":
            self.end = event
        elif kind == "error":
            self.error = event.get("reason")

    def progress(self) -> dict:
        """Epoch x of y, steps done, elapsed seconds and an estimate of the time left."""
        if self.start is None:
            return {}
        total = self.start["epochs"] * self.start["steps_per_epoch"]
        done = self.steps[-1] if self.steps else 0
        elapsed = (self.last_time or 0) - (self.first_time or 0)
        eta = elapsed * (total - done) / done if done and self.end is None else None
        epoch = min(done // max(self.start["steps_per_epoch"], 1) + 1, self.start["epochs"])
        return {"epoch": epoch, "epochs": self.start["epochs"], "step": done, "total_steps": total,
                "elapsed": elapsed, "eta": eta}
