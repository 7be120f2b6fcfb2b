"""The Training tab: launch runs, watch their curves live, stop, compare and export them."""
