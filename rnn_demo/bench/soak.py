"""A class at once: simulated students start, watch, stop and delete runs through the API.

    python -m rnn_demo.bench soak [--students 30] [--starts 5] [--seconds 180]

Starts `app.py --synthetic-data` (tiny runs on 512 synthetic images) on a free port with an empty
runs folder and the default quotas, then runs one thread per student, each with its own
gradio_client Client (so its own owner). A student tries `--starts` runs of a small GRU, spread
over about `--seconds`; between them it polls like an open Training tab, and now and then stops
its run, or stops it and deletes it once it has ended. A student whose run is gone watches
whatever the page follows (often another student's run) and sometimes presses Stop or Delete
on it anyway: those must be refused.

Meanwhile abusive classmates (`--abuse`, default all of bench/abuse.py's kinds: bodies just
under the limit and far over it, a new session per call, picture bombs, 40 MB uploads) hammer
the server from addresses of their own, in a low-priority process.

Prints the starts accepted and refused (and why), the stops and deletes, the actions that
touched another owner's run (from the replies, and from an audit of every run's record against
what its owner asked for: must be 0), the errors (client exceptions and server tracebacks: must
be 0), the students' call latency (p50, p95), the abusers' requests by HTTP status, and the
app's memory at the end and at its peak (VmRSS, VmHWM).
"""

import argparse
import collections
import json
import random
import re
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from . import abuse
from .harness import serve_app

TINY = dict(preset="custom", cell="gru", hidden_size=16, num_layers=1, bidirectional=False, norm="none",
            head="linear", readout="last", batch_size=64, lr=0.01, device="cpu")
STOPS_REFUSED, DELETES_REFUSED = "stops of another's run refused", "deletes of another's run refused"
RUN = re.compile(r"[Rr]un `?(\d{8}-\d{6}-[A-Za-z0-9_.-]+-[0-9a-f]{6})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--starts", type=int, default=5, help="runs each student tries to start")
    parser.add_argument("--seconds", type=float, default=180.0, help="about how long the class works")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--abuse", choices=(*abuse.KINDS, "all", "none"), default="all",
                        help="abusive classmates at the same time (bench/abuse.py)")


class Tally:
    """Counters and what each owner asked for, shared by the student threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.owner_of: dict[str, int] = {}               # run id -> student
        self.asked = collections.defaultdict(set)        # ("stop" | "delete", student) -> run ids
        self.errors: list[str] = []
        self.latencies: list[float] = []                 # seconds per API call

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] += n


def _run_in(text) -> str | None:
    match = RUN.search(text or "")
    return match.group(1) if match else None


class Student:
    def __init__(self, number: int, url: str, tally: Tally, args):
        from gradio_client import Client
        self.n, self.tally, self.args = number, tally, args
        self.rng = random.Random(args.seed * 1000 + number)
        self.client = Client(url, verbose=False)
        self.watched: str | None = None

    def call(self, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.client.predict(**kwargs)
        except Exception as e:                           # any failure of the app is an error here
            with self.tally.lock:
                self.tally.errors.append(f"student {self.n} {kwargs.get('api_name')}: {type(e).__name__}: {e}")
            return None
        finally:
            with self.tally.lock:
                self.tally.latencies.append(time.perf_counter() - t0)

    def poll(self) -> str:
        reply = self.call(api_name="/train_poll")
        status = reply[0] if reply else None
        if isinstance(status, str) and _run_in(status):
            self.watched = _run_in(status)
        return status or ""

    def think(self, seconds: float) -> str:
        """Poll every 1-3 s for about `seconds`, as an open Training tab does; the last status."""
        status, end = "", time.monotonic() + seconds
        while time.monotonic() < end:
            status = self.poll() or status
            time.sleep(self.rng.uniform(1.0, 3.0))
        return status

    def mine(self, run_id) -> bool:
        with self.tally.lock:
            return self.tally.owner_of.get(run_id) == self.n

    def act(self, action: str) -> None:
        """Press Stop or Delete on the watched run, ours or not; count what happened.

        The reply names the run the server acted on (or refused to), whatever we think we watch.
        """
        reply = self.call(api_name=f"/train_{action}")
        text = reply[0] if isinstance(reply, (list, tuple)) else reply
        target = _run_in(text) if isinstance(text, str) else None
        if target is None:                               # "No run to stop", "Select a run"
            return
        refused = text.startswith(("**Not stopped:**", "**Not deleted:**"))
        if self.mine(target):
            with self.tally.lock:
                self.tally.asked[action, self.n].add(target)
            self.tally.add(f"{action}s of own runs" + (" refused" if refused else ""))
        elif refused and "belongs to another visitor" in text:
            self.tally.add(f"{action}s of another's run refused")
        elif not refused:
            self.tally.add("actions that touched another owner's run")
        if action == "delete" and not refused:
            self.watched = None

    def work(self) -> None:
        pause = self.args.seconds / self.args.starts
        for _ in range(self.args.starts):
            self.think(self.rng.uniform(0.2, 1.0) * pause)
            reply = self.call(**TINY, epochs=self.rng.randint(1, 4), seed=self.rng.randrange(1000),
                              api_name="/train_start")
            if isinstance(reply, str) and reply.startswith("**Run `"):
                with self.tally.lock:
                    self.tally.owner_of[_run_in(reply)] = self.n
                self.watched = _run_in(reply)
                self.tally.add("starts accepted")
            elif isinstance(reply, str):
                why = ("per-visitor limit" if "per visitor" in reply else "lab limit" if "in total" in reply
                       else "other: " + reply[:80])
                self.tally.add(f"starts refused ({why})")
            status = self.think(self.rng.uniform(2.0, 6.0))
            roll = self.rng.random()
            if roll < 0.25:
                self.act("stop")
            elif roll < 0.5:
                self.act("stop")
                self.think(3.0)
                self.act("delete")
            elif roll < 0.6 and "Status: **" in status:
                self.act(self.rng.choice(["stop", "delete"]))    # whatever this page watches now


def _audit(runs: Path, tally: Tally) -> collections.Counter:
    """Every run's fate against what its owner asked for."""
    found = collections.Counter()
    for run_id, student in tally.owner_of.items():
        path = runs / run_id / "run.json"
        if not path.exists():
            found["deleted"] += 1
            if run_id not in tally.asked["delete", student]:
                found["deleted by someone else"] += 1
            continue
        record = json.loads(path.read_text())
        found[record["status"]] += 1
        if (record.get("reason") or "").startswith("stopped") and run_id not in tally.asked["stop", student]:
            found["stopped by someone else"] += 1
    return found


