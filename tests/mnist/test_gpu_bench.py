"""The GPU benchmark's logic, on the CPU with tiny sizes: what it reports, chooses and saves."""

import json
import subprocess
import sys
from pathlib import Path

from rnn_demo.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def test_the_gpu_bench_checks_runs_and_chooses_best_on_validation_alone(tmp_path):
    result = subprocess.run([sys.executable, "-m", "rnn_demo.bench", "gpu", "--device", "cpu", "--tiny",
                             "--parts", "best,correctness", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "FAILED" not in result.stdout, result.stdout[-2000:]
    report = json.loads((tmp_path / "results.json").read_text())

    runs = report["correctness"]["runs"]
    assert [r["preset"] for r in runs] == ["rnn", "lstm", "gru", "bilstm", "lstm-bn-mlp"]
    assert all(r["status"] == "completed" and r["cpu_same_answers"] == 1.0 for r in runs), runs
    assert report["correctness"]["stop"]["status"] == "stopped"
    assert report["correctness"]["out_of_memory"] == {"skipped": "no GPU"}

    best = report["best"]
    assert len(best["scored_in_training"]) == 3 * len(best["mean_val_acc"])
    assert set(best["scored_in_training"].values()) == {None}, "the runs never saw the test set"
    assert best["chosen"] in best["mean_val_acc"] and len(best["seeds"]) == 3
    shipped = best["seeds"][str(best["shipped_seed"])]
    assert shipped["val_acc"] == max(s["val_acc"] for s in best["seeds"].values())
    ckpt = load_checkpoint(tmp_path / "best.pt")
    assert ckpt["metrics"]["test_acc"] == shipped["test_acc"], "the test score is the one reported"
    assert ckpt["train_config"]["ema"] > 0 and ckpt["train_config"]["max_rotation"] > 0
