"""My digits in headless Chromium: saved drawings stay in the browser across a reload, and are its own."""

import re
import time
from pathlib import Path

from test_sketch_browser import ONE, SEVEN, answer, draw_with_mouse, open_sketch

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"   # tests/artifacts, as conftest.py


def tiles(page) -> list[str]:
    return [t.strip() for t in page.locator("#my-digits-strip figcaption").all_inner_texts()]


def wait_for_tiles(page, count, timeout=60):
    deadline = time.time() + timeout
    while len(tiles(page)) != count and time.time() < deadline:
        time.sleep(0.2)
    return tiles(page)


def save_drawing(page, strokes, label):
    page.locator("#sketchpad button[data-action=clear]").click()
    draw_with_mouse(page, strokes)
    answer(page)
    page.locator(f'#sketchpad button[data-save="{label}"]').click()


def test_browser_saves_three_drawings_and_still_sees_them_after_a_reload(page, app_url, browser):
    open_sketch(page, app_url)
    for n, (strokes, label) in enumerate([(SEVEN, 7), (ONE, 1), (SEVEN, 7)], start=1):
        save_drawing(page, strokes, label)
        assert len(wait_for_tiles(page, n)) == n
    assert "3 digits" in page.inner_text("#my-digits-summary")
    assert sorted(c.split(" →")[0] for c in tiles(page)) == ["1", "7", "7"]
    assert "best" in page.inner_text("#my-digits-scores")           # every model scored on them

    page.reload()
    open_sketch(page, app_url)
    assert len(wait_for_tiles(page, 3)) == 3                          # kept by this browser
    page.locator("#my-digits-strip .delete").first.click()
    assert len(wait_for_tiles(page, 2)) == 2

    other = browser.new_context(viewport={"width": 1400, "height": 1100})   # another visitor
    try:
        stranger = other.new_page()
        open_sketch(stranger, app_url)
        time.sleep(2)
        assert tiles(stranger) == [] and "0 digits" in stranger.inner_text("#my-digits-summary")
    finally:
        other.close()


def test_browser_says_what_to_do_when_saving_an_empty_canvas(page, app_url):
    open_sketch(page, app_url)
    page.locator('#sketchpad button[data-save="4"]').click()
    deadline = time.time() + 30
    while "Nothing saved" not in page.inner_text("#my-digits-note") and time.time() < deadline:
        time.sleep(0.2)
    assert "draw a 4 first" in page.inner_text("#my-digits-note")


def test_browser_adapts_the_chosen_model_to_an_imported_set_and_chooses_the_result(page, tmp_path):
    from rnn_demo.bench.harness import serve_app
    drawn = Path(__file__).resolve().parents[2] / "docs" / "my-digits" / "drawn-in-chromium.zip"
    with serve_app(tmp_path / "runs", env={"RNN_DEMO_STATE": str(tmp_path)}) as server:   # its run stays here
        _adapt_through_the_page(page, server.url, drawn)


def _adapt_through_the_page(page, app_url, drawn):
    open_sketch(page, app_url)
    page.locator("#my-digits-import input[type=file]").set_input_files(str(drawn))
    assert len(wait_for_tiles(page, 40, timeout=90)) == 40
    page.locator("#sketch-model input").click()
    page.get_by_role("option", name=re.compile(r"^rnn · test")).click()
    page.locator("#my-digits-adapt").click()
    status = page.locator("#my-digits-adapt-status")
    deadline = time.time() + 240
    seen_progress = False
    while "now in the model list" not in status.inner_text() and time.time() < deadline:
        seen_progress |= "Fine-tuning" in status.inner_text() or "Measuring" in status.inner_text()
        assert "Not adapted" not in status.inner_text(), status.inner_text()
        time.sleep(0.2)
    text = status.inner_text()
    page.screenshot(path=str(ARTIFACTS / "test_browser_adapts.png"), full_page=True)
    assert "rnn adapted to your 40 digits" in text and seen_progress, text
    assert re.search(r"MNIST test \(10,000 images\)\s+90\.63%\s+\d+\.\d\d%", text), text
    assert page.locator("#sketch-model input").input_value().startswith("rnn adapted to my digits")
