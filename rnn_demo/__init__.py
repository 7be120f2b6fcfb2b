"""rnn_demo: recurrent models that read MNIST row by row, a binary-adder LSTM, and their trainers.

Laid out by task: `mnist/` (data, model, training, runs), `adder/` (the binary adder), `bench/`
(benchmarks that print numbers), `ui/` (the Gradio tabs). The package imports torch only; the
Gradio UI lives in `rnn_demo.ui` and `app.py`.
"""

__version__ = "0.2.0"
