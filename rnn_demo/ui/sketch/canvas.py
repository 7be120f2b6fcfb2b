"""The drawing surface of the Sketch tab: a canvas whose value is the strokes, drawn with pointer events.

Mouse, pen and touch all draw (Pointer Events, `touch-action: none`); the pen is ready at load,
after Clear and after Undo, with no tool to pick. While a stroke is drawn the value (see
`rnn_demo.mnist.strokes`) is sent at most ten times a second, and once more at pen-up; each
change bumps `version`, which answers echo so a test or a benchmark can tell which drawing an
answer belongs to (the canvas shows it as `data-version`, and its stroke count as
`data-strokes`), and `live` is true while the pen is down. A value that is not live (pen-up,
Undo, Clear) also fires `settle` SETTLE_AFTER_MS later unless the pen is down again by then,
for the views that need not follow the pen stroke by stroke: every event costs the page a pass
over every component's state, so ten a second of chained events kept its main thread busy, and
views computed at pen-up held the answer back (docs/benchmarks.md). Clear fires a `clear` event as well,
so the page can reset the answer at once, and an optional row of "Save as" buttons fires `save`
with its label. Ctrl+Z (Cmd+Z) is Undo: the canvas takes the focus when drawn on, so the keys
reach it. Never a file upload: the value is a few kB of JSON.
"""

import gradio as gr

SIZE = 448                # canvas pixels per side (logical; the display scales it)
BRUSH = 28                # pen width: a digit ~300 px tall gets strokes of ~2 px at 20x20
SEND_EVERY_MS = 100       # at most ten values a second while the pen moves
SETTLE_AFTER_MS = 200     # `settle` waits this long after pen-up, so the answer goes first

TEMPLATE = """
<div class="sketch-surface" data-version="0">
  <canvas width="${size}" height="${size}" tabindex="0"
          aria-label="Drawing canvas: draw a digit with the mouse, a pen or a finger"></canvas>
  <div class="sketch-tools" role="toolbar">
    <button type="button" data-tool="pen" class="active" title="Pen">✏️ Pen</button>
    <button type="button" data-tool="eraser" title="Eraser">⌫ Eraser</button>
    <button type="button" data-action="undo" title="Undo the last stroke (Ctrl+Z)">↶ Undo</button>
    <button type="button" data-action="clear" title="Clear the canvas">✕ Clear</button>
  </div>
  ${save_labels.length ? `<div class="sketch-save" role="toolbar"><span>Save as</span>` +
    save_labels.map(d => `<button type="button" data-save="${d}" title="Save this drawing as a ${d}">${d}</button>`).join('') +
    `</div>` : ''}
</div>
"""

CSS = """
.sketch-surface { display: flex; flex-direction: column; gap: 8px; align-items: center; }
.sketch-surface canvas { width: 100%; max-width: ${size}px; aspect-ratio: 1; touch-action: none;
  background: #fff; border: 1px solid var(--border-color-primary); border-radius: 8px;
  cursor: crosshair; }
.sketch-surface canvas:focus-visible { outline: 2px solid var(--color-accent); }
.sketch-tools { display: flex; gap: 6px; flex-wrap: wrap; justify-content: center; }
.sketch-tools button { padding: 4px 12px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); }
.sketch-tools button.active { background: var(--color-accent); color: white;
  border-color: var(--color-accent); }
.sketch-save { display: flex; gap: 4px; align-items: center; flex-wrap: wrap; justify-content: center; }
.sketch-save span { font-size: 13px; margin-right: 4px; color: var(--body-text-color-subdued); }
.sketch-save button { width: 30px; padding: 3px 0; border-radius: 6px; cursor: pointer; font-weight: 600;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
  color: var(--body-text-color); }
.sketch-save button:hover { border-color: var(--color-accent); }
"""

