"""The Sketch tab's row-by-row chart: the probability of each digit after rows 1..t, drawn by the browser.

The server sends only the numbers, {"rows": T lists of 10 probabilities} (about 2 kB); the
component's template draws them as an inline SVG: one line per digit in its colour
(`views.DIGIT_COLOURS`), the answer's line on top and thicker, and a tooltip per row
listing the digits at TOOLTIP_MIN or more. Building that SVG in Python cost the server more
than the model did (and tens of kB an answer, ten answers a second while the pen moves), and
every gradio_client user had to decode it; no charting library in the page either (a Vega
LinePlot's redraw was too slow to follow the pen).
"""

import json

import gradio as gr

from .views import DIGIT_COLOURS

TOOLTIP_MIN = 0.02                           # a row's tooltip lists the digits at this or more

# Everything is drawn in SVG user units: 420 x 250, margins for the axes and the legend below.
TEMPLATE = """${(() => {
  const W = 420, H = 250, L = 38, R = 12, T = 10, B = 58, COLOURS = %(colours)s, MIN = %(min)s;
  const rows = value && Array.isArray(value.rows) && value.rows.length ? value.rows : null;
  const p = (r, d) => +(Array.isArray(r) ? r[d] : 0) || 0;     // anything but a number draws as 0
  const steps = rows ? rows.length : 28, w = W - L - R, h = H - T - B;
  const x = t => (L + (t - 1) * w / Math.max(steps - 1, 1)).toFixed(1);
  const y = p => (T + (1 - p) * h).toFixed(1);
  let s = `<svg class="rows-chart" viewBox="0 0 ${W} ${H}" role="img" xmlns="http://www.w3.org/2000/svg"
    aria-label="Probability of each digit after each row" style="width:100%%;height:auto;font:11px sans-serif">`;
  for (const q of [0, 0.25, 0.5, 0.75, 1])
    s += `<line x1="${L}" x2="${L + w}" y1="${y(q)}" y2="${y(q)}" stroke="#8884" />` +
         `<text x="${L - 4}" y="${(+y(q) + 4).toFixed(1)}" text-anchor="end" fill="currentColor">${q}</text>`;
  for (let t = 1; t <= steps; t++)
    if (t === 1 || t %% 4 === 0)
      s += `<text x="${x(t)}" y="${T + h + 14}" text-anchor="middle" fill="currentColor">${t}</text>`;
  s += `<text x="${(L + w / 2).toFixed(1)}" y="${T + h + 28}" text-anchor="middle" fill="currentColor">rows read (top to bottom)</text>`;
  COLOURS.forEach((c, d) => {
    const lx = (L + d * w / 10).toFixed(1);
    s += `<rect x="${lx}" y="${H - 14}" width="10" height="10" rx="2" fill="${c}" />` +
         `<text x="${(+lx + 13).toFixed(1)}" y="${H - 5}" fill="currentColor">${d}</text>`;
  });
  if (rows) {
    const answer = value.answer;                                // the server's, as the label has it
    const digits = [...COLOURS.keys()].filter(d => d !== answer).concat(COLOURS[answer] ? [answer] : []);   // answer on top
    for (const d of digits)
      s += `<polyline data-digit="${d}" points="${rows.map((r, t) => x(t + 1) + ',' + y(p(r, d))).join(' ')}"
        fill="none" stroke="${COLOURS[d]}" stroke-width="${d === answer ? 3 : 1.6}" stroke-linejoin="round"><title>digit ${d}</title></polyline>`;
    const band = w / Math.max(steps - 1, 1);
    rows.forEach((r, t) => {
      const shown = [...COLOURS.keys()].filter(d => p(r, d) >= MIN).sort((a, b) => p(r, b) - p(r, a));
      s += `<rect data-row="${t + 1}" x="${(+x(t + 1) - band / 2).toFixed(1)}" y="${T}" width="${band.toFixed(1)}"
        height="${h}" fill="transparent"><title>row ${t + 1}: ${shown.map(d => d + ' at ' + Math.round(100 * p(r, d)) + '%%').join(', ')}</title></rect>`;
    });
  }
  return s + '</svg>';
})()}""" % {"colours": json.dumps(list(DIGIT_COLOURS.values())), "min": TOOLTIP_MIN}


class RowChart(gr.HTML):
    """An SVG line chart of a model's answer after each row; its value is `views.row_chart_value(rows)`."""

    def __init__(self, value=None, **kwargs):
        super().__init__(value=value, html_template=TEMPLATE, **kwargs)

    def api_info(self) -> dict:
        return {"type": "object", "description": (
            'the probability of each digit after rows 1..28: {"rows": [[p0, ..., p9], ...], '
            '"answer": digit} (28 lists of 10, rounded to 0.001; answer: the likeliest digit after '
            'the last row), or null when there is nothing to read')}

    def example_payload(self):
        return None

    def example_value(self):
        return None
