"""Binary addition with an LSTM: numbers of any length, read least-significant bit first.

The encoding. Two numbers a and b of L bits are written LSB first, a_0 a_1 ... a_{L-1}, and
fed one bit pair per time step: at step t the model reads (a_t, b_t) and answers the sum bit
s_t. Reading from the low end is what makes addition learnable by a left-to-right reader: the
only thing step t needs from the past is the carry out of step t-1, which the LSTM keeps in its
state. The sum of two L-bit numbers can have L+1 bits, so the inputs are padded with one zero
pair (more are allowed; the extra sum bits are 0) and the model answers on every step: a
(B, L+1) sequence of sum-bit logits. Nothing is stored as a fixed-width integer, so lengths of
thousands of bits are fine.

Data, model and the string helpers live here; training and evaluation in `adder_train.py`.
"""

from dataclasses import asdict, dataclass

import torch
from torch import nn

MAX_BITS = 4096              # longest operand the playground accepts
DENSITIES = ("random", "half")


class AdderInputError(ValueError):
    """A binary string that cannot be read; the message names the box, the character and where."""


# ---------------------------------------------------------------- data

def random_operands(n: int, length: int, generator: torch.Generator, density: str = "half"):
    """Two (n, length) uint8 bit tensors, LSB first.

    density 'half': every bit is 1 with probability 1/2 (uniform random numbers).
    density 'random': each number draws its own probability of a 1 bit, uniform in [0, 1], so
    batches also hold long runs of carries (1+1), of propagations (1+0) and of zeros, the
    patterns a long addition is made of but that short uniform numbers rarely show.
    """
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES}, got {density!r}")
    if density == "half":
        bits = torch.randint(0, 2, (2, n, length), generator=generator, dtype=torch.uint8)
    else:
        p = torch.rand(2, n, 1, generator=generator)
        bits = (torch.rand(2, n, length, generator=generator) < p).to(torch.uint8)
    return bits[0], bits[1]


def add_bits(a: torch.Tensor, b: torch.Tensor):
    """Exact ripple-carry addition of LSB-first bit tensors (n, L).

    Returns (sum bits (n, L+1), carries (n, L)), where carries[:, t] is the carry out of step t.
    One vectorised step per bit, so any length works.
    """
    n, L = a.shape
    a, b = a.to(torch.uint8), b.to(torch.uint8)
    sums = torch.empty(n, L + 1, dtype=torch.uint8, device=a.device)
    carries = torch.empty(n, L, dtype=torch.uint8, device=a.device)
    carry = torch.zeros(n, dtype=torch.uint8, device=a.device)
    for t in range(L):
        total = a[:, t] + b[:, t] + carry
        sums[:, t] = total & 1
        carry = total >> 1
        carries[:, t] = carry
    sums[:, L] = carry
    return sums, carries


def encode(a: torch.Tensor, b: torch.Tensor, pad: int = 1) -> torch.Tensor:
    """(n, L) bits of a and b -> model inputs (n, L+pad, 2), float, with `pad` zero steps."""
    if pad < 1:
        raise ValueError("pad must be >= 1: the carry-out bit needs a step of its own")
    x = torch.stack([a, b], dim=-1).float()               # (n, L, 2)
    return torch.cat([x, x.new_zeros(x.shape[0], pad, 2)], dim=1)


def make_batch(n: int, length: int, generator: torch.Generator, pad: int = 1,
               density: str = "half", device="cpu"):
    """A seeded batch: inputs (n, length+pad, 2) and targets (n, length+pad), float, LSB first."""
    a, b = random_operands(n, length, generator, density)
    sums, _ = add_bits(a, b)
    targets = torch.cat([sums, sums.new_zeros(n, pad - 1)], dim=1).float()
    return encode(a, b, pad).to(device), targets.to(device)


# ---------------------------------------------------------------- model

@dataclass
class AdderConfig:
    """Everything needed to rebuild an Adder; stored verbatim in checkpoints."""
    hidden_size: int = 5
    forget_bias: float | None = -3.0   # initial forget-gate bias; None = PyTorch's default init

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


# ---------------------------------------------------------------- strings

def parse_binary(text: str, label: str = "A", max_bits: int = MAX_BITS) -> list[int]:
    """A binary string (MSB first, as people write it) -> its bits LSB first.

    Spaces, underscores and other whitespace are ignored, an optional '0b' prefix and leading
    zeros are fine. Anything else raises AdderInputError naming the character and its 1-based
    position in the text as typed.
    """
    if text is None:
        text = ""
    if len(text) > 8 * max_bits:
        raise AdderInputError(f"{label} is {len(text):,} characters long; the limit is "
                              f"{max_bits:,} bits")
    body, offset = text, 0
    stripped = text.lstrip()
    if stripped[:2] in ("0b", "0B"):
        offset = len(text) - len(stripped) + 2
        body = text[offset:]
    digits = []
    for i, ch in enumerate(body, start=offset + 1):
        if ch in "01":
            digits.append(1 if ch == "1" else 0)
        elif ch == "_" or ch.isspace():
            continue
        else:
            shown = repr(ch) if ch.isprintable() else f"{ch!r} (U+{ord(ch):04X})"
            raise AdderInputError(f"{label}: character {shown} at position {i} is not a binary "
                                  "digit; use 0 and 1 (spaces and underscores are ignored)")
    if not digits:
        raise AdderInputError(f"{label} is empty: type a binary number such as 1011")
    if len(digits) > max_bits:
        raise AdderInputError(f"{label} has {len(digits):,} bits; the limit is {max_bits:,} bits")
    return digits[::-1]


def bits_to_str(bits) -> str:
    """LSB-first bits -> the usual MSB-first string, leading zeros removed ('0' for zero)."""
    s = "".join(str(int(v)) for v in reversed(list(bits))).lstrip("0")
    return s or "0"


def bits_to_int(bits) -> int:
    """LSB-first bits -> a Python int (arbitrary precision)."""
    return int(bits_to_str(bits), 2)


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
    truth = _lsb_first(x + y, L + 1)
    carries = _lsb_first(carry_in >> 1, L)
    device = next(model.parameters()).device
    hidden, _ = model.lstm(encode(a, b).to(device))            # (1, L+1, H), fast path
    cell = _cells(model, encode(a, b).to(device), hidden)
    confidence = torch.sigmoid(model.logits_from_hidden(hidden))[0].cpu()
    return {"confidence": confidence, "predicted": (confidence > 0.5).to(torch.uint8),
            "truth": truth, "carries": carries, "hidden": hidden[0].cpu(), "cell": cell[0].cpu()}


def _lsb_first(value: int, width: int) -> torch.Tensor:
    """The low `width` bits of a non-negative int, LSB first, as a uint8 tensor."""
    text = format(value, "b").zfill(width)[-width:] if width else ""
    return torch.frombuffer(bytearray(text[::-1], "ascii"), dtype=torch.uint8) - ord("0")


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