JS = """
const root = element.querySelector('.sketch-surface');
const canvas = element.querySelector('canvas');
const ctx = canvas.getContext('2d');
const SIZE = props.size, BRUSH = props.brush, ERASER = 2 * props.brush, EVERY = props.send_every_ms;
const SETTLE = props.settle_after_ms;
let strokes = [], current = null, tool = 'pen', version = 0, lastSent = 0, pending = null, settling = null;

function paint(stroke) {
  const pts = stroke.points;
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.strokeStyle = ctx.fillStyle = stroke.erase ? '#ffffff' : '#111111';
  ctx.lineWidth = stroke.erase ? ERASER : BRUSH;
  ctx.beginPath();
  ctx.moveTo(pts[0][0], pts[0][1]);
  for (const [x, y] of pts.slice(1)) ctx.lineTo(x, y);
  if (pts.length === 1) { ctx.arc(pts[0][0], pts[0][1], ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill(); }
  else ctx.stroke();
}
function redraw() {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, SIZE, SIZE);
  for (const s of strokes) paint(s);
  if (current) paint(current);
}
function send() {
  clearTimeout(pending); pending = null; lastSent = performance.now();
  version += 1;
  root.dataset.version = version;
  const all = current ? strokes.concat([current]) : strokes;
  root.dataset.strokes = all.length;
  props.value = {width: SIZE, height: SIZE, brush: BRUSH, eraser: ERASER, version: version,
                 live: current !== null, strokes: all.map(s => ({points: s.points, erase: s.erase}))};
  clearTimeout(settling);
  if (current === null) settling = setTimeout(() => trigger('settle'), SETTLE);
}
function sendSoon() {
  const wait = EVERY - (performance.now() - lastSent);
  if (wait <= 0) send();
  else if (!pending) pending = setTimeout(send, wait);
}
function point(e) {
  const box = canvas.getBoundingClientRect();
  const x = (e.clientX - box.left) * SIZE / box.width, y = (e.clientY - box.top) * SIZE / box.height;
  return [Math.round(Math.min(Math.max(x, 0), SIZE) * 10) / 10,
          Math.round(Math.min(Math.max(y, 0), SIZE) * 10) / 10];
}
function setTool(name) {
  tool = name;
  element.querySelectorAll('[data-tool]').forEach(b => b.classList.toggle('active', b.dataset.tool === name));
}
canvas.addEventListener('pointerdown', e => {
  if (e.button !== 0 && e.pointerType === 'mouse') return;
  e.preventDefault();
  // preventDefault also stops the mouse's own focusing, so Ctrl+Z would reach nothing of ours
  canvas.focus({preventScroll: true});
  clearTimeout(settling);                 // a new stroke: the drawing has not settled
  canvas.setPointerCapture(e.pointerId);
  current = {points: [point(e)], erase: tool === 'eraser'};
  redraw();
  sendSoon();
});
canvas.addEventListener('pointermove', e => {
  if (!current) return;
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  for (const ev of (events.length ? events : [e])) current.points.push(point(ev));
  redraw();
  sendSoon();
});
function finish() {
  if (!current) return;
  strokes.push(current);
  current = null;
  send();
}
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
canvas.addEventListener('lostpointercapture', finish);
function undo() { strokes.pop(); current = null; redraw(); send(); }
function clear() {
  strokes = []; current = null; setTool('pen'); redraw();
  trigger('clear');
  send();
}
const saveRow = element.querySelector('.sketch-save');
if (saveRow) saveRow.addEventListener('click', e => {
  const b = e.target.closest('button[data-save]');
  if (b) trigger('save', {label: Number(b.dataset.save)});
});
element.querySelector('.sketch-tools').addEventListener('click', e => {
  const b = e.target.closest('button');
  if (!b) return;
  if (b.dataset.tool) setTool(b.dataset.tool);
  else if (b.dataset.action === 'undo') undo();
  else if (b.dataset.action === 'clear') clear();
});
// On the whole surface: after Undo is clicked, the focus is on that button. Shift+Z is redo's.
root.addEventListener('keydown', e => {
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
    e.preventDefault(); undo();
  }
});
redraw();
"""


class SketchCanvas(gr.HTML):
    """A drawing canvas whose value is a strokes dict (see `rnn_demo.mnist.strokes`), or None."""

    def __init__(self, value=None, *, size: int = SIZE, brush: int = BRUSH, save_labels=(), **kwargs):
        """`save_labels`: a "Save as" button per label under the tools; each fires `save` with it."""
        super().__init__(value=value, html_template=TEMPLATE, css_template=CSS, js_on_load=JS,
                         size=size, brush=brush, send_every_ms=SEND_EVERY_MS, settle_after_ms=SETTLE_AFTER_MS,
                         save_labels=list(save_labels), apply_default_css=False, **kwargs)

    def api_info(self) -> dict:
        return {"type": "object", "description": (
            'a drawing: {"width": W, "height": H, "brush": pen width, "strokes": [{"points": '
            '[[x, y], ...], "erase": false}, ...]} in canvas pixels; or a picture of a digit: a '
            'file (handle_file), an image array (H, W[, C]), or a Sketchpad value '
            '{"background", "layers", "composite"}')}

    def example_payload(self):
        return {"width": SIZE, "height": SIZE, "brush": BRUSH,
                "strokes": [{"points": [[224, 60], [220, 390]], "erase": False}]}

    def example_value(self):
        return self.example_payload()
