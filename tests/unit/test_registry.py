"""The model registry: shipped checkpoints plus completed runs, best first, bad files reported."""

import json
import os

import torch

from rnn_demo.checkpoints import save_checkpoint
from rnn_demo.mnist.model import RowRNN, RowRNNConfig, predict, row_probabilities
from rnn_demo.mnist.registry import ModelRegistry

TINY = RowRNNConfig(cell="gru", hidden_size=8)


def write_model(path, test_acc, config=TINY, status="completed", name=None):
    model = RowRNN(config)
    metrics = {"name": name or path.stem, "status": status, "test_acc": test_acc, "params": 1}
    return save_checkpoint(path, "row_rnn", config.to_dict(), model.state_dict(), metrics)


def write_run(runs, run_id, name, status="completed", test_acc=0.9):
    folder = runs / run_id
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"id": run_id, "name": name, "status": status}))
    if status != "running":
        write_model(folder / "checkpoint.pt", test_acc, status=status, name=name)
    return folder


def test_lists_shipped_models_best_first_with_accuracy_in_the_label(tmp_path):
    write_model(tmp_path / "rnn.pt", 0.9063)
    write_model(tmp_path / "lstm.pt", 0.9812)
    listing = ModelRegistry(tmp_path).scan()
    assert [e.name for e in listing.entries] == ["lstm", "rnn"]
    assert listing.default.name == "lstm"
    assert "lstm" in listing.default.label and "98.12%" in listing.default.label
    assert listing.warnings == []
    assert listing.find("rnn") is listing.find(str(tmp_path / "rnn.pt")) is listing.entries[1]


def test_other_kinds_are_skipped_silently_and_corrupt_files_are_reported(tmp_path):
    write_model(tmp_path / "gru.pt", 0.97)
    save_checkpoint(tmp_path / "adder.pt", "adder", {"hidden": 5}, {"w": torch.zeros(1)}, {})
    (tmp_path / "broken.pt").write_bytes(b"\x80\x02 this is not a checkpoint")
    good = write_model(tmp_path / "truncated.pt", 0.99)
    good.write_bytes(good.read_bytes()[:200])
    listing = ModelRegistry(tmp_path).scan()
    assert [e.name for e in listing.entries] == ["gru"]
    assert len(listing.warnings) == 2
    assert any("broken.pt" in w for w in listing.warnings)
    assert any("truncated.pt" in w for w in listing.warnings)


def test_missing_checkpoints_folder_gives_a_warning_not_a_crash(tmp_path):
    listing = ModelRegistry(tmp_path / "nope", tmp_path / "runs").scan()
    assert listing.entries == [] and listing.default is None
    assert "nope" in listing.warnings[0]


def test_completed_runs_join_the_list_and_unfinished_ones_do_not(tmp_path):
    shipped, runs = tmp_path / "checkpoints", tmp_path / "runs"
    write_model(shipped / "lstm.pt", 0.98)
    write_run(runs, "20261128-1", "my gru", test_acc=0.99)
    write_run(runs, "20261128-2", "still going", status="running")
    write_run(runs, "20261128-3", "stopped early", status="stopped", test_acc=None)
    bad = write_run(runs, "20261128-4", "damaged")
    (bad / "checkpoint.pt").write_bytes(b"garbage")
    listing = ModelRegistry(shipped, runs).scan()
    assert [e.name for e in listing.entries] == ["my gru", "lstm"]
    assert listing.default.source == "run" and "trained here" in listing.default.label
    assert len(listing.warnings) == 1 and "20261128-4" in listing.warnings[0]


def test_two_runs_of_one_preset_and_seed_get_different_labels_naming_their_runs(tmp_path):
    runs, ids = tmp_path / "runs", ["20261128-101500-lstm-a1b2c3", "20261128-103000-lstm-d4e5f6"]
    for run_id in ids:
        write_run(runs, run_id, "lstm", test_acc=0.97)
    labels = [e.label for e in ModelRegistry(tmp_path / "checkpoints", runs).scan().entries]
    assert len(labels) == 2 and len(set(labels)) == 2
    assert all(sum(run_id in label for label in labels) == 1 for run_id in ids)   # each names its run


