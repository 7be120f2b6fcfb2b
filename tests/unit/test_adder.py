"""The binary adder: data, model, parsing, trainer, the shipped checkpoint and its CLI."""

import random
import threading
from pathlib import Path

import pytest
import torch

from rnn_demo.adder.data import (
    MAX_BITS,
    AdderInputError,
    add_bits,
    bits_to_int,
    bits_to_str,
    encode,
    make_batch,
    parse_binary,
    random_operands,
)
from rnn_demo.adder.model import Adder, AdderConfig, _cells, add_with_model, find_carry_unit
from rnn_demo.adder.train import (
    AdderTrainConfig,
    evaluate_adder,
    exhaustive_check,
    notebook_recipe,
    score,
    train_adder,
)
from rnn_demo.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from rnn_demo.cli import main

SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints" / "adder.pt"


@pytest.fixture(scope="module")
def shipped():
    return Adder.from_checkpoint(SHIPPED), load_checkpoint(SHIPPED)


def as_int(bits_row) -> int:
    return sum(int(v) << i for i, v in enumerate(bits_row.tolist()))


# ---------------------------------------------------------------- data

def test_add_bits_matches_python_integers_at_every_length():
    g = torch.Generator().manual_seed(0)
    for length in (1, 2, 7, 64, 300):
        a, b = random_operands(50, length, g)
        sums, carries = add_bits(a, b)
        assert sums.shape == (50, length + 1) and carries.shape == (50, length)
        for i in range(50):
            assert as_int(sums[i]) == as_int(a[i]) + as_int(b[i])
        assert torch.equal(carries[:, -1], sums[:, -1])          # the last carry is the top bit


def test_batches_are_lsb_first_and_padded_for_the_carry_out():
    a = torch.tensor([[1, 1, 1]], dtype=torch.uint8)             # 7, LSB first
    b = torch.tensor([[1, 0, 0]], dtype=torch.uint8)             # 1
    x = encode(a, b, pad=2)
    assert x.shape == (1, 5, 2)
    assert x[0, :, 0].tolist() == [1, 1, 1, 0, 0] and x[0, :, 1].tolist() == [1, 0, 0, 0, 0]
    sums, _ = add_bits(a, b)
    assert sums[0].tolist() == [0, 0, 0, 1]                      # 8 = 1000, LSB first
    inputs, targets = make_batch(4, 6, torch.Generator().manual_seed(1), pad=3)
    assert inputs.shape == (4, 9, 2) and targets.shape == (4, 9)
    assert targets[:, 7:].sum() == 0 and inputs[:, 6:].sum() == 0


def test_data_is_seeded_and_both_densities_are_bits():
    for density in ("half", "random"):
        x1 = make_batch(8, 10, torch.Generator().manual_seed(3), density=density)
        x2 = make_batch(8, 10, torch.Generator().manual_seed(3), density=density)
        assert torch.equal(x1[0], x2[0]) and torch.equal(x1[1], x2[1])
        assert set(x1[0].unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="density"):
        random_operands(2, 3, torch.Generator(), density="dense")


def test_data_handles_thousands_of_bits_without_overflow():
    g = torch.Generator().manual_seed(2)
    a, b = random_operands(3, 5000, g)
    sums, _ = add_bits(a, b)
    for i in range(3):
        assert as_int(sums[i]) == as_int(a[i]) + as_int(b[i])
        assert as_int(sums[i]).bit_length() > 4000


# ---------------------------------------------------------------- model

def test_default_adder_is_the_notebook_architecture():
    model = Adder(AdderConfig())
    assert model.lstm.input_size == 2 and model.lstm.hidden_size == 5 and model.lstm.num_layers == 1
    assert model.head.in_features == 5 and model.head.out_features == 1
    assert sum(p.numel() for p in model.parameters()) == 4 * 5 * (2 + 5 + 2) + 5 + 1
    assert model(torch.zeros(3, 11, 2)).shape == (3, 11)


def test_unroll_and_cell_states_match_torch_lstm():
    torch.manual_seed(0)
    model = Adder(AdderConfig(hidden_size=4, forget_bias=None))
    inputs, _ = make_batch(6, 12, torch.Generator().manual_seed(0))
    reference, (h_n, c_n) = model.lstm(inputs)
    hidden, cell = model.unroll(inputs)
    torch.testing.assert_close(hidden, reference)
    torch.testing.assert_close(cell[:, -1], c_n[0])
    torch.testing.assert_close(_cells(model, inputs, reference), cell)


def test_state_noise_changes_the_unrolled_states_only_when_asked():
    model = Adder(AdderConfig())
    inputs, _ = make_batch(4, 5, torch.Generator().manual_seed(0))
    clean, _ = model.unroll(inputs)
    noisy, _ = model.unroll(inputs, 0.5, torch.Generator().manual_seed(0))
    torch.testing.assert_close(clean[:, 0], noisy[:, 0])          # noise enters after step 0
    assert not torch.allclose(clean[:, 1:], noisy[:, 1:])


