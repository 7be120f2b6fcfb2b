"""What the server refuses before Gradio reads a request, and the cookie that names a browser.

`Guard` is an ASGI middleware around Gradio's app (app.py passes it through `app_kwargs`):

- **Bodies.** A request body over `max_body_bytes` (uploads: `max_upload_request_bytes`) is
  refused with 413 before Gradio parses it, whether it declares its length or streams it:
  Gradio reads and walks a JSON body in the event loop that serves every visitor.
- **Bytes per client.** Each client address may upload `upload_bytes_per_hour` in a sliding
  hour and send `body_bytes_per_10s` of other requests in any 10 seconds; past either, 429
  until enough of the window has passed. Gradio parses and walks a JSON body in its event loop
  (about 0.2 s per MB here, every visitor waiting), so the short window keeps one address from
  stalling the others for long. (A class behind one address shares them: raise them there.)
- **Login.** Wrong passwords are throttled per address and per user name (OWASP's
  authentication cheat sheet: throttle, do not lock the account out): after LOGIN_FREE_FAILURES
  failures each further try must wait twice as long as the one before, up to
  `login_wait_address_s` for the address and the much shorter `login_wait_user_s` for the name,
  so somebody guessing another user's password cannot keep that user out for long. A success
  clears both.
- **Deep links.** Gradio's `/gradio_api/deep_link?session_hash=...` saves any session's
  inputs to a file for whoever names its hash: refused (the lab's links carry no session).
- **Session hashes.** Each is bound to the client (cookie) that first used it; another client
  naming it on /queue/join, /queue/data or a direct call is refused (`SessionOwners`).
- **The browser cookie.** A response to a browser without the `rnn-lab-browser` cookie sets one:
  32 random bytes, HttpOnly (page scripts cannot read it), SameSite=Lax (other sites cannot
  send it with their requests; a link from them still opens the lab as this browser), for a year. Without
  a login it is who the browser is (ui/visitors.py): it travels in a header, never in a URL, so
  a session hash seen in a URL or a log does not carry it.

Every refusal is one line of JSON, {"detail": "..."}, and costs the server almost nothing.
"""

import json
import re
import secrets
import time
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, fields
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from starlette.requests import Request as StarletteRequest

from ..options import option

BROWSER_COOKIE = "rnn-lab-browser"
COOKIE_MAX_AGE = 365 * 24 * 3600
LOGIN_FREE_FAILURES = 5            # wrong passwords before the first wait
BACKOFF_KEYS = 100_000             # addresses or names remembered; the oldest is forgotten first
MB = 1_000_000


@dataclass(frozen=True)
class ServerLimits:
    """The server's own limits; each has an environment variable (see ENVIRON) and an option."""
    max_body_bytes: int = option(2 * MB, "largest request body other than an upload, in bytes (a "
                                         "My digits set is at most 1.5 MB of JSON; env RNN_DEMO_MAX_BODY_BYTES)")
    max_upload_request_bytes: int = option(64 * MB, "largest upload request, in bytes, every file in it "
                                                    "(env RNN_DEMO_MAX_UPLOAD_REQUEST_BYTES)")
    body_bytes_per_10s: int = option(4 * MB, "request bytes other than uploads one client address may send "
                                             "in any 10 seconds; a drawing page sends about 0.5 MB "
                                             "(env RNN_DEMO_BODY_BYTES_PER_10S)")
    upload_bytes_per_hour: int = option(256 * MB, "bytes one client address may upload in any hour "
                                                  "(env RNN_DEMO_UPLOAD_BYTES_PER_HOUR)")
    login_wait_address_s: int = option(300, "longest wait, in seconds, forced on an address that keeps "
                                            "giving wrong passwords (env RNN_DEMO_LOGIN_WAIT_ADDRESS_S)")
    login_wait_user_s: int = option(30, "longest wait, in seconds, forced on a user name that keeps getting "
                                        "wrong passwords; short, as the rightful user waits too "
                                        "(env RNN_DEMO_LOGIN_WAIT_USER_S)")

    ENVIRON = {"max_body_bytes": "RNN_DEMO_MAX_BODY_BYTES",
               "max_upload_request_bytes": "RNN_DEMO_MAX_UPLOAD_REQUEST_BYTES",
               "body_bytes_per_10s": "RNN_DEMO_BODY_BYTES_PER_10S",
               "upload_bytes_per_hour": "RNN_DEMO_UPLOAD_BYTES_PER_HOUR",
               "login_wait_address_s": "RNN_DEMO_LOGIN_WAIT_ADDRESS_S",
               "login_wait_user_s": "RNN_DEMO_LOGIN_WAIT_USER_S"}

    def validate(self) -> "ServerLimits":
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{f.name.replace('_', ' ')} must be a whole number >= 1, got {value!r}")
        return self


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers=()):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, list(headers)


