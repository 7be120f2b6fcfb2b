"""The "look inside" view of the Sketch tab: a row scrubber over the hidden state, the gates and row importance.

One gr.HTML component draws everything in the browser from the arrays of
`rnn_demo.mnist.inside.inspect`: the slider and the play button move a cursor over rows 1..28
without asking the server again. Every panel shares one vertical axis, the image's rows, so row
t of the digit, its importance bar, the hidden state after row t and the gates at row t sit on
one line.
"""

import gradio as gr

ROW = 10                  # pixels per image row in every panel

TEMPLATE = """
<div class="inside">
  <p class="inside-message"></p>
  <div class="inside-body">
    <div class="inside-controls">
      <button type="button" class="inside-play" title="Step through the rows">▶ Play</button>
      <input type="range" class="inside-row" min="1" max="28" step="1" value="28" aria-label="row">
      <span class="inside-row-label"></span>
      <label class="inside-layer-box">layer <select class="inside-layer"></select></label>
    </div>
    <p class="inside-prediction"></p>
    <div class="inside-panels"></div>
    <div class="inside-notes"></div>
  </div>
</div>
"""

CSS = """
.inside { font-size: 14px; }
.inside-message { color: var(--body-text-color); opacity: 0.85; margin: 4px 0; }
.inside-controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.inside-controls input[type=range] { flex: 1; min-width: 200px; max-width: 520px; }
.inside-controls button, .inside-controls select { padding: 3px 10px; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); }
.inside-prediction { font-weight: 600; margin: 6px 0; min-height: 1.4em; }
.inside-prediction .bars { display: inline-flex; gap: 3px; align-items: flex-end; height: 26px;
  margin-left: 10px; vertical-align: middle; }
.inside-prediction .bars span { width: 14px; background: #9aa5b1; position: relative; }
.inside-prediction .bars span.top { background: #d62728; }
.inside-prediction .bars span i { position: absolute; bottom: -16px; left: 3px; font-style: normal;
  font-size: 10px; font-weight: 400; }
.inside-panels { display: flex; gap: 14px; flex-wrap: wrap; align-items: flex-start; margin-top: 18px; }
.inside-panels figure { margin: 0; }
.inside-panels figcaption { font-size: 12px; font-weight: 600; margin-bottom: 3px; }
.inside-panels canvas { display: block; border: 1px solid var(--border-color-primary); }
.inside-notes { font-size: 12.5px; color: var(--body-text-color); opacity: 0.85; margin-top: 8px; }
.inside-notes p { margin: 2px 0; }
"""