def test_a_new_run_shows_up_on_the_next_scan(tmp_path):
    registry = ModelRegistry(tmp_path / "checkpoints", tmp_path / "runs")
    write_model(tmp_path / "checkpoints" / "rnn.pt", 0.9)
    assert len(registry.scan().entries) == 1
    write_run(tmp_path / "runs", "r1", "fresh", test_acc=0.95)
    assert [e.name for e in registry.scan().entries] == ["fresh", "rnn"]


def test_models_are_cached_until_the_file_changes(tmp_path):
    path = write_model(tmp_path / "gru.pt", 0.9)
    registry = ModelRegistry(tmp_path)
    first = registry.model(str(path))
    assert registry.model(str(path)) is first
    write_model(path, 0.95)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert registry.model(str(path)) is not first
    assert registry.scan().entries[0].test_acc == 0.95


def test_predict_gives_probabilities_and_rows_for_every_kind_of_model(tmp_path):
    uni = ModelRegistry(tmp_path).model(str(write_model(tmp_path / "uni.pt", 0.9)))
    bi_path = write_model(tmp_path / "bi.pt", 0.9, RowRNNConfig(cell="lstm", hidden_size=8,
                                                                bidirectional=True))
    bi = ModelRegistry(tmp_path).model(str(bi_path))
    digit = torch.rand(28, 28)
    probs = predict(uni, digit)
    assert probs.shape == (1, 10) and torch.allclose(probs.sum(), torch.tensor(1.0))
    rows = row_probabilities(uni, digit)
    assert rows.shape == (28, 10) and torch.allclose(rows[-1], probs[0], atol=1e-5)
    assert uni.config.reads_as_it_goes and not bi.config.reads_as_it_goes
    bi_rows = row_probabilities(bi, digit)          # answers to rows 1..t, the rest blank
    assert bi_rows.shape == (28, 10) and torch.allclose(bi_rows[-1], predict(bi, digit)[0], atol=1e-5)
    top_row_only = digit.clone()
    top_row_only[1:] = 0
    assert torch.allclose(bi_rows[0], predict(bi, top_row_only)[0], atol=1e-5)
    assert ModelRegistry(tmp_path).scan().find(str(bi_path)).config.bidirectional


def test_prefix_rows_match_running_every_prefix_and_handle_a_blank_canvas(tmp_path):
    path = write_model(tmp_path / "pool.pt", 0.9, RowRNNConfig(cell="gru", hidden_size=8, num_layers=2,
                                                               bidirectional=True, readout="pool"))
    model = ModelRegistry(tmp_path).model(str(path))
    assert not model.config.reads_as_it_goes
    digit = torch.zeros(28, 28)
    digit[5:22, 8:20] = torch.rand(17, 12) + 0.1              # ink on rows 5..21 only
    expected = torch.stack([predict(model, digit * (torch.arange(28) <= t)[:, None])[0]
                            for t in range(28)])
    torch.testing.assert_close(row_probabilities(model, digit), expected)
    blank = row_probabilities(model, torch.zeros(28, 28))
    torch.testing.assert_close(blank, predict(model, torch.zeros(28, 28)).expand(28, -1))


def test_row_probabilities_of_a_batch_match_one_digit_at_a_time(tmp_path):
    for config in (RowRNNConfig(cell="gru", hidden_size=8),
                   RowRNNConfig(cell="gru", hidden_size=8, bidirectional=True, readout="pool")):
        model = RowRNN.from_checkpoint(write_model(tmp_path / "m.pt", 0.9, config))
        digits = torch.zeros(3, 28, 28)
        digits[0, 3:9, 4:10] = torch.rand(6, 6) + 0.1       # ink high up
        digits[2, 15:27, 10:20] = torch.rand(12, 10) + 0.1  # ink low down; digit 1 is blank
        batch = row_probabilities(model, digits)
        assert batch.shape == (3, 28, 10)
        for digit, rows in zip(digits, batch):
            torch.testing.assert_close(rows, row_probabilities(model, digit))


