"""What Gradio keeps per session: no copy of the values an event read or returned, so a session
costs its copy of the page's config and no more, whatever its visitors sent."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
from gradio.state_holder import SessionState, StateHolder

from rnn_demo.ui import session_memory


def kept_after_an_event(big) -> tuple:
    """(the input's value, the output's value) a session keeps after one event of a real Blocks."""
    with gr.Blocks() as demo:
        drawing, answer = gr.JSON(), gr.JSON()
        drawing.change(lambda value: value, drawing, answer)
    holder = StateHolder()
    holder.set_blocks(demo)
    session = holder["visitor"]
    with ThreadPoolExecutor(1) as thread:           # a loop of its own: Playwright's may run in this thread
        thread.submit(asyncio.run, demo.process_api(block_fn=demo.fns[0], inputs=[big], state=session)).result()
    values = session.config_values
    return values[drawing._id]["props"].get("value"), values[answer._id]["props"].get("value")


def test_gradio_keeps_each_sessions_values_unless_told_not_to(monkeypatch):
    big = {"strokes": [{"points": [[1.5, 2.5]] * 10_000}]}
    monkeypatch.setattr(SessionState, "_update_value_in_config", SessionState._update_value_in_config)
    read, returned = kept_after_an_event(big)               # what a new session per request piled up
    assert read == big and returned is not None
    session_memory.keep_no_values()
    assert kept_after_an_event(big) == (None, None)
