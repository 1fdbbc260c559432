"""playground.views: the page's figures for notebooks, the same ones the page draws, without gradio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest
from helpers import tiny_transformer, trace_of

from playground.ui.explore import charts
from playground.ui.explore.handlers import Session, render_views
from playground.views import figures

ROOT = Path(__file__).resolve().parents[1]


def test_every_chart_as_a_figure_in_page_order():
    figs = figures(trace_of(strategy="beam", beam_width=3, num_return=2))
    assert list(figs) == charts.names() and all(isinstance(f, go.Figure) for f in figs.values())
    assert figs["distribution"].layout.title.text.startswith("Step 1 ·")


@pytest.mark.parametrize("hypothesis, step", [(0, 1), (1, 3), (1, 99), (5, -2)])  # out of range: clamped
def test_the_figures_are_the_pages_for_the_same_picks(hypothesis, step):
    trace = trace_of(tiny_transformer(), "lead", strategy="beam", beam_width=3, num_return=2, max_length=6)
    for layer, head in ((None, None), (0, 1)):
        page = render_views(Session(trace=trace), hypothesis, step - 1, layer, head)  # the slider is 1-based
        figs = figures(trace, hypothesis=hypothesis, step=step, layer=layer, head=head)
        assert {name: json.loads(f.to_json()) for name, f in figs.items()} == \
            {name: json.loads(page.figure(name).to_json()) for name in charts.names()}
    assert "layer 1 of 2, head 2 of 2" in figures(trace, layer=0, head=1)["attention"].layout.title.text


def test_importing_the_views_leaves_gradio_out():
    code = "import sys, playground.views; assert 'gradio' not in sys.modules, 'gradio imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_the_logit_lens_chart_needs_the_model():
    from playground.analysis.logit_lens import LensSource

    model = tiny_transformer()
    trace = trace_of(model, "lead", strategy="beam", beam_width=3, num_return=2, max_length=6)
    assert figures(trace)["lens"].layout.annotations[0].text.startswith("Not computed")
    page = render_views(Session(trace=trace, lens=LensSource(model, trace.source)), 1, 2)
    lens = figures(trace, hypothesis=1, step=3, model=model)["lens"]
    assert json.loads(lens.to_json()) == json.loads(page.figure("lens").to_json())
    assert lens.layout.title.text.startswith("What each layer predicted · step 3")
