"""Who may do what to a run: owners known by a hash of their token, the operator, and quotas.

A visitor of the lab proves who they are with an owner token: a random secret their browser
keeps (the server sets it as a cookie, ui/guard.py), or, behind a login, their user name. A run
records only `owner_id(token)` or `user_id(name)`, a SHA-256, so the runs folder can be read by
anyone without handing out the right to stop or delete runs; with a login the record also names
the user (`owner_name`), for the operator's eyes.

    me = visitor(token)
    manager.start(model, recipe, by=me)        # the run's record gets "owner": me.owner
    manager.stop(run_id, by=me)                # NotYourRun unless it is me.owner's run

The operator (the command line, a script using RunManager directly, or a signed-in user the
server names with `--operator`) may stop and delete every run and is held to no quota.
"""

import hashlib
import os
import re
import secrets
from dataclasses import dataclass, fields

from ...options import from_environ, option

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


class NotYourRun(PermissionError):
    """A visitor asked to stop or delete a run that another visitor started."""


class QuotaError(ValueError):
    """A start that would take a visitor, or the lab, past its limit of active runs."""


def new_token() -> str:
    """A fresh owner token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def is_token(value) -> bool:
    """Whether `value` looks like an owner token (what a client sends is never trusted further)."""
    return isinstance(value, str) and bool(_TOKEN.match(value))


def owner_id(token: str) -> str:
    """The SHA-256 (hex) of an owner token: what runs record and compare, never the token."""
    if not is_token(token):
        raise ValueError("not an owner token")
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who asks: `owner` is the hash of their token (None: nobody's); an operator may act on any run."""
    owner: str | None = None
    operator: bool = False
    name: str | None = None        # the signed-in user's name; None without a login

    def may_manage(self, record: dict) -> bool:
        """Whether this actor may stop or delete the run `record` describes."""
        return self.operator or (self.owner is not None and record.get("owner") == self.owner)


OPERATOR = Actor(operator=True)


def user_id(name: str) -> str:
    """The owner id of a signed-in user: the SHA-256 (hex) of their name, apart from every token's."""
    return hashlib.sha256(f"user\0{name}".encode()).hexdigest()


def visitor(token: str, operator: bool = False) -> Actor:
    """The actor holding `token`; ValueError if it is not a token."""
    return Actor(owner_id(token), operator)


def user(name: str, operator: bool = False) -> Actor:
    """The actor a signed-in user is, whichever browser or session they use."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("not a user name")
    return Actor(user_id(name), operator, name)


@dataclass(frozen=True)
class Quotas:
    """How many runs may be queued or running at once, per visitor and for the whole lab, and for
    how long a visitor's run may train (the operator's runs have no time limit)."""
    per_owner: int = option(3, "runs one visitor may have queued or running at once "
                               "(env RNN_DEMO_MAX_RUNS_PER_OWNER)", flag="--max-runs-per-owner")
    total: int = option(20, "runs all visitors together may have queued or running "
                            "(env RNN_DEMO_MAX_RUNS)", flag="--max-runs")
    run_minutes: int = option(60, "minutes a visitor's run may train before it is stopped, its "
                                  "checkpoint kept (env RNN_DEMO_MAX_RUN_MINUTES)", flag="--max-run-minutes")

    ENVIRON = {"per_owner": "RNN_DEMO_MAX_RUNS_PER_OWNER", "total": "RNN_DEMO_MAX_RUNS",
               "run_minutes": "RNN_DEMO_MAX_RUN_MINUTES"}

    def room(self, by: Actor, mine: int, everyone: int) -> int:
        """How many more runs `by` may queue, holding `mine` of the `everyone` active runs."""
        if by.operator:
            return 1 << 30
        return max(0, min(self.per_owner - mine, self.total - everyone))

    def check(self, by: Actor, mine: int, everyone: int) -> None:
        """QuotaError, naming the limit, unless `by` may queue one more run."""
        if by.operator:
            return
        if mine >= self.per_owner:
            who = "per user" if by.name else "per visitor"
            raise QuotaError(f"you already have {mine} run(s) queued or running: the limit is "
                             f"{self.per_owner} {who}. Stop one or wait for one to finish.")
        if everyone >= self.total:
            raise QuotaError(f"the lab already has {everyone} runs queued or running: the limit is "
                             f"{self.total} in total. Try again when one has finished.")

    def validate(self) -> "Quotas":
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{f.name.replace('_', ' ')} quota must be a whole number >= 1, got {value!r}")
        return self

    @classmethod
    def from_environ(cls, environ=None) -> "Quotas":
        """The defaults, with any limit its environment variable sets; ValueError names a bad one."""
        return from_environ(cls, os.environ if environ is None else environ)
