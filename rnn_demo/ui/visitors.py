"""Who is at the Training tab: an owner token per browser or API session, and who is an operator.

A browser keeps its owner token in gr.BrowserState (ui/browser.py), so a reload or a server
restart finds the same owner. Every browser gets the same default value, so the token is made
here, on the server, when a page loads without one, and written back. The store must sit at the
page's top level, outside the tabs: Gradio renders a tab's children only when the tab is first
shown, and a BrowserState not yet rendered hands its default, not the stored value, to the load
event. So Visitors is made inside the gr.Blocks, before the tabs, and makes its store there.

What the tab's handlers read is the session's "who" (a gr.State, kept on the server, so a client
cannot forge it): {"token": ..., "user": the signed-in user name or None}. The page's load event
fills it from the browser's store and the login. An API client (gradio_client has no
localStorage and fires no load event) gets a token of its own at its first action and keeps it
for as long as its Client lives. Nobody can name somebody else's token: the API takes none, and
runs record only its hash (see rnn_demo/mnist/runs/quotas.py).

With a login (Gradio's auth), the users named by `--operator` are operators on the page: they
may stop and delete every run and are held to no quota. (From a script, the operator uses the
command line: `python -m rnn_demo runs ...`.)
"""

from dataclasses import dataclass, field

import gradio as gr

from ..mnist.runs.quotas import Actor, is_token, new_token, visitor
from .browser import browser_state


@dataclass
class Visitors:
    """How the tab tells visitors apart: the browser's token store (made in the current Blocks
    context at construction; see above) and the signed-in users who are operators."""
    secret: str                        # the installation's browser-state secret (ui/browser.py)
    operators: frozenset = frozenset()
    store: gr.BrowserState = field(init=False, repr=False)
    who: gr.State = field(init=False, repr=False)     # the session's who, shared by every tab

    def __post_init__(self):
        self.store = browser_state("owner", self.secret)     # a fixed key: survives restarts
        self.who = gr.State(None)

    def actor(self, who: dict) -> Actor:
        """The Actor a session's `who` (see ensure_who) stands for."""
        user = who.get("user")
        return visitor(who["token"], operator=user is not None and user in self.operators)


def ensure_who(who) -> dict:
    """The session's `who`, with a new token if it has none (an API client's first action)."""
    who = dict(who or {})
    if not is_token(who.get("token")):
        who["token"] = new_token()
    return who


def recall_who(stored, who, request: gr.Request):
    """On page load: the browser's stored token (else this session's, else a new one) and the
    signed-in user; -> (token for the browser's store, the session's who)."""
    token = next((t for t in (stored, (who or {}).get("token")) if is_token(t)), None) or new_token()
    return token, {"token": token, "user": getattr(request, "username", None)}
