"""What a class trips over in its first hour, driven in headless Chromium: a run of one epoch in
the per-epoch plots, and Ctrl+Z after drawing with the mouse."""

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image

from test_sketch_browser import ONE, answer, draw_with_mouse, open_sketch

from rnn_demo.bench.harness import serve_app, wait_until

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"   # tests/artifacts, as conftest.py
PER_EPOCH_PLOTS = ("train-val-plot", "train-acc-plot", "train-compare-val-loss", "train-compare-val-acc")


def lone_points(page, plot: str) -> list:
    """The lines of one point in a plot: (x, y) within the plot's element, and the line's colour.
    Vega writes such a line as a path "M x,y Z", of zero length."""
    return page.evaluate("""id => {
        const box = document.getElementById(id).getBoundingClientRect();
        return [...document.querySelectorAll(`#${id} g.mark-line path`)]
            .filter(p => /^M[^LC]*Z$/.test(p.getAttribute('d') || ''))
            .map(p => { const r = p.getBoundingClientRect();
                        return [r.x - box.x, r.y - box.y, p.getAttribute('stroke')]; });
    }""", plot)


def painted_around(picture: Image.Image, x: float, y: float, colour: str, radius: int = 5) -> int:
    """Pixels of `colour` (CSS hex) within `radius` of (x, y) in a screenshot."""
    want = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    box = picture.convert("RGB").crop((int(x) - radius, int(y) - radius, int(x) + radius, int(y) + radius))
    return int((np.abs(np.asarray(box, dtype=int) - want).sum(axis=-1) < 60).sum())


def test_a_one_epoch_run_draws_its_point_in_every_per_epoch_plot(browser, tmp_path):
    from gradio_client import Client
    with serve_app(tmp_path / "runs", args=["--synthetic-data"], env={"RNN_DEMO_STATE": str(tmp_path)}) as server:
        started = Client(server.url, verbose=False).predict(
            preset="custom", cell="gru", hidden_size=16, batch_size=64, epochs=1, device="cpu",
            api_name="/train_start")
        run_id = re.search(r"Run `([^`]+)`", started).group(1)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(120_000)
        page.goto(server.url)
        page.get_by_role("tab", name="Training").click()
        runs = page.locator("#train-runs")
        assert wait_until(lambda: "completed" in runs.inner_text(), 120), runs.inner_text()
        # a click on its row watches the run and adds it to the comparison
        page.locator("#train-runs [role=gridcell]:visible").filter(has_text=run_id).first.click()
        assert wait_until(lambda: all(lone_points(page, plot) for plot in PER_EPOCH_PLOTS), 30), \
            {plot: lone_points(page, plot) for plot in PER_EPOCH_PLOTS}
        for plot in PER_EPOCH_PLOTS:
            picture = Image.open(io.BytesIO(page.locator(f"#{plot}").screenshot()))
            for x, y, colour in lone_points(page, plot):
                assert painted_around(picture, x, y, colour) >= 20, (plot, x, y, colour)
            labels = page.evaluate("""id => [...document.querySelectorAll(`#${id} g.role-axis-label text`)]
                                   .map(t => t.textContent)""", plot)
            assert labels and not any(re.search(r"\.\d*0{3}", text) for text in labels), (plot, labels)
        page.screenshot(path=str(ARTIFACTS / "test_a_one_epoch_run_draws_its_point.png"), full_page=True)
        page.close()


def ink_at(page, x: float, y: float) -> bool:
    """Whether the canvas is inked at (x, y), in [0, 1] canvas coordinates."""
    return page.evaluate("""([x, y]) => { const c = document.querySelector('#sketchpad canvas');
        const [r, g, b] = c.getContext('2d').getImageData(x * c.width, y * c.height, 1, 1).data;
        return r + g + b < 384; }""", [x, y])


def test_ctrl_z_after_drawing_with_the_mouse_undoes_the_stroke(page, app_url):
    open_sketch(page, app_url)
    draw_with_mouse(page, ONE)
    assert answer(page)[0] == "1"
    bar = [(0.15 + 0.07 * i, 0.5) for i in range(11)]              # a bar across the 1
    draw_with_mouse(page, [bar])
    answer(page)
    surface = page.locator("#sketchpad .sketch-surface")
    assert surface.get_attribute("data-strokes") == "2" and ink_at(page, *bar[1])
    page.keyboard.press("Control+z")                               # no click anywhere first
    assert wait_until(lambda: surface.get_attribute("data-strokes") == "1", 5)
    assert not ink_at(page, *bar[1]) and ink_at(page, *ONE[0][5])   # the bar is gone, the 1 stays
    assert answer(page)[0] == "1"
