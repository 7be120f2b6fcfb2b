"""rnn_demo: recurrent models that read MNIST row by row, a binary-adder LSTM, and their trainers.

The package imports torch only; the Gradio UI lives in `rnn_demo.ui` and `app.py`.
"""

__version__ = "0.1.0"
