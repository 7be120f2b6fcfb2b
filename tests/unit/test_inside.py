"""Inside a row reader: recomputed states match torch's own modules, gates are named right, occlusion is honest."""

import numpy as np
import pytest
import torch

from rnn_demo.mnist.inside import hidden_and_gates, inspect, row_answers_and_occlusion, unit_order
from rnn_demo.mnist.model import RowRNN, RowRNNConfig, predict

CONFIGS = [
    RowRNNConfig(cell="lstm", hidden_size=12),
    RowRNNConfig(cell="lstm", hidden_size=12, num_layers=2, bidirectional=True),
    RowRNNConfig(cell="gru", hidden_size=10, num_layers=3),
    RowRNNConfig(cell="gru", hidden_size=10, num_layers=2, bidirectional=True, readout="pool"),
    RowRNNConfig(cell="rnn", hidden_size=9, bidirectional=True),
    RowRNNConfig(cell="rnn", nonlinearity="relu", hidden_size=9, num_layers=2),
]


def random_model(config: RowRNNConfig, seed: int = 0) -> RowRNN:
    torch.manual_seed(seed)
    model = RowRNN(config)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-0.6, 0.6)          # livelier than the default init: gates away from 0.5
    return model.eval()


def a_digit(seed=1):
    g = torch.Generator().manual_seed(seed)
    digit = torch.zeros(28, 28)
    digit[5:23, 6:22] = torch.rand(18, 16, generator=g)
    return digit


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.cell}-{c.num_layers}x-{'bi' if c.bidirectional else 'uni'}")
def test_recomputed_states_match_torch_at_every_row_layer_and_direction(config):
    model, digit = random_model(config), a_digit()
    hidden, gates = hidden_and_gates(model, digit)
    D, H = (2 if config.bidirectional else 1), config.hidden_size
    assert hidden.shape == (config.num_layers, D, 28, H)
    assert gates.shape == (config.num_layers, D, 28, {"lstm": 3, "gru": 2, "rnn": 0}[config.cell], H)
    out, state = model.rnn(digit.unsqueeze(0))
    h_n = state[0] if isinstance(state, tuple) else state                   # (layers * D, 1, H)
    for d in range(D):                                                      # the top layer, every row
        torch.testing.assert_close(hidden[-1, d], out[0, :, d * H:(d + 1) * H], atol=1e-5, rtol=0)
    for layer in range(config.num_layers):                                  # every layer's last state
        torch.testing.assert_close(hidden[layer, 0, -1], h_n[layer * D, 0], atol=1e-5, rtol=0)
        if D == 2:                                                          # backward ends at row 1
            torch.testing.assert_close(hidden[layer, 1, 0], h_n[layer * D + 1, 0], atol=1e-5, rtol=0)
    assert ((gates >= 0) & (gates <= 1)).all()


def test_gates_are_named_in_the_order_torch_stores_them():
    lstm = random_model(RowRNNConfig(cell="lstm", hidden_size=6))
    with torch.no_grad():                                       # weights i, f, g, o
        lstm.rnn.bias_ih_l0[6:12] = 20.0                        # forget gate wide open
        lstm.rnn.bias_ih_l0[0:6] = -20.0                        # input gate shut
    _, gates = hidden_and_gates(lstm, a_digit())
    names = inspect(lstm, a_digit())["gate_names"]
    assert gates[0, 0, :, names.index("forget")].min() > 0.99
    assert gates[0, 0, :, names.index("input")].max() < 0.01

    gru = random_model(RowRNNConfig(cell="gru", hidden_size=6))
    with torch.no_grad():                                       # weights r, z, n
        gru.rnn.bias_ih_l0[6:12] = 20.0                         # update gate at 1: keep the old state
    hidden, gates = hidden_and_gates(gru, a_digit())
    assert gates[0, 0, :, inspect(gru, a_digit())["gate_names"].index("update")].min() > 0.99
    assert hidden.abs().max() < 1e-3                            # so the state stays at zero


@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[3]], ids=["reads-as-it-goes", "whole-image"])
def test_row_answers_and_occlusion_match_running_the_model_on_each_variant(config):
    model, digit = random_model(config, seed=3), a_digit(2)
    row_logits, importance = row_answers_and_occlusion(model, digit)
    if config.reads_as_it_goes:
        torch.testing.assert_close(row_logits, model.row_logits(digit.unsqueeze(0))[0])
    else:
        for t in (4, 12, 27):
            cut = digit * (torch.arange(28) <= t)[:, None]
            torch.testing.assert_close(row_logits[t], model(cut.unsqueeze(0))[0], atol=1e-5, rtol=1e-5)
    probs = predict(model, digit)[0]
    predicted = int(probs.argmax())
    for r in (8, 15, 20):
        blanked = digit.clone()
        blanked[r] = 0
        expected = probs[predicted] - predict(model, blanked)[0, predicted]
        assert importance[r].item() == pytest.approx(expected.item(), abs=1e-5)


def test_a_blank_row_has_exactly_zero_importance():
    for config in CONFIGS[:4]:
        _, importance = row_answers_and_occlusion(random_model(config), a_digit())
        assert (importance[:5] == 0).all() and (importance[23:] == 0).all()    # rows with no ink
        assert (importance[5:23] != 0).any()


def test_inspect_returns_plain_arrays_with_the_documented_shapes():
    model = random_model(CONFIGS[1])
    views = inspect(model, a_digit())
    assert views["hidden"].shape == (2, 2, 28, 12) and views["gates"].shape == (2, 2, 28, 3, 12)
    assert views["row_logits"].shape == (28, 10) and views["importance"].shape == (28,)
    assert all(isinstance(views[k], np.ndarray) for k in ("hidden", "gates", "row_logits", "importance"))
    assert views["predicted"] == int(views["probabilities"].argmax())
    assert views["gate_names"] == ("input", "forget", "output") and not views["reads_as_it_goes"]
    assert inspect(random_model(CONFIGS[4]), a_digit())["gates"].shape == (1, 2, 28, 0, 9)


def test_units_are_ordered_by_the_row_where_they_peak():
    hidden = np.zeros((28, 4))
    hidden[20, 0], hidden[3, 1], hidden[11, 2], hidden[3, 3] = 0.9, -0.8, 0.5, 0.95
    assert unit_order(hidden).tolist() == [3, 1, 2, 0]      # rows 3, 3 (larger value first), 11, 20
