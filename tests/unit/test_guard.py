"""The server's guard, around a stand-in app: body and upload caps, bytes per address, the login's
throttle, deep links refused, and the cookie that names a browser."""

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rnn_demo.ui.guard import BROWSER_COOKIE, LOGIN_FREE_FAILURES, Guard, ServerLimits, browser_cookie

PASSWORD = "right"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def echo(request: Request):
    body = await request.body()
    return JSONResponse({"read": len(body)})


async def login(request: Request):
    form = await request.form()
    ok = form.get("password") == PASSWORD
    return JSONResponse({"ok": ok}, status_code=200 if ok else 400)


def client(clock=None, **limits) -> TestClient:
    app = Starlette(routes=[Route("/gradio_api/queue/join", echo, methods=["POST"]),
                            Route("/gradio_api/queue/data", echo),
                            Route("/gradio_api/upload", echo, methods=["POST"]),
                            Route("/login", login, methods=["POST"]),
                            Route("/gradio_api/deep_link", echo), Route("/", echo)])
    return TestClient(Guard(app, ServerLimits(**limits), clock=clock or Clock()))


def test_a_body_over_the_cap_is_refused_before_the_app_reads_it_declared_or_streamed():
    c = client(max_body_bytes=1000)
    assert c.post("/gradio_api/queue/join", content=b"x" * 1000).json() == {"read": 1000}
    refused = c.post("/gradio_api/queue/join", content=b"x" * 1001)
    assert refused.status_code == 413 and refused.json() == {"detail": "request too large: 1.001 kB, "
                                                                       "the limit is 1 kB"}
    streamed = c.post("/gradio_api/queue/join", content=iter([b"x" * 600, b"x" * 600]))   # no length
    assert streamed.status_code == 413 and "the limit is 1 kB" in streamed.json()["detail"]
    assert c.post("/gradio_api/queue/join", content=iter([b"x" * 600])).json() == {"read": 600}


def test_uploads_have_a_cap_per_request_and_a_budget_per_address_per_hour():
    clock = Clock()
    c = client(clock, max_body_bytes=10, max_upload_request_bytes=5000, upload_bytes_per_hour=8000)
    assert c.post("/gradio_api/upload", content=b"x" * 5000).status_code == 200     # not the body cap
    assert c.post("/gradio_api/upload", content=b"x" * 5001).status_code == 413
    assert c.post("/gradio_api/upload", content=b"x" * 3000).status_code == 200
    spent = c.post("/gradio_api/upload", content=b"x" * 1000)
    assert spent.status_code == 429 and spent.json()["detail"].startswith("upload limit reached: 8 kB per hour")
    clock.now += 3601
    assert c.post("/gradio_api/upload", content=b"x" * 5000).status_code == 200


def test_other_requests_have_a_budget_per_address_per_10_seconds():
    clock = Clock()
    c = client(clock, max_body_bytes=1000, body_bytes_per_10s=2500)
    for _ in range(2):
        assert c.post("/gradio_api/queue/join", content=b"x" * 1000).status_code == 200
    refused = c.post("/gradio_api/queue/join", content=b"x" * 1000)
    assert refused.status_code == 429 and "in 10 seconds at most" in refused.json()["detail"]
    clock.now += 11
    assert c.post("/gradio_api/queue/join", content=b"x" * 1000).status_code == 200


