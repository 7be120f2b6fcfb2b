"""Bounded memory per session: Gradio keeps no copy of each session's inputs and outputs.

For every session (up to `state_session_capacity`, app.py) Gradio keeps a copy of the page's
component configs, and writes into it every value an event reads or returns
(`SessionState._update_value_in_config`, gradio/state_holder.py), for its deep links. A
drawing's strokes parse into Python lists about 18 times the size of their JSON: one 2 MB body
per new session grew the server by about 40 MB that was never given back, and a My digits
import left the whole set in the session. The lab uses no deep links (ui/guard.py turns them
off) and no `gr.render`, and nothing else reads those copies, so `keep_no_values` makes
Gradio skip that write. A session then costs its config copy and its gr.State values.
"""

from gradio.state_holder import SessionState


def _keep_nothing(self, key: int, value) -> None:
    """SessionState._update_value_in_config, for a server without deep links: nothing kept."""


def keep_no_values() -> None:
    """From now on, no session keeps the values its events read or returned (this process)."""
    SessionState._update_value_in_config = _keep_nothing
