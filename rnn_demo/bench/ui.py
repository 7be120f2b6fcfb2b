"""What watching costs: the same short CPU run with and without a browser on the Training tab.

    python -m rnn_demo.bench ui [--preset rnn] [--epochs 1] [--rounds 2]
    python -m rnn_demo.bench ui --direct cuda --preset lstm --epochs 10   # no app, no browser

Starts `app.py` on a free port with an empty runs folder, then trains the same run, in
rotating order: with nobody watching; with an API client calling the tab's 1 s poll (the
server's share of watching); and with headless Chromium on the Training tab (poll plus
drawing; on a small machine the browser competes with training for the same cores, which a
remote browser would not). Prints each run's train time (the trainer's, validation excluded)
and each mode's ratio to unwatched, in wall time and in the app process's CPU time (steadier
on a shared machine). Needs gradio_client, playwright and Debian's chromium.

With `--direct DEVICE` it only trains the preset through a RunManager (the Training tab's
engine) on that device and prints epochs per second and the accuracy reached: the check to
run where a GPU is available.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from .harness import launch_chromium, serve_app

MODES = ("unwatched", "api poll", "browser")


class _Poller:
    """The server side of a watching browser without the drawing: /train_poll once a second."""

    def __init__(self, url: str):
        import threading

        from gradio_client import Client
        self.client, self.polls, self.done = Client(url, verbose=False), 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.wait(1.0):
            self.client.predict(api_name="/train_poll")
            self.polls += 1

    def close(self) -> int:
        self.done.set()
        self.thread.join(10)
        return self.polls


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _train(client, runs: Path, preset: str, epochs: int) -> dict:
    status = client.predict(preset=preset, epochs=epochs, device="cpu", api_name="/train_start")
    run_id = status.split("`")[1]
    while True:
        record = json.loads((runs / run_id / "run.json").read_text())
        if record["status"] not in ("queued", "running"):
            return record
        time.sleep(0.5)


def direct(preset: str, epochs: int, device: str) -> dict:
    """Train through a RunManager with no UI; print epochs per second and accuracy."""
    from ..mnist.runs.manager import RunManager
    manager = RunManager(Path(tempfile.mkdtemp(prefix="bench-direct-runs-")))
    record = manager.start_preset(preset, epochs=epochs, device=device)
    print(f"{record['id']}: {preset} on {record['device']}, {record['params']:,} parameters", flush=True)
    record = manager.wait(record["id"], timeout=24 * 3600)
    if record["status"] != "completed":
        raise SystemExit(f"run {record['status']}: {record['reason']}")
    print(f"{preset}, {record['epochs_done']} epochs on {record['device']}: train {record['train_seconds']:.2f} s "
          f"({record['epochs_done'] / record['train_seconds']:.2f} epochs/s), wall {record['seconds']:.2f} s, "
          f"best val {100 * record['best_val_acc']:.2f}%, test {100 * record['test_acc']:.2f}%")
    return record


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="rnn")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of (unwatched, watched by an API poller, watched by a browser) runs")
    parser.add_argument("--direct", metavar="DEVICE", default=None,
                        help="only train through a RunManager on DEVICE (e.g. cuda) and report speed")


def run(args) -> int:
    if args.direct:
        direct(args.preset, args.epochs, args.direct)
        return 0

    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    runs = Path(tempfile.mkdtemp(prefix="bench-ui-runs-"))
    times, cpu = {mode: [] for mode in MODES}, {mode: [] for mode in MODES}
    with serve_app(runs) as server:
        url, proc = server.url, server.process
        client = Client(url, verbose=False)
        with sync_playwright() as p:
            browser = launch_chromium(p)
            modes = list(MODES)
            for _ in range(args.rounds):
                for mode in modes:
                    page, poller = None, None
                    if mode == "browser":
                        page = browser.new_page(viewport={"width": 1400, "height": 1100})
                        page.goto(url)
                        page.get_by_role("tab", name="Training").click()
                    elif mode == "api poll":
                        poller = _Poller(url)
                    cpu0 = _cpu_seconds(proc.pid)
                    record = _train(client, runs, args.preset, args.epochs)
                    record["app_cpu"] = _cpu_seconds(proc.pid) - cpu0
                    if page is not None:
                        drawn = page.locator("#train-loss-plot g.mark-line path").first.get_attribute("d")
                        assert drawn and drawn.count("L") > 10, "the browser did not draw the run"
                        page.close()
                    if poller is not None:
                        assert poller.close() > 10, "the poller did not poll"
                    times[mode].append(record["train_seconds"])
                    cpu[mode].append(record["app_cpu"])
                    print(f"{mode:>9}: {record['id']} {record['status']}, train {record['train_seconds']:.1f} s, "
                          f"total {record['seconds']:.1f} s, app process CPU {record['app_cpu']:.1f} s", flush=True)
                modes = modes[1:] + modes[:1]      # rotate the order against drifting load
            browser.close()
    bare = sum(times["unwatched"])
    summary = [f"{args.preset}, {args.epochs} epoch(s) on cpu, {args.rounds} round(s), train seconds:"]
    for mode in MODES:
        summary.append(f"{mode} {sum(times[mode]):.1f} s (x{sum(times[mode]) / bare:.3f}, "
                       f"app CPU x{sum(cpu[mode]) / sum(cpu['unwatched']):.3f})")
    print(" ".join(summary))
    return 0
