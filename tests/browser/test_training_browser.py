"""The Training tab in headless Chromium: start a CPU run, watch the loss grow, stop it."""

import re
from pathlib import Path

from rnn_demo.bench.harness import wait_until

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"   # tests/artifacts, as conftest.py


def loss_points(page) -> int:
    """Points of the training-loss line as drawn (Vega renders one SVG path per line)."""
    path = page.locator("#train-loss-plot g.mark-line path")
    if path.count() == 0:
        return 0
    return (path.first.get_attribute("d") or "").count("L") + 1


def choose(page, elem_id: str, option: str):
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_browser_starts_a_cpu_run_watches_the_loss_grow_and_stops_it(app_url, page):
    page.goto(app_url)
    page.get_by_role("tab", name="Training").click()
    page.locator("#train-model").get_by_text("Model", exact=True).click()   # open the model fields
    choose(page, "train-preset", "rnn")
    # The preset fills the model and recipe fields; edit the epochs once that has landed.
    assert wait_until(lambda: page.locator('#train-cell input[value="rnn"]').is_checked(), 10)
    page.locator("#train-epochs input").fill("5")    # long enough to be stopped midway
    choose(page, "train-device", "cpu")
    page.locator("#train-start").click()

    status = page.locator("#train-status")
    # The id, the device and the parameter count show at once (RNN 128 + Linear: 21,514).
    assert wait_until(lambda: "21,514 parameters" in status.inner_text(), 10)
    text = status.inner_text()
    assert re.search(r"Run \d{8}-\d{6}-rnn-[0-9a-f]{6}", text) and "cpu" in text

    first = wait_until(lambda: loss_points(page) >= 2 and loss_points(page), 90)
    assert first >= 2, f"no loss curve after 90 s; status: {status.inner_text()}"
    assert wait_until(lambda: loss_points(page) > first, 30), "the loss plot stopped gaining points"
    assert " of 5" in status.inner_text()                  # the run got the edited epochs

    page.locator("#train-stop").click()
    assert wait_until(lambda: "Status: stopped" in status.inner_text(), 30), status.inner_text()
    runs = page.locator("#train-runs")
    assert wait_until(lambda: "stopped" in runs.inner_text(), 5)


def test_a_refused_start_is_read_next_to_start_and_in_a_toast_without_scrolling(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 900})       # Start sits below the long form
    page.goto(app_url)
    page.get_by_role("tab", name="Training").click()
    about = page.locator("#train-preset-about")                  # the preset's whole description
    assert wait_until(lambda: "OneCycle" in about.inner_text() and about.is_visible(), 10)
    page.locator("#train-epochs input").fill("1.5")
    start = page.locator("#train-start")
    start.scroll_into_view_if_needed()
    scrolled, button = page.evaluate("window.scrollY"), start.bounding_box()
    start.click()
    line = page.locator("#train-action")
    assert wait_until(lambda: "epochs must be a whole number, got 1.5" in line.inner_text(), 15), \
        line.inner_text() if line.count() else "no line under Start"
    page.screenshot(path=str(ARTIFACTS / "test_a_refused_start_in_view.png"))     # what the visitor sees
    shown = line.bounding_box()
    assert page.evaluate("window.scrollY") == scrolled and start.bounding_box() == button   # nothing moved
    assert 0 <= shown["y"] and shown["y"] + shown["height"] <= 900, shown            # in the viewport
    assert 0 <= shown["y"] - (button["y"] + button["height"]) < 60, (shown, button)  # right under Start
    toast = page.get_by_test_id("toast-body")
    assert wait_until(lambda: toast.count() and "whole number" in toast.first.inner_text(), 5)
    assert toast.first.is_visible() and "Not started" in toast.first.inner_text()


