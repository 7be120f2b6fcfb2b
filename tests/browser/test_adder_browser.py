"""The Binary adder tab in headless Chromium: type two numbers, read the sum, train a new adder."""


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
