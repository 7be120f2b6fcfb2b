"""Inside a row reader: its hidden states and gates after every row, and which rows decided the answer.

    views = inspect(model, digit)          # digit: (28, 28) floats in [0, 1]
    views["hidden"]                        # (layers, directions, 28, H)
    views["gates"]                         # (layers, directions, 28, gates, H), LSTM and GRU only

nn.LSTM and nn.GRU return neither the gates nor the lower layers' states at every step, so each
layer is run on its own (with the model's weights), and the gates and states are recomputed from
the layer's weights with the update equations of `torch.nn.LSTM`, `torch.nn.GRU` and
`torch.nn.RNN` (see their documentation; the weights hold the gates in the order i, f, g, o for
the LSTM and r, z, n for the GRU). A unit test checks the recomputed states against the torch
modules to 1e-5. The backward direction of a bidirectional
layer reads bottom-up: its state at row t has read rows t..28.

Row importance is occlusion: how much the predicted class's probability drops when one row is
blanked (set to 0), every row's variant in one batch. A row with no ink is its own blanked
variant, so its importance is exactly 0.
"""

import numpy as np
import torch

from .cells import CELL_TYPES
from .model import RowRNN, prefix_batch



def _weights(rnn: torch.nn.RNNBase, layer: int, direction: int):
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    return (getattr(rnn, f"weight_ih{suffix}"), getattr(rnn, f"weight_hh{suffix}"),
            getattr(rnn, f"bias_ih{suffix}"), getattr(rnn, f"bias_hh{suffix}"))


def _layer_states(model: RowRNN, layer: int, inputs: torch.Tensor) -> torch.Tensor:
    """(T, I) -> (T, directions * H): one layer of the model run by torch, its own weights shared."""
    c = model.config
    kind = CELL_TYPES[c.cell].module
    extra = {"nonlinearity": c.nonlinearity} if c.cell == "rnn" else {}
    with torch.device("meta"):                     # no weights of its own to allocate and initialise
        single = kind(inputs.shape[-1], c.hidden_size, batch_first=True, bidirectional=c.bidirectional,
                      **extra)
    for d in range(2 if c.bidirectional else 1):
        for name, weight in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), _weights(model.rnn, layer, d)):
            setattr(single, f"{name}_l0" + ("_reverse" if d else ""), weight)
    return single(inputs.unsqueeze(0))[0][0]


def _cell(cell: str, nonlinearity: str, weights, inputs: torch.Tensor, previous: torch.Tensor, reverse: bool):
    """The cell's update equations at every row at once, given each row's previous state.

    inputs (T, I) and previous hidden states (T, H) -> hidden states (T, H) and gates (T, G, H),
    the gates being the activations in [0, 1] (LSTM: input, forget, output; GRU: reset, update).
    The LSTM's cell state is the one recurrence left, c_t = f_t * c_(t-1) + i_t * g_t, stepped in
    reading order (bottom-up for the backward direction).
    """
    w_ih, w_hh, b_ih, b_hh = weights
    x_part, h_part = inputs @ w_ih.T + b_ih, previous @ w_hh.T + b_hh        # (T, gates * H)
    if cell == "lstm":
        i, f, g, o = (x_part + h_part).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c, cells = torch.zeros_like(i[0]), torch.empty_like(i)
        for t in (range(len(i) - 1, -1, -1) if reverse else range(len(i))):
            c = f[t] * c + i[t] * g[t]
            cells[t] = c
        return o * torch.tanh(cells), torch.stack([i, f, o], dim=1)
    if cell == "gru":
        x_r, x_z, x_n = x_part.chunk(3, dim=-1)
        h_r, h_z, h_n = h_part.chunk(3, dim=-1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return (1 - z) * n + z * previous, torch.stack([r, z], dim=1)
    pre = x_part + h_part
    hidden = torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)
    return hidden, pre.new_zeros(len(pre), 0, pre.shape[-1])


@torch.no_grad()
def hidden_and_gates(model: RowRNN, digit) -> tuple[torch.Tensor, torch.Tensor]:
    """(28, 28) -> hidden (layers, directions, 28, H) and gates (layers, directions, 28, G, H).

    G is 3 for an LSTM (input, forget, output), 2 for a GRU (reset, update) and 0 for a plain RNN.
    Each layer runs through torch once; the states are then recomputed with the cell's own
    equations from each row's previous state (the gates come from the same pass).
    """
    config = model.config
    x = torch.as_tensor(digit, dtype=torch.float32).reshape(-1, config.input_size)
    directions = 2 if config.bidirectional else 1
    H = config.hidden_size
    hidden, gates = [], []
    layer_input = x
    for layer in range(config.num_layers):
        states = _layer_states(model, layer, layer_input)               # (T, D * H)
        outs = []
        for d in range(directions):
            h = states[:, d * H:(d + 1) * H]
            zero = h.new_zeros(1, H)                                   # the state before the first row read
            previous = torch.cat([h[1:], zero]) if d else torch.cat([zero, h[:-1]])
            outs.append(_cell(config.cell, config.nonlinearity, _weights(model.rnn, layer, d),
                              layer_input, previous, reverse=bool(d)))
        hidden.append(torch.stack([h for h, _ in outs]))
        gates.append(torch.stack([g for _, g in outs]))
        layer_input = states                                           # eval mode: no dropout between layers
    return torch.stack(hidden), torch.stack(gates)


