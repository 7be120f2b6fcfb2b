"""The Training tab through its API: start a short CPU run, stop it, refuse a bad recipe."""

import re
import time

from gradio_client import Client


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
        stopped = client.predict(api_name="/train_poll")[0]
        stopped = stopped if isinstance(stopped, str) else ""
    assert "Status: **stopped**" in stopped

    rejected = client.predict(preset="rnn", lr=-1, device="cpu", api_name="/train_start")
    assert rejected.startswith("**Not started:**") and "learning rate" in rejected


