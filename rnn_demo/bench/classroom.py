"""A classroom on one server: N gradio_client users send drawings to /predict at the same time.

    python -m rnn_demo.bench sketch --users 50 [--drawings 4]

Serves the app and connects N clients, then two rounds, all users at once: each user's first
drawing, which also opens its Gradio session (as a page does when it loads), then the timed
round, where every user sends its drawings one after another. Prints errors, the latency of an
answer (p50, p95, max) and answers per second (target for 50 users x 4 drawings: 0 errors,
p95 <= 1 s, at least 35 answers a second).

The clients share one SSL context. gradio_client opens an httpx client for each request, and
each builds a default SSL context that loads the CA bundle even for http:// (about 20 ms of CPU):
that was most of the clients' CPU, on the two cores the server needs (11 answers a second).
"""

import ssl
import threading
import time

import numpy as np

from .harness import serve_app
from .pen_digits import as_canvas_value, pen_digits


def _round(clients, drawings_per_user: int, drawings: list) -> tuple[list, list, float]:
    """Every client sends its drawings one after another, all clients at once -> (latencies s, errors, wall s)."""
    latencies, errors, lock = [], [], threading.Lock()
    start = threading.Barrier(len(clients) + 1)

    def user(i, client):
        start.wait()
        for j in range(drawings_per_user):
            drawing = drawings[(i * drawings_per_user + j) % len(drawings)]
            t0 = time.perf_counter()
            try:
                label = client.predict(drawing, None, api_name="/predict")[0]
                assert label.get("confidences"), f"no prediction: {label}"
            except Exception as e:        # noqa: BLE001 - every failure is counted and shown
                with lock:
                    errors.append(f"{type(e).__name__}: {str(e)[:120]}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=user, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0


def _report(what: str, latencies: list, errors: list, total: int, wall: float, targets: bool) -> None:
    print(what)
    print(f"  errors: {len(errors)} of {total}" + (f" (first: {errors[0]})" if errors else ""))
    if not latencies:
        print("  no answers")
        return
    print(f"  latency: p50 {np.percentile(latencies, 50):.2f} s, p95 {np.percentile(latencies, 95):.2f} s, "
          f"max {max(latencies, default=float('nan')):.2f} s" + (" (target: p95 <= 1 s)" if targets else ""))
    print(f"  throughput: {len(latencies) / wall:.1f} answers per second over {wall:.1f} s"
          + (" (target: >= 35)" if targets else ""))


def run(args) -> int:
    from gradio_client import Client

    drawings = [as_canvas_value(strokes) for _, strokes in pen_digits(40, seed=2)]
    # Shared: see the module's docstring. gradio_client's ssl_verify is typed bool, but every
    # request passes it to httpx as `verify`, which takes an SSLContext.
    context = ssl.create_default_context()
    with serve_app() as server:
        clients = [Client(server.url, verbose=False, ssl_verify=context) for _ in range(args.users)]
        clients[0].predict(drawings[0], None, api_name="/predict")          # warm-up: load the model
        first = _round(clients[1:], 1, drawings) if args.users > 1 else None
        timed = _round(clients, args.drawings, drawings)
    if first:
        _report(f"{args.users - 1} users' first drawing, all at once (each opens a Gradio session)",
                *first[:2], args.users - 1, first[2], targets=False)
    _report(f"{args.users} users x {args.drawings} drawings on /predict (default model), all at once",
            *timed[:2], args.users * args.drawings, timed[2], targets=True)
    return 0
