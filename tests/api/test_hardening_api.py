"""A class server behind a login, probed as an attacker would through the API: identity from the
login on every request (not from a replayable session), quotas per user, refusals before work
(big bodies, bad numbers), deep links off, and wrong passwords throttled."""

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from rnn_demo.bench.harness import serve_app, wait_until

LONG = dict(preset="rnn", epochs=500, batch_size=16, device="cpu")     # stays active until stopped
USERS = {"alice": "wonderland", "bob": "builder", "teacher": "chalk"}
RUNS: dict[str, Path] = {}                       # the served app's URL -> its runs folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    args = ["--synthetic-data", "--max-runs-per-owner", "2", "--operator", "teacher"]
    for user, password in USERS.items():
        args += ["--auth", f"{user}:{password}"]
    runs = tmp_path_factory.mktemp("runs")
    with serve_app(runs, args=args, env={"RNN_DEMO_STATE": str(tmp_path_factory.mktemp("state"))}) as server:
        RUNS[server.url] = runs
        yield server.url


def signed_in(url, user) -> Client:
    return Client(url, auth=(user, USERS[user]), verbose=False)


def run_id(status: str) -> str:
    return re.search(r"Run `([^`]+)`", status).group(1)


def test_a_user_is_one_owner_from_any_session_and_the_quota_counts_per_user(lab):
    laptop, phone = signed_in(lab, "alice"), signed_in(lab, "alice")
    short = {**LONG, "epochs": 20}                             # active long enough, gone before the next tests
    first = run_id(laptop.predict(**short, api_name="/train_start"))
    phone.predict(**short, api_name="/train_start")
    refused = laptop.predict(**short, api_name="/train_start")
    assert refused.startswith("**Not started:**") and "the limit is 2 per user" in refused
    phone.predict(api_name="/train_poll")                      # the phone's page follows ...
    stopped = phone.predict(api_name="/train_stop")            # ... a run of alice's: hers to stop
    assert not stopped.startswith("**Not stopped:**"), stopped
    teacher = signed_in(lab, "teacher")
    table = teacher.predict(api_name="/train_poll")[4]
    assert "alice" in [row[4] for row in table["data"]]       # the operator sees whose runs they are
    assert first


def test_the_runs_folder_is_not_served_but_a_runs_downloads_are(lab):
    alice = signed_in(lab, "alice")
    run = run_id(alice.predict(**{**LONG, "epochs": 1}, api_name="/train_start"))
    record = RUNS[lab] / run / "run.json"
    assert wait_until(lambda: json.loads(record.read_text())["status"] == "completed", 120)
    assert json.loads(record.read_text())["owner_name"] == "alice"     # the record names its owner ...
    with httpx.Client(base_url=lab, timeout=30) as browser:
        assert browser.post("login", data={"username": "alice", "password": USERS["alice"]}).status_code == 200
        for name in ("run.json", "metrics.jsonl", "checkpoint.pt"):
            served = browser.get(f"gradio_api/file={RUNS[lab] / run / name}")
            assert served.status_code in (403, 404), (name, served.status_code)    # ... to nobody
    files = alice.predict(api_name="/train_export")                   # downloads: copies, from Gradio's cache
    assert sorted(Path(f).name for f in files) == [f"{run}.csv", f"{run}.jsonl", f"{run}.pt"]
    assert not any(str(RUNS[lab]) in f for f in files)


def test_a_replayed_session_hash_does_not_carry_its_users_identity(lab):
    alice, bob = signed_in(lab, "alice"), signed_in(lab, "bob")
    alice.predict(api_name="/train_poll")
    bob.session_hash = alice.session_hash                       # bob replays alice's session ...
    with pytest.raises(httpx.HTTPStatusError, match="403"):     # ... which is bound to alice's browser
        bob.predict(api_name="/train_stop")


def test_numbers_the_form_would_round_or_cannot_read_are_refused_naming_the_field(lab):
    alice = signed_in(lab, "alice")
    for epochs, message in ((1.5, "epochs must be a whole number, got 1.5"),
                            (0, "epochs must be between 1 and 1000, got 0")):
        refused = alice.predict(**{**LONG, "epochs": epochs}, api_name="/train_start")
        assert refused == f"**Not started:** {message}"


def test_a_body_over_the_limit_and_deep_links_are_refused_in_one_line(lab):
    big = httpx.post(lab + "gradio_api/queue/join", content=b"[" + b"0," * 2_500_000 + b"0]",
                     headers={"content-type": "application/json"}, timeout=30)
    assert big.status_code == 413 and big.json() == {"detail": "request too large: 5 MB, the limit is 2 MB"}
    link = httpx.get(lab + "gradio_api/deep_link", params={"session_hash": "x"}, timeout=30)
    assert link.status_code == 404 and "deep links are turned off" in link.json()["detail"]


def test_wrong_passwords_are_throttled_and_the_right_one_works_after_the_wait(lab):
    login = lab + "login"
    for _ in range(5):
        assert httpx.post(login, data={"username": "bob", "password": "guess"}).status_code == 400
    refused = httpx.post(login, data={"username": "bob", "password": USERS["bob"]})
    assert refused.status_code == 429 and refused.json()["detail"].startswith("too many wrong passwords")
    time.sleep(int(refused.headers["retry-after"]))
    assert httpx.post(login, data={"username": "bob", "password": USERS["bob"]}).status_code == 200
