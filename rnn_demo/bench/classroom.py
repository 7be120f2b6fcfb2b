"""A classroom on one server: N gradio_client users send drawings to /predict at the same time.

    python -m rnn_demo.bench sketch --users 50 [--drawings 4]

Serves the app, connects N clients (outside the timing), then every user sends its drawings one
after another, all users at once. Prints errors, the latency of an answer (p50, p95, max) and
answers per second over the whole run (target for 50 users x 4 drawings: 0 errors, p95 <= 1 s,
at least 35 answers a second).
"""

import threading
import time

import numpy as np

from .harness import serve_app
from .pen_digits import as_canvas_value, pen_digits


def run(args) -> int:
    from gradio_client import Client

    drawings = [as_canvas_value(strokes) for _, strokes in pen_digits(40, seed=2)]
    latencies, errors, lock = [], [], threading.Lock()
    with serve_app() as server:
        clients = [Client(server.url, verbose=False) for _ in range(args.users)]
        clients[0].predict(drawings[0], None, api_name="/predict")          # warm-up: load the model
        start = threading.Barrier(args.users + 1)

        def user(i, client):
            start.wait()
            for j in range(args.drawings):
                drawing = drawings[(i * args.drawings + j) % len(drawings)]
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
        wall = time.perf_counter() - t0
    total = args.users * args.drawings
    print(f"{args.users} users x {args.drawings} drawings on /predict (default model), all at once")
    print(f"errors: {len(errors)} of {total}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"latency: p50 {np.percentile(latencies, 50):.2f} s, p95 {np.percentile(latencies, 95):.2f} s, "
          f"max {max(latencies, default=float('nan')):.2f} s (target: p95 <= 1 s)")
    print(f"throughput: {len(latencies) / wall:.1f} answers per second over {wall:.1f} s "
          "(target: >= 35)")
    return 0