# ---------------------------------------------------------------- the shipped adder

def test_shipped_adder_sums_every_pair_of_numbers_up_to_8_bits(shipped):
    model, _ = shipped
    check = exhaustive_check(model, bits=8)
    assert check == {"pairs": 65536, "exact": 65536, "wrong": []}


def test_shipped_adder_generalises_to_1000_bits(shipped):
    model, _ = shipped
    g = torch.Generator().manual_seed(2024)
    result = score(model, 1000, 200, g)
    assert result["exact_match"] == 1.0 and result["bit_accuracy"] == 1.0


def test_shipped_adder_adds_random_long_strings_like_python(shipped):
    model, _ = shipped
    rng = random.Random(7)
    for length_a, length_b in ((1000, 1000), (MAX_BITS, 17), (3, MAX_BITS)):
        x = rng.getrandbits(length_a) | 1 << (length_a - 1)        # exactly length_a bits
        y = rng.getrandbits(length_b) | 1 << (length_b - 1)
        result = add_with_model(model, parse_binary(bin(x)[2:]), parse_binary(format(y, "b")))
        assert bits_to_int(result["predicted"].tolist()) == x + y
        assert bits_to_int(result["truth"].tolist()) == x + y
        assert result["confidence"].shape == (max(length_a, length_b) + 1,)


def test_shipped_checkpoint_records_what_it_was_trained_on_and_how_it_scores(shipped):
    _, ckpt = shipped
    assert ckpt["kind"] == "adder" and ckpt["config"]["hidden_size"] == 5
    assert ckpt["train_config"]["max_length"] <= 8
    results = {r["length"]: r for r in ckpt["metrics"]["generalisation"]}
    assert set(range(1, 21)) | {64, 256, 1000} <= set(results)
    assert all(r["exact_match"] == 1.0 and r["bit_accuracy"] == 1.0 for r in results.values())
    assert ckpt["metrics"]["train_seconds"] > 0


def test_a_unit_of_the_shipped_adder_tracks_the_carry(shipped):
    model, _ = shipped
    unit = find_carry_unit(model)
    assert unit["state"] in ("hidden", "cell") and 0 <= unit["unit"] < 5
    assert abs(unit["r"]) > 0.9


# ---------------------------------------------------------------- parsing

@pytest.mark.parametrize("text, value", [
    ("1011", 11), ("  10 11 ", 11), ("1_0000_0000", 256), ("0000101", 5), ("0", 0),
    ("0b1101", 13), ("1\n1", 3),
])
def test_parse_binary_reads_what_people_type(text, value):
    assert bits_to_int(parse_binary(text)) == value


@pytest.mark.parametrize("text, fragment", [
    ("10201", "'2' at position 3"), ("1 1x", "'x' at position 4"), ("-101", "'-' at position 1"),
    ("1.5", "'.' at position 2"), ("١٠", "position 1"), ("0b", "empty"), ("", "empty"),
    ("  _ _ ", "empty"),
])
def test_parse_binary_names_the_bad_character_and_where(text, fragment):
    with pytest.raises(AdderInputError, match=fragment.replace(".", r"\.")):
        parse_binary(text, "A")


def test_parse_binary_refuses_numbers_over_the_limit_clearly():
    assert len(parse_binary("1" * MAX_BITS)) == MAX_BITS
    with pytest.raises(AdderInputError, match=f"B has 4,097 bits; the limit is {MAX_BITS:,}"):
        parse_binary("1" * (MAX_BITS + 1), "B")
    with pytest.raises(AdderInputError, match="characters long"):
        parse_binary(" " * 10 ** 6, "B")


def test_parse_binary_of_nothing_says_it_is_empty():
    with pytest.raises(AdderInputError, match="A is empty"):
        parse_binary(None, "A")


def test_bits_to_str_is_msb_first_without_leading_zeros():
    assert bits_to_str([1, 1, 0, 1, 0, 0]) == "1011" and bits_to_str([0, 0]) == "0"


# ---------------------------------------------------------------- trainer

def small_recipe(**kw):
    return AdderTrainConfig(**{"steps": 30, "batch_size": 16, "eval_every": 10, "eval_pairs": 20,
                               "eval_lengths": (1, 8), **kw})


def test_trainer_emits_start_steps_evals_and_end_and_saves_a_loadable_adder(tmp_path):
    events = list(train_adder(AdderConfig(hidden_size=3), small_recipe(), out=tmp_path / "a.pt"))
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert [e["step"] for e in events if e["kind"] == "step"] == list(range(1, 31))
    assert [e["step"] for e in events if e["kind"] == "eval"] == [10, 20, 30]
    assert all(1 <= e["length"] <= 8 and e["loss"] > 0 for e in events if e["kind"] == "step")
    end = events[-1]
    assert end["status"] == "completed" and end["steps_done"] == 30
    assert [r["length"] for r in end["generalisation"]] == [1, 8]
    model, ckpt = Adder.from_checkpoint(end["checkpoint_path"]), load_checkpoint(end["checkpoint_path"])
    assert ckpt["config"]["hidden_size"] == 3 and ckpt["metrics"]["steps_done"] == 30
    assert torch.equal(model.head.weight, end["checkpoint"]["state_dict"]["head.weight"])


