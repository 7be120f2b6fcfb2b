"""A labelled set drawn with the mouse in the Sketch tab, saved and exported with its own buttons.

    zip_path, shots = draw_set(pen_digits(40, seed=2), Path("my-digits.zip"), adapt_model="lstm")

Serves the app (a fresh runs folder), then in headless Chromium: for each digit, Clear, draw its
strokes with the mouse, press "Save as <label>"; then "Export as zip" and download the app's
ImageFolder zip; optionally choose a model and press "Adapt", wait for its before/after table.
What is measured from the zip afterwards is the set exactly as a user's browser stored it.
Needs playwright and Debian's chromium.
"""

import re
import time
import urllib.request
from pathlib import Path

from .harness import launch_chromium, serve_app, wait_until
from .pen import draw_strokes


def _wait(predicate, timeout: float, what: str):
    """`wait_until`, but a page that stops answering is an error here, not a result."""
    value = wait_until(predicate, timeout)
    if not value:
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
    return value


def draw_set(digits, out_zip: Path, adapt_model: str | None = None, screenshots: Path | None = None) -> dict:
    """Draw `digits` ([(label, strokes)], strokes in unit canvas coordinates) through the UI.

    Returns {"zip": out_zip, "saved": count, "adapt": the UI's result text or None,
    "adapt_seconds": from the click to the table}. TimeoutError when the page stops answering.
    """
    from playwright.sync_api import sync_playwright

    result = {"zip": Path(out_zip), "adapt": None, "adapt_seconds": None}
    with serve_app() as server, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(server.url)
        page.wait_for_selector("#sketch-prediction .output-class", timeout=120_000)
        for n, (label, strokes) in enumerate(digits, start=1):
            page.locator("#sketchpad button[data-action=clear]").click()
            draw_strokes(page, strokes)
            page.locator(f'#sketchpad button[data-save="{label}"]').click()
            _wait(lambda n=n: page.locator("#my-digits-strip figure").count() >= n, 60, f"digit {n} saved")
        result["saved"] = page.locator("#my-digits-strip figure").count()
        page.locator("#my-digits-export").click()
        link = _wait(lambda: page.locator("#my-digits-zip a").first.get_attribute("href")
                     if page.locator("#my-digits-zip a").count() else None, 60, "the export")
        url = link if link.startswith("http") else server.url.rstrip("/") + "/" + link.lstrip("/")
        result["zip"].parent.mkdir(parents=True, exist_ok=True)
        result["zip"].write_bytes(urllib.request.urlopen(url, timeout=60).read())
        if screenshots:
            page.screenshot(path=str(screenshots / "my-digits-set.png"), full_page=True)
        if adapt_model:
            page.locator("#sketch-model input").click()
            page.get_by_role("option", name=re.compile(rf"^{re.escape(adapt_model)} · test")).click()
            time.sleep(1)
            t0 = time.time()
            page.locator("#my-digits-adapt").click()
            status = page.locator("#my-digits-adapt-status")
            _wait(lambda: "now in the model list" in status.inner_text() or "Not adapted" in status.inner_text()
                  or "Adaptation" in status.inner_text(), 600, "the adaptation")
            result["adapt_seconds"] = time.time() - t0
            result["adapt"] = status.inner_text()
            time.sleep(3)                                   # the scores for the newly chosen model
            if screenshots:
                page.screenshot(path=str(screenshots / "my-digits-adapted.png"), full_page=True)
        browser.close()
    return result
