"""The colours the tabs draw with: one list, so a digit or a run has the same colour everywhere."""

# matplotlib's tab10: ten colours told apart easily. Digit d is PALETTE[d]; a compared run takes
# the next colour in turn.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
