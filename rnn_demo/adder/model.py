"""The adder LSTM: its config, the model, and what is inside it (cell states, the carry unit).

    model = Adder.from_checkpoint("checkpoints/adder.pt")
    add_with_model(model, parse_binary("1011"), parse_binary("110"))   # sum bits, confidences, states

The encoding (bit pairs, least significant first) is explained in `rnn_demo.adder.data`.
"""

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from ..checkpoints import CheckpointError, load_checkpoint
from ..options import option
from .data import add_bits, bits_to_int, encode, lsb_first, random_operands


@dataclass
class AdderConfig:
    """Everything needed to rebuild an Adder; stored verbatim in checkpoints."""
    hidden_size: int = option(5, "LSTM units")
    forget_bias: float | None = option(-3.0, "initial forget-gate bias; none = PyTorch's default init")

    def validate(self) -> "AdderConfig":
        if not 1 <= self.hidden_size <= 256:
            raise ValueError(f"hidden size must be between 1 and 256, got {self.hidden_size}")
        if self.forget_bias is not None and not -20 <= self.forget_bias <= 20:
            raise ValueError(f"forget bias must be between -20 and 20, got {self.forget_bias}")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


class Adder(nn.Module):
    """LSTM(2 -> hidden) from a zero state, then Linear(hidden -> 1) per step: sum-bit logits.

    The sigmoid of a logit is the model's confidence that the sum bit is 1. The forget gate
    starts nearly shut (bias -3): a carry only has to live for one step, and a cell that does
    not integrate over time cannot drift on numbers longer than those it was trained on.
    """

    def __init__(self, config: AdderConfig):
        super().__init__()
        self.config = config.validate()
        H = config.hidden_size
        self.lstm = nn.LSTM(2, H, batch_first=True)
        self.head = nn.Linear(H, 1)
        if config.forget_bias is not None:
            with torch.no_grad():                 # PyTorch gate order: input, forget, cell, output
                self.lstm.bias_ih_l0[H:2 * H] = config.forget_bias
                self.lstm.bias_hh_l0[H:2 * H] = 0.0

    @classmethod
    def from_checkpoint(cls, source, device="cpu") -> "Adder":
        """An adder in eval mode from a checkpoint file or an already loaded checkpoint dict.

        Raises CheckpointError naming the source when it is not a usable adder checkpoint.
        """
        ckpt = source if isinstance(source, dict) else load_checkpoint(source, map_location=device,
                                                                       kind="adder")
        name = "checkpoint" if isinstance(source, dict) else Path(source)
        try:
            model = cls(AdderConfig(**ckpt["config"]))
            model.load_state_dict(ckpt["state_dict"])
        except (TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(f"{name}: config or weights do not fit an Adder: {str(e)[:200]}") from e
        return model.to(device).eval()

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """inputs: (B, T, 2) bit pairs, LSB first -> logits (B, T) of the sum bits."""
        hidden, _ = self.lstm(inputs)                # (B, T, H), zero initial state
        return self.head(hidden).squeeze(-1)

    def unroll(self, inputs: torch.Tensor, state_noise: float = 0.0,
               generator: torch.Generator | None = None):
        """Step the LSTM by hand with its own weights: (hidden, cell), each (B, T, H).

        The same maths as `nn.LSTM` (the tests check it), but it exposes the cell state at every
        step (for the playground) and can add Gaussian noise of std `state_noise` to the state
        passed on to the next step (for training: the adder learns to snap back to a clean
        carry, which is what keeps it exact on numbers hundreds of times longer).
        """
        lstm = self.lstm
        B, T, _ = inputs.shape
        x_gates = inputs @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0   # (B, T, 4H)
        h = c = inputs.new_zeros(B, lstm.hidden_size)
        if state_noise:
            noise = state_noise * torch.randn(T, 2, B, lstm.hidden_size, generator=generator)
            noise = noise.to(inputs.device)
        hs, cs = [], []
        for t in range(T):
            i, f, g, o = (x_gates[:, t] + h @ lstm.weight_hh_l0.T).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
            cs.append(c)
            if state_noise:
                h, c = h + noise[t, 0], c + noise[t, 1]
        return torch.stack(hs, 1), torch.stack(cs, 1)

    def logits_from_hidden(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.head(hidden).squeeze(-1)


# ---------------------------------------------------------------- inside the model

@torch.no_grad()
def add_with_model(model: Adder, a_bits: list[int], b_bits: list[int]) -> dict:
    """Run the adder on one pair of LSB-first bit lists (padded to the same length L).

    Returns LSB-first tensors: `confidence` (L+1,) sigmoid outputs, `predicted` and `truth`
    (L+1,) sum bits, `carries` (L,) true carries, and the `hidden` and `cell` states (L+1, H).
    """
    L = max(len(a_bits), len(b_bits))
    a = torch.zeros(1, L, dtype=torch.uint8)
    b = torch.zeros(1, L, dtype=torch.uint8)
    a[0, :len(a_bits)] = torch.tensor(a_bits, dtype=torch.uint8)
    b[0, :len(b_bits)] = torch.tensor(b_bits, dtype=torch.uint8)
    # The truth from Python's big integers (quicker than add_bits for one long pair):
    # (a + b) ^ a ^ b has a 1 wherever a carry came in, so bit t+1 is the carry out of bit t.
    x, y = bits_to_int(a_bits), bits_to_int(b_bits)
    carry_in = (x + y) ^ x ^ y
    truth = lsb_first(x + y, L + 1)
    carries = lsb_first(carry_in >> 1, L)
    device = next(model.parameters()).device
    hidden, _ = model.lstm(encode(a, b).to(device))            # (1, L+1, H), fast path
    cell = _cells(model, encode(a, b).to(device), hidden)
    confidence = torch.sigmoid(model.logits_from_hidden(hidden))[0].cpu()
    return {"confidence": confidence, "predicted": (confidence > 0.5).to(torch.uint8),
            "truth": truth, "carries": carries, "hidden": hidden[0].cpu(), "cell": cell[0].cpu()}


def _cells(model: Adder, inputs: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
    """Cell states (B, T, H) from the hidden states nn.LSTM returned.

    The gates at step t depend only on x_t and h_{t-1}, so all of them come from one matmul;
    what is left, c_t = f_t * c_{t-1} + u_t, is a linear recurrence, solved by a parallel prefix
    scan in log2(T) vectorised steps instead of a Python loop over thousands of steps.
    """
    lstm = model.lstm
    previous = torch.cat([hidden.new_zeros(hidden[:, :1].shape), hidden[:, :-1]], dim=1)
    gates = (inputs @ lstm.weight_ih_l0.T + lstm.bias_ih_l0
             + previous @ lstm.weight_hh_l0.T + lstm.bias_hh_l0)          # (B, T, 4H)
    i, f, g, _ = gates.chunk(4, dim=-1)
    forget, cell = torch.sigmoid(f), torch.sigmoid(i) * torch.tanh(g)
    shift = 1
    while shift < inputs.shape[1]:
        # After this pass, each step has folded in the `shift` steps before its current span.
        cell = torch.cat([cell[:, :shift], cell[:, shift:] + forget[:, shift:] * cell[:, :-shift]], 1)
        forget = torch.cat([forget[:, :shift], forget[:, shift:] * forget[:, :-shift]], 1)
        shift *= 2
    return cell


@torch.no_grad()
def find_carry_unit(model: Adder, length: int = 64, pairs: int = 256, seed: int = 0) -> dict:
    """The hidden or cell unit that tracks the true carry best, on random pairs.

    The state after step t is compared with the carry out of step t (the one step t+1 needs).
    Returns {"state": "hidden" | "cell", "unit": j, "r": Pearson correlation}; a negative r
    means the unit is high when there is no carry.
    """
    generator = torch.Generator().manual_seed(seed)
    a, b = random_operands(pairs, length, generator)
    _, carries = add_bits(a, b)
    device = next(model.parameters()).device
    inputs = encode(a, b).to(device)
    hidden, cell = model.unroll(inputs)
    H = hidden.shape[-1]
    states = torch.cat([hidden[:, :length], cell[:, :length]], dim=-1).reshape(-1, 2 * H).cpu()
    target = carries.reshape(-1).float()
    states = states - states.mean(0)
    target = target - target.mean()
    r = (states * target[:, None]).sum(0) / (states.norm(dim=0) * target.norm() + 1e-12)
    best = int(r.abs().argmax())
    return {"state": "hidden" if best < H else "cell", "unit": best % H, "r": float(r[best])}
