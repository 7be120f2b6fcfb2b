"""A configurable classifier that reads a 28x28 image one row per time step, and its inference.

    model = RowRNN.from_checkpoint("checkpoints/lstm.pt")
    predict(model, digit)               # (28, 28) in [0, 1] -> (1, 10) class probabilities
    row_probabilities(model, digit)     # (28, 10): the answer after each row read
"""

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from ..checkpoints import CheckpointError, load_checkpoint
from ..options import option
from .cells import CELL_TYPES, CELLS

NORMS = (None, "batch", "layer")
HEADS = ("linear", "mlp")
READOUTS = ("last", "pool")


@dataclass
class RowRNNConfig:
    """Everything needed to rebuild a RowRNN; stored verbatim in checkpoints."""
    cell: str = option("lstm", "recurrent cell", choices=CELLS)
    nonlinearity: str = option("tanh", "nonlinearity of a plain rnn cell", choices=("tanh", "relu"),
                               label="Nonlinearity (rnn cell)")
    hidden_size: int = option(128, "units per recurrent layer and direction")
    num_layers: int = option(1, "stacked recurrent layers", label="Layers")
    bidirectional: bool = option(False, "also read the rows bottom to top")
    dropout: float = option(0.0, "dropout between stacked recurrent layers and before the head")
    norm: str | None = option(None, "normalisation of the final features", choices=NORMS,
                              label="Norm on the final features")
    head: str = option("linear", "classifier: linear, or mlp (Linear -> ReLU -> Linear)",
                       choices=HEADS)
    mlp_hidden: int = option(64, "hidden units of the mlp head", label="MLP hidden units")
    readout: str = option("last", "last: the final state(s); pool: final states + mean + max "
                          "over rows", choices=READOUTS)
    input_size: int = option(28, "pixels per row", cli=False)
    num_classes: int = option(10, "classes", cli=False)

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
        rnn_cls = CELL_TYPES[c.cell].module
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

    @classmethod
    def from_checkpoint(cls, source, device="cpu") -> "RowRNN":
        """A model in eval mode from a checkpoint file or an already loaded checkpoint dict.

        Raises CheckpointError naming the file when it is not a usable row_rnn checkpoint.
        """
        ckpt = source if isinstance(source, dict) else load_checkpoint(source, map_location=device,
                                                                       kind="row_rnn")
        name = "checkpoint" if isinstance(source, dict) else Path(source)
        try:
            model = cls(RowRNNConfig(**ckpt["config"]))
            model.load_state_dict(ckpt["state_dict"])
        except (TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(f"{name}: config or weights do not fit a RowRNN: {str(e)[:200]}") from e
        return model.to(device).eval()

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


def predict(model: RowRNN, digits) -> torch.Tensor:
    """(B, 28, 28) or (28, 28) float images in [0, 1] -> class probabilities (B, 10)."""
    x = torch.as_tensor(digits, dtype=torch.float32)
    x = x.unsqueeze(0) if x.dim() == 2 else x
    with torch.inference_mode():
        return torch.softmax(model(x), dim=-1)


def row_probabilities(model: RowRNN, digits) -> torch.Tensor:
    """(28, 28) -> (28, 10), or (B, 28, 28) -> (B, 28, 10): class probabilities once rows 1..t are read.

    A model that reads as it goes (`RowRNNConfig.reads_as_it_goes`) answers from its state after
    row t. One that needs the whole image (bidirectional, pooled readout) is shown rows 1..t with
    the rest blank: its answer to the digit drawn down to row t.
    Either way the last row is the model's answer to the full digit, so callers that need
    both take the prediction from it instead of running the model twice.
    """
    x = torch.as_tensor(digits, dtype=torch.float32)
    single = x.dim() == 2
    x = x.unsqueeze(0) if single else x
    with torch.inference_mode():
        if model.config.reads_as_it_goes:
            probs = torch.softmax(model.row_logits(x), dim=-1)
        else:
            probs = _prefix_probabilities(model, x)
    return probs[0] if single else probs


def prefix_batch(digits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, rows, 28) -> images (P, rows, 28) and index (B, rows): digit b cut after row t is images[index[b, t]].

    Prefixes that end above a digit's first inked row are all the blank image, and those that
    end below its last one are all the whole digit: the batch holds the blank image plus, per
    digit, the prefixes between (a 20-row digit: 20 images, not 28; a blank digit: none).
    """
    B, rows, _ = digits.shape
    images, index = [torch.zeros_like(digits[:1])], []
    for digit in digits:
        inked = (digit != 0).any(dim=1).nonzero().flatten().tolist()
        if not inked:                              # a blank digit is the blank image throughout
            index.append(torch.zeros(rows, dtype=torch.long))
            continue
        first, last = inked[0], inked[-1]
        ends = torch.arange(first, last + 1)
        keep = (torch.arange(rows) <= ends[:, None]).unsqueeze(-1)   # (P, rows, 1)
        start = sum(len(i) for i in images)
        images.append(digit * keep)
        # Row t -> the blank image above the ink, its prefix within, the last prefix below.
        index.append(torch.where(torch.arange(rows) < first, 0,
                                 start + (torch.arange(rows) - first).clamp(max=len(ends) - 1)))
    return torch.cat(images), torch.stack(index)


def _prefix_probabilities(model: RowRNN, x: torch.Tensor) -> torch.Tensor:
    """(B, rows, 28) -> (B, rows, 10): a whole-image model's answer to each digit cut after row t."""
    images, index = prefix_batch(x)
    return torch.softmax(model(images), dim=-1)[index]
