"""The Binary adder tab in headless Chromium: type two numbers, read the sum, train a new adder."""

import re

from rnn_demo.bench.harness import wait_until


def open_tab(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Binary adder").click()
    page.wait_for_selector("#adder-a textarea")


def test_browser_types_two_numbers_and_reads_the_sum(page, app_url):
    open_tab(page, app_url)
    page.locator("#adder-a textarea").fill("1101 0110")
    page.locator("#adder-b textarea").fill("1_1111")
    page.locator("#adder-run").click()
    page.wait_for_function("document.querySelector('#adder-sum textarea').value.length > 0")
    assert page.locator("#adder-sum textarea").input_value() == "11110101\n= 245 in decimal"
    assert page.locator("#adder-truth textarea").input_value() == "11110101\n= 245 in decimal"
    page.wait_for_selector("#adder-bits .adder-grid")
    assert "All 9 sum bits right" in page.locator("#adder-bits").inner_text()
    page.wait_for_selector("#adder-carry img, #adder-carry svg, #adder-carry canvas")
    assert page.locator("#adder-generalisation img, #adder-generalisation svg").count() > 0

    page.locator("#adder-b textarea").fill("12")
    page.locator("#adder-run").click()
    page.get_by_text("'2' at position 2").first.wait_for()
    # a refused input clears the earlier sum: no stale answer next to the message
    page.wait_for_function("document.querySelector('#adder-sum textarea').value === ''")
    assert page.locator("#adder-truth textarea").input_value() == ""
    assert "sum bits" not in page.locator("#adder-bits").inner_text()


def test_browser_trains_a_new_adder_and_uses_it(page, app_url):
    open_tab(page, app_url)
    page.get_by_text("Train a new adder").click()
    steps = page.locator("#adder-steps input[type=number]")
    steps.fill("50")
    steps.press("Enter")
    page.locator("#adder-train").click()
    page.get_by_text("The playground now uses this adder").wait_for(timeout=120_000)
    assert "your adder" in page.locator("#adder-model").inner_text()
    page.locator("#adder-a textarea").fill("1")
    page.locator("#adder-b textarea").fill("1")
    page.locator("#adder-run").click()
    page.wait_for_function("document.querySelector('#adder-truth textarea').value.length > 0")
    assert page.locator("#adder-truth textarea").input_value() == "10\n= 2 in decimal"


def drawn_points(page, plot: str) -> list:
    """The (x, y) pixels of a LinePlot's line as Vega drew it (SVG: y grows downwards)."""
    d = page.locator(f"#{plot} g.mark-line path").first.get_attribute("d") or ""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]
    return list(zip(numbers[0::2], numbers[1::2]))


def axes(page, plot: str) -> dict:
    """A LinePlot's axes as Vega drew them: its description ("X-axis titled 'step' for a linear
    scale ...") -> its tick labels."""
    return dict(page.evaluate("""id => [...document.querySelectorAll(`#${id} g.role-axis`)]
        .filter(a => a.getAttribute('aria-label'))
        .map(a => [a.getAttribute('aria-label'),
                   [...a.querySelectorAll('g.role-axis-label text')].map(t => t.textContent)])""", plot))


def test_the_training_loss_chart_has_numeric_axes_and_falls(page, app_url):
    open_tab(page, app_url)
    page.get_by_text("Train a new adder").click()
    steps = int(page.locator("#adder-steps input[type=number]").input_value())   # the default
    page.locator("#adder-train").click()
    page.get_by_text("The playground now uses this adder").wait_for(timeout=120_000)
    page.wait_for_selector("#adder-loss g.mark-line path")
    assert wait_until(lambda: len(drawn_points(page, "adder-loss")) == steps, 10)
    points = drawn_points(page, "adder-loss")
    drawn = axes(page, "adder-loss")
    assert len(drawn) == 2, drawn
    for description, labels in drawn.items():
        # A number line with a few ticks, not a categorical axis with a label per step or loss
        assert "linear scale" in description, description
        assert 3 <= len(labels) <= len(points) // 10, labels
        assert all(re.fullmatch(r"[\d.,\u2212e+-]+", text) for text in labels), labels
    xs = [x for x, _ in points]
    assert xs == sorted(xs)                             # steps left to right
    tenth = len(points) // 10
    first, last = (sum(y for _, y in part) / len(part) for part in (points[:tenth], points[-tenth:]))
    assert last > first + 20, (first, last)             # lower on screen: the loss fell
