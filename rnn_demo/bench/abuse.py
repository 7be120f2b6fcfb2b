"""Abusive students: what one visitor's worst does to everyone else's answers and to the server.

    python -m rnn_demo.bench abuse [--calls 40] [--seconds 20]

Serves the app, then measures a normal student's `/predict` (a drawing, through gradio_client)
idle, and again while each kind of abuser sends its worst for `--seconds`, then all of them at
once. Each abuser is a thread on a loopback address of its own (127.0.0.11, .12, ...), as a
classmate's laptop would be, so the server's per-address limits apply to it and not to the
normal student. The abusers run in a process of their own at the lowest priority (nice 19):
their CPU would be on their own laptops, but here they share the server's two cores. The kinds (docs/security.md says what each limit is):

- `bodies`: 1.9 MB stroke lists (just under the body limit), then 12 MB ones (refused);
- `sessions`: a small drawing from a new session every time (Gradio keeps a state per session);
- `pictures`: a 16 kB PNG that declares 72 megapixels, and a 4000x4000 one (the most a
  picture may decode), uploaded and sent to /predict over and over;
- `uploads`: 40 MB files, until the per-address hour's budget refuses them.

Prints per phase the normal student's latency (p50, p95) and its ratio to idle, the abuser's
requests and how they were answered (HTTP status), the normal student's errors (must be 0), and
the server's memory (VmRSS) before and after, and its peak (VmHWM).
"""

import io
import json
import multiprocessing
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from .harness import serve_app
from .pen_digits import as_canvas_value, pen_digits

KINDS = ("bodies", "sessions", "pictures", "uploads")