def test_the_default_is_the_most_accurate_model_that_reads_as_it_goes(tmp_path):
    write_model(tmp_path / "gru.pt", 0.97)
    write_model(tmp_path / "lstm.pt", 0.98)
    write_model(tmp_path / "bi.pt", 0.99, config=RowRNNConfig(cell="gru", hidden_size=8, bidirectional=True))
    listing = ModelRegistry(tmp_path).scan()
    assert [e.name for e in listing.entries] == ["bi", "lstm", "gru"]        # the list: most accurate first
    assert listing.default.name == "lstm" and listing.choose(None) is listing.default
    (tmp_path / "gru.pt").unlink()
    (tmp_path / "lstm.pt").unlink()
    assert ModelRegistry(tmp_path).scan().default.name == "bi"             # none reads as it goes


def test_a_recent_listing_is_reused_but_a_new_run_is_found_by_name_at_once(tmp_path):
    registry = ModelRegistry(tmp_path / "checkpoints", tmp_path / "runs")
    write_model(tmp_path / "checkpoints" / "rnn.pt", 0.9)
    listing = registry.recent(max_age_s=60)
    assert registry.recent(max_age_s=60) is listing           # no second scan within the minute
    write_run(tmp_path / "runs", "r1", "fresh", test_acc=0.95)
    assert [e.name for e in registry.recent(max_age_s=60).entries] == ["rnn"]
    assert registry.choose("fresh").name == "fresh"            # unknown to the listing: scanned again
    assert [e.name for e in registry.recent(max_age_s=0).entries] == ["fresh", "rnn"]
    assert registry.choose(None).name == "fresh" and registry.choose("nope") is None


def test_an_unknown_name_costs_one_scan_per_listing_not_one_per_drawing(tmp_path):
    registry = ModelRegistry(tmp_path / "checkpoints", tmp_path / "runs")
    write_model(tmp_path / "checkpoints" / "rnn.pt", 0.9)
    scans, scan = [], registry.scan
    registry.scan = lambda: scans.append(1) or scan()
    assert [registry.choose("typo") for _ in range(20)] == [None] * 20
    assert len(scans) == 2                        # the listing, then one look for "typo"
    write_run(tmp_path / "runs", "r1", "typo")
    registry.recent(max_age_s=0)                  # a new listing: the name is looked for again
    assert registry.choose("typo").name == "typo"


def test_tables_name_a_trained_run_as_the_model_list_does_not_as_its_preset(tmp_path):
    """A run of `lstm` beside the shipped lstm: the compare and score tables must tell them apart."""
    from rnn_demo.mnist.scoring import accuracy_table
    from rnn_demo.ui.sketch.tab import compare
    shipped, runs = tmp_path / "checkpoints", tmp_path / "runs"
    shipped.mkdir()
    write_model(shipped / "lstm.pt", 0.97)
    write_run(runs, "20261204-120000-lstm-abc123", "lstm", test_acc=0.95)
    registry = ModelRegistry(shipped, runs)
    run = next(e for e in registry.scan().entries if e.source == "run")
    assert run.title == "lstm (trained here, run 20261204-120000-lstm-abc123)" and run.label.startswith(run.title)
    drawing = {"width": 448, "height": 448, "brush": 28,
               "strokes": [{"points": [[224, 60], [220, 390]], "erase": False}]}
    assert sorted(row[0] for row in compare(registry, drawing)) == ["lstm", run.title]
    scores, _ = accuracy_table(registry, torch.zeros(2, 28, 28), [1, 7])
    assert sorted(s.name for s in scores) == ["lstm", run.title]
