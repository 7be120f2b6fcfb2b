"""A classroom on one server: N users send drawings at the same time, as API clients and as pages.

    python -m rnn_demo.bench sketch --users 50 [--drawings 4]

Serves the app, then two kinds of users, all N at once, in two rounds each: each user's first
drawing, which also opens its Gradio session (as a page does when it loads), then the timed round,
where every user sends its drawings one after another.

- `gradio_client` users call `/predict`; they join Gradio's queue, which batches their drawings
  (target for 50 users x 4 drawings: 0 errors, p95 <= 1 s, at least 35 answers a second).
- Pages: what the Sketch tab's page sends, a direct call of its answer event (`queue=False`, one
  HTTP request and its response; batched on the server by `rnn_demo.ui.sketch.dynamic_batching`), over
  one kept-alive connection per page, as a browser does.
- Picture clients: `gradio_client` users sending each digit as a PNG file to `/predict`, as a
  scanning script would (gradio_client uploads the file, then joins the queue with it); the
  same target as the drawings.

Prints errors, the latency of an answer (p50, p95, max), answers per second and, where /proc
exists, the server's CPU time per answer (its process and the one that answers drawings). The users
run in this process, on the same cores as the server; their own CPU time per answer is printed too.

The clients share one SSL context. gradio_client opens an httpx client for each request, and
each builds a default SSL context that loads the CA bundle even for http:// (about 20 ms of CPU):
that was most of the clients' CPU, on the two cores the server needs (11 answers a second).
"""

import os
import ssl
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from .harness import serve_app
from .pen_digits import as_canvas_value, pen_digits


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds so far of process `pid` and its child processes (the served app
    answers drawings in one: `rnn_demo.ui.sketch.answer_process`); None without /proc."""
    def stat(path: Path) -> list[str] | None:
        try:
            return path.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None               # gone meanwhile, or not a process

    own = stat(Path(f"/proc/{pid}/stat"))
    if own is None:
        return None
    fields = [own] + [f for p in Path("/proc").glob("[0-9]*") if (f := stat(p / "stat")) and f[1] == str(pid)]
    return sum(int(f[11]) + int(f[12]) for f in fields) / os.sysconf("SC_CLK_TCK")


def _round(users: list, drawings_per_user: int, drawings: list, server_pid: int) -> dict:
    """Every user (a callable: drawing -> label) sends its drawings one after another, all at once."""
    latencies, errors, lock = [], [], threading.Lock()
    start = threading.Barrier(len(users) + 1)

    def user(i, send):
        start.wait()
        for j in range(drawings_per_user):
            drawing = drawings[(i * drawings_per_user + j) % len(drawings)]
            t0 = time.perf_counter()
            try:
                label = send(drawing)
                assert label.get("confidences"), f"no prediction: {label}"
            except Exception as e:        # noqa: BLE001 - every failure is counted and shown
                with lock:
                    errors.append(f"{type(e).__name__}: {str(e)[:120]}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=user, args=(i, send)) for i, send in enumerate(users)]
    for t in threads:
        t.start()
    server0, own0 = _cpu_seconds(server_pid), time.process_time()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server1, own1 = _cpu_seconds(server_pid), time.process_time()
    return {"latencies": latencies, "errors": errors, "wall": wall, "total": len(users) * drawings_per_user,
            "server_cpu": None if server0 is None else server1 - server0, "users_cpu": own1 - own0}


def _report(what: str, result: dict, targets: bool) -> None:
    latencies, errors = result["latencies"], result["errors"]
    print(what)
    print(f"  errors: {len(errors)} of {result['total']}" + (f" (first: {errors[0]})" if errors else ""))
    if not latencies:
        print("  no answers")
        return
    print(f"  latency: p50 {np.percentile(latencies, 50):.2f} s, p95 {np.percentile(latencies, 95):.2f} s, "
          f"max {max(latencies, default=float('nan')):.2f} s" + (" (target: p95 <= 1 s)" if targets else ""))
    print(f"  throughput: {len(latencies) / result['wall']:.1f} answers per second over {result['wall']:.1f} s"
          + (" (target: >= 35)" if targets else ""))
    cpu = f"server {1000 * result['server_cpu'] / len(latencies):.1f} ms, " if result["server_cpu"] is not None else ""
    print(f"  CPU per answer: {cpu}users {1000 * result['users_cpu'] / len(latencies):.1f} ms")


def _picture_file(drawing: dict) -> str:
    """A drawing as a 280x280 PNG of dark ink on white paper, in a temporary file (its path)."""
    from PIL import Image, ImageDraw
    side, scale = 280, 280 / drawing["width"]
    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    for stroke in drawing["strokes"]:
        points = [(x * scale, y * scale) for x, y in stroke["points"]]
        pen.line(points, fill=0, width=max(2, round(drawing["brush"] * scale)), joint="curve")
    path = tempfile.NamedTemporaryFile(suffix=".png", delete=False).name
    image.save(path)
    return path


def page_answer_fn(config: dict) -> int:
    """The fn_index of the Sketch tab's answer event, the one its page calls directly (`queue=False`)."""
    canvas = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "sketchpad")
    return next(i for i, d in enumerate(config["dependencies"])
                if [canvas, "change"] in [list(t) for t in d["targets"]] and d.get("queue") is False)