def add_arguments(parser) -> None:
    parser.add_argument("--calls", type=int, default=40, help="a normal student's /predict calls per phase")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each abuser phase lasts at least")


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of the server in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _png(width: int, height: int, line: bool = False) -> bytes:
    from PIL import Image, ImageDraw
    image = Image.new("L", (width, height), 255)
    if line:
        ImageDraw.Draw(image).line([(width // 2, height // 8), (width // 2, 7 * height // 8)], fill=0,
                                   width=max(4, width // 20))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


class Abuser:
    """One kind of abuse in a loop on its own loopback address, until `stop` is set."""

    def __init__(self, kind: str, url: str, address: str, stop: threading.Event):
        self.kind, self.url, self.stop = kind, url, stop
        self.http = httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=120)
        self.answers = Counter()

    def post(self, path: str, **kwargs) -> httpx.Response | None:
        try:
            response = self.http.post(self.url + path, **kwargs)
        except httpx.HTTPError as e:
            self.answers[type(e).__name__] += 1
            return None
        self.answers[response.status_code] += 1
        self.http.cookies.clear()                     # a new visitor each time, as far as cookies go
        return response

    def predict(self, drawing) -> None:
        response = self.post("gradio_api/call/predict", json={"data": [drawing, None]})
        if response is not None and response.status_code == 200:
            event = response.json()["event_id"]
            try:
                self.http.get(self.url + f"gradio_api/call/predict/{event}")   # reads the answer
            except httpx.HTTPError as e:
                self.answers[type(e).__name__] += 1

    def upload(self, name: str, data: bytes) -> dict | None:
        response = self.post("gradio_api/upload", files={"files": (name, data, "image/png")})
        if response is None or response.status_code != 200:
            return None
        return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": name}

    def run(self) -> None:
        big = {"width": 448, "height": 448, "brush": 20,
               "strokes": [{"points": [[i % 400 + 0.5, (7 * i) % 400 + 0.25] for i in range(115_000)]}]}
        huge = json.dumps({"data": [{**big, "strokes": big["strokes"] * 6}, None]})
        small = as_canvas_value(pen_digits(1, seed=9)[0][1])
        bomb, widest = _png(8000, 9000), _png(4000, 4000, line=True)
        while not self.stop.is_set():
            if self.kind == "bodies":
                self.predict(big)
                self.post("gradio_api/call/predict", content=huge, headers={"content-type": "application/json"})
            elif self.kind == "sessions":
                self.predict(small)
            elif self.kind == "pictures":
                for name, data in (("bomb.png", bomb), ("widest.png", widest)):
                    picture = self.upload(name, data)
                    if picture is not None:
                        self.predict(picture)
            elif self.kind == "uploads":
                self.upload("big.png", bytes(40_000_000))


def _normal_student(url: str, calls: int) -> tuple[list[float], int]:
    """A student's /predict calls one after another: (latencies in s, errors)."""
    from gradio_client import Client
    client = Client(url, verbose=False)
    drawings = [as_canvas_value(strokes, version=i) for i, (_, strokes) in enumerate(pen_digits(calls, seed=1))]
    latencies, errors = [], 0
    for drawing in drawings:
        t0 = time.perf_counter()
        try:
            label = client.predict(drawing, None, api_name="/predict")[0]
            errors += not isinstance(label, dict) or "label" not in label
        except Exception:  # noqa: BLE001 -- any failure the student meets is what this counts
            errors += 1
        latencies.append(time.perf_counter() - t0)
    return latencies, errors


def _abuse(kinds: tuple, url: str, stop, results) -> None:
    """The abusers of one phase, in their own process at the lowest priority, until `stop`."""
    os.nice(19)
    done = threading.Event()
    abusers = [Abuser(kind, url, f"127.0.0.{11 + i}", done) for i, kind in enumerate(kinds)]
    threads = [threading.Thread(target=a.run, name=f"abuser-{a.kind}") for a in abusers]
    for thread in threads:
        thread.start()
    stop.wait()
    done.set()
    for thread in threads:
        thread.join()
    answers = Counter()
    for abuser in abusers:
        answers.update(abuser.answers)
    results.put(dict(answers))


class Abusers:
    """`kinds` of abusers in a process of their own (`_abuse`), from `start` until `stop`."""

    def __init__(self, kinds: tuple, url: str):
        context = multiprocessing.get_context("spawn")
        self.stop_event, self.results = context.Event(), context.Queue()
        self.process = context.Process(target=_abuse, args=(kinds, url, self.stop_event, self.results)) \
            if kinds else None

    def start(self) -> "Abusers":
        if self.process is not None:
            self.process.start()
        return self

    def stop(self) -> Counter:
        """Stop them; how their requests were answered (HTTP status or error -> count)."""
        if self.process is None:
            return Counter()
        self.stop_event.set()
        answers = Counter(self.results.get(timeout=300))
        self.process.join()
        return answers


def _phase(url: str, kinds: tuple, args, pid: int) -> dict:
    abusers = Abusers(kinds, url).start()
    if kinds:
        time.sleep(4.0)                             # the abuse is under way before we measure
    t0 = time.monotonic()
    latencies, errors = _normal_student(url, args.calls)
    while kinds and time.monotonic() - t0 < args.seconds:
        latencies += _normal_student(url, 5)[0]
    answers = abusers.stop()
    return {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95)),
            "errors": errors, "answers": answers, "memory": memory(pid)}


def run(args) -> int:
    runs = Path(tempfile.mkdtemp(prefix="bench-abuse-runs-"))
    state = Path(tempfile.mkdtemp(prefix="bench-abuse-state-"))
    with serve_app(runs, env={"RNN_DEMO_STATE": str(state)}) as server:
        pid = server.process.pid
        _normal_student(server.url, 5)                   # warm: the first answers load the models
        before = memory(pid)[0]
        idle = _phase(server.url, (), args, pid)
        print(f"idle: a student's /predict p50 {1000 * idle['p50']:.0f} ms, p95 {1000 * idle['p95']:.0f} ms "
              f"({args.calls} calls); server {before:.0f} MiB")
        failed = idle["errors"]
        for kinds in [(k,) for k in KINDS] + [KINDS]:
            phase = _phase(server.url, kinds, args, pid)
            failed += phase["errors"]
            answered = ", ".join(f"{n} x {status}" for status, n in sorted(phase["answers"].items(), key=str))
            print(f"{'+'.join(kinds):<32} p50 {1000 * phase['p50']:4.0f} ms ({phase['p50'] / idle['p50']:.1f}x), "
                  f"p95 {1000 * phase['p95']:4.0f} ms ({phase['p95'] / idle['p95']:.1f}x), "
                  f"student errors {phase['errors']}; abuser's requests: {answered}; "
                  f"server {phase['memory'][0]:.0f} MiB")
        rss, peak = memory(pid)
        tracebacks = server.log.read_text(errors="replace").count("Traceback")
    print(f"server memory: {before:.0f} MiB before, {rss:.0f} MiB after, peak {peak:.0f} MiB; "
          f"server tracebacks {tracebacks}; student errors {failed}")
    return 1 if failed else 0