def test_a_reload_keeps_the_owner_who_can_still_stop_their_run_and_nobody_else_can(app_url, browser):
    alice, bob = (browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in range(2))
    page = alice.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Training").click()
    page.locator("#train-model").get_by_text("Model", exact=True).click()   # open the model fields
    choose(page, "train-preset", "rnn")
    assert wait_until(lambda: page.locator('#train-cell input[value="rnn"]').is_checked(), 10)
    page.locator("#train-epochs input").fill("20")
    choose(page, "train-device", "cpu")
    page.locator("#train-start").click()
    status = page.locator("#train-status")

    def started():                                  # not an older run the fresh page followed
        text = status.inner_text()
        return ("Status: queued" in text or "Status: running" in text) and \
            re.search(r"Run (\S+-rnn-[0-9a-f]{6})", text)
    assert wait_until(started, 30), status.inner_text()
    run_id = started().group(1)

    other = bob.new_page()                          # another browser: its own owner token
    other.goto(app_url)
    other.get_by_role("tab", name="Training").click(timeout=120_000)
    followed = wait_until(lambda: run_id in other.locator("#train-status").inner_text(), 45)
    other.screenshot(path=str(ARTIFACTS / "test_another_browser_follows.png"), full_page=True)
    assert followed, other.locator("#train-status").inner_text()
    other.locator("#train-stop").click()
    assert wait_until(lambda: "belongs to another visitor" in other.locator("#train-status").inner_text(), 30)
    other.screenshot(path=str(ARTIFACTS / "test_another_browser_cannot_stop.png"), full_page=True)

    page.reload()                                   # the same browser: its token is in localStorage
    page.get_by_role("tab", name="Training").click(timeout=120_000)   # a reload re-renders every tab
    status = page.locator("#train-status")
    assert wait_until(lambda: run_id in status.inner_text(), 45)
    assert wait_until(lambda: "you" in page.locator("#train-runs").inner_text(), 10)
    page.locator("#train-stop").click()
    assert wait_until(lambda: "Status: stopped" in status.inner_text(), 15), status.inner_text()
    page.screenshot(path=str(ARTIFACTS / "test_the_owner_stops_after_a_reload.png"), full_page=True)
    alice.close()
    bob.close()


def test_compared_runs_keep_one_colour_in_every_plot_and_hovering_names_run_x_and_value(browser, tmp_path):
    from gradio_client import Client

    from rnn_demo.bench.harness import serve_app
    with serve_app(tmp_path / "runs", args=["--synthetic-data"], env={"RNN_DEMO_STATE": str(tmp_path)}) as server:
        client = Client(server.url, verbose=False)
        ids = [re.search(r"Run `([^`]+)`", client.predict(
            preset="custom", cell="gru", hidden_size=16, batch_size=64, epochs=3, lr=lr, device="cpu",
            api_name="/train_start")).group(1) for lr in (0.01, 0.002)]
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(120_000)
        page.goto(server.url)
        page.get_by_role("tab", name="Training").click()
        runs = page.locator("#train-runs")
        assert wait_until(lambda: runs.inner_text().count("completed") == 2, 120), runs.inner_text()
        for run_id in ids:                          # a click on a row adds the run to the comparison
            page.locator("#train-runs [role=gridcell]:visible").filter(has_text=run_id).first.click()
            assert wait_until(lambda: run_id in page.locator("#train-compare").inner_text(), 30)

        def strokes(plot):                             # read in one go: a redraw replaces the paths
            return set(page.evaluate("""id => [...document.querySelectorAll(`#${id} g.mark-line path`)]
                                     .map(p => p.getAttribute('stroke')).filter(Boolean)""", plot))

        def one_colour_per_run():
            per_epoch = strokes("train-compare-val-acc")   # no smoothing there: one line per run
            return len(per_epoch) == 2 and per_epoch <= strokes("train-compare-loss") and \
                per_epoch == strokes("train-compare-val-loss")
        assert wait_until(one_colour_per_run, 30), [strokes(p) for p in (
            "train-compare-loss", "train-compare-val-loss", "train-compare-val-acc")]

        box = page.locator("#train-compare-val-acc svg").first.bounding_box()
        tip = page.locator("#vg-tooltip-element")
        shown = ""
        for fx in [i / 30 for i in range(3, 29)]:           # sweep until the pointer meets a line
            for fy in [i / 15 for i in range(1, 14)]:
                page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                if tip.count() and tip.first.is_visible() and "run" in tip.first.inner_text():
                    shown = tip.first.inner_text()
                    break
            if shown:
                break
        assert "accuracy (%)" in shown and "step" in shown and any(i[-6:] in shown for i in ids), shown
        page.screenshot(path=str(ARTIFACTS / "test_compared_runs.png"), full_page=True)

        page.reload()                                  # the browser keeps what it compared
        page.get_by_role("tab", name="Training").click()
        assert wait_until(lambda: all(i in page.locator("#train-compare").inner_text() for i in ids), 30), \
            page.locator("#train-compare").inner_text()
        assert wait_until(one_colour_per_run, 30)      # and draws it again
        page.close()
