"""A class server behind a login, in headless Chromium: the page says who it acts as, and on a
shared computer the next user after "Log out" gets none of the last one's runs or digits."""

import re
from pathlib import Path

import pytest
from test_my_digits_browser import save_drawing, tiles, wait_for_tiles
from test_sketch_browser import SEVEN

from rnn_demo.bench.harness import serve_app, wait_until

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"   # tests/artifacts, as conftest.py
USERS = {"alice": "wonderland", "bob": "builder"}


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    args = ["--synthetic-data"] + [a for user, pw in USERS.items() for a in ("--auth", f"{user}:{pw}")]
    with serve_app(tmp_path_factory.mktemp("runs"), args=args,
                   env={"RNN_DEMO_STATE": str(tmp_path_factory.mktemp("state"))}) as server:
        yield server.url


def sign_in(page, url, user):
    page.goto(url)
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(USERS[user])
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#who-line")
    assert wait_until(lambda: f"Signed in as {user}" in page.inner_text("#who-line"), 30), \
        page.inner_text("#who-line")


def test_after_a_logout_the_next_user_of_the_browser_gets_none_of_the_last_ones_runs_or_digits(
        class_server, page):
    sign_in(page, class_server, "alice")
    save_drawing(page, SEVEN, 7)
    assert wait_for_tiles(page, 1)
    page.get_by_role("tab", name="Training").click()
    page.locator("#train-epochs input").fill("200")
    page.locator("#train-start").click()
    assert wait_until(lambda: re.search(r"Run \S+-fast-", page.inner_text("#train-status")), 30)
    assert wait_until(lambda: "you" in page.locator("#train-runs").inner_text(), 15)
    page.locator("#train-stop").click()

    page.locator("#who-logout").click()
    sign_in(page, class_server, "bob")                   # the same browser, another student
    page.screenshot(path=str(ARTIFACTS / "test_the_next_user_after_a_logout.png"), full_page=True)
    assert "0 digits" in page.inner_text("#my-digits-summary") and tiles(page) == []
    page.get_by_role("tab", name="Training").click()
    assert wait_until(lambda: "another visitor" in page.locator("#train-runs").inner_text(), 30)
    assert "you" not in [c.strip() for c in page.locator("#train-runs td").all_inner_texts()]