def run(args) -> int:
    runs = Path(tempfile.mkdtemp(prefix="bench-soak-runs-"))
    state = Path(tempfile.mkdtemp(prefix="bench-soak-state-"))
    tally = Tally()
    t0 = time.monotonic()
    kinds = () if args.abuse == "none" else abuse.KINDS if args.abuse == "all" else (args.abuse,)
    with serve_app(runs, args=["--synthetic-data"], env={"RNN_DEMO_STATE": str(state)}) as server:
        abusers = abuse.Abusers(kinds, server.url).start()
        students = [Student(i, server.url, tally, args) for i in range(args.students)]
        threads = [threading.Thread(target=s.work, name=f"student-{s.n}") for s in students]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answers = abusers.stop()
        wall = time.monotonic() - t0
        rss, peak = abuse.memory(server.process.pid)
        tracebacks = server.log.read_text(errors="replace").count("Traceback")
    fates = _audit(runs, tally)
    c = tally.counts
    tried = args.students * args.starts
    refused = sum(v for k, v in c.items() if k.startswith("starts refused"))
    touched = c["actions that touched another owner's run"] + fates["deleted by someone else"] + \
        fates["stopped by someone else"]
    print(f"{args.students} students x {args.starts} starts of a tiny GRU on synthetic data, "
          f"default quotas, {wall:.0f} s")
    print(f"starts: {tried} tried, {c['starts accepted']} accepted, {refused} refused ("
          + ", ".join(f"{v} {k[16:-1]}" for k, v in sorted(c.items()) if k.startswith("starts refused")) + ")")
    print(f"own runs: Stop pressed {c['stops of own runs']} times, Delete {c['deletes of own runs']} times "
          f"(+{c['deletes of own runs refused']} refused: the run was still active)")
    print(f"another's run: {c[STOPS_REFUSED]} stops and {c[DELETES_REFUSED]} deletes tried, "
          "each refused ('this run belongs to another visitor')")
    print("runs at the end: " + ", ".join(f"{v} {k}" for k, v in sorted(fates.items())))
    print(f"actions that touched another owner's run: {touched}")
    print(f"errors: {len(tally.errors) + tracebacks} ({len(tally.errors)} client exceptions, "
          f"{tracebacks} server tracebacks)")
    for error in tally.errors[:5]:
        print("  " + error[:300])
    p50, p95 = (1000 * float(np.percentile(tally.latencies, q)) for q in (50, 95))
    print(f"students' API calls: {len(tally.latencies)}, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    if kinds:
        print(f"abusers ({', '.join(kinds)}): " + ", ".join(f"{n} x {status}" for status, n in
                                                           sorted(answers.items(), key=str)))
    print(f"app memory at the end (VmRSS) {rss:.0f} MiB, peak (VmHWM) {peak:.0f} MiB")
    return 1 if touched or tally.errors or tracebacks else 0
