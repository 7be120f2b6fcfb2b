"""The Training tab answers a click where it was: a line next to the button, a toast for a refusal,
and the API still answers with the status text alone."""

import gradio as gr
import pytest

from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.runs.manager import RunManager
from rnn_demo.ui.training import tab as training
from rnn_demo.ui.visitors import Visitors


class Request:
    """What the handlers read off a gr.Request: no login, no cookie (an API client)."""
    username, cookies, headers, session_hash = None, {}, {}, "session"


@pytest.fixture
def lab(tmp_path):
    return RunManager(tmp_path / "runs", splits_factory=lambda d: synthetic_splits(device=d)), Visitors()


def form(**values) -> list:
    return [{**training.preset_values("fast"), "batch_size": 64, **values}[f] for f in training.FORM]


def test_a_refused_start_says_why_next_to_start_and_in_a_toast(lab):
    manager, visitors = lab
    with pytest.warns(UserWarning, match="epochs must be a whole number, got 1.5"):   # a toast in a page
        result = training.start(manager, visitors, "fast", "cpu", *form(epochs=1.5), False, None, Request())
    assert result.action == result.status == "**Not started:** epochs must be a whole number, got 1.5"
    assert result.watched == gr.skip() and manager.list_runs() == []


def test_start_stop_and_delete_each_answer_on_their_own_line(lab):
    manager, visitors = lab
    started = training.start(manager, visitors, "fast", "cpu", *form(epochs=500), False, None, Request())
    run_id, who = started.watched, started.who
    assert started.action.startswith(f"**Started** run `{run_id}`") and "top of the tab" in started.action
    with pytest.warns(UserWarning, match="stop it before deleting it"):
        refused = training.delete(manager, visitors, run_id, [run_id], who, Request())
    assert refused.deleted.startswith("**Not deleted:**") and refused.watched == gr.skip()
    stopped = training.stop(manager, visitors, run_id, who, Request())
    assert stopped.action.startswith(f"Run `{run_id}`: ") and "Stop" in stopped.action
    manager.wait(run_id)
    deleted = training.delete(manager, visitors, run_id, [run_id], who, Request())
    assert deleted.deleted == f"Deleted run `{run_id}`." and deleted.watched is None
    with pytest.warns(UserWarning, match="no run is selected"):
        assert training.stop(manager, visitors, None, who, Request()).action.startswith("**Not stopped:**")


def test_the_lines_by_the_buttons_are_the_pages_alone_and_the_api_answers_with_the_status():
    import app
    endpoints = app.demo.get_api_info()["named_endpoints"]
    def returns(name):
        return [r["component"] for r in endpoints[name]["returns"]]
    assert returns("/train_start") == returns("/train_stop") == ["Markdown"]          # the status
    assert returns("/train_reproduce") == returns("/train_delete") == ["Markdown", "Dropdown"]  # and compared
    assert training.PageLine().get_block_name() == "markdown"
