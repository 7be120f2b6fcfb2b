"""Comparing and exporting runs through the API: the compare plots and diff, and the downloads."""

import csv
import json
import re
import time
from pathlib import Path

from gradio_client import Client

from rnn_demo.bench.harness import serve_app

TINY = dict(preset="custom", cell="gru", hidden_size=16, batch_size=64, epochs=2, device="cpu")


def finished(client, run_id: str, runs: Path, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = json.loads((runs / run_id / "run.json").read_text())
        if record["status"] not in ("queued", "running"):
            return record
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still {record['status']}")


def test_two_runs_compare_with_a_diff_and_a_run_exports_its_metrics(tmp_path):
    runs = tmp_path / "runs"
    with serve_app(runs, args=["--synthetic-data"], env={"RNN_DEMO_STATE": str(tmp_path / "state")}) as server:
        client = Client(server.url, verbose=False)
        ids = [re.search(r"Run `([^`]+)`", client.predict(**TINY, lr=lr, api_name="/train_start")).group(1)
               for lr in (0.01, 0.003)]
        for run_id in ids:
            assert finished(client, run_id, runs)["status"] == "completed"

        *plots, diff = client.predict(compare=ids, smoothing=0.5, log_scale=True, x_axis="epoch",
                                      api_name="/train_compare")
        assert diff["headers"] == ["run", "lr", "final val acc", "test acc", "train time", "device"]
        assert [row[:2] for row in diff["data"]] == [[ids[0], 0.01], [ids[1], 0.003]]
        loss, val_loss, _ = (plot["value"] if "value" in plot else plot for plot in plots)
        assert loss["columns"] == ["epoch", "log10 loss", "run", "value"]
        series = {row[2] for row in loss["data"]}
        assert len(series) == 4 and sum(name.endswith("· raw") for name in series) == 2
        assert len({row[2] for row in val_loss["data"]}) == 2        # per-epoch curves: not smoothed

        files = client.predict(api_name="/train_export")           # the run this session watches
        names = sorted(Path(f).name for f in files)
        assert names == [f"{ids[1]}.csv", f"{ids[1]}.jsonl", f"{ids[1]}.pt"]
        rows = list(csv.DictReader(open(next(f for f in files if f.endswith(".csv")))))
        log = [json.loads(line) for line in (runs / ids[1] / "metrics.jsonl").read_text().splitlines()]
        assert [float(r["loss"]) for r in rows if r["kind"] == "step"] == \
            [e["loss"] for e in log if e["kind"] == "step"]
