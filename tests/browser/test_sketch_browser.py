"""The Sketch tab in headless Chromium: draw with the mouse or a finger, read the label, clear, undo."""

import re
import time

import numpy as np
import pytest

from rnn_demo.ui.sketch.views import DIGIT_COLOURS

# Strokes in [0, 1] canvas coordinates, about ten points each, as a person's quick strokes.
ONE = [[(0.5, 0.1 + 0.08 * i) for i in range(11)]]
SEVEN = [[(0.2 + 0.06 * i, 0.15) for i in range(11)], [(0.8 - 0.045 * i, 0.15 + 0.075 * i) for i in range(11)]]


def open_sketch(page, app_url, timeout=60_000):
    page.goto(app_url)
    page.wait_for_selector("#sketchpad canvas", timeout=timeout)
    page.wait_for_selector("#sketch-prediction .output-class", timeout=timeout)


def canvas_point(page, x, y):
    box = page.locator("#sketchpad canvas").bounding_box()
    return box["x"] + x * box["width"], box["y"] + y * box["height"]


def draw_with_mouse(page, strokes):
    for stroke in strokes:
        page.mouse.move(*canvas_point(page, *stroke[0]))
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(*canvas_point(page, x, y))
        page.mouse.up()


def draw_with_touch(page, strokes):
    """Touch events through the DevTools protocol, as a finger on a touch screen sends them."""
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        for kind, (x, y) in [("touchStart", stroke[0]), *(("touchMove", p) for p in stroke[1:])]:
            px, py = canvas_point(page, x, y)
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": px, "y": py}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def drawn_version(page) -> str:
    return page.locator("#sketchpad .sketch-surface").get_attribute("data-version")


