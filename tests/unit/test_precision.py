"""Mixed precision: bf16 changes the arithmetic of the training steps, never the weights' dtype;
`auto` picks bf16 only where the hardware computes it."""

import pytest
import torch

from rnn_demo.checkpoints import load_checkpoint
from rnn_demo.cli import main
from rnn_demo.mnist.data import synthetic_splits
from rnn_demo.mnist.model import RowRNNConfig
from rnn_demo.mnist.train import TrainConfig, build_model, train
from rnn_demo.precision import autocast, native_bf16, resolve_precision

TINY = RowRNNConfig(cell="gru", hidden_size=16)
CPU = torch.device("cpu")


def _run(tmp_path, precision, name):
    config = TrainConfig(epochs=1, batch_size=32, lr=3e-2, device="cpu", precision=precision)
    return list(train(TINY, config, synthetic_splits(n_train=256), out=tmp_path / f"{name}.pt"))


def test_a_bf16_run_on_cpu_trains_in_bf16_and_keeps_float32_weights(tmp_path):
    bf16, fp32 = _run(tmp_path, "bf16", "bf16"), _run(tmp_path, "fp32", "fp32")
    assert bf16[0]["precision"] == "bf16" and bf16[-1]["precision"] == "bf16"
    assert fp32[0]["precision"] == "fp32" and fp32[-1]["precision"] == "fp32"
    losses = lambda events: [e["loss"] for e in events if e["kind"] == "step"]  # noqa: E731
    assert all(torch.isfinite(torch.tensor(losses(bf16))))
    assert losses(bf16) != losses(fp32), "the same seed in bf16 takes different steps: autocast was on"
    assert bf16[-1]["status"] == "completed" and bf16[-1]["test_acc"] is not None
    ckpt = load_checkpoint(tmp_path / "bf16.pt")
    assert ckpt["metrics"]["precision"] == "bf16" and ckpt["train_config"]["precision"] == "bf16"
    assert {t.dtype for t in ckpt["state_dict"].values()} == {torch.float32}


def test_a_bf16_step_updates_float32_master_weights():
    model = build_model(TINY, seed=0, device=CPU)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = [p.detach().clone() for p in model.parameters()]
    images, labels = torch.rand(8, 28, 28), torch.randint(0, 10, (8,))
    with autocast(CPU, "bf16"):
        logits = model(images)
    assert logits.dtype == torch.bfloat16
    torch.nn.functional.cross_entropy(logits.float(), labels).backward()
    optimizer.step()
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in model.parameters())
    assert all(not torch.equal(a, p) for a, p in zip(before, model.parameters()))
    assert all(s["exp_avg"].dtype == torch.float32 for s in optimizer.state.values())


def test_auto_is_bf16_only_where_the_hardware_has_it(monkeypatch):
    assert resolve_precision("fp32", CPU) == "fp32" and resolve_precision("bf16", CPU) == "bf16"
    for flags, expected in [({"avx512_bf16": True}, "bf16"), ({"amx_bf16": True}, "bf16"),
                            ({"avx2": True, "avx512_bf16": False}, "fp32")]:
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda flags=flags: flags)
        assert native_bf16(CPU) == (expected == "bf16")
        assert resolve_precision("auto", CPU) == expected
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 0))
    assert resolve_precision("auto", torch.device("cuda")) == "fp32"      # V100: no bf16 tensor cores
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    assert resolve_precision("auto", torch.device("cuda")) == "bf16"      # H100/H200


def test_the_default_is_the_notebooks_fp32():
    assert TrainConfig().precision == "fp32"


def test_a_kernel_without_bf16_says_what_to_do():
    with pytest.raises(RuntimeError, match="use precision fp32"):
        with autocast(CPU, "bf16"):
            raise RuntimeError("could not create a primitive descriptor for the LSTM forward")


def test_precision_is_a_command_line_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--preset", "gru", "--precision", "half", "--device", "cpu"])
    assert exit_.value.code == 2 and "invalid choice: 'half'" in capsys.readouterr().err
