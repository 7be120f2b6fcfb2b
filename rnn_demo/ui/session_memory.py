"""Bounded memory per session: Gradio's copy of each session's last inputs is dropped after use.

For every session (up to `state_session_capacity`, app.py) Gradio keeps a copy of the page's
component configs, and puts into it each input's last value as the request carried it
(`SessionState._update_value_in_config`, for its deep links). A drawing's strokes parse into
Python lists about 18 times the size of their JSON; one 2 MB body per new session grew the
server by about 40 MB that was never given back. The lab uses no deep links (ui/guard.py turns
them off) and no `gr.render`, so nothing reads those copies: `InputSweeper` sets them back to
None, about once a second, in the sessions used since its last pass, from a thread of its own.
What a session keeps is then its config copy and its gr.State values, none of them a visitor's
input (docs/security.md has the figures).
"""

import datetime as _dt
import logging
import threading

import gradio as gr

_log = logging.getLogger(__name__)


def forget_inputs(demo: gr.Blocks, since: _dt.datetime | None) -> int:
    """Drop the kept input values of the sessions used after `since` (None: every session);
    -> how many values were dropped."""
    holder = getattr(demo, "state_holder", None)
    if holder is None:                     # not served yet
        return 0
    dropped = 0
    for session_hash, used in list(holder.time_last_used.items()):
        if since is not None and used < since:
            continue
        session = holder.session_data.get(session_hash)
        if session is None:
            continue
        for config in list(session.config_values.values()):
            props = config.get("props") if isinstance(config, dict) else None
            if props and props.get("value") is not None:
                props["value"] = None
                dropped += 1
    return dropped


class InputSweeper:
    """A daemon thread calling `forget_inputs` every `every` seconds for the sessions used since."""

    def __init__(self, demo: gr.Blocks, every: float = 1.0):
        self.demo, self.every = demo, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rnn-lab-input-sweeper", daemon=True)

    def start(self) -> "InputSweeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        since = None
        while not self._stop.wait(self.every):
            now = _dt.datetime.now()
            try:
                forget_inputs(self.demo, since)
                since = now - _dt.timedelta(seconds=self.every)   # overlap: no session slips between passes
            except Exception:  # a change in Gradio's internals must not take the server down
                _log.exception("forgetting sessions' inputs failed; stopping the sweeper")
                return