JS = """
const R = __ROW__, GW = 64;               // pixels per row; width of a gate panel
const $ = s => element.querySelector(s);
const slider = $('.inside-row'), play = $('.inside-play'), layerBox = $('.inside-layer');
let data = null, t = 28, timer = null, panels = [];

function colour(v, scale) {                 // diverging: blue < 0 < red, white at 0
  const a = Math.max(-1, Math.min(1, v / (scale || 1)));
  const c = a > 0 ? [178, 24, 43] : [33, 102, 172];
  const k = Math.abs(a);
  return `rgb(${Math.round(255 + (c[0] - 255) * k)},${Math.round(255 + (c[1] - 255) * k)},${Math.round(255 + (c[2] - 255) * k)})`;
}
function panel(title, width) {
  const fig = document.createElement('figure');
  fig.innerHTML = `<figcaption>${title}</figcaption>`;
  const canvas = document.createElement('canvas');
  canvas.width = width; canvas.height = 28 * R;
  fig.appendChild(canvas);
  $('.inside-panels').appendChild(fig);
  return canvas.getContext('2d');
}
function cursor(ctx, width, backward) {     // the forward reader after row t; the backward one too
  ctx.fillStyle = 'rgba(255,255,255,0.55)';   // dim what this panel's reader has not read yet
  if (backward) ctx.fillRect(0, 0, width, (28 - t) * R);
  else ctx.fillRect(0, t * R, width, (28 - t) * R);
  ctx.strokeStyle = '#d62728'; ctx.lineWidth = 2; ctx.setLineDash([]);
  ctx.beginPath(); ctx.moveTo(0, t * R - 1); ctx.lineTo(width, t * R - 1); ctx.stroke();
  if (data.directions === 2) {
    ctx.strokeStyle = '#1f77b4'; ctx.setLineDash([5, 3]);
    ctx.beginPath(); ctx.moveTo(0, (28 - t) * R + 1); ctx.lineTo(width, (28 - t) * R + 1); ctx.stroke();
    ctx.setLineDash([]);
  }
}
function drawAll() {
  if (!data || data.message) return;
  const layer = Number(layerBox.value || data.layers - 1);
  for (const p of panels) p.draw(layer);
  const logits = data.row_logits[t - 1];
  const m = Math.max(...logits), e = logits.map(v => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  const probs = e.map(v => v / s), top = probs.indexOf(Math.max(...probs));
  const backward = data.directions === 2 ? ` · the backward direction has read rows ${29 - t}–28` : '';
  $('.inside-row-label').textContent = `row ${t} of 28${backward}`;
  const what = data.reads_as_it_goes ? `After row ${t}` : `Digit cut after row ${t}`;
  $('.inside-prediction').innerHTML = `<span class="row-answer" data-row="${t}" data-digit="${top}" ` +
    `data-probability="${probs[top].toFixed(4)}">${what}: ` +
    `${top} (${(100 * probs[top]).toFixed(0)}%)</span><span class="bars">` +
    probs.map((p, d) => `<span class="${d === top ? 'top' : ''}" style="height:${Math.max(1, 26 * p)}px"` +
                        ` title="${d}: ${(100 * p).toFixed(1)}%"><i>${d}</i></span>`).join('') + '</span>';
}
function build() {
  $('.inside-panels').innerHTML = ''; panels = [];
  const notes = [];
  $('.inside-message').textContent = data.message || data.summary || '';
  $('.inside-body').style.display = data.message ? 'none' : '';
  if (data.message) return;
  layerBox.innerHTML = Array.from({length: data.layers}, (_, i) =>
      `<option value="${i}" ${i === data.layers - 1 ? 'selected' : ''}>${i + 1}${i === data.layers - 1 ? ' (top)' : ''}</option>`).join('');
  $('.inside-layer-box').style.display = data.layers > 1 ? '' : 'none';
  const digitCtx = panel('what the model reads, row by row', 28 * R);
  panels.push({draw() {
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const v = Math.round(255 * data.digit[r][c]);
      digitCtx.fillStyle = `rgb(${v},${v},${v})`; digitCtx.fillRect(c * R, r * R, R, R);
    }
    cursor(digitCtx, 28 * R);
  }});
  const impMax = Math.max(1e-6, ...data.importance.map(Math.abs));
  const impCtx = panel('row importance', 90);
  panels.push({draw() {
    impCtx.clearRect(0, 0, 90, 28 * R);
    impCtx.fillStyle = '#eee'; impCtx.fillRect(45, 0, 1, 28 * R);
    data.importance.forEach((v, r) => {
      impCtx.fillStyle = v >= 0 ? '#d62728' : '#1f77b4';
      const w = 44 * v / impMax;
      impCtx.fillRect(v >= 0 ? 45 : 45 + w, r * R + 1, Math.abs(w), R - 2);
    });
    cursor(impCtx, 90);
  }});
  notes.push(`<p><b>Row importance</b>: how much the probability of the predicted digit (${data.predicted}) ` +
             `drops when that row alone is blanked (red: the answer needs the row; blue: it is surer ` +
             `without it); the longest bar is ${impMax.toFixed(3)}. Rows with no ink have none.</p>`);
  const H = data.hidden_size, unitPx = Math.max(1, Math.min(6, Math.floor(256 / data.directions / H)));
  const names = data.directions === 2 ? ['forward (reads top to bottom)', 'backward (reads bottom to top)'] : ['forward'];
  names.forEach((name, d) => {
    const ctx = panel(`hidden state, ${name}`, H * unitPx);
    panels.push({draw(layer) {
      const h = data.hidden[layer][d], order = data.order[layer][d];
      for (let r = 0; r < 28; r++) order.forEach((u, x) => {
        ctx.fillStyle = colour(h[r][u], data.hidden_scale); ctx.fillRect(x * unitPx, r * R, unitPx, R);
      });
      cursor(ctx, H * unitPx, d === 1);
    }});
  });
  notes.push(`<p><b>Hidden state</b>: each column is one of the layer's ${H} units, each row the state ` +
             `after that row was read (${data.hidden_scale === 1 ? 'values in −1…1' : 'values from 0 to ' +
             data.hidden_scale.toFixed(2)}, blue negative, red positive). Units are sorted by the row where ` +
             `each is strongest, so a staircase shows units taking turns.</p>`);
  if (data.gate_names.length) {
    names.forEach((name, d) => data.gate_names.forEach((gate, g) => {
      const ctx = panel(`${gate}${data.directions === 2 ? (d ? ' (bwd)' : ' (fwd)') : ' gate'}`, GW);
      panels.push({draw(layer) {
        const rows = data.gates[layer][d].map(row => row[g]);
        ctx.clearRect(0, 0, GW, 28 * R);
        ctx.fillStyle = '#f3f3f3'; ctx.fillRect(0, 0, GW, 28 * R);
        const span = GW - 8;
        rows.forEach((units, r) => {
          const sorted = units.slice().sort((a, b) => a - b), q = f => sorted[Math.floor(f * (sorted.length - 1))];
          ctx.fillStyle = 'rgba(148,103,189,0.35)';
          ctx.fillRect(4 + span * q(0.1), r * R + 1, Math.max(1, span * (q(0.9) - q(0.1))), R - 2);
          const mean = units.reduce((a, b) => a + b, 0) / units.length;
          ctx.fillStyle = '#6a3d9a'; ctx.fillRect(3 + span * mean, r * R, 3, R);
        });
        cursor(ctx, GW, d === 1);
      }});
    }));
    notes.push(`<p><b>Gates</b>: for each row, the mean over the units (dark mark) and the spread from the ` +
               `10th to the 90th percentile (band), on a scale from 0 (left: shut) to 1 (right: open).</p>`);
  } else {
    notes.push('<p><b>Gates</b>: a plain RNN has none: each state is tanh (or relu) of the row and the previous state.</p>');
  }
  notes.push(data.reads_as_it_goes
    ? '<p><b>The answer after row t</b> comes from the state after reading rows 1 to t.</p>'
    : '<p><b>This model needs the whole image</b>, so the answer at row t is its answer to the digit cut after ' +
      'row t (rows below left blank). The dashed blue line is where its backward direction has read to.</p>');
  $('.inside-notes').innerHTML = notes.join('');
  t = Math.min(Math.max(t, 1), 28);
  slider.value = t;
  drawAll();
}
function load() {
  data = props.value && typeof props.value === 'object' ? props.value : {message: 'Draw a digit to look inside.'};
  build();
}
slider.addEventListener('input', () => { t = Number(slider.value); drawAll(); });
layerBox.addEventListener('change', drawAll);
play.addEventListener('click', () => {
  if (timer) { clearInterval(timer); timer = null; play.textContent = '▶ Play'; return; }
  t = 0; play.textContent = '⏸ Pause';
  timer = setInterval(() => {
    t += 1; slider.value = t; drawAll();
    if (t >= 28) { clearInterval(timer); timer = null; play.textContent = '▶ Play'; }
  }, 160);
});
watch('value', load);
load();
"""


class RowInspector(gr.HTML):
    """Draws a `rnn_demo.mnist.inside.inspect` result sent as JSON lists (see `inside_value`)."""

    def __init__(self, value=None, **kwargs):
        # ROW goes into the script itself: inside a closed Accordion the script first runs when it
        # opens, and then `props` holds only the value, not the extra props given here.
        super().__init__(value=value, html_template=TEMPLATE, css_template=CSS,
                         js_on_load=JS.replace("__ROW__", str(ROW)), apply_default_css=False, **kwargs)

    def api_info(self) -> dict:
        return {"type": "object", "description": (
            "every view of one drawing as JSON lists: hidden (layers, directions, 28, H), gates "
            "(layers, directions, 28, G, H) with G = len(gate_names), row_logits (28, 10), "
            "probabilities (10,), importance (28,), order (layers, directions, H) units sorted by "
            "peak row, digit (28, 28); or {message} when there is nothing to show")}