class Page:
    """One browser tab's answers: direct calls of the answer event over a kept-alive connection."""

    def __init__(self, url: str, fn_index: int, session_hash: str):
        self.http = httpx.Client(base_url=url, timeout=60)
        self.fn_index, self.session_hash = fn_index, session_hash

    def __call__(self, drawing: dict) -> dict:
        response = self.http.post("gradio_api/run/predict", json={
            "data": [drawing, None], "fn_index": self.fn_index, "session_hash": self.session_hash})
        response.raise_for_status()
        return response.json()["data"][0]


def run(args) -> int:
    from gradio_client import Client, handle_file

    drawings = [as_canvas_value(strokes) for _, strokes in pen_digits(40, seed=2)]
    # Shared: see the module's docstring. gradio_client's ssl_verify is typed bool, but every
    # request passes it to httpx as `verify`, which takes an SSLContext.
    context = ssl.create_default_context()
    results = []
    with serve_app() as server:
        pid = server.process.pid
        clients = [Client(server.url, verbose=False, ssl_verify=context) for _ in range(args.users)]
        send = [lambda d, c=c: c.predict(d, None, api_name="/predict")[0] for c in clients]
        send[0](drawings[0])                                       # warm-up: load the model
        if args.users > 1:
            results.append(("first", "gradio_client", _round(send[1:], 1, drawings, pid)))
        results.append(("timed", "gradio_client", _round(send, args.drawings, drawings, pid)))
        pictures = [_picture_file(d) for d in drawings]
        results.append(("timed", "pictures", _round(
            [lambda p, c=c: c.predict(handle_file(p), None, api_name="/predict")[0] for c in clients],
            args.drawings, pictures, pid)))
        fn_index = page_answer_fn(clients[0].config)
        pages = [Page(server.url, fn_index, f"bench-page-{i}") for i in range(args.users)]
        results.append(("first", "pages", _round(pages, 1, drawings, pid)))
        results.append(("timed", "pages", _round(pages, args.drawings, drawings, pid)))
        for page in pages:
            page.http.close()
    for kind, who, result in results:
        n = args.users - 1 if (kind, who) == ("first", "gradio_client") else args.users
        users = f"{n} pages" if who == "pages" else f"{n} gradio_client users"
        if kind == "first":
            _report(f"{users}' first drawing, all at once (each opens a Gradio session)", result, targets=False)
        else:
            how = {"gradio_client": "drawings on /predict", "pictures": "pictures (280x280 PNG files) on /predict",
                   "pages": "drawings as the page sends them (direct calls)"}[who]
            _report(f"{users} x {args.drawings} {how}, default model, all at once", result,
                    targets=who != "pages")
    return 0
