"""Serving a shared lab: the app's options, the login's users, the open-server warning, who a
session is, and timers that tick only on their own tab."""

import pytest

from rnn_demo.mnist.runs.quotas import Quotas, is_token, owner_id, user_id
from rnn_demo.ui.guard import BROWSER_COOKIE
from rnn_demo.ui.serve_options import open_warning, parse_args, read_users
from rnn_demo.ui.timers import toggle
from rnn_demo.ui.visitors import Visitors

COOKIE = "c" * 43


class Request:
    """What the handlers read off Gradio's request: the login's user and the headers."""
    def __init__(self, username=None, cookie=None):
        self.username = username
        self.headers = {"cookie": f"theme=dark; {BROWSER_COOKIE}={cookie}"} if cookie else {}


class Select:
    def __init__(self, value):
        self.value = value


def test_users_come_from_options_the_environment_and_a_file(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# the class\nalice:wonder:land\n\n  bob:builder  # the teacher\n")
    assert read_users(["carol:pw"], users, {}) == [("carol", "pw"), ("alice", "wonder:land"), ("bob", "builder")]
    assert read_users([], None, {"RNN_DEMO_AUTH": "a:1 b:2"}) == [("a", "1"), ("b", "2")]
    with pytest.raises(ValueError, match="line 2: expected USER:PASSWORD"):
        users.write_text("ok:fine\nnopassword\n")
        read_users([], users, {})
    with pytest.raises(ValueError, match="cannot read the users file"):
        read_users([], tmp_path / "missing.txt", {})


def test_options_resolve_quotas_and_operators_and_refuse_what_cannot_work(capsys):
    args = parse_args(["--auth", "t:pw", "--operator", "t", "--max-runs", "7"],
                      {"RNN_DEMO_MAX_RUNS_PER_OWNER": "2"})
    assert args.quotas == Quotas(per_owner=2, total=7) and args.operators == {"t"}
    assert args.users == [("t", "pw")] and not args.synthetic_data
    for argv, message in ((["--operator", "t"], "needs a login"),
                          (["--auth", "t:pw", "--operator", "x"], "names no user"),
                          (["--max-runs", "0"], ">= 1"), (["--auth", "nocolon"], "USER:PASSWORD")):
        with pytest.raises(SystemExit):
            parse_args(argv, {})
        assert message in capsys.readouterr().err


def test_an_open_server_without_a_login_gets_one_warning_line():
    assert open_warning("127.0.0.1", []) is None and open_warning("0.0.0.0", [("a", "b")]) is None
    warning = open_warning("0.0.0.0", [])
    assert "\n" not in warning and "without a login" in warning and "--auth" in warning


def test_with_a_login_the_visitor_is_the_user_on_every_request_whatever_the_session_holds():
    visitors = Visitors(frozenset({"teacher"}))
    api_session = {"token": "t" * 43}
    alice, kept = visitors.identify(api_session, Request("alice", cookie=COOKIE))
    assert alice.owner == user_id("alice") and alice.name == "alice" and not alice.operator
    assert kept == api_session                                # nothing made, nothing dropped
    # the same user from another browser or session is the same owner; another user on this
    # browser (after a logout) is somebody else, whatever the browser's cookie
    assert visitors.identify(None, Request("alice"))[0] == alice
    assert visitors.identify(api_session, Request("bob", cookie=COOKIE))[0].owner == user_id("bob")
    assert visitors.identify(None, Request("teacher"))[0].operator               # from the login only
    assert not visitors.identify({"token": "t" * 43, "user": "teacher"}, Request("alice"))[0].operator


def test_a_replayed_session_hash_carries_no_browsers_identity():
    """A browser is its cookie: its session's state holds nothing that names it, so a client that
    replays the session (without the cookie) is a new API client, and an evicted session loses nothing."""
    visitors = Visitors()
    me, who = visitors.identify(None, Request(cookie=COOKIE))
    assert me.owner == owner_id(COOKIE) and who is None
    intruder, _ = visitors.identify(who, Request())
    assert intruder.owner != me.owner
    assert visitors.identify(None, Request(cookie=COOKIE))[0] == me              # after an eviction too
    assert visitors.known(None, Request(cookie="short")) is None                  # not a cookie of ours


def test_an_api_session_gets_a_token_at_its_first_action_and_keeps_it():
    visitors = Visitors()
    assert visitors.known(None, Request()) is None                # a tick before any action makes none
    me, who = visitors.identify(None, Request())
    assert is_token(who["token"]) and me.owner == owner_id(who["token"])
    assert visitors.identify(who, Request()) == (me, who)
    _, forged = visitors.identify({"token": "short"}, Request())
    assert is_token(forged["token"])                              # a forged value is replaced


def test_a_timer_runs_only_while_its_tab_is_shown():
    assert toggle("Training", Select("Training")).active is True
    assert toggle("Training", Select("Sketch")).active is False


def test_the_tabs_handlers_act_as_the_sessions_visitor_and_operators_as_operators(tmp_path):
    from rnn_demo.mnist.data import synthetic_splits
    from rnn_demo.mnist.runs.manager import RunManager
    from rnn_demo.ui.training import tab as training
    from rnn_demo.ui.visitors import Visitors

    manager = RunManager(tmp_path / "runs", splits_factory=lambda d: synthetic_splits(device=d))
    visitors = Visitors(frozenset({"teacher"}))
    form = {**training.preset_values("fast"), "epochs": 500, "batch_size": 64}
    values = [form[f] for f in training.FORM]
    started = training.start(manager, visitors, "fast", "cpu", *values, False, None, Request())
    watched, alice = started.watched, started.who
    assert started.status.startswith("**Run `") and is_token(alice["token"])   # an API session's first action
    bob = Request(cookie=COOKIE)
    refused = training.stop(manager, visitors, watched, None, bob)
    assert "belongs to another visitor" in refused.status
    assert manager.get(watched)["status"] in ("queued", "running")
    assert "Not stopped" not in training.stop(manager, visitors, watched, None, Request("teacher")).status
    assert manager.wait(watched)["status"] == "stopped"
    assert training.delete(manager, visitors, watched, [watched], None, bob).status.startswith("**Not deleted:**")
    assert training.delete(manager, visitors, watched, [watched], alice, Request()).status == \
        f"Deleted run `{watched}`."


def test_a_named_result_keeps_what_it_does_not_set_and_names_its_outputs():
    import gradio as gr

    from rnn_demo.ui.handlers import changed, outputs_of
    from rnn_demo.ui.training import tab as training

    result = changed(training.Stopped, status="No run to stop.")
    assert result.status == "No run to stop." and result.note == gr.skip() and result.who == gr.skip()
    with pytest.raises(TypeError, match="no field"):
        changed(training.Stopped, colour="red")
    fed = {name: name.upper() for name in ("status", "action", "watched", "seen", "note", "compared", "who")}
    assert outputs_of(training.Stopped, fed) == ["STATUS", "ACTION", "NOTE", "WHO"]
    assert outputs_of(training.Queued, fed) == ["STATUS", "ACTION", "WATCHED", "SEEN", "NOTE", "COMPARED", "WHO"]


def test_a_bound_handler_reads_to_gradio_as_its_function_does():
    import asyncio
    import inspect
    from concurrent.futures import ThreadPoolExecutor

    import gradio as gr

    from rnn_demo.ui.handlers import bind

    async def answer(batcher, drawing, model: str, request: gr.Request) -> str:
        """Answer one drawing."""
        return f"{batcher}:{drawing}:{model}"

    def stream(source, n: int):
        yield from range(source, source + n)

    bound = bind(answer, "b")
    assert list(inspect.signature(bound).parameters) == ["drawing", "model", "request"]
    assert gr.utils.get_type_hints(bound)["request"] is gr.Request        # injected, not an input
    assert inspect.iscoroutinefunction(bound) and bound.__doc__ == "Answer one drawing."
    with ThreadPoolExecutor(1) as pool:     # a loop of its own: Playwright's may run in this thread
        assert pool.submit(asyncio.run, bound(1, "lstm", None)).result() == "b:1:lstm"
    assert inspect.isgeneratorfunction(bind(stream, 5)) and list(bind(stream, 5)(3)) == [5, 6, 7]
