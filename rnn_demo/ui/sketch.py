"""Placeholder until the sketch tab lands."""

import gradio as gr


def build_sketch_tab(*args, **kwargs):
    gr.Markdown("Coming soon.")
