"""The My digits set a browser stores (gr.BrowserState), read as the visitor's own.

Behind a login a stored set is marked with its user's id (`quotas.user_id`, not the name): on
a shared computer another user who signs in starts from an empty set instead of the last
user's digits, and so does anyone signing in where a set was saved without a login (the logout
button also clears them; ui/visitors.py). Without a login the set is the browser's, unmarked.
"""

import gradio as gr

from ...mnist.my_digits import parse_set
from ..visitors import owner_key

OWNER = "owner"          # the set's mark behind a login: its user's id (quotas.user_id)


def mine(stored, request: gr.Request | None) -> tuple[dict, list[str]]:
    """`parse_set` of the stored value, or an empty set when it is not this visitor's: marked as
    another user's, or (behind a login) saved without one, by whoever used this browser before."""
    key = owner_key(request)
    if isinstance(stored, dict) and stored.get(OWNER) != key and stored.get("digits"):
        return parse_set(None)[0], ["this browser holds digits saved by someone else (another user, or "
                                    "before the login): they are not shown, and saving here replaces them"]
    return parse_set(stored)


def marked(digits: dict, request: gr.Request | None) -> dict:
    """The set to store, marked with the signed-in user's id (unmarked without a login)."""
    key = owner_key(request)
    return {**digits, OWNER: key} if key else digits
