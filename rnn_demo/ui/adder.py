"""Placeholder until the adder tab lands."""

import gradio as gr


def build_adder_tab(*args, **kwargs):
    gr.Markdown("Coming soon.")
