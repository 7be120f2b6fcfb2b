"""Pen-up to settled label in a real browser: headless Chromium draws digits on the Sketch tab.

    python -m rnn_demo.bench sketch --browser [--digits 40]

Serves the app, then for each digit: Clear, draw at once with the mouse (strokes of about ten
points, as a person's quick strokes), and time in the page, from the canvas's last pointerup to
the moment the answer to that final drawing is shown (the answer's `data-version` equals the
canvas's). Also counts, per digit: a stale answer (an answer to an older drawing shown after a
newer one), an empty answer ("draw a digit" once the drawing has ink), strokes lost after Clear
(the canvas's final drawing has fewer strokes than were drawn), and misreads.
Needs playwright and Debian's chromium.
"""

import time

import numpy as np

from .harness import launch_chromium, serve_app
from .pen_digits import pen_digits

# Runs in the page: timestamps of every pointerup and of every answer shown, with its version.
WATCH = """() => {
  window.__pen = {ups: [], answers: []};
  document.querySelector('#sketchpad canvas').addEventListener('pointerup',
      () => window.__pen.ups.push(performance.now()));
  const record = () => {
    const seen = document.querySelector('#sketch-input [data-version]');
    const label = document.querySelector('#sketch-prediction .output-class');
    const entry = [performance.now(), seen ? Number(seen.dataset.version) : null,
                   label ? label.textContent.trim() : null];
    const last = window.__pen.answers[window.__pen.answers.length - 1];
    if (!last || last[1] !== entry[1] || last[2] !== entry[2]) window.__pen.answers.push(entry);
  };
  const observer = new MutationObserver(record);
  for (const id of ['#sketch-input', '#sketch-prediction'])
    observer.observe(document.querySelector(id), {subtree: true, childList: true, attributes: true,
                                                  characterData: true});
}"""


def draw_strokes(page, strokes):
    """Draw `strokes` (point lists in [0, 1] canvas coordinates) with the mouse on the Sketch canvas."""
    box = page.locator("#sketchpad canvas").bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"], box["y"] + y * box["height"])   # noqa: E731
    for stroke in strokes:
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(*at(x, y))
        page.mouse.up()


def _canvas_state(page) -> tuple[int, int]:
    """(version, number of strokes) of the canvas's current value."""
    return page.evaluate("""() => {
      const root = document.querySelector('#sketchpad .sketch-surface');
      return [Number(root.dataset.version), Number(root.dataset.strokes || -1)]; }""")


def measure(page, label: int, strokes, timeout: float = 30.0) -> dict:
    page.locator("#sketchpad button[data-action=clear]").click()
    page.evaluate("() => { window.__pen.ups = []; window.__pen.answers = []; }")
    draw_strokes(page, strokes)
    version, drawn = _canvas_state(page)
    deadline = time.time() + timeout
    while time.time() < deadline:
        log = page.evaluate("window.__pen")
        if any(v == version for _, v, _ in log["answers"]):
            break
        time.sleep(0.05)
    time.sleep(0.3)                           # anything shown after the settled answer counts too
    log = page.evaluate("window.__pen")
    pen_up = log["ups"][-1] if log["ups"] else None
    final = [a for a in log["answers"] if a[1] == version]
    after = [a for a in log["answers"] if pen_up is not None and a[0] >= pen_up]
    versions = [v for _, v, _ in log["answers"] if v is not None]
    return {
        "label": label, "shown": final[-1][2] if final else None,
        "latency_ms": (final[0][0] - pen_up) if final and pen_up is not None else None,
        "stale": any(b < a for a, b in zip(versions, versions[1:])) or bool(after and after[-1][1] != version),
        "empty": bool(final) and final[-1][2] == "draw a digit",
        "lost": drawn != len(strokes),
    }


def run(args) -> int:
    from playwright.sync_api import sync_playwright

    digits = pen_digits(args.digits, seed=1)
    with serve_app() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(server.url)
        page.wait_for_selector("#sketch-prediction .output-class", timeout=120_000)
        page.evaluate(WATCH)
        measure(page, *digits[0])             # warm-up: the first answer loads the model
        results = [measure(page, label, strokes) for label, strokes in digits]
        browser.close()
    latencies = [r["latency_ms"] for r in results if r["latency_ms"] is not None]
    print(f"{len(results)} digits drawn with the mouse, Clear before each, default model")
    print(f"pen-up -> settled label: p50 {np.percentile(latencies, 50):.0f} ms, "
          f"p90 {np.percentile(latencies, 90):.0f} ms, max {max(latencies, default=float('nan')):.0f} ms "
          "(target: p50 <= 150 ms, p90 <= 300 ms)")
    print(f"no answer to the final drawing: {sum(r['latency_ms'] is None for r in results)}; "
          f"stale answers shown: {sum(r['stale'] for r in results)}; "
          f"empty answers: {sum(r['empty'] for r in results)}; "
          f"strokes lost after Clear: {sum(r['lost'] for r in results)}")
    right = sum(r["shown"] == str(r["label"]) for r in results)
    print(f"read as the digit drawn: {right} of {len(results)}")
    return 0
