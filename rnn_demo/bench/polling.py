"""Requests an open page sends to the server by itself, per tab, with and without a run training.

    python -m rnn_demo.bench polling [--seconds 30]

Starts `app.py` on a free port with an empty runs folder, opens it in headless Chromium and
counts the events the page sends (its `fetch` calls to the queue's join route, counted in the
page: Playwright's request events miss them) while nobody touches it: on the Sketch tab, the
Training tab, the Sketch tab again and the Binary adder tab with no run, then on the Training
tab and on the Sketch tab while a CPU run trains (started through the API, so the page itself
sends nothing for it). Prints requests per second for each. Needs gradio_client, playwright and
Debian's chromium.
"""

import argparse
import tempfile
import time
from pathlib import Path

from .harness import launch_chromium, serve_app

IDLE = (("Sketch", "Sketch tab, no run"), ("Training", "Training tab, no run"),
        ("Sketch", "Sketch tab after Training, no run"), ("Binary adder", "Binary adder tab, no run"))
BUSY = (("Training", "Training tab, a run training"), ("Sketch", "Sketch tab, a run training"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each case is counted")
    parser.add_argument("--preset", default="rnn", help="the run trained for the busy cases")


COUNT_JOINS = """window.__joins = 0;
const fetch0 = window.fetch;
window.fetch = function (resource, ...rest) {
    if (String(resource.url || resource).includes("queue/join")) window.__joins++;
    return fetch0.call(this, resource, ...rest);
};"""


def _count(page, tab: str, seconds: float) -> float:
    """Events per second the page sends in `seconds` after `tab` is shown (the first 2 s skipped)."""
    page.get_by_role("tab", name=tab, exact=True).click()
    time.sleep(2.0)                          # the tab's own select events settle first
    before = page.evaluate("window.__joins")
    time.sleep(seconds)
    return (page.evaluate("window.__joins") - before) / seconds


def run(args) -> int:
    from gradio_client import Client
    from playwright.sync_api import sync_playwright

    runs = Path(tempfile.mkdtemp(prefix="bench-polling-runs-"))
    with serve_app(runs) as server, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.add_init_script(COUNT_JOINS)
        page.goto(server.url)
        page.get_by_role("tab", name="Training").wait_for()
        for tab, case in IDLE:
            print(f"{case:<32} {_count(page, tab, args.seconds):.2f} requests/s", flush=True)
        client = Client(server.url, verbose=False)
        client.predict(preset=args.preset, epochs=50, device="cpu", api_name="/train_start")
        for tab, case in BUSY:
            print(f"{case:<32} {_count(page, tab, args.seconds):.2f} requests/s", flush=True)
        client.predict(api_name="/train_stop")
        browser.close()
    return 0
