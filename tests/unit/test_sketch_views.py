"""The Sketch tab's row-by-row chart: an inline SVG the browser draws without a plot library."""

import re

import numpy as np

from rnn_demo.ui.sketch_views import CHART_H, DIGIT_COLOURS, TOP, rows_svg


def test_the_chart_has_a_line_per_digit_in_its_colour_the_answer_on_top_and_tooltips():
    rows = np.full((28, 10), 0.01)
    rows[:, 3] = np.linspace(0.1, 0.9, 28)          # a 3 that settles
    svg = rows_svg(rows)
    lines = re.findall(r'<polyline data-digit="(\d)" points="([^"]+)" fill="none" stroke="([^"]+)"', svg)
    assert [d for d, _, _ in lines][-1] == "3" and len(lines) == 10
    assert all(colour == DIGIT_COLOURS[d] for d, _, colour in lines)
    three = [tuple(map(float, p.split(","))) for p in lines[-1][1].split()]
    assert len(three) == 28 and three[0][0] < three[-1][0]                    # rows left to right
    assert three[0][1] > three[-1][1]                   # rising probability: up the chart (y falls)
    assert "<title>row 28: 3 at 90%</title>" in svg
    assert "row 5: 7" not in svg                         # no hover targets for a 1% line


def test_no_drawing_gives_empty_axes_and_probabilities_map_inside_the_plot():
    empty = rows_svg(None)
    assert "<polyline" not in empty and "rows read (top to bottom)" in empty
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', rows_svg(np.eye(10)[[2] * 28]))]
    assert ys and min(ys) >= TOP and max(ys) <= CHART_H
