"""The Sketch tab on a phone: the answer comes before the canvas, and both fit one screen."""


def test_on_a_phone_the_answer_is_above_the_canvas_and_both_fit_one_screen(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(app_url)
        page.wait_for_selector("#sketchpad canvas")
        answer, canvas = (page.locator(s).bounding_box() for s in ("#sketch-prediction", "#sketchpad"))
        assert answer["y"] + answer["height"] <= canvas["y"], (answer, canvas)
        assert canvas["y"] + canvas["height"] - answer["y"] <= 844       # one screen, scrolled to the answer
    finally:
        context.close()


def test_on_a_wide_screen_the_answer_stays_beside_the_canvas(page, app_url):
    page.goto(app_url)
    page.wait_for_selector("#sketchpad canvas")
    answer, canvas = (page.locator(s).bounding_box() for s in ("#sketch-prediction", "#sketchpad"))
    assert answer["x"] > canvas["x"] + canvas["width"] and abs(answer["y"] - canvas["y"]) < 60
