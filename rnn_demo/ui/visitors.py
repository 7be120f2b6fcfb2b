"""Who is asking: a signed-in user, a browser known by its cookie, or an API client's session.

Every handler that acts on runs or reads whose they are asks `Visitors.identify(who, request)`
with the request Gradio hands it, on every request (nothing about identity is kept from page
load, so a replayed session hash carries none of it):

- **With a login** (Gradio's auth), a visitor is their user name (`request.username`, which
  Gradio checks against its login cookie on every request): their runs and quotas follow them
  to any browser, and another user on the same browser after a logout is somebody else. The
  users named by `--operator` are operators: they may stop and delete every run, are held to
  no quota, and see whose each run is.
- **Without a login**, a browser is the `rnn-lab-browser` cookie the server sets on its first
  response (ui/guard.py): random, HttpOnly, sent in a header and never in a URL. A session
  hash seen in a URL or a log does not carry it, and a session Gradio evicts from its store
  loses nothing. Whoever has the browser (or copies its cookies) is its owner: the page says so.
- **A client that keeps no cookies** (curl, a bare HTTP script; gradio_client keeps the cookie,
  so it is a browser here) gets an owner token at its first action, kept in its session's `who`
  (gr.State, on the server) for as long as the session lives. Nobody can name somebody else's
  token: the API takes none, and runs record only its hash (see rnn_demo/mnist/runs/quotas.py).
  Its residual risk, a replayed session hash, is in docs/security.md.
"""

from dataclasses import dataclass, field

import gradio as gr

from ..mnist.runs.quotas import Actor, is_token, new_token, user, user_id, visitor
from .guard import browser_cookie

# What this browser keeps for the lab (gr.BrowserState's localStorage keys, ui/browser.py): a
# logout clears them, so the next user of a shared computer starts with nothing of the last one's.
BROWSER_KEYS = ("rnn-lab-my-digits", "rnn-lab-owner")
LOGOUT_JS = "() => { %s; window.location.assign('logout'); }" % "; ".join(
    f"localStorage.removeItem('{key}')" for key in BROWSER_KEYS)
NO_LOGIN = ("No login on this server: **this browser is who you are here.** Your runs and My digits "
            "belong to it; anyone using this browser can stop or delete your runs.")


@dataclass
class Visitors:
    """How the tabs tell visitors apart (see above): the signed-in users who are operators, and
    the session's `who` for API clients (a gr.State made in the current Blocks context)."""
    operators: frozenset = frozenset()
    who: gr.State = field(init=False, repr=False)     # {"token": ...} of an API client, shared by every tab

    def __post_init__(self):
        self.who = gr.State(None)

    def identify(self, who, request: gr.Request | None) -> tuple[Actor, dict | None]:
        """(the Actor asking, the session's `who` to keep): the login, else the browser's cookie,
        else the API session's token (made now if it has none)."""
        known = self.known(who, request)
        if known is not None:
            return known, who
        who = {"token": new_token()}
        return visitor(who["token"]), who

    def known(self, who, request: gr.Request | None) -> Actor | None:
        """The Actor asking, or None for an API client that has not acted yet (nothing is made)."""
        name = getattr(request, "username", None) if request is not None else None
        if name:
            return user(name, operator=name in self.operators)
        cookie = browser_cookie(getattr(request, "headers", None) or {})
        if cookie is not None:
            return visitor(cookie)
        token = (who or {}).get("token")
        return visitor(token) if is_token(token) else None


def owner_key(request: gr.Request | None) -> str | None:
    """What a signed-in user's data in this browser is marked with (their user_id); None without a login."""
    name = getattr(request, "username", None) if request is not None else None
    return user_id(name) if name else None


def who_line(request: gr.Request):
    """On page load: who this page acts as, and the logout button when there is a login."""
    name = getattr(request, "username", None)
    if not name:
        return NO_LOGIN, gr.Button(visible=False)
    return (f"Signed in as **{name}**: your runs follow you to any browser where you sign in; My digits "
            "stay in this browser, shown to you only. Log out on a shared computer."), gr.Button(visible=True)


def build_who_bar(demo: gr.Blocks) -> None:
    """A line under the intro saying who the page acts as, with "Log out" behind a login (Gradio's
    /logout, after clearing what this browser keeps for the lab)."""
    with gr.Row(equal_height=True):
        line = gr.Markdown(elem_id="who-line")
        logout = gr.Button("Log out", size="sm", visible=False, scale=0, min_width=90, elem_id="who-logout")
    logout.click(None, js=LOGOUT_JS)
    demo.load(who_line, None, [line, logout], api_visibility="private", show_progress="hidden")
