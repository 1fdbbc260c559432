"""The views skip plotly's validation for speed (style.figure): prove here that nothing invalid hides there.

For every figure the page builds, over traces of every kind, full validation (``go.Figure(fig.to_dict())``)
must accept it and serialise it to the very JSON the fast figure sends: an unknown property or a bad value
raises, and anything validation would have rewritten (e.g. a named colour scale) shows up as a difference.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from helpers import TRACES, tiny_model, trace_of
from plotly.subplots import make_subplots

from playground.ui.common.style import empty_figure, figure
from playground.ui.explore.uncertainty import ROW_GAP, ROW_HEIGHTS, stacked_domains
from playground.views import figures


def assert_valid(fig: go.Figure) -> None:
    validated = go.Figure(fig.to_dict())  # raises ValueError on any property plotly does not know
    assert json.loads(validated.to_json()) == json.loads(fig.to_json())


@pytest.mark.parametrize("name", TRACES)
@pytest.mark.parametrize("model", ["colonel", "tiny"])
def test_every_view_passes_full_validation_unchanged(name, model):
    trace = trace_of(tiny_model(), "lead", **{"max_length": 8, **TRACES[name]}) if model == "tiny" \
        else trace_of(**TRACES[name])
    for hyp, t in ((0, 0), (1, 2), (2, 99)):  # a step past the end, a hypothesis that may not exist
        for fig in figures(trace, hyp, t + 1).values():  # every registered chart (explore/charts.py)
            assert_valid(fig)


def test_placeholders_and_the_widest_tree_pass_full_validation():
    assert_valid(empty_figure("no <s> here"))
    trace = trace_of(tiny_model(), "worcestershire", strategy="beam", beam_width=16, max_length=64, num_return=16)
    for fig in figures(trace, 0, 6).values():  # pruned leaves left out of the tree
        assert_valid(fig)


def test_the_check_catches_what_skipping_validation_would_let_through():
    with pytest.raises(ValueError):
        assert_valid(figure([{"type": "bar", "x": [1], "colour": "red"}], {}))  # misspelt property
    with pytest.raises(ValueError):
        assert_valid(figure([{"type": "bar", "x": [1], "opacity": "high"}], {}))  # a value of the wrong kind
    with pytest.raises(AssertionError):
        assert_valid(figure([{"type": "heatmap", "z": [[1]], "colorscale": "Blues"}], {}))  # plotly.js's Blues


def test_uncertainty_rows_sit_where_make_subplots_put_them():
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=ROW_GAP, row_heights=list(ROW_HEIGHTS))
    assert stacked_domains() == [list(fig.layout[f"yaxis{r}"].domain) for r in ("", "2", "3")]
