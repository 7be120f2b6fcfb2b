"""A shared lab through its API, with two gradio_client sessions as two students: owners, quotas,
turns, and the login."""

import re
import time

import pytest
from gradio_client import Client

from rnn_demo.bench.harness import serve_app

LONG = dict(preset="rnn", epochs=500, batch_size=16, device="cpu")     # stays active until stopped


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The app on synthetic data with small quotas: 2 runs per visitor, 4 in total."""
    with serve_app(tmp_path_factory.mktemp("runs"), args=["--synthetic-data", "--max-runs-per-owner", "2",
                                                           "--max-runs", "4"],
                   env={"RNN_DEMO_STATE": str(tmp_path_factory.mktemp("state"))}) as server:
        yield server.url


def run_id(status: str) -> str:
    return re.search(r"Run `([^`]+)`", status).group(1)


def poll(client) -> str:
    """The status text this session's page would show now."""
    return client.predict(api_name="/train_poll")[0]


def wait_for_status(client, word: str, timeout: float = 60) -> str:
    deadline, status = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        status = poll(client) or status           # None: unchanged since the last poll
        if f"Status: **{word}**" in status:
            return status
        time.sleep(0.3)
    raise AssertionError(f"never {word}: {status}")


def test_another_visitor_can_neither_stop_nor_delete_my_run(lab):
    alice, bob = Client(lab, verbose=False), Client(lab, verbose=False)
    mine = run_id(alice.predict(**LONG, api_name="/train_start"))

    assert mine in poll(bob)                       # bob's fresh page follows alice's run ...
    refused = bob.predict(api_name="/train_stop")  # ... and his Stop is refused
    assert refused.startswith("**Not stopped:**") and "belongs to another visitor" in refused
    assert "Status: **running**" in wait_for_status(alice, "running")

    alice.predict(api_name="/train_stop")
    wait_for_status(alice, "stopped")
    refused = bob.predict(api_name="/train_delete")[0]
    assert refused.startswith("**Not deleted:**") and "belongs to another visitor" in refused
    assert mine in poll(bob) or mine in bob.predict(api_name="/train_stop")   # still there
    assert alice.predict(api_name="/train_delete")[0] == f"Deleted run `{mine}`."


def test_a_visitor_past_the_quota_is_refused_naming_it_and_another_still_starts(lab):
    alice, bob, carol = (Client(lab, verbose=False) for _ in range(3))
    alice.predict(**LONG, api_name="/train_start")
    wait_for_status(alice, "running")
    alice.predict(**LONG, api_name="/train_start")
    refused = alice.predict(**LONG, api_name="/train_start")
    assert refused.startswith("**Not started:**") and "the limit is 2 per visitor" in refused

    # Alice's first run holds the CPU: bob's first run goes ahead of alice's second (turns).
    assert "Status: **queued**, position 1" in bob.predict(**LONG, api_name="/train_start")
    assert "Status: **queued**, position 2" in poll(alice)
    bob.predict(**LONG, api_name="/train_start")
    refused = carol.predict(**LONG, api_name="/train_start")     # 4 active: the lab's limit
    assert refused.startswith("**Not started:**") and "the limit is 4 in total" in refused

    limits = alice.predict(api_name="/train_poll")[10]
    assert "**Your runs:** 2 of 2" in limits and "**the lab:** 4 of 4" in limits


def test_with_a_login_an_anonymous_client_is_refused_and_a_signed_in_one_works(tmp_path):
    with serve_app(tmp_path / "runs", args=["--synthetic-data", "--auth", "alice:wonderland"],
                   env={"RNN_DEMO_STATE": str(tmp_path / "state")}) as server:
        with pytest.raises(Exception, match="(?i)login|auth|401|credentials"):
            Client(server.url, verbose=False)
        with pytest.raises(Exception, match="(?i)login|auth|401|credentials|incorrect"):
            Client(server.url, auth=("alice", "rabbit"), verbose=False)
        alice = Client(server.url, auth=("alice", "wonderland"), verbose=False)
        status = alice.predict(preset="rnn", epochs=1, device="cpu", api_name="/train_start")
        assert "Status:" in status and "Run `" in status
