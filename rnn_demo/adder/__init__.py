"""The adder wing: an LSTM that adds binary numbers of any length, read least significant bit first."""
