"""`evaluate-folder` and `finetune`: read labelled pictures, print answers and before/after figures."""

import shutil
import zipfile

import pytest
from PIL import Image

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.cli import main
from rnn_demo.mnist.model import RowRNN
from rnn_demo.mnist.scoring import score


def write_pictures(folder, images, labels):
    """28x28 MNIST-style PNGs named `<label>_<i>.png`."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image.numpy()).save(folder / f"{label}_{i}.png")
    return folder


def run(argv, capsys):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_evaluate_folder_prints_each_answer_against_its_label_and_the_accuracy(tiny_checkpoint, tmp_path,
                                                                                capsys):
    path, splits = tiny_checkpoint
    images, labels = splits.test_x[:24], splits.test_y[:24]
    folder = write_pictures(tmp_path / "digits", images, labels)
    (folder / "holiday.png").write_bytes((folder / f"{labels[0]}_0.png").read_bytes())  # no label
    code, out, err = run(["evaluate-folder", folder, "--model", path], capsys)
    assert code == 0
    expected = score(RowRNN.from_checkpoint(path), images, labels)
    lines = [line for line in out.splitlines() if "  label " in line]
    assert len(lines) == 24
    first = next(line for line in lines if line.startswith(f"digits/{labels[0]}_0.png"))
    assert f"label {labels[0].item()}  read {expected.predictions[0]}" in first
    assert sum("misread" in line for line in lines) == 24 - expected.correct
    assert "Confusion matrix" in out                                          # 24 digits: enough
    assert out.strip().splitlines()[-1] == (f"tiny: {expected.correct} of 24 right, accuracy "
                                            f"{100 * expected.correct / 24:.1f}%")
    assert "skipped digits/holiday.png: no label in its name" in err


def test_evaluate_folder_reads_a_zip_and_finds_models_by_name_or_all(tiny_checkpoint, tmp_path, capsys):
    path, splits = tiny_checkpoint
    folder = write_pictures(tmp_path / "digits", splits.test_x[:10], splits.test_y[:10])
    archive = tmp_path / "digits.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for picture in folder.iterdir():
            z.write(picture, f"set/{picture.name}")
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    shutil.copy(path, checkpoints / "reader.pt")
    code, out, _ = run(["evaluate-folder", archive, "--model", "reader", "--checkpoints", checkpoints,
                        "--runs", tmp_path / "no-runs"], capsys)
    assert code == 0 and out.strip().splitlines()[-1].startswith("reader: ")
    assert "digits.zip: set/" in out and "Confusion matrix" not in out           # 10 digits: too few
    code, out, _ = run(["evaluate-folder", archive, "--model", "all", "--checkpoints", checkpoints,
                        "--runs", tmp_path / "no-runs"], capsys)
    assert code == 0 and out.splitlines()[0].split()[:2] == ["model", "right"]
    assert out.splitlines()[1].startswith("reader ") and "/10" in out.splitlines()[1]


@pytest.mark.parametrize("setup, argv, words", [
    ("empty", ["--model", "CKPT"], "no labelled digit pictures could be read"),
    ("digits", ["--model", "nope"], "no model 'nope'"),
    ("digits", ["--model", "/nonexistent.pt"], "no model '/nonexistent.pt'"),
])
def test_evaluate_folder_fails_with_one_line(tiny_checkpoint, tmp_path, capsys, setup, argv, words):
    path, splits = tiny_checkpoint
    folder = tmp_path / setup
    folder.mkdir()
    if setup == "digits":
        write_pictures(folder, splits.test_x[:3], splits.test_y[:3])
    argv = [path if a == "CKPT" else a for a in argv]
    code, _, err = run(["evaluate-folder", folder, *argv, "--checkpoints", tmp_path], capsys)
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: ") and words in err


@pytest.fixture
def synthetic_mnist(tiny_checkpoint, monkeypatch):
    """`finetune` mixes in and measures on the tiny model's synthetic splits instead of MNIST."""
    _, splits = tiny_checkpoint
    monkeypatch.setattr("rnn_demo.mnist.cli.load_mnist", lambda *a, **k: splits)
    return splits


def test_finetune_prints_before_and_after_and_writes_the_adapted_checkpoint(
        tiny_checkpoint, synthetic_mnist, my_bars, tmp_path, capsys):
    path, _ = tiny_checkpoint
    folder = write_pictures(tmp_path / "mine", *my_bars(20))
    out_path = tmp_path / "adapted.pt"
    code, out, _ = run(["finetune", "--from", path, "--folder", folder, "--out", out_path, "--steps", 6,
                        "--batch-size", 32, "--mnist-val", 64, "--device", "cpu"], capsys)
    assert code == 0, out
    assert "Adapting tiny to 20 digits: 4-fold held-out estimate, 5 runs of 6 steps" in out
    assert out.count("estimate run ") == 4
    table = {line.split("  ")[0]: line for line in out.splitlines()}
    origin = load_checkpoint(out_path, kind="row_rnn")["metrics"]["adapted"]
    assert f"{100 * origin['held_out_before']:.1f}%" in table["held-out digits"]
    assert f"{100 * origin['held_out_after']:.1f}%" in table["held-out digits"]
    assert "first 64 images" in table["MNIST validation"] and "MNIST test" in table
    assert f"Checkpoint: {out_path}" in out and "Adaptation took" in out


def test_finetune_refuses_a_set_of_one_digit_with_one_line(tiny_checkpoint, synthetic_mnist, tmp_path,
                                                            capsys):
    path, splits = tiny_checkpoint
    threes = splits.test_x[splits.test_y == 3][:12]
    folder = write_pictures(tmp_path / "threes", threes, [3] * len(threes))
    code, _, err = run(["finetune", "--from", path, "--folder", folder, "--out", tmp_path / "x.pt",
                        "--device", "cpu"], capsys)
    assert code == 2 and err.strip() == (f"error: all {len(threes)} digits are 3s: adapting needs at "
                                         "least two different digits, or the model would learn to "
                                         "answer 3 to everything")
    assert not (tmp_path / "x.pt").exists()


@pytest.mark.parametrize("command", ["evaluate-folder", "finetune"])
def test_both_commands_explain_themselves(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0 and "usage: python -m rnn_demo" in out