def answer(page, timeout=60):
    """(top label, answered version) once the answer to the canvas's latest drawing is shown."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen = page.locator("#sketch-input [data-version]")
        version = seen.get_attribute("data-version") if seen.count() else None
        if version is not None and version == drawn_version(page):
            return page.inner_text("#sketch-prediction .output-class").strip(), version
        time.sleep(0.1)
    pytest.fail(f"no answer to drawing {drawn_version(page)} within {timeout} s")


def test_browser_draws_a_digit_and_reads_it_then_clear_and_draw_at_once(page, app_url):
    open_sketch(page, app_url)
    assert page.inner_text("#sketch-prediction .output-class").strip() == "draw a digit"
    draw_with_mouse(page, SEVEN)
    assert answer(page)[0] == "7"
    assert page.locator("#sketch-input img").count() == 1        # the 28x28 the model saw
    # The row-by-row chart, drawn in the page from the numbers: a line per digit in its colour,
    # the answer's on top, 28 rows, a tooltip per row.
    lines = page.locator("#sketch-rows polyline")
    assert lines.count() == 10 and lines.last.get_attribute("data-digit") == "7"
    assert lines.last.get_attribute("stroke") == DIGIT_COLOURS["7"]
    assert len(lines.last.get_attribute("points").split()) == 28
    assert page.locator("#sketch-rows rect[data-row='28'] title").text_content().startswith("row 28: 7 at")

    page.locator("#sketchpad button[data-action=clear]").click()
    # The label and the chart reset in the browser at once, before any answer from the server.
    assert page.inner_text("#sketch-prediction .output-class").strip() == "draw a digit"
    assert page.locator("#sketch-rows polyline").count() == 0 and page.locator("#sketch-rows svg.rows-chart").count() == 1
    draw_with_mouse(page, ONE)                                    # no tool to pick after Clear
    assert answer(page)[0] == "1"
    compare = page.locator("#sketch-compare")
    deadline = time.time() + 30                                   # the compare table follows
    while "best" not in compare.inner_text() and time.time() < deadline:
        time.sleep(0.2)
    assert "best" in compare.inner_text() and "fast" in compare.inner_text()


def test_browser_undo_removes_the_last_stroke(page, app_url):
    open_sketch(page, app_url)
    draw_with_mouse(page, ONE)
    assert answer(page)[0] == "1"
    draw_with_mouse(page, [[(0.15 + 0.07 * i, 0.5) for i in range(11)]])   # a bar across: not a 1
    crossed, _ = answer(page)
    page.locator("#sketchpad button[data-action=undo]").click()
    assert answer(page)[0] == "1", f"after undo (the crossed drawing read {crossed})"
    page.locator("#sketchpad button[data-action=undo]").click()
    label, _ = answer(page)
    assert label == "draw a digit"


@pytest.fixture
def touch_page(browser):
    context = browser.new_context(viewport={"width": 900, "height": 1100}, has_touch=True, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


def test_browser_draws_with_a_finger(touch_page, app_url):
    open_sketch(touch_page, app_url)
    touch_page.locator("#sketchpad canvas").scroll_into_view_if_needed()
    before = touch_page.evaluate("window.scrollY")
    draw_with_touch(touch_page, SEVEN)
    assert answer(touch_page)[0] == "7"
    assert touch_page.evaluate("window.scrollY") == before        # drawing does not scroll the page


def choose_model(page, name):
    page.locator("#sketch-model input").click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(name)} · test")).click()


def shown_row_answer(page):
    element = page.locator("#sketch-inside .row-answer")
    return (int(element.get_attribute("data-row")), int(element.get_attribute("data-digit")),
            float(element.get_attribute("data-probability")))


def test_browser_scrubs_through_the_rows_of_a_drawing_inside_the_model(page, app_url):
    from gradio_client import Client
    sent = []                                         # the drawings the page sends, as sent
    page.on("request", lambda r: sent.append(r.post_data_json["data"][0]) if r.method == "POST"
            and "queue/join" in r.url and '"strokes"' in (r.post_data or "") else None)
    open_sketch(page, app_url)
    choose_model(page, "lstm")                        # reads as it goes: an answer after every row
    page.locator("#sketch-inside-box").get_by_text("Look inside").click()
    page.locator("#sketchpad canvas").scroll_into_view_if_needed()
    draw_with_mouse(page, SEVEN)
    assert answer(page)[0] == "7"
    page.locator("#sketch-inside").scroll_into_view_if_needed()
    page.wait_for_selector("#sketch-inside .row-answer", timeout=60_000)
    assert shown_row_answer(page)[:2] == (28, 7)
    assert page.locator("#sketch-inside canvas").count() >= 5      # image, importance, hidden, gates

    # The same drawing through the API: the row-t answer shown is softmax(row_logits[t]).
    drawing = next(d for d in reversed(sent) if d["version"] == int(drawn_version(page)))
    views = Client(app_url, verbose=False).predict(drawing, "lstm", api_name="/inspect")
    seen = set()
    for row in (3, 10, 20):
        page.locator("#sketch-inside .inside-row").fill(str(row))
        shown_at, digit, probability = shown_row_answer(page)
        logits = np.asarray(views["row_logits"][row - 1])
        expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert (shown_at, digit) == (row, int(expected.argmax()))
        assert probability == pytest.approx(expected.max(), abs=1e-3)
        seen.add((digit, round(probability, 2)))
    assert len(seen) > 1, "the shown prediction did not change as the slider moved"


def test_browser_opens_look_inside_after_drawing_and_every_panel_is_drawn(page, app_url):
    open_sketch(page, app_url)
    draw_with_mouse(page, SEVEN)                      # answered while the view is closed (skipped)
    assert answer(page)[0] == "7"
    page.locator("#sketch-inside-box").get_by_text("Look inside").click()
    page.wait_for_selector("#sketch-inside .row-answer", timeout=60_000)
    sizes = page.evaluate("""() => [...document.querySelectorAll('#sketch-inside canvas')]
                             .map(c => [c.width, c.height])""")
    assert len(sizes) >= 5 and all(w > 0 and h == 280 for w, h in sizes), sizes   # 28 rows of 10 px
