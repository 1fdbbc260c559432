"""The views JSON each decode sends must reproduce, step by step, exactly what the server renders.

The page draws the Explore charts itself (explore.js): a new JSON's ``figures``, then on a step move
``distribution[t]`` and the ``marks`` of step t applied to the charts drawn for the shown step. So for every
step, that JSON must equal the figure the server renders for that step.
"""

from __future__ import annotations

import json

import pytest
from helpers import TRACES, tiny_model, trace_of

from playground.ui.common.style import empty_spec
from playground.ui.explore import charts
from playground.ui.explore.attention import attention_figure, attention_spec
from playground.ui.explore.distribution import distribution_figure
from playground.ui.explore.handlers import Session, render_views
from playground.ui.explore.selection import Selection
from playground.ui.explore.step_views import step_views
from playground.ui.explore.tree import tree_figure, tree_spec
from playground.ui.explore.uncertainty import uncertainty_figure, uncertainty_spec

FIGURES = charts.names()  # sent whole
MARKED = [chart.name for chart in charts.CHARTS if chart.marks]
STEPPED = {"attention": attention_figure, "tree": tree_figure, "uncertainty": uncertainty_figure}


def as_json(fig) -> dict:
    return json.loads(fig.to_json())  # what gr.Plot sends for a figure


@pytest.mark.parametrize("name", TRACES)
def test_every_step_equals_the_server_render_of_that_step(name):
    trace = trace_of(tiny_model(), "lead", **{"max_length": 8, **TRACES[name]})
    for hyp, shown in ((0, 0), (1, 2)):
        views = render_views(Session(trace=trace), hyp, shown)
        payload = json.loads(views.step_views)
        hyp, shown = payload["hypothesis"], payload["shown"]  # (clamped to the hypotheses and steps shown)
        assert payload["figures"] == {name: as_json(views.figure(name)) for name in FIGURES}
        assert payload["steps"] == views.steps == len(payload["distribution"]) > 0
        for name in FIGURES:  # written from the specs, the figures are what plotly writes for them
            assert payload["figures"][name] == as_json(views.figure(name)), name
        for t in range(views.steps):
            assert payload["distribution"][t] == as_json(distribution_figure(Selection.of(trace, hyp), t))
            for view in MARKED:
                drawn = payload["figures"][view]["layout"]
                moved = {**drawn, **payload["marks"][view][t]}  # Plotly.relayout replaces these keys whole
                assert moved == as_json(STEPPED[view](Selection.of(trace, hyp), t))["layout"], (view, t)


def test_the_marks_move_where_the_step_is():
    trace = trace_of(strategy="beam", beam_width=3)  # the trained colonel model: attention is peaked
    sel = Selection.of(trace)
    specs = {"attention": attention_spec(sel, 0), "tree": tree_spec(sel, 0), "uncertainty": uncertainty_spec(sel, 0)}
    payload = step_views(sel, 0, specs)
    marks, steps = payload["marks"], payload["steps"]
    assert [(m["shapes"][0]["y0"], m["shapes"][0]["y1"]) for m in marks["attention"]] == \
        [(t - 0.5, t + 0.5) for t in range(steps)]
    assert [m["shapes"][0]["x0"] for m in marks["tree"]] == pytest.approx([t - 0.45 for t in range(steps)])
    assert all(len(m["shapes"]) == 3 for m in marks["uncertainty"])  # one band per row
    titles = [d["layout"]["title"]["text"] for d in payload["distribution"]]
    assert [s.split(" ·")[0] for s in titles] == [f"Step {t + 1}" for t in range(steps)]


def test_a_view_without_a_step_mark_gets_nothing_to_move():
    sel = Selection.of(trace_of(strategy="greedy"))
    specs = {"attention": empty_spec("no attention to show"), "tree": tree_spec(sel, 0),
             "uncertainty": uncertainty_spec(sel, None)}  # (no step given: no band)
    marks = step_views(sel, 0, specs)["marks"]
    assert marks["attention"] is None and marks["uncertainty"] is None and len(marks["tree"]) > 1


def test_a_figure_keeps_its_key_until_it_changes():
    # the page redraws only charts whose key changed: equal figures must give equal keys, and any change a new one
    trace = trace_of(strategy="beam", beam_width=3)
    first, again, later = (json.loads(render_views(Session(trace=trace), 0, t).step_views)["keys"] for t in (0, 0, 2))
    assert first == again
    assert later["results"] == first["results"]  # no per-step data
    assert all(later[name] != first[name] for name in ("distribution", *MARKED))
