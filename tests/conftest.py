"""Shared fixtures: a live app on a free local port, and headless Chromium through Playwright.

Tests come in tiers, one folder each, and each folder is also a pytest marker:
unit (no server, no data set: `make test-fast`), mnist (needs the real MNIST files), api
(gradio_client against a served app), browser (Chromium drives the served app).
"""

from pathlib import Path

import pytest

from rnn_demo.bench.harness import launch_chromium, serve_app

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
TIERS = ("unit", "mnist", "api", "browser")


def pytest_collection_modifyitems(items):
    for item in items:
        tier = Path(item.fspath).parent.name
        if tier in TIERS:
            item.add_marker(tier)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """`python app.py` on a free port with an empty runs folder; its URL."""
    try:
        with serve_app(runs=tmp_path_factory.mktemp("runs")) as server:
            yield server.url
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (no `playwright install`)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; a screenshot is saved to tests/artifacts/<test>.png when the test ends."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
