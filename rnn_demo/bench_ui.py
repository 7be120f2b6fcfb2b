"""What watching costs: the same short CPU run with and without a browser on the Training tab.

    python -m rnn_demo.bench_ui [--preset rnn] [--epochs 1] [--rounds 2]

Starts `app.py` on a free port with an empty runs folder, then, alternating, trains the run
with nobody watching and with headless Chromium on the Training tab (its 1 s timer polling
the run's log and redrawing three plots and the table). Prints each run's train time (the
trainer's, validation excluded) and the ratio watched / unwatched. Needs gradio_client,
playwright and Debian's chromium (as the browser tests do).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(runs: Path):
    port = _free_port()
    env = {**os.environ, "RNN_DEMO_RUNS": str(runs), "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start within 120 s")


def _train(client, runs: Path, preset: str, epochs: int) -> dict:
    status = client.predict(preset=preset, epochs=epochs, device="cpu", api_name="/train_start")
    run_id = status.split("`")[1]
    while True:
        record = json.loads((runs / run_id / "run.json").read_text())
        if record["status"] not in ("queued", "running"):
            return record
        time.sleep(0.5)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--preset", default="rnn")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of (unwatched, watched) runs")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)

    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    runs = Path(tempfile.mkdtemp(prefix="bench-ui-runs-"))
    proc, url = _serve(runs)
    times = {"unwatched": [], "watched": []}
    try:
        client = Client(url, verbose=False)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium,
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            for round_ in range(args.rounds):
                for mode in ("unwatched", "watched") if round_ % 2 == 0 else ("watched", "unwatched"):
                    page = None
                    if mode == "watched":
                        page = browser.new_page(viewport={"width": 1400, "height": 1100})
                        page.goto(url)
                        page.get_by_role("tab", name="Training").click()
                    record = _train(client, runs, args.preset, args.epochs)
                    if page is not None:
                        drawn = page.locator("#train-loss-plot g.mark-line path").first.get_attribute("d")
                        assert drawn and drawn.count("L") > 10, "the browser did not draw the run"
                        page.close()
                    times[mode].append(record["train_seconds"])
                    print(f"{mode:>9}: {record['id']} {record['status']}, train {record['train_seconds']:.1f} s, "
                          f"total {record['seconds']:.1f} s", flush=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    bare, watched = sum(times["unwatched"]), sum(times["watched"])
    print(f"{args.preset}, {args.epochs} epoch(s) on cpu, {args.rounds} round(s): unwatched {bare:.1f} s, "
          f"watched {watched:.1f} s, ratio {watched / bare:.3f} ({100 * (watched / bare - 1):+.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