def _size(n: int) -> str:
    return f"{n / MB:g} MB" if n >= MB else f"{n / 1000:g} kB"


class Backoff:
    """Failures per key and the time before which the next try is refused (doubling, capped)."""

    def __init__(self, longest: float, clock=time.monotonic):
        self.longest, self.clock = longest, clock
        self._failures: dict[str, int] = defaultdict(int)
        self._until: dict[str, float] = {}

    def wait(self, key: str) -> float:
        """Seconds `key` must still wait (0: it may try now)."""
        return max(0.0, self._until.get(key, 0.0) - self.clock())

    def failed(self, key: str) -> None:
        if key not in self._failures and len(self._failures) >= BACKOFF_KEYS:   # names tried at random
            oldest = next(iter(self._failures))
            self._failures.pop(oldest)
            self._until.pop(oldest, None)
        self._failures[key] += 1
        extra = self._failures[key] - LOGIN_FREE_FAILURES
        if extra >= 0:
            self._until[key] = self.clock() + min(self.longest, 2.0 ** extra)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
        self._until.pop(key, None)


class ByteBudget:
    """Bytes sent per client address over a sliding window of `window` seconds."""

    def __init__(self, per_window: int, window: float, refusal: str, clock=time.monotonic):
        self.per_window, self.window, self.refusal, self.clock = per_window, window, refusal, clock
        self._sent: dict[str, deque] = {}            # address -> (time, bytes), oldest first
        self._total: dict[str, int] = {}             # address -> bytes in its deque

    def used(self, address: str) -> int:
        sent, oldest = self._sent.get(address), self.clock() - self.window
        while sent and sent[0][0] < oldest:
            self._total[address] -= sent.popleft()[1]
        if not sent:                                  # nothing left in the window: forget the address
            self._sent.pop(address, None)
            self._total.pop(address, None)
        return self._total.get(address, 0)

    def take(self, address: str, n: int) -> None:
        """Count `n` more bytes for `address`; Refused (429, `refusal`) once that passes its budget."""
        if self.used(address) + n > self.per_window:
            raise Refused(429, self.refusal)
        if n > 0:
            self._sent.setdefault(address, deque()).append((self.clock(), n))
            self._total[address] = self._total.get(address, 0) + n


def _cookies(headers) -> SimpleCookie:
    """The Cookie header of ASGI or Starlette headers, parsed; empty when absent or malformed."""
    jar = SimpleCookie()
    try:
        jar.load((headers.get("cookie") if hasattr(headers, "get") else None) or "")
    except CookieError:             # a malformed Cookie header names nobody
        return SimpleCookie()
    return jar


def browser_cookie(headers) -> str | None:
    """The rnn-lab-browser cookie's value in ASGI or Starlette headers, if it looks like ours."""
    morsel = _cookies(headers).get(BROWSER_COOKIE)
    value = morsel.value if morsel else None
    return value if value and 32 <= len(value) <= 128 and value.replace("-", "").replace("_", "").isalnum() else None


_SESSION_HASH = re.compile(rb'"session_hash"\s*:\s*"([^"\\]{1,128})"')
SESSIONS_BOUND = 20_000            # session hashes remembered with the client that opened them


def client_key(headers) -> str | None:
    """What names the client of a request: its rnn-lab-browser cookie, else Gradio's login cookie
    (access-token-*); None for a client that keeps no cookies."""
    if (cookie := browser_cookie(headers)) is not None:
        return cookie
    return next((f"login:{m.value}" for name, m in _cookies(headers).items()
                 if name.startswith("access-token") and m.value), None)


class SessionOwners:
    """Each Gradio session hash with the client that first used it; others may not use it.

    Gradio trusts a session hash wherever it comes from: /queue/data streams a session's answers
    (its My digits strip included) to whoever names the hash, and a call naming it acts in that
    session. Hashes travel in URLs. Bound to the client's cookie, a replayed hash is refused.
    """

    def __init__(self, size: int = SESSIONS_BOUND):
        self.size, self._owner = size, OrderedDict()

    def check(self, session_hash: str | None, key: str | None) -> None:
        if not session_hash or key is None:         # nothing to bind it to
            return
        owner = self._owner.setdefault(session_hash, key)
        self._owner.move_to_end(session_hash)
        if len(self._owner) > self.size:
            self._owner.popitem(last=False)
        if owner != key:
            raise Refused(403, "this session belongs to another browser: reload the page")