def test_trainer_stops_when_asked_and_keeps_what_it_measured():
    stop = threading.Event()
    events = []
    for event in train_adder(AdderConfig(), small_recipe(steps=1000), stop=stop):
        events.append(event)
        if event["kind"] == "step" and event["step"] == 5:
            stop.set()
    end = events[-1]
    assert end["status"] == "stopped" and end["steps_done"] == 5
    assert len([e for e in events if e["kind"] == "step"]) == 5
    assert end["generalisation"]                                  # still evaluated


def test_trainer_is_reproducible_from_its_seed():
    losses = [[e["loss"] for e in train_adder(AdderConfig(), small_recipe(steps=10, seed=4))
               if e["kind"] == "step"] for _ in range(2)]
    assert losses[0] == losses[1]


def test_default_recipe_learns_exact_addition_from_short_numbers():
    torch.set_num_threads(1)   # tiny ops: threads only add overhead (the CLI does the same)
    config = AdderTrainConfig(eval_lengths=(8, 100), eval_pairs=300, eval_every=10_000)
    end = list(train_adder(AdderConfig(), config))[-1]
    assert [r["exact_match"] for r in end["generalisation"]] == [1.0, 1.0]


def test_mse_loss_and_the_notebook_recipe_are_available():
    nb = notebook_recipe()
    assert (nb.max_length, nb.min_length, nb.batch_size, nb.lr, nb.loss, nb.steps) == (5, 5, 1, 1e-2, "mse", 2000)
    end = list(train_adder(AdderConfig(forget_bias=None), notebook_recipe(steps=5, eval_pairs=5,
                                                                         eval_lengths=(5,))))[-1]
    assert end["status"] == "completed"


@pytest.mark.parametrize("field, value, message", [
    ("max_length", 0, "training lengths"), ("steps", 0, "steps"), ("lr", -1.0, "learning rate"),
    ("loss", "l1", "loss"), ("state_noise", -0.1, "state noise"), ("batch_size", 0, "batch size"),
])
def test_bad_training_settings_are_refused_clearly(field, value, message):
    with pytest.raises(ValueError, match=message):
        AdderTrainConfig(**{field: value}).validate()
    with pytest.raises(ValueError, match="hidden size"):
        AdderConfig(hidden_size=0).validate()


def test_evaluation_reports_bit_accuracy_and_exact_match_side_by_side():
    untrained = Adder(AdderConfig())
    results = evaluate_adder(untrained, lengths=(4, 64), pairs=30)
    assert [r["length"] for r in results] == [4, 64]
    for r in results:
        assert 0 <= r["exact_match"] <= r["bit_accuracy"] <= 1 and r["pairs"] == 30
    assert results[1]["exact_match"] == 0.0


# ---------------------------------------------------------------- checkpoints and CLI

def test_foreign_or_corrupt_adder_checkpoints_are_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="bad.pt"):
        Adder.from_checkpoint(bad)
    other = save_checkpoint(tmp_path / "row.pt", "row_rnn", {"cell": "lstm"}, {"w": torch.zeros(1)})
    with pytest.raises(CheckpointError, match="expected 'adder'"):
        Adder.from_checkpoint(other)
    wrong = save_checkpoint(tmp_path / "wrong.pt", "adder", {"hidden_size": 5}, {"w": torch.zeros(1)})
    with pytest.raises(CheckpointError, match="do not fit an Adder"):
        Adder.from_checkpoint(wrong)


def test_cli_evaluate_adder_prints_a_table_per_length(capsys):
    assert main(["evaluate-adder", str(SHIPPED), "--lengths", "1-3,64", "--pairs", "50"]) == 0
    out = capsys.readouterr().out
    assert "| length | pairs | bit accuracy | exact match |" in out
    for row in ("| 1 | 50 | 100.000% | 100.0% |", "| 64 | 50 | 100.000% | 100.0% |"):
        assert row in out


def test_cli_train_adder_dry_run_and_bad_arguments(capsys):
    assert main(["train-adder", "--dry-run"]) == 0
    assert "Run completed after 20 steps" in capsys.readouterr().out
    assert main(["train-adder", "--lr", "0"]) == 2
    assert "learning rate" in capsys.readouterr().err
    assert main(["evaluate-adder", str(SHIPPED), "--lengths", "5-1"]) == 2
    assert "--lengths" in capsys.readouterr().err
    assert main(["evaluate-adder", "missing.pt"]) == 2
    assert "missing.pt" in capsys.readouterr().err
