"""The views JSON each decode sends must reproduce, step by step, exactly what the server renders.

The page draws the Explore charts itself (explore.js): a new JSON's ``figures``, then on a step move
``distribution[t]`` and the ``marks`` of step t applied to the charts drawn for the shown step. So for every
step, that JSON must equal the figure the server renders for that step.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from helpers import TRACES, tiny_model, trace_of

from playground.ui.common.style import empty_spec, esc
from playground.ui.explore import charts
from playground.ui.explore.attention import attention_spec
from playground.ui.explore.handlers import Session, render_views
from playground.ui.explore.selection import Selection
from playground.ui.explore.step_views import step_views
from playground.ui.explore.tree import tree_spec
from playground.ui.explore.uncertainty import uncertainty_spec

MARKED = [chart.name for chart in charts.CHARTS if chart.marks]  # attention, tree, uncertainty


def as_json(fig) -> dict:
    return json.loads(fig.to_json())  # what gr.Plot sends for a figure


def floats(values) -> np.ndarray:
    """A trace's y values as plotly writes numpy arrays: {"dtype": "f4", "bdata": base64}."""
    return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])


@pytest.mark.parametrize("name", TRACES)
def test_every_step_equals_the_server_render_of_that_step(name):
    trace = trace_of(tiny_model(), "lead", **{"max_length": 8, **TRACES[name]})
    for hyp, shown in ((0, 0), (1, 2)):
        views = render_views(Session(trace=trace), hyp, shown)
        payload = json.loads(views.step_views)
        hyp, shown = payload["hypothesis"], payload["shown"]  # (clamped to the hypotheses and steps shown)
        # written from the specs without plotly, the figures are what plotly writes for them
        assert payload["figures"] == {chart.name: as_json(views.figure(chart.name)) for chart in charts.CHARTS}
        assert payload["steps"] == views.steps == len(payload["distribution"]) > 0
        for t in range(views.steps):  # what the page draws at step t = what the server renders for step t
            server = json.loads(render_views(Session(trace=trace), hyp, t).step_views)["figures"]
            for chart in charts.CHARTS:
                drawn = payload["figures"][chart.name]
                if chart.per_step and chart.name in payload:  # (else the same at every step: figures has it)
                    drawn = payload[chart.name][t]
                elif chart.marks and payload["marks"][chart.name] is not None:
                    drawn = {**drawn, "layout": {**drawn["layout"], **payload["marks"][chart.name][t]}}
                assert drawn == server[chart.name], (chart.name, t)


@pytest.mark.parametrize("name", ["greedy", "beam", "sample with filters"])
def test_each_steps_distribution_is_the_distribution_of_that_step(name):
    # against the trace itself, not the chart's code: step t's chart is titled t + 1, bolds the token taken
    # there and draws it at the probability the model gave it (the node's log p at T = 1)
    trace = trace_of(**TRACES[name])  # the colonel model: every output is several symbols long
    sel = Selection.of(trace)
    payload = json.loads(render_views(Session(trace=trace), 0, 0).step_views)
    assert len(payload["distribution"]) == sel.steps > 1
    for t, (ps, fig) in enumerate(zip(sel.path, payload["distribution"], strict=True)):
        assert fig["layout"]["title"]["text"].startswith(f"Step {t + 1} ·")
        bold = fig["layout"]["xaxis"]["ticktext"].index(f"<b>{esc(trace.target_symbols[ps.token])}</b>")
        model = next(bar for bar in fig["data"] if bar["name"] == "model, T=1")
        assert floats(model["y"])[bold] == pytest.approx(np.exp(trace.nodes[ps.node].log_prob), rel=1e-5)


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
    assert later["lens"] == first["lens"]  # an RNN: the lens chart says why it has none, whatever the step
