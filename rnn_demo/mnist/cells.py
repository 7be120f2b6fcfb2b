"""The recurrent cell types, each described once: its torch module, its gates, its training memory.

    CELL_TYPES["lstm"].module          # torch.nn.LSTM
    CELL_TYPES["lstm"].gates           # ("input", "forget", "output"): what Look inside shows
    CELL_TYPES["lstm"].kept_per_unit   # float32 values backpropagation keeps per unit and step

model.py builds its layers from `module`, inside.py names the gate activations it recomputes
(the weights hold an LSTM's gates in the order i, f, g, o and a GRU's as r, z, n; g and n are
not gates in [0, 1] and are not shown), and runs/limits.py sizes a run's memory with
`kept_per_unit` (how it was measured is in that module's docstring).
"""

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class Cell:
    module: type[nn.RNNBase]
    gates: tuple[str, ...]          # gate activations in [0, 1], in the order inside.py stacks them
    kept_per_unit: int              # float32 values kept per unit and time step for the backward pass


CELL_TYPES = {
    "rnn": Cell(nn.RNN, (), 2),
    "lstm": Cell(nn.LSTM, ("input", "forget", "output"), 21),
    "gru": Cell(nn.GRU, ("reset", "update"), 8),
}
CELLS = tuple(CELL_TYPES)
