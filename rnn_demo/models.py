"""A configurable classifier that reads a 28x28 image one row per time step."""

from dataclasses import asdict, dataclass

import torch
from torch import nn

CELLS = ("rnn", "lstm", "gru")
NORMS = (None, "batch", "layer")
HEADS = ("linear", "mlp")
READOUTS = ("last", "pool")


@dataclass
class RowRNNConfig:
    """Everything needed to rebuild a RowRNN; stored verbatim in checkpoints."""
    cell: str = "lstm"            # rnn | lstm | gru
    nonlinearity: str = "tanh"    # tanh | relu (plain rnn only)
    hidden_size: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0          # between stacked recurrent layers and before the head
    norm: str | None = None       # None | batch | layer, on the final features
    head: str = "linear"          # linear | mlp (Linear -> ReLU -> Linear)
    mlp_hidden: int = 64
    readout: str = "last"         # last: final state(s) | pool: final states + mean + max over rows
    input_size: int = 28          # pixels per row
    num_classes: int = 10

    def validate(self) -> "RowRNNConfig":
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of None, 'batch', 'layer', got {self.norm!r}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {self.readout!r}")
        if not 1 <= self.hidden_size <= 4096:
            raise ValueError(f"hidden size must be between 1 and 4096, got {self.hidden_size}")
        if not 1 <= self.num_layers <= 8:
            raise ValueError(f"layers must be between 1 and 8, got {self.num_layers}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        return self

    @property
    def reads_as_it_goes(self) -> bool:
        """True if the state after row t is an answer (one direction, last-state readout)."""
        return not self.bidirectional and self.readout == "last"

    def to_dict(self) -> dict:
        return asdict(self)


class RowRNN(nn.Module):
    """Reads rows top to bottom (and bottom to top when bidirectional); returns logits."""

    def __init__(self, config: RowRNNConfig):
        super().__init__()
        self.config = config.validate()
        c = config
        rnn_cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[c.cell]
        kwargs = {"nonlinearity": c.nonlinearity} if c.cell == "rnn" else {}
        self.rnn = rnn_cls(c.input_size, c.hidden_size, num_layers=c.num_layers, batch_first=True,
                           bidirectional=c.bidirectional,
                           dropout=c.dropout if c.num_layers > 1 else 0.0, **kwargs)
        features = c.hidden_size * (2 if c.bidirectional else 1) * (3 if c.readout == "pool" else 1)
        self.norm = {None: nn.Identity(), "batch": nn.BatchNorm1d(features),
                     "layer": nn.LayerNorm(features)}[c.norm]
        self.drop = nn.Dropout(c.dropout)
        if c.head == "linear":
            self.head = nn.Linear(features, c.num_classes)
        else:
            self.head = nn.Sequential(nn.Linear(features, c.mlp_hidden), nn.ReLU(),
                                      nn.Linear(c.mlp_hidden, c.num_classes))

    def _classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.norm(features)))

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        """rows: (B, 28, 28), one image row per time step -> logits (B, 10)."""
        out, state = self.rnn(rows)                   # out: (B, T, D*H)
        h_n = state[0] if isinstance(state, tuple) else state  # (layers*D, B, H)
        if self.config.bidirectional:
            # Final state of each direction of the top layer: forward after row 27,
            # backward after row 0. out[:, -1] would give a backward state that saw one row.
            features = torch.cat([h_n[-2], h_n[-1]], dim=1)  # (B, 2H)
        else:
            features = h_n[-1]                        # (B, H) == out[:, -1]
        if self.config.readout == "pool":
            # Every row's top-layer output reaches the head directly: short gradient paths.
            features = torch.cat([features, out.mean(1), out.amax(1)], dim=1)
        return self._classify(features)

    @torch.no_grad()
    def row_logits(self, rows: torch.Tensor) -> torch.Tensor:
        """(B, 28, 28) -> (B, 28, 10): the logits the model would give after each row.

        Only unidirectional models have a meaningful answer after row t; a bidirectional
        model's backward direction needs the whole image first.
        """
        if not self.config.reads_as_it_goes:
            raise ValueError("per-row logits need a unidirectional model that reads out its last state")
        out, _ = self.rnn(rows)                       # (B, T, H)
        B, T, H = out.shape
        return self._classify(out.reshape(B * T, H)).reshape(B, T, -1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