class Guard:
    """The ASGI middleware: see the module's docstring."""

    def __init__(self, app, limits: ServerLimits | None = None, clock=time.monotonic):
        self.app, self.limits = app, (limits or ServerLimits()).validate()
        self.uploads = ByteBudget(self.limits.upload_bytes_per_hour, 3600.0,
                                  f"upload limit reached: {_size(self.limits.upload_bytes_per_hour)} per "
                                  "hour from one address. Try again later.", clock)
        self.bodies = ByteBudget(self.limits.body_bytes_per_10s, 10.0,
                                 f"too much data from your address: {_size(self.limits.body_bytes_per_10s)} "
                                 "in 10 seconds at most. Try again in a moment.", clock)
        self.by_address = Backoff(self.limits.login_wait_address_s, clock)
        self.by_user = Backoff(self.limits.login_wait_user_s, clock)
        self.sessions = SessionOwners()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        route, method = scope.get("path", "").rstrip("/"), scope.get("method", "GET")
        address = (scope.get("client") or ("?", 0))[0]
        headers = {}
        for k, v in scope.get("headers", []):     # the first of a repeated header, as Starlette reads it
            headers.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
        try:
            if route.endswith("/deep_link"):
                raise Refused(404, "deep links are turned off in this lab: share the page's address")
            upload = route.endswith("/upload")
            cap = self.limits.max_upload_request_bytes if upload else self.limits.max_body_bytes
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise Refused(413, f"request too large: {_size(int(declared))}, the limit is {_size(cap)}")
            if not declared.isdigit() and method in ("POST", "PUT", "PATCH"):
                receive = await _buffered(receive, cap)       # streamed: read it, up to the cap, first
            if method in ("POST", "PUT", "PATCH"):
                sent = int(declared) if declared.isdigit() else len(receive.body)
                (self.uploads if upload else self.bodies).take(address, sent)
            if route.endswith("/queue/data"):
                named = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash")
                self.sessions.check(named[-1] if named else None, client_key(headers))
            elif method == "POST" and (route.endswith("/queue/join") or "/run/" in route):
                receive = await _buffered(receive, cap)
                named = _SESSION_HASH.search(receive.body)
                self.sessions.check(named.group(1).decode("latin-1") if named else None, client_key(headers))
            if method == "POST" and route.endswith("/login"):
                receive = await _buffered(receive, cap)
                return await self._login(scope, receive, send, address)
        except Refused as e:
            return await _refuse(send, e)
        return await self.app(scope, receive, self._with_cookie(send, headers))

    def _with_cookie(self, send, headers: dict):
        """`send`, adding the browser cookie to a response for a client that has none."""
        if browser_cookie(headers) is not None:
            return send

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                value = (f"{BROWSER_COOKIE}={secrets.token_urlsafe(32)}; Path=/; Max-Age={COOKIE_MAX_AGE}; "
                         "HttpOnly; SameSite=Lax")
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", value.encode("latin-1"))]}
            await send(message)
        return send_with_cookie

    async def _login(self, scope, receive, send, address: str):
        """Gradio's POST /login (`receive` buffered), throttled per address and per user name.

        A try counts as a failure before Gradio answers it (a success clears it), so tries sent
        in parallel are throttled as if sent one by one. The name is read as the login reads it:
        Starlette's form parser (urlencoded or multipart, as the login page sends it), the last
        `username` of the form.
        """
        try:
            form = await StarletteRequest(scope, _Replay(None, receive.body)).form()
            names = [str(name) for name in form.getlist("username")] or [""]
        except Exception:  # noqa: BLE001 -- a form the parser cannot read: Gradio will refuse it too
            names = [""]
        keys = [(self.by_address, address), (self.by_user, names[-1].strip())]
        wait = max(backoff.wait(key) for backoff, key in keys)
        if wait > 0:
            return await _refuse(send, Refused(429, f"too many wrong passwords: try again in {wait:.0f} s",
                                               [(b"retry-after", str(int(wait) + 1).encode())]))
        for backoff, key in keys:
            backoff.failed(key)
        status = None

        async def watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
        await self.app(scope, receive, watch)
        if status is not None and status < 400:
            for backoff, key in keys:
                backoff.succeeded(key)


class _Replay:
    """An ASGI `receive` that hands over a body read already, then the original's messages."""

    def __init__(self, receive, body: bytes):
        self.receive, self.body, self._sent = receive, body, False

    async def __call__(self):
        if self._sent:
            return await self.receive()        # http.disconnect, when it comes
        self._sent = True
        return {"type": "http.request", "body": self.body, "more_body": False}


async def _buffered(receive, cap: int) -> _Replay:
    """Read the whole body (Refused past `cap` bytes) and replay it."""
    if isinstance(receive, _Replay):
        return receive
    body, more = bytearray(), True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > cap:
            raise Refused(413, f"request too large: the limit is {_size(cap)}")
    return _Replay(receive, bytes(body))


async def _refuse(send, refusal: Refused) -> None:
    """The refusal as one line of JSON; the connection is closed after it, so that the server does
    not read (and throw away) a body it refused, as it would to keep the connection alive."""
    body = json.dumps({"detail": refusal.detail}).encode()
    await send({"type": "http.response.start", "status": refusal.status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode()), *refusal.headers]})
    await send({"type": "http.response.body", "body": body})
