"""What Gradio keeps per session: the last input of each component is dropped after use, so a
session costs its copy of the page's config and no more, whatever its visitors sent."""

import datetime as _dt

import gradio as gr
from gradio.state_holder import StateHolder

from rnn_demo.ui.session_memory import forget_inputs


def test_the_inputs_gradio_keeps_per_session_are_dropped_in_the_sessions_used_since():
    with gr.Blocks() as demo:
        drawing, answer = gr.JSON(), gr.Textbox("start")
    holder = StateHolder()
    holder.set_blocks(demo)
    big = {"strokes": [{"points": [[1.5, 2.5]] * 10_000}]}
    for session in ("old", "new"):
        holder[session]._update_value_in_config(drawing._id, big)    # as Blocks.preprocess_data does
    holder.time_last_used["old"] -= _dt.timedelta(minutes=5)
    assert forget_inputs(demo, _dt.datetime.now() - _dt.timedelta(minutes=1)) == 2   # the drawing, the text
    assert holder["old"].config_values[drawing._id]["props"]["value"] is big         # not used since
    assert holder.session_data["new"].config_values[drawing._id]["props"]["value"] is None
    assert forget_inputs(demo, None) >= 1
    assert holder.session_data["old"].config_values[drawing._id]["props"]["value"] is None
    assert answer.value == "start" and demo.config is not None                        # the page's own config is untouched
