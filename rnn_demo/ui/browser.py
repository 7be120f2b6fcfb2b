"""Per-browser state that survives a page reload and a server restart (gr.BrowserState, fixed keys).

gr.BrowserState keeps a JSON value in the browser's localStorage, encrypted with a key that is
sent to that same browser: it keeps the value from casual reading, nothing more, so whatever
must stay private (an owner token) is only ever compared by its hash on the server. By default
gr.BrowserState draws a new storage key and secret at every start, which would lose every value
at a restart; here the storage key is fixed per name and the secret is made once per
installation and kept in `<state folder>/browser-secret`.
"""

import os
import secrets
import tempfile
from pathlib import Path

import gradio as gr

SECRET_FILE = "browser-secret"


def installation_secret(state: Path) -> str:
    """The secret for this installation's browser states, made on first use (file mode 0600)."""
    path = Path(state) / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent)            # private to this user from the start
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(24))
    try:
        os.link(tmp, path)                 # create-if-absent, atomically: a racing start keeps its own
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def browser_state(name: str, secret: str, default=None) -> gr.BrowserState:
    """A BrowserState under the fixed localStorage key `rnn-lab-<name>`."""
    return gr.BrowserState(default, storage_key=f"rnn-lab-{name}", secret=secret)
