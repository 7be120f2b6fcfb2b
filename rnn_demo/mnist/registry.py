"""Which row-reading models can answer: shipped checkpoints plus completed training runs.

    registry = ModelRegistry(Path("checkpoints"), Path("runs"))
    listing = registry.scan()           # entries (best first), warnings for unusable files
    model = registry.model(listing.default.path)

Shipped models are `checkpoints/*.pt` of kind "row_rnn" (other kinds, such as the adder, are
skipped without a word). Training runs are `runs/<id>/checkpoint.pt` whose metrics say
"completed"; `runs/<id>/run.json` gives their name. A file that cannot be read is left out and
reported as a warning. Checkpoints and models are cached by (path, modification time, size),
so a rescan every few seconds reads only new or changed files.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..checkpoints import CheckpointError, load_checkpoint
from .model import RowRNN, RowRNNConfig
from .runs.files import CHECKPOINT_FILE, RUN_FILE


@dataclass(frozen=True)
class ModelEntry:
    """One selectable model: `label` for menus, `path` as its stable key."""
    name: str
    path: str
    source: str                 # "shipped" | "run"
    config: RowRNNConfig = field(compare=False, hash=False)
    metrics: dict = field(compare=False, hash=False)
    run_id: str | None = None   # a training run's id (its folder), as the Training tab lists it

    @property
    def test_acc(self) -> float | None:
        acc = self.metrics.get("test_acc")
        return float(acc) if isinstance(acc, (int, float)) else None

    @property
    def title(self) -> str:
        """The model's full name, without its accuracy: what tables with an accuracy column show.
        A run is named by its preset as a shipped model is; "trained here" and its id tell them apart."""
        run = f", run {self.run_id}" if self.run_id else ""
        return self.name if self.source == "shipped" else f"{self.name} (trained here{run})"

    @property
    def label(self) -> str:
        acc = f"{100 * self.test_acc:.2f}%" if self.test_acc is not None else "accuracy unknown"
        return f"{self.title} · test {acc}"


@dataclass
class Listing:
    entries: list[ModelEntry]   # most accurate first
    warnings: list[str]

    @property
    def default(self) -> ModelEntry | None:
        """The model a page starts with: the most accurate one that reads as it goes.

        The Sketch tab is about reading one row per time step: such a model's row-by-row view and
        hidden states are its own answers after each row, at one pass per drawing, where a model
        that needs the whole image (bidirectional, pooled) is shown each prefix in turn, about 20
        passes. So a unidirectional model is the default when there is one (`fast`, 98.44%, over
        `best`, 99.52%, in the shipped set; docs/benchmarks.md has both timed); any other model is
        one choice away in the list, which stays most-accurate-first.
        """
        return next((e for e in self.entries if e.config.reads_as_it_goes),
                    self.entries[0] if self.entries else None)

    def find(self, key: str | None) -> ModelEntry | None:
        """The entry whose path, or else name, is `key` (scripts may pass "lstm")."""
        return (next((e for e in self.entries if e.path == key), None)
                or next((e for e in self.entries if e.name == key), None))

    def choose(self, key: str | None) -> ModelEntry | None:
        """The entry `key` names; with no key, the default. None for an unknown key."""
        return self.find(key) if key else self.default


def _file_key(path: Path):
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)


RECENT_S = 1.0          # seconds a listing serves the answers before the folders are read again


class ModelRegistry:
    """Lists and loads models from a checkpoints folder and a runs folder (CPU by default)."""

    def __init__(self, checkpoints: Path, runs: Path | None = None, device: str = "cpu",
                 max_models: int = 32):
        self.checkpoints, self.runs = Path(checkpoints), Path(runs) if runs else None
        self.device, self.max_models = device, max_models
        self._headers: dict[tuple, dict] = {}          # file key -> {"kind", "metrics", "config"}
        self._models: dict[tuple, RowRNN] = {}
        self._recent: tuple[float, Listing] | None = None   # (time.monotonic(), scan()) last taken
        self._missed: set[str] = set()   # keys that listing lacks though a scan looked for them
        self._lock = threading.Lock()   # one registry serves every session's handler threads

    def _header(self, path: Path) -> dict:
        key = _file_key(path)
        with self._lock:
            if key in self._headers:
                return self._headers[key]
        ckpt = load_checkpoint(path)                     # slow part, outside the lock
        header = {"kind": ckpt["kind"], "config": ckpt["config"], "metrics": ckpt["metrics"]}
        with self._lock:
            self._headers = {k: v for k, v in self._headers.items() if k[0] != key[0]}
            self._headers[key] = header
        return header

    def _entry(self, path: Path, name: str, source: str, run_id: str | None = None) -> ModelEntry | None:
        header = self._header(path)
        if header["kind"] != "row_rnn":
            return None
        try:
            config = RowRNNConfig(**header["config"]).validate()
        except (TypeError, ValueError) as e:
            raise CheckpointError(f"{path}: config does not describe a RowRNN: {str(e)[:200]}") from e
        return ModelEntry(name, str(path), source, config, dict(header["metrics"]), run_id)

    def scan(self) -> Listing:
        """All usable models, best test accuracy first, and a warning per unusable file."""
        entries, warnings = [], []
        shipped = sorted(self.checkpoints.glob("*.pt")) if self.checkpoints.is_dir() else []
        if not self.checkpoints.is_dir():
            warnings.append(f"{self.checkpoints}: no checkpoints folder; train a model first")
        for path in shipped:
            try:
                entry = self._entry(path, path.stem, "shipped")
            except (CheckpointError, OSError) as e:
                warnings.append(str(e))
                continue
            if entry is not None:
                entries.append(entry)
        for run_dir in sorted(self.runs.iterdir()) if self.runs and self.runs.is_dir() else []:
            entry, warning = self._run_entry(run_dir)
            if entry is not None:
                entries.append(entry)
            if warning:
                warnings.append(warning)
        entries.sort(key=lambda e: -(e.test_acc if e.test_acc is not None else -1.0))
        return Listing(entries, warnings)

    def recent(self, max_age_s: float = RECENT_S) -> Listing:
        """scan()'s listing, taken again once it is `max_age_s` seconds old.

        For what runs with every drawing: a scan stats every checkpoint and reads every run's
        record (7% of the server's time when a classroom draws at once).
        """
        now = time.monotonic()
        with self._lock:
            if self._recent is not None and now - self._recent[0] < max_age_s:
                return self._recent[1]
        listing = self.scan()
        with self._lock:
            self._recent, self._missed = (now, listing), set()
        return listing

    def choose(self, key: str | None) -> ModelEntry | None:
        """The entry `key` names (default: the listing's default) from a recent listing, or from a
        new scan if it has none by that name: a run that completed a moment ago is found at once.
        A name still missing is not scanned for again until the listing is renewed, so unknown
        names (a typo, a deleted run) cost one scan a second, not one per drawing. A key that is
        not a string (an API client's list or dict) names nothing."""
        if key is not None and not isinstance(key, str):
            return None
        entry = self.recent().choose(key)
        if entry is not None or not key or key in self._missed:
            return entry
        entry = self.recent(max_age_s=0).choose(key)
        if entry is None:
            with self._lock:
                self._missed.add(key)
        return entry

    def _run_entry(self, run_dir: Path):
        """(entry or None, warning or None) for one training run folder."""
        if not run_dir.is_dir():
            return None, None
        try:
            info = json.loads((run_dir / RUN_FILE).read_text())
        except FileNotFoundError:
            return None, None                             # a run still being set up
        except (OSError, ValueError) as e:
            return None, f"{run_dir / 'run.json'}: unreadable run record: {str(e)[:120]}"
        if not isinstance(info, dict) or info.get("status") != "completed":
            return None, None
        path = run_dir / CHECKPOINT_FILE
        if not path.is_file():
            return None, f"{run_dir}: run marked completed but has no checkpoint.pt"
        name = str(info.get("name") or info.get("id") or run_dir.name)
        try:
            entry = self._entry(path, name, "run", run_id=run_dir.name)
        except (CheckpointError, OSError) as e:
            return None, str(e)
        if entry is None or entry.metrics.get("status") != "completed":
            return None, None
        return entry, None

    def model(self, path: str) -> RowRNN:
        """The model in eval mode, loaded once per file version; CheckpointError if unusable."""
        path = Path(path)
        try:
            key = _file_key(path)
        except OSError as e:
            raise CheckpointError(f"{path}: no longer readable ({e.strerror})") from e
        with self._lock:
            if key in self._models:
                return self._models[key]
        model = RowRNN.from_checkpoint(path, device=self.device)  # slow part, outside the lock
        with self._lock:
            # Drop older versions of this file, and the oldest models beyond the limit.
            self._models = {k: m for k, m in self._models.items() if k[0] != key[0]}
            while len(self._models) >= self.max_models:
                self._models.pop(next(iter(self._models)))
            self._models[key] = model
        return model
