"""The Training tab's timer: each tick follows a run, redraws only what changed and sets its pace.

The timer runs only while the tab is shown (ui/timers.py): every BUSY_SECONDS while a run is
queued or running anywhere, every IDLE_SECONDS otherwise (then only another visitor's start
can change anything). A tick reads only the new lines of the watched run's metrics log; the
runs table, the limits and the compare plots are redrawn only when a run changed state (the
manager's version), when the view settings changed, or while a compared run trains.
"""

import time

import gradio as gr

from ...mnist.runs.manager import ACTIVE, RunManager
from ..visitors import Visitors
from .compare import redraw, watched_loss
from .compare_view import METRICS
from .runs_view import epoch_frames, limits_text, runs_table, status_text

BUSY_SECONDS, IDLE_SECONDS = 1.0, 5.0


def hurry():
    """After a start: poll at the busy pace at once, not after the idle pace's wait."""
    return gr.Timer(BUSY_SECONDS)


def follow(records: list, me) -> str | None:
    """The run a fresh page watches: our own active run, else anyone's, else our newest, else the newest."""
    def newest(rs):
        return (rs or [{"id": None}])[0]["id"]
    mine = [r for r in records if me is not None and r.get("owner") == me.owner]
    for pool in (mine, records):
        active = [r for r in pool if r["status"] == "running"] or [r for r in pool if r["status"] in ACTIVE]
        if active:
            return newest(active)
    return newest(mine) or newest(records)


def poll(manager: RunManager, visitors: Visitors, watched, seen, note, compare, smoothing, log_scale, x_axis,
         who, request: gr.Request):
    """One timer tick -> status, loss plot, 2 epoch plots, runs table, compare choices, the
    comparison (compare.compared_outputs), limits, watched, seen, timer; each gr.skip() unless it
    changed."""
    seen, skip = dict(seen or {}), gr.skip()
    me = visitors.known(who, request)
    status_md = loss_plot = table_df = choices_update = limits_md = skip
    epoch_plots, compared = [skip] * 2, [skip] * (len(METRICS) + 1)     # as redraw: plots, diff
    # The table says whose each run is: redraw it when the runs change or when we learn who we
    # are (the page's load event may land after the first tick).
    changed = (seen.get("version"), seen.get("me")) != (manager.version, me and me.owner)
    records = manager.list_runs() if watched is None or changed else None
    if watched is None:                        # a fresh page: follow a run, ours first
        watched = follow(records, me)
    view = [list(compare or []), smoothing, log_scale, x_axis]
    if watched is not None:
        try:
            curves, active = manager.curves(watched), manager.get(watched)["status"] in ACTIVE
        except ValueError:                     # deleted by another browser
            watched, curves, active = None, None, False
        if curves is not None and seen.get("drawn") != [watched, curves.offset, view]:
            loss_plot = watched_loss(manager, watched, compare, smoothing, log_scale, x_axis, curves)
            if seen.get("epochs_drawn") != [watched, len(curves.epochs)]:   # once an epoch
                epoch_plots = list(epoch_frames(curves))
            seen.update(drawn=[watched, curves.offset, view], epochs_drawn=[watched, len(curves.epochs)])
        text = (note or {}).get("text", "") if time.time() < (note or {}).get("until", 0) else ""
        if active or seen.get("described") != [watched, text]:   # clocks tick while it runs
            status_md = status_text(manager, watched, text)
            seen["described"] = None if active else [watched, text]
    if changed:
        table_df = runs_table(manager, me)
        ids = list(table_df["run"])
        kept = [c for c in compare or [] if c in ids]
        # The value only when a compared run is gone: a click on the table may have added one
        # since this tick's inputs were read, and an old value would undo it.
        choices_update = gr.Dropdown(choices=ids, **({"value": kept} if kept != list(compare or []) else {}))
        compare = kept
        limits_md = limits_text(manager, me)
        seen["busy"] = any(r["status"] in ACTIVE for r in records)
    if compare and (changed or seen.get("compared") != view or seen.get("compare_live")):
        compared = list(redraw(manager, compare, smoothing, log_scale, x_axis))
        seen["compare_live"] = any(r["status"] in ACTIVE for r in manager.list_runs() if r["id"] in compare)
    seen.update(version=manager.version, me=me and me.owner, compared=view)
    pace = BUSY_SECONDS if seen.get("busy") else IDLE_SECONDS
    timer = gr.Timer(pace) if seen.get("pace") != pace else skip
    seen["pace"] = pace
    return (status_md, loss_plot, *epoch_plots, table_df, choices_update, *compared, limits_md,
            watched, seen, timer)
