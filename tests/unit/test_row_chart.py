"""The Sketch tab's row-by-row chart: the numbers the server sends (the browser test checks the drawing)."""

import json

import numpy as np

from rnn_demo.ui.row_chart import DECIMALS, row_chart_value


def test_the_value_is_the_rows_rounded_and_small():
    rows = np.random.default_rng(0).dirichlet(np.ones(10), size=28)
    value = row_chart_value(rows)
    assert len(value["rows"]) == 28 and all(len(r) == 10 for r in value["rows"])
    np.testing.assert_allclose(value["rows"], rows, atol=0.5 * 10 ** -DECIMALS)
    assert len(json.dumps(value)) < 3000                # the SVG built on the server was 17-31 kB


def test_nothing_to_read_gives_empty_axes():
    assert row_chart_value(None) is None
