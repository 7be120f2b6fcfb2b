"""Placeholder until the training tab lands."""

import gradio as gr


def build_training_tab(*args, **kwargs):
    gr.Markdown("Coming soon.")
