"""RowRNN: every preset's shapes, the bidirectional read-out, and per-row logits."""

import pytest
import torch

from rnn_demo.mnist.model import RowRNN, RowRNNConfig
from rnn_demo.mnist.presets import NOTEBOOK_PRESETS, PRESETS


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_maps_rows_to_ten_logits(name):
    model = RowRNN(PRESETS[name].model).eval()
    logits = model(torch.rand(3, 28, 28))
    assert logits.shape == (3, 10)
    assert torch.isfinite(logits).all()


def test_notebook_presets_cover_the_nine_experiments_plus_gru():
    assert len(NOTEBOOK_PRESETS) == 9
    assert "gru" in PRESETS and PRESETS["gru"].model.cell == "gru"


def test_bidirectional_reads_out_final_state_of_both_directions():
    torch.manual_seed(0)
    model = RowRNN(RowRNNConfig(cell="lstm", hidden_size=8, bidirectional=True)).eval()
    x = torch.rand(2, 28, 28)
    out, _ = model.rnn(x)                                # (B, T, 2H)
    H = 8
    # forward direction after the last row, backward direction after the first row
    features = torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=1)
    torch.testing.assert_close(model(x), model.head(features))
    # the notebook's out[-1] read-out differs: its backward half saw one row only
    assert not torch.allclose(model(x), model.head(out[:, -1]))


def test_backward_direction_sees_the_first_row():
    torch.manual_seed(0)
    model = RowRNN(RowRNNConfig(cell="gru", hidden_size=8, bidirectional=True)).eval()
    x = torch.rand(1, 28, 28)
    y = x.clone()
    y[:, 0] = 1 - y[:, 0]
    assert not torch.allclose(model(x), model(y))


def test_row_logits_end_with_the_models_answer_and_ignore_later_rows():
    torch.manual_seed(0)
    model = RowRNN(RowRNNConfig(cell="lstm", hidden_size=16, norm="batch", head="mlp")).eval()
    x = torch.rand(4, 28, 28)
    per_row = model.row_logits(x)
    assert per_row.shape == (4, 28, 10)
    torch.testing.assert_close(per_row[:, -1], model(x))
    y = x.clone()
    y[:, 20:] = 0
    torch.testing.assert_close(model.row_logits(y)[:, :20], per_row[:, :20])


def test_row_logits_refuse_bidirectional_models():
    with pytest.raises(ValueError, match="unidirectional"):
        RowRNN(RowRNNConfig(bidirectional=True)).row_logits(torch.rand(1, 28, 28))


def test_pooled_readout_sees_the_top_layers_output_at_every_row():
    torch.manual_seed(0)
    H = 8
    model = RowRNN(RowRNNConfig(cell="gru", hidden_size=H, num_layers=2, bidirectional=True,
                                readout="pool")).eval()
    x = torch.rand(2, 28, 28)
    out, h_n = model.rnn(x)                               # (B, T, 2H), (layers * 2, B, H)
    features = torch.cat([h_n[-2], h_n[-1], out.mean(1), out.amax(1)], dim=1)
    assert features.shape == (2, 6 * H)
    torch.testing.assert_close(model(x), model.head(features))
    with pytest.raises(ValueError, match="last state"):
        RowRNN(RowRNNConfig(readout="pool")).row_logits(x)


def test_configs_saved_before_readout_existed_still_build():
    saved = {k: v for k, v in RowRNNConfig(cell="gru").to_dict().items() if k != "readout"}
    assert RowRNN(RowRNNConfig(**saved)).config.readout == "last"


@pytest.mark.parametrize("bad", [dict(cell="transformer"), dict(norm="group"), dict(head="conv"),
                                 dict(hidden_size=0), dict(num_layers=0), dict(dropout=1.0),
                                 dict(readout="attention")])
def test_bad_model_configs_are_rejected_with_a_message(bad):
    with pytest.raises(ValueError):
        RowRNN(RowRNNConfig(**bad))
