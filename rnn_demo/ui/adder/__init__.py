"""The Binary adder tab: an LSTM that adds two binary strings, bit by bit, and what it learned."""
