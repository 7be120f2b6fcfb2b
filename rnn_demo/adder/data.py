"""The adder's data: bit tensors LSB first, exact sums, model inputs, and binary strings.

The encoding. Two numbers a and b of L bits are written LSB first, a_0 a_1 ... a_{L-1}, and
fed one bit pair per time step: at step t the model reads (a_t, b_t) and answers the sum bit
s_t. Reading from the low end is what makes addition learnable by a left-to-right reader: the
only thing step t needs from the past is the carry out of step t-1, which the LSTM keeps in its
state. The sum of two L-bit numbers can have L+1 bits, so the inputs are padded with one zero
pair (more are allowed; the extra sum bits are 0) and the model answers on every step: a
(B, L+1) sequence of sum-bit logits. Nothing is stored as a fixed-width integer, so lengths of
thousands of bits are fine.
"""

import torch

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


# ---------------------------------------------------------------- binary strings

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


def lsb_first(value: int, width: int) -> torch.Tensor:
    """The low `width` bits of a non-negative int, LSB first, as a uint8 tensor."""
    text = format(value, "b").zfill(width)[-width:] if width else ""
    return torch.frombuffer(bytearray(text[::-1], "ascii"), dtype=torch.uint8) - ord("0")
