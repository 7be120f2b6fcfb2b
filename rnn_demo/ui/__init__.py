"""Gradio tabs of the RNN lab; the only part of rnn_demo that imports gradio."""
