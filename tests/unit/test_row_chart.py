"""The Sketch tab's row-by-row chart: the numbers the server sends (the browser test checks the drawing)."""

import json

import numpy as np

from rnn_demo.ui.sketch.views import DECIMALS, row_chart_value


def test_the_value_is_the_rows_rounded_and_small():
    rows = np.random.default_rng(0).dirichlet(np.ones(10), size=28)
    value = row_chart_value(rows)
    assert len(value["rows"]) == 28 and all(len(r) == 10 for r in value["rows"])
    np.testing.assert_allclose(value["rows"], rows, atol=0.5 * 10 ** -DECIMALS)
    assert len(json.dumps(value)) < 3000                # the SVG built on the server was 17-31 kB


def test_the_answer_is_the_labels_even_when_rounding_ties_and_nan_draws_as_zero():
    last = np.zeros(10)
    last[[4, 9]] = 0.50004, 0.49996                     # both 0.5 once rounded
    rows = np.vstack([np.full((27, 10), np.nan), last])
    value = row_chart_value(rows)
    assert value["answer"] == 4 and value["rows"][-1][4] == value["rows"][-1][9] == 0.5
    assert value["rows"][0] == [0.0] * 10               # NaN (a diverged model) -> 0, valid JSON
    json.dumps(value, allow_nan=False)


def test_nothing_to_read_sends_none():
    assert row_chart_value(None) is None
