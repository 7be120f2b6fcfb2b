"""Size limits for a run on a shared device: parameters, and training memory against free memory.

Backpropagation through time keeps, for every image of the batch, every row (time step), every
layer and every direction, a few float32 values per recurrent unit until the backward pass:

    activation bytes = batch x rows x hidden x layers x directions x k x 4

with rows = 28 and 4 bytes per float32 value. k, the values one unit keeps per step, grows with
the cell's gates: a plain RNN keeps its output (and, depending on the kernel, its input
projection), a GRU its 3 gates plus the products that mix them, an LSTM its 4 gates, its cell
state and that state's tanh. Measured with torch.autograd.graph.saved_tensors_hooks (torch 2.14,
CPU; 1 to 3 layers, one or two directions) k stayed under 2, 8 and 21, the `kept_per_unit` of
each cell in cells.py. To that come 16 bytes per parameter: the weight, its gradient and Adam's
two moments.

A run is refused when this estimate exceeds FREE_SHARE of the memory its device has free:
`MemAvailable` of /proc/meminfo on a CPU, `torch.cuda.mem_get_info` on a GPU. It is an
estimate, not a guarantee: its job is to stop a visitor from sending the server into swap or
the kernel's out-of-memory killer, which would end every run at once, not only theirs.
"""

import torch

from ..cells import CELL_TYPES
from ..model import RowRNN, RowRNNConfig, count_parameters

MAX_PARAMS = 50_000_000      # a bigger model would take hours here and risk the host's memory
ROWS = 28                    # time steps: one per image row
BYTES_PER_PARAM = 16         # weight + gradient + Adam's exp_avg and exp_avg_sq, float32
FREE_SHARE = 0.8             # leave a fifth of the free memory to everything else


def count_params(model: RowRNNConfig) -> int:
    """Parameters of the model `model` describes, counted without allocating them."""
    with torch.device("meta"):
        return count_parameters(RowRNN(model))


def activation_bytes(model: RowRNNConfig, batch_size: int) -> int:
    """Bytes the backward pass keeps for one training batch (the formula above)."""
    directions = 2 if model.bidirectional else 1
    return batch_size * ROWS * model.hidden_size * model.num_layers * directions * CELL_TYPES[model.cell].kept_per_unit * 4


def training_bytes(model: RowRNNConfig, batch_size: int, params: int | None = None,
                   averaged: bool = False) -> int:
    """Activations plus weights, gradients and optimiser state, in bytes; `averaged`: plus the
    copy of the weights a weight EMA keeps (TrainConfig.ema)."""
    params = count_params(model) if params is None else params
    return activation_bytes(model, batch_size) + (BYTES_PER_PARAM + 4 * bool(averaged)) * params


def free_bytes(device: torch.device) -> int | None:
    """Memory free for a new run on `device`, in bytes; None where it cannot be read."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024          # the file counts kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 / 10 else f"{n / 2**20:.0f} MiB"


def check_size(model: RowRNNConfig, batch_size: int, device: torch.device, released: int = 0,
               max_params: int = MAX_PARAMS, averaged: bool = False) -> int:
    """The parameter count if the run fits, else ValueError with the estimate in its message.

    `released`: bytes the device gets back before this run starts (the run training there now);
    `averaged`: the run keeps a weight EMA (see training_bytes).
    """
    params = count_params(model)
    if params > max_params:
        raise ValueError(f"the model has {params:,} parameters; the training bench takes at most "
                         f"{max_params:,}. Use a smaller hidden size or fewer layers.")
    free = free_bytes(device)
    need = training_bytes(model, batch_size, params, averaged)
    if free is not None and need > FREE_SHARE * (free + released):
        directions = 2 if model.bidirectional else 1
        raise ValueError(
            f"this run needs about {gib(need)} of memory to train: batch {batch_size} x {ROWS} rows x "
            f"hidden {model.hidden_size} x {model.num_layers} layer(s) x {directions} direction(s) x "
            f"{CELL_TYPES[model.cell].kept_per_unit} values ({model.cell.upper()}) x 4 bytes, plus {BYTES_PER_PARAM + 4 * bool(averaged)} bytes per parameter; "
            f"{device.type} memory has {gib(free + released)} free for it (a run may use "
            f"{FREE_SHARE:.0%}). Use a smaller batch size, hidden size or fewer layers.")
    return params
