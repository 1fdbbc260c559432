"""The Explore views as the page draws them: the whole figures, plus every step of the shown hypothesis.

Why the page draws them itself: Gradio's Plot re-mounts its chart for every new value (a fresh div, a full
``Plotly.newPlot``, then a resize), so a decode that changed five charts cost ~300 ms of drawing on top of
the server's answer, and a step move, which re-sent four figures, took 574 ms p50 (greedy) and 1235 ms
(beam 5) against a 150 ms target (benchmarks/browser.py, issue #6). Drawn with ``Plotly.react`` on the
existing charts instead, Plotly only updates what changed.

And a step move needs no server at all: the stored trace already holds every step, and of the step views only
the step distribution really changes with the step; the attention map, the search tree and the uncertainty
chart keep their data and only move a mark. The chart registry (charts.py) says which is which, so each decode
(and each hypothesis pick) sends:

- ``figures``: every chart as rendered for the shown step (``shown``, 0-based), with a ``keys`` hash of each,
  so that the page redraws only the charts that changed;
- for each ``per_step`` chart (the step distribution, the logit lens), under its name: its figure at every step of
  the shown hypothesis, unless that figure is the same at every step (the lens of a model that has none): then only
  ``figures`` holds it, and the page keeps it as it keeps a chart without a step;
- ``marks``: for each chart with ``marks`` (attention / tree / uncertainty), per step, only the layout keys that
  move (shapes and annotations), or None when that view draws no step mark (e.g. "no attention to show").

explore.js draws a new set with ``Plotly.react`` and, on a step move, draws that step's figure of each
per-step chart and relayouts the marks. tests/test_ui_step_views.py checks that every step gives exactly the
figures the server renders for that step.
"""

from __future__ import annotations

import hashlib
import json

from playground.ui.common.style import figure_json
from playground.ui.explore import charts
from playground.ui.explore.selection import Selection


def step_views_json(sel: Selection, t: int, specs: dict) -> str:
    """The page's views for the selected hypothesis as the JSON string the page keeps: ``specs`` (name ->
    (data, layout), the charts rendered for step ``t``) sent whole, every step of the per-step charts, and the
    step marks of the charts that carry one. Every figure is written straight from its dicts
    (style.figure_json: what gr.Plot would receive, once parsed): building Figures was most of the cost."""
    n = sel.steps
    sent = {name: figure_json(*spec) for name, spec in specs.items()}
    # a key per figure: the page skips a chart whose figure is the one it shows (e.g. the attention map when
    # only the length penalty moved), as gr.Plot did by comparing the figure JSON
    keys = {name: hashlib.blake2b(text.encode(), digest_size=8).hexdigest() for name, text in sent.items()}
    marks = {chart.name: [chart.marks(sel, k) for k in range(n)]
             if chart.name in specs and specs[chart.name][1].get("shapes") else None
             for chart in charts.CHARTS if chart.marks}
    head = json.dumps({"steps": n, "hypothesis": sel.index, "shown": t, "keys": keys, "marks": marks})
    whole = ",".join(f"{json.dumps(name)}:{text}" for name, text in sent.items())
    stepped = ""
    for chart in (chart for chart in charts.CHARTS if chart.per_step):
        figs = every_step(chart, sel, t, sent.get(chart.name))
        if len(figs) < 2 or len(set(figs)) > 1:  # (the same figure at every step: ``figures`` has it)
            stepped += f",{json.dumps(chart.name)}:[{','.join(figs)}]"
    return f'{head[:-1]},"figures":{{{whole}}}{stepped}}}'


def every_step(chart: charts.Chart, sel: Selection, t: int, shown: str | None) -> list[str]:
    """The figures of a per-step chart at steps 0..n-1; ``shown`` is its figure at step t when already written."""
    return [shown if k == t and shown is not None else figure_json(*chart.spec(sel, k)) for k in range(sel.steps)]


def step_views(sel: Selection, t: int, specs: dict) -> dict:
    """step_views_json, parsed (tests, and anyone reading the views in Python)."""
    return json.loads(step_views_json(sel, t, specs))