def test_wrong_passwords_are_throttled_per_address_and_a_right_one_clears_it():
    clock = Clock()
    c = client(clock, login_wait_address_s=300, login_wait_user_s=30)
    for _ in range(LOGIN_FREE_FAILURES):
        assert c.post("/login", data={"username": "alice", "password": "guess"}).status_code == 400
    refused = c.post("/login", data={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429 and refused.json()["detail"] == "too many wrong passwords: try again in 1 s"
    assert refused.headers["retry-after"] == "2"
    for wait in (1, 2, 4):                                  # each failure doubles the wait
        clock.now += wait
        assert c.post("/login", data={"username": "alice", "password": "guess"}).status_code == 400
        assert c.post("/login", data={"username": "alice", "password": "guess"}).status_code == 429
    clock.now += 8
    assert c.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 200
    assert c.post("/login", data={"username": "alice", "password": "typo"}).status_code == 400   # cleared


def test_a_guessed_user_is_kept_waiting_only_briefly_from_another_address():
    clock = Clock()
    guard = client(clock, login_wait_address_s=300, login_wait_user_s=30).app
    for _ in range(LOGIN_FREE_FAILURES + 20):               # an attacker's address, hammering alice
        guard.by_address.failed("10.0.0.66")
        guard.by_user.failed("alice")
    assert guard.by_address.wait("10.0.0.66") == 300 and guard.by_user.wait("alice") == 30


def test_deep_links_are_refused_and_a_browser_gets_a_private_cookie_once():
    c = client()
    assert c.get("/gradio_api/deep_link", params={"session_hash": "abc"}).status_code == 404
    first = c.get("/")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{BROWSER_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert browser_cookie({"cookie": f"a=b; {BROWSER_COOKIE}={value}"}) == value
    assert "set-cookie" not in c.get("/").headers            # the client keeps it: not set again


@pytest.mark.parametrize("header", ["", "rnn-lab-browser=short", 'rnn-lab-browser="x" ;;=;', "\x00"])
def test_a_cookie_that_is_not_ours_names_nobody(header):
    assert browser_cookie({"cookie": header}) is None


def test_wrong_passwords_sent_in_parallel_are_throttled_as_if_sent_one_by_one():
    import asyncio

    import httpx

    async def slow_login(request: Request):
        await request.form()
        await asyncio.sleep(0.05)                   # Gradio checks in a thread: many at once
        return JSONResponse({"ok": False}, status_code=400)

    guard = Guard(Starlette(routes=[Route("/login", slow_login, methods=["POST"])]), ServerLimits(),
                  clock=Clock())

    async def many():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guard), base_url="http://lab") as c:
            return await asyncio.gather(*(c.post("/login", data={"username": "alice", "password": str(i)})
                                          for i in range(20)))
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as thread:           # a loop of its own: Playwright's may run in this thread
        replies = thread.submit(asyncio.run, many()).result()
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [400] * LOGIN_FREE_FAILURES + [429] * (20 - LOGIN_FREE_FAILURES)


def test_the_throttled_name_is_the_one_the_login_reads_in_either_encoding():
    guard = client(Clock(), login_wait_user_s=30).app
    for _ in range(LOGIN_FREE_FAILURES):
        guard.by_user.failed("alice")
    c = TestClient(guard, client=("10.0.0.7", 1234))                   # another address
    repeated = c.post("/login", content=f"username=decoy&username=alice&password={PASSWORD}",
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert repeated.status_code == 429                                 # the login reads the last name
    multipart = c.post("/login", files={"username": (None, "alice"), "password": (None, PASSWORD)})
    assert multipart.status_code == 429                                # as the login page sends it
    assert c.post("/login", files={"username": (None, "bob"), "password": (None, PASSWORD)}).status_code == 200


def test_a_session_hash_belongs_to_the_client_that_first_used_it():
    c = client()
    join = {"fn_index": 1, "data": [], "session_hash": "s3ss10n"}
    alice, mallory = ({"cookie": f"{BROWSER_COOKIE}={name * 43}"} for name in "am")
    assert c.post("/gradio_api/queue/join", json=join, headers=alice).status_code == 200
    refused = c.post("/gradio_api/queue/join", json=join, headers=mallory)
    assert refused.status_code == 403 and "belongs to another browser" in refused.json()["detail"]
    assert c.get("/gradio_api/queue/data", params={"session_hash": "s3ss10n"}, headers=mallory).status_code == 403
    assert c.get("/gradio_api/queue/data", params={"session_hash": "s3ss10n"}, headers=alice).status_code == 200
    assert c.post("/gradio_api/queue/join", json={**join, "session_hash": "other"}, headers=mallory).status_code == 200


def test_an_address_is_forgotten_once_its_window_is_empty():
    clock = Clock()
    guard = client(clock, body_bytes_per_10s=10_000).app
    guard.bodies.take("10.0.0.1", 100)
    clock.now += 11
    assert guard.bodies.used("10.0.0.1") == 0 and guard.bodies._sent == {}


def test_the_throttle_remembers_a_bounded_number_of_names(monkeypatch):
    from rnn_demo.ui import guard as guard_module
    monkeypatch.setattr(guard_module, "BACKOFF_KEYS", 3)
    backoff = guard_module.Backoff(30, Clock())
    for name in ("a", "b", "c", "d"):
        backoff.failed(name)
    assert list(backoff._failures) == ["b", "c", "d"]