@torch.no_grad()
def row_answers_and_occlusion(model: RowRNN, digit) -> tuple[torch.Tensor, torch.Tensor]:
    """(28, 28) -> row logits (28, 10) and occlusion importance (28,), from one batch.

    Row logits: after reading rows 1..t (a whole-image model sees rows 1..t with the rest blank,
    as `row_probabilities` does). Importance of row r: p(predicted class | digit) minus
    p(predicted class | digit with row r blanked), in probability units (-1..1; negative when
    blanking the row makes the model surer).
    """
    x = torch.as_tensor(digit, dtype=torch.float32)
    rows = x.shape[0]
    inked = (x != 0).any(dim=1)
    blanked = x.unsqueeze(0).repeat(int(inked.sum()), 1, 1)
    blanked[torch.arange(len(blanked)), inked.nonzero().flatten()] = 0    # one inked row blanked each
    model.eval()
    with torch.inference_mode():
        if model.config.reads_as_it_goes:
            out = model.rnn(torch.cat([x.unsqueeze(0), blanked]))[0]          # (1 + V, rows, H)
            per_row = model._classify(out.reshape(-1, out.shape[-1])).reshape(out.shape[0], rows, -1)
            row_logits, final = per_row[0], per_row[:, -1]
        else:
            prefixes, index = prefix_batch(x.unsqueeze(0))          # the digit cut after each row
            logits = model(torch.cat([prefixes, blanked]))           # prefixes, then the variants
            row_logits = logits[index[0]]
            final = torch.cat([row_logits[-1:], logits[len(prefixes):]])
        probs = torch.softmax(final, dim=-1)
    predicted = int(probs[0].argmax())
    importance = torch.zeros(rows)
    importance[inked] = probs[0, predicted] - probs[1:, predicted]
    return row_logits, importance


def unit_order(hidden: np.ndarray) -> np.ndarray:
    """Units of a (rows, H) state sorted by the row where each is strongest (|value| largest),
    ties by that value: a permutation of range(H) that turns a heatmap into a staircase."""
    hidden = np.asarray(hidden)
    peak = np.abs(hidden).argmax(axis=0)
    value = hidden[peak, np.arange(hidden.shape[1])]
    return np.lexsort((-value, peak))


def inspect(model: RowRNN, digit) -> dict:
    """Every view of one drawing, as plain arrays (numpy float32) with these shapes:

    - hidden: (layers, directions, 28, H); directions are forward (rows top to bottom) then
      backward (bottom to top); for an LSTM the hidden state h, not the cell state.
    - gates: (layers, directions, 28, G, H), G as in `gate_names` (empty for a plain RNN).
    - gate_names: ("input", "forget", "output") | ("reset", "update") | ().
    - row_logits: (28, 10), the logits once rows 1..t are read (see row_answers_and_occlusion).
    - probabilities: (10,), the answer to the whole digit; predicted: its argmax.
    - importance: (28,), occlusion importance of each row, probability units.
    - reads_as_it_goes: whether row_logits come from the state after row t (unidirectional,
      last-state readout) or from the digit cut after row t.
    """
    hidden, gates = hidden_and_gates(model, digit)
    row_logits, importance = row_answers_and_occlusion(model, digit)
    probabilities = torch.softmax(row_logits[-1], dim=-1)
    return {"hidden": hidden.numpy(), "gates": gates.numpy(), "gate_names": CELL_TYPES[model.config.cell].gates,
            "row_logits": row_logits.numpy(), "probabilities": probabilities.numpy(),
            "predicted": int(probabilities.argmax()), "importance": importance.numpy(),
            "reads_as_it_goes": model.config.reads_as_it_goes}


def _rounded(array, digits: int = 3) -> list:
    return np.round(np.asarray(array, dtype=np.float64), digits).tolist()


def inside_value(model: RowRNN, digit, name: str = "", version=None) -> dict:
    """`inspect` as JSON-ready lists (3 decimals) for the page and the API, with what the page needs.

    Adds: order (layers, directions, H), each layer and direction's units sorted by `unit_order`;
    hidden_scale, the largest |value| a state can take (1 for tanh-bounded cells, the largest seen
    for a relu RNN); digit (28, 28); the model's shape; and `shapes`, naming each array's axes.
    """
    views = inspect(model, digit)
    hidden = views["hidden"]
    config = model.config
    bounded = not (config.cell == "rnn" and config.nonlinearity == "relu")
    order = [[unit_order(hidden[layer, d]).tolist() for d in range(hidden.shape[1])]
             for layer in range(hidden.shape[0])]
    probabilities = views["probabilities"]
    return {
        "model": name, "version": version, "cell": config.cell, "layers": config.num_layers,
        "directions": hidden.shape[1], "hidden_size": config.hidden_size,
        "gate_names": list(views["gate_names"]), "reads_as_it_goes": views["reads_as_it_goes"],
        "predicted": views["predicted"], "probabilities": _rounded(probabilities, 4),
        "hidden": _rounded(hidden), "gates": _rounded(views["gates"]),
        "row_logits": _rounded(views["row_logits"]), "importance": _rounded(views["importance"], 4),
        "order": order, "hidden_scale": 1.0 if bounded else float(max(np.abs(hidden).max(), 1e-6)),
        "digit": _rounded(digit, 2),
        "summary": (f"{name or 'the model'} reads {views['predicted']} "
                    f"({100 * float(probabilities.max()):.0f}%). Move the slider or press Play."),
        "shapes": {"hidden": "layers, directions, rows, units", "gates": "layers, directions, rows, gates, units",
                   "row_logits": "rows, digits", "importance": "rows", "order": "layers, directions, units",
                   "digit": "rows, columns"},
    }
