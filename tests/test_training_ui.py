"""The Training tab in a browser and through its API: start a short CPU run, watch it, stop it."""

import re
import time

import pytest
from gradio_client import Client

from rnn_demo.presets import PRESETS
from rnn_demo.train import TrainConfig
from rnn_demo.ui.training import TRAIN_FIELDS


def loss_points(page) -> int:
    """Points of the training-loss line as drawn (Vega renders one SVG path per line)."""
    path = page.locator("#train-loss-plot g.mark-line path")
    if path.count() == 0:
        return 0
    return (path.first.get_attribute("d") or "").count("L") + 1


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    return predicate()


def choose(page, elem_id: str, option: str):
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_browser_starts_a_cpu_run_watches_the_loss_grow_and_stops_it(app_url, page):
    page.goto(app_url)
    page.get_by_role("tab", name="Training").click()
    page.locator("#train-model").get_by_text("Model", exact=True).click()   # open the model fields
    choose(page, "train-preset", "rnn: RNN tanh 128 + Linear")
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
    assert wait_until(lambda: "Status: stopped" in status.inner_text(), 10), status.inner_text()
    runs = page.locator("#train-runs")
    assert wait_until(lambda: "stopped" in runs.inner_text(), 5)


def test_api_starts_and_stops_a_run(app_url):
    client = Client(app_url, verbose=False)
    status = client.predict(preset="rnn", epochs=5, device="cpu", api_name="/train_start")
    run_id = re.search(r"Run `([^`]+)`", status).group(1)
    assert "21,514 parameters" in status

    stopped = client.predict(api_name="/train_stop")        # the run this session started
    assert run_id in stopped
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "stopped" not in stopped.split("Status:")[-1]:
        time.sleep(0.5)
        stopped = client.predict(compare=[], metric="validation accuracy", api_name="/train_poll")[0]
        stopped = stopped if isinstance(stopped, str) else ""
    assert "Status: **stopped**" in stopped

    rejected = client.predict(preset="rnn", lr=-1, device="cpu", api_name="/train_start")
    assert rejected.startswith("**Not started:**") and "learning rate" in rejected


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_form_fields_rebuild_its_model_and_recipe(name):
    """What the tab shows for a preset, started as a custom model, trains exactly that preset."""
    from rnn_demo.ui.training import MODEL_FIELDS, configs_from_fields, preset_values
    values = preset_values(name)
    seed_at = len(MODEL_FIELDS) + TRAIN_FIELDS.index("seed")
    values = values[:seed_at] + [7] + values[seed_at:]
    _, model, recipe = configs_from_fields("custom", values, "cpu")
    preset = PRESETS[name]
    assert model == preset.model
    assert recipe == TrainConfig(**{**preset.train_overrides, "seed": 7, "device": "cpu"})
