"""The step views shipped with each decode must reproduce, step by step, exactly what the server renders.

The page moves the step slider without the server (step_views.js): it draws ``distribution[t]`` and applies
``attention[t]`` / ``tree[t]`` / ``uncertainty[t]`` to the charts rendered for step 1. So for every step,
that JSON must equal the figure the server would have sent for that step.
"""

from __future__ import annotations

import json

import pytest
from test_ui_figures_valid import TRACES
from test_ui_plots import trace_of

from playground.ui.handlers import Session, render_views
from playground.ui.heatmap import attention_figure
from playground.ui.plots import distribution_figure, uncertainty_figure
from playground.ui.step_views import MARKED, has_step_mark, step_views
from playground.ui.style import empty_figure
from playground.ui.tree import tree_figure
from tests.conftest import tiny_model

FIGURES = {"attention": attention_figure, "tree": tree_figure, "uncertainty": uncertainty_figure}


def as_json(fig) -> dict:
    return json.loads(fig.to_json())  # what gr.Plot sends for a figure


@pytest.mark.parametrize("name", TRACES)
def test_every_step_equals_the_server_render_of_that_step(name):
    trace = trace_of(tiny_model(), "lead", **{"max_length": 8, **TRACES[name]})
    for hyp in (0, 1):
        views = render_views(Session(trace=trace), hyp, 0)  # the page opens a decode at step 1
        payload = json.loads(views.step_views)
        hyp = payload["hypothesis"]  # (clamped to the hypotheses shown)
        assert payload["steps"] == views.steps == len(payload["distribution"]) > 0
        for t in range(views.steps):
            assert payload["distribution"][t] == as_json(distribution_figure(trace, hyp, t))
            for view in MARKED:
                shown = as_json(FIGURES[view](trace, hyp, 0))["layout"]
                moved = {**shown, **payload[view][t]}  # Plotly.relayout replaces these keys whole
                assert moved == as_json(FIGURES[view](trace, hyp, t))["layout"], (view, t)


def test_the_marks_move_where_the_step_is():
    trace = trace_of(strategy="beam", beam_width=3)  # the trained colonel model: attention is peaked
    payload = step_views(trace, 0, dict.fromkeys(MARKED, True))
    box = [m["shapes"][0] for m in payload["attention"]]
    assert [(b["y0"], b["y1"]) for b in box] == [(t - 0.5, t + 0.5) for t in range(payload["steps"])]
    assert [m["shapes"][0]["x0"] for m in payload["tree"]] == pytest.approx(
        [t - 0.45 for t in range(payload["steps"])])
    assert all(len(m["shapes"]) == 3 for m in payload["uncertainty"])  # one band per row
    titles = [d["layout"]["title"]["text"] for d in payload["distribution"]]
    assert [s.split(" ·")[0] for s in titles] == [f"Step {t + 1}" for t in range(payload["steps"])]


def test_a_view_without_a_step_mark_gets_nothing_to_move():
    trace = trace_of(strategy="greedy")
    payload = step_views(trace, 0, {"attention": False, "tree": True, "uncertainty": False})
    assert payload["attention"] is None and payload["uncertainty"] is None and payload["tree"]
    assert not has_step_mark(empty_figure("no attention to show"))
    assert has_step_mark(tree_figure(trace, 0, 0)) and not has_step_mark(tree_figure(trace, 0, None))

