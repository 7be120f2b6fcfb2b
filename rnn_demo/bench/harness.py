"""What the benchmarks and the tests drive: `app.py` served on a free port, and headless Chromium.

    with serve_app(runs=Path("/tmp/runs")) as server:
        Client(server.url) ...
    with sync_playwright() as p:
        browser = launch_chromium(p)

The app's output goes to a log file, quoted in the error when it exits or never answers. The
browser is Debian's chromium driven by Playwright (never `playwright install`).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless Chromium repaints canvases slowly; SwiftShader's GL makes it steadier.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def launch_chromium(playwright):
    """A headless Chromium browser from a running sync_playwright()."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


def wait_until(predicate, timeout: float, every: float = 0.2):
    """Call `predicate` until it returns something true or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@contextmanager
def serve_app(runs: Path | None = None, args=(), env=None, timeout: float = 120.0):
    """Start `python app.py --port P [args]` with RNN_DEMO_RUNS=runs; yield a Server once it answers."""
    port = free_port()
    runs = Path(runs) if runs is not None else Path(tempfile.mkdtemp(prefix="rnn-demo-runs-"))
    log = Path(tempfile.mkdtemp(prefix="rnn-demo-app-")) / "app.log"
    environment = {**os.environ, "RNN_DEMO_RUNS": str(runs), "GRADIO_ANALYTICS_ENABLED": "False",
                   "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT,
                                   env=environment, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", process, log)
    try:
        _wait_until_up(server, timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the app exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{server.log_tail()}")
