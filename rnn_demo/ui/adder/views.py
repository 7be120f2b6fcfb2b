"""What the Binary adder tab draws: the bit-by-bit view, the carry unit, generalisation."""

import html

import matplotlib.ticker
from matplotlib.figure import Figure  # no pyplot: its global figure manager is not thread-safe


def bits_html(a_bits, b_bits, result) -> str:
    """A, B, the true sum and the model's sum aligned column by column (most significant bit on
    the left), each model bit shaded by its confidence, wrong bits marked in red."""
    n = len(result["truth"])                      # L + 1 columns
    conf = result["confidence"].tolist()
    predicted, truth = result["predicted"].tolist(), result["truth"].tolist()

    def row(label, bits, css=""):
        cells = "".join(f"<span>{b}</span>" if b != "" else "<span></span>" for b in bits)
        return f'<div class="adder-row {css}"><b>{label}</b>{cells}</div>'

    pad = lambda bits: [""] * (n - len(bits)) + [str(v) for v in reversed(bits)]
    wrong = [i for i in range(n) if predicted[i] != truth[i]]
    is_wrong = set(wrong)                                 # built once: sums run to 4,096 bits
    model_cells, bars = [], []
    for i in reversed(range(n)):
        p = conf[i]
        sure = abs(p - 0.5) * 2                           # 0 = a coin flip, 1 = certain
        css = "wrong" if i in is_wrong else "right"
        tip = (f"bit {i} (2^{i}): model {predicted[i]}, true {truth[i]}, "
               f"sigmoid output p(1) = {p:.4f}")
        model_cells.append(f'<span class="{css}" style="opacity:{0.35 + 0.65 * sure:.2f}" '
                           f'title="{html.escape(tip)}">{predicted[i]}</span>')
        bars.append(f'<span class="bar" title="{html.escape(tip)}"><i style="height:{100 * p:.0f}%">'
                    "</i></span>")
    marks = "".join('<span class="x">&#x2717;</span>' if i in is_wrong else "<span></span>"
                    for i in reversed(range(n)))
    least = min(range(n), key=lambda i: abs(conf[i] - 0.5))
    if wrong:
        places = ", ".join(f"2<sup>{i}</sup>" for i in wrong[:12]) + (" ..." if len(wrong) > 12 else "")
        verdict = (f'<p class="adder-verdict bad">{len(wrong)} of {n} sum bits wrong '
                   f"(at {places}).</p>")
    else:
        verdict = f'<p class="adder-verdict good">All {n} sum bits right.</p>'
    verdict += (f'<p class="adder-note">Least sure bit: 2<sup>{least}</sup>, sigmoid output '
                f"{conf[least]:.4f}. Hover a bit for its value.</p>")
    return (_BITS_CSS + verdict + '<div class="adder-bits-scroll"><div class="adder-grid">'
            + row("A", pad(a_bits)) + row("B", pad(b_bits))
            + row("true sum", [str(v) for v in reversed(truth)], "truth")
            + f'<div class="adder-row model"><b>model sum</b>{"".join(model_cells)}</div>'
            + f'<div class="adder-row marks"><b>wrong</b>{marks}</div>'
            + f'<div class="adder-row conf"><b>p(bit = 1)</b>{"".join(bars)}</div>'
            + "</div></div>")


_BITS_CSS = """<style>
.adder-bits-scroll { overflow-x: auto; padding-bottom: 6px; }
.adder-grid { font-family: ui-monospace, monospace; font-size: 15px; width: max-content; }
.adder-row { display: flex; align-items: flex-end; height: 1.5em; }
.adder-row b { width: 7.5em; flex: none; font-weight: 600; font-size: 13px; }
.adder-row span { width: 1.1em; flex: none; text-align: center; }
.adder-row.truth span { color: #555; }
.adder-row.model span.right { background: #d9f2dc; }
.adder-row.model span.wrong { background: #e53935; color: white; font-weight: bold; opacity: 1 !important; }
.adder-row.marks span.x { color: #e53935; font-weight: bold; }
.adder-row.conf { height: 2.2em; }
.adder-row.conf span.bar { height: 100%; display: flex; align-items: flex-end; justify-content: center; }
.adder-row.conf span.bar i { width: 60%; background: #3f51b5; display: block; min-height: 1px; }
.adder-verdict { font-weight: 600; margin: 0 0 4px 0; }
.adder-verdict.good { color: #2e7d32; } .adder-verdict.bad { color: #c62828; }
.adder-note { color: #666; margin: 0 0 8px 0; font-size: 13px; }
</style>"""


