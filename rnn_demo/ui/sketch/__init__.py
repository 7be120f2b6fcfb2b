"""The Sketch tab: draw a digit, read it row by row, look inside, keep my digits and adapt to them."""