CARRY_WINDOW = 128        # steps drawn in the carry plot; longer sums show a window


def carry_figure(result, unit: dict):
    """The carry unit's value at every step, over the true carry shaded behind it.

    Sums longer than CARRY_WINDOW steps show a window of that many steps: around the first wrong
    bit if there is one, else the start.
    """
    carries = result["carries"].float()
    states = result[unit["state"]][:, unit["unit"]][: len(carries)]    # state after step t
    wrong = (result["predicted"] != result["truth"]).nonzero().flatten().tolist()
    start = max(0, min(wrong[0] - CARRY_WINDOW // 2, len(carries) - CARRY_WINDOW)) if wrong else 0
    stop = min(len(carries), start + CARRY_WINDOW)
    sign = 1.0 if unit["r"] >= 0 else -1.0
    steps = list(range(start, stop))
    fig = Figure(figsize=(10, 2.8), dpi=90)
    ax = fig.add_subplot()
    ax.fill_between(steps, 0, carries[start:stop].tolist(), step="mid", color="#ffcc80", alpha=0.6,
                    label="true carry out of this bit (0 or 1)")
    value = (sign * states[start:stop]).tolist()
    ax.step(steps, value, where="mid", color="#3949ab", lw=1.4,
            label=f"{'-' if sign < 0 else ''}{unit['state']} unit {unit['unit']} (r = {abs(unit['r']):.3f})")
    if len(steps) <= 64:
        ax.plot(steps, value, "o", color="#3949ab", ms=3)
    for t in wrong:
        if start <= t < stop:
            ax.axvline(t, color="#e53935", lw=1, alpha=0.7)
    shown = "" if stop - start == len(carries) else f" (steps {start}-{stop - 1} of {len(carries)})"
    ax.set_xlim(start - 0.5, max(stop - 0.5, start + 0.5))
    ax.set_ylim(min(-1.05, min(value, default=0) - 0.05), max(1.05, max(value, default=0) + 0.05))
    ax.set_title("Inside the LSTM: the unit that tracks the carry, step by step" + shown, fontsize=11)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_xlabel("step = bit position, least significant first (red: a wrong sum bit)")
    fig.tight_layout()
    return fig


def generalisation_figure(results: list[dict], max_length: int | None, who: str, pairs: int):
    """Exact match and bit accuracy against length, the training length marked."""
    lengths = [r["length"] for r in results]
    fig = Figure(figsize=(10, 3.2), dpi=90)
    ax = fig.add_subplot()
    ax.plot(lengths, [100 * r["exact_match"] for r in results], "o-", color="#2e7d32",
            label="exact match (every sum bit right)")
    ax.plot(lengths, [100 * r["bit_accuracy"] for r in results], "s--", color="#1565c0", ms=4,
            label="bit accuracy")
    if max_length:
        ax.axvline(max_length, color="#e65100", ls=":", lw=2)
        ax.text(max_length, 2, f" trained up to {max_length} bits", color="#e65100", fontsize=9)
    ax.set_xscale("log", base=2)
    ax.set_xticks(lengths if len(lengths) <= 12 else [n for n in lengths if n in (1, 2, 4, 8, 16, 20)
                                                      or n > 20])
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_ylim(-3, 103)
    ax.set_xlabel("length of the numbers (bits)")
    ax.set_ylabel("% of random pairs / bits")
    ax.set_title(f"Generalisation of {who}: {pairs:,} random pairs per length", fontsize=11)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
