"""The Explore views as the page draws them: the whole figures, plus every step of the shown hypothesis.

Why the page draws them itself: Gradio's Plot re-mounts its chart for every new value (a fresh div, a full
``Plotly.newPlot``, then a resize), so a decode that changed five charts cost ~300 ms of drawing on top of
the server's answer, and a step move, which re-sent four figures, took 574 ms p50 (greedy) and 1235 ms
(beam 5) against a 150 ms target (benchmarks/browser.py, issue #6). Drawn with ``Plotly.react`` on the
existing charts instead, Plotly only updates what changed.

And a step move needs no server at all: the stored trace already holds every step, and of the four step
views only the step distribution really changes with the step; the attention map, the search tree and the
uncertainty chart keep their data and only move a mark. So each decode (and each hypothesis pick) sends:

- ``figures``: the five figures as rendered for the shown step (``shown``, 0-based), with a ``keys`` hash
  of each, so that the page redraws only the charts that changed;
- ``distribution``: the step distribution figure of every step of the shown hypothesis;
- ``marks``: for attention / tree / uncertainty, per step, only the layout keys that move (shapes and
  annotations), or None when that view draws no step mark (e.g. "no attention to show").

explore.js draws a new set with ``Plotly.react`` and, on a step move, draws that step's distribution
and relayouts the three marks. tests/test_ui_step_views.py checks that every step gives exactly the figures
the server renders for that step.
"""

from __future__ import annotations

import hashlib
import json

from playground.ui.common.style import f32, figure_json
from playground.ui.explore.attention import attention_marks
from playground.ui.explore.distribution import distribution_spec
from playground.ui.explore.selection import Selection
from playground.ui.explore.tree import tree_marks
from playground.ui.explore.uncertainty import uncertainty_marks

MARKED = ("attention", "tree", "uncertainty")  # the views whose step marks move (their data stay)


def step_views_json(sel: Selection, t: int, specs: dict) -> str:
    """The page's views for the selected hypothesis as the JSON string the page keeps: ``specs`` (name ->
    (data, layout), the five views rendered for step ``t``) sent whole, every step's distribution, and the step
    marks of the MARKED views that carry one. Every figure is written straight from its dicts
    (style.figure_json: what gr.Plot would receive, once parsed): building Figures was most of the cost."""
    n = sel.steps
    sent = {name: figure_json(*spec) for name, spec in specs.items()}
    # a key per figure: the page skips a chart whose figure is the one it shows (e.g. the attention map when
    # only the length penalty moved), as gr.Plot did by comparing the figure JSON
    keys = {name: hashlib.blake2b(text.encode(), digest_size=8).hexdigest() for name, text in sent.items()}
    marked = {name for name in MARKED if name in specs and specs[name][1].get("shapes")}
    if "attention" in marked:  # the heatmap's rows, as attention_spec reads them: (L, S)
        z = f32(sel.attention)
    marks = {"attention": lambda k: attention_marks(z, k), "tree": tree_marks, "uncertainty": uncertainty_marks}
    head = json.dumps({"steps": n, "hypothesis": sel.index, "shown": t, "keys": keys,
                       "marks": {name: [marks[name](k) for k in range(n)] if name in marked else None
                                 for name in MARKED}})
    whole = ",".join(f"{json.dumps(name)}:{text}" for name, text in sent.items())
    steps = ",".join(sent["distribution"] if k == t and "distribution" in sent
                     else figure_json(*distribution_spec(sel, k)) for k in range(n))
    return f'{head[:-1]},"figures":{{{whole}}},"distribution":[{steps}]}}'


def step_views(sel: Selection, t: int, specs: dict) -> dict:
    """step_views_json, parsed (tests, and anyone reading the views in Python)."""
    return json.loads(step_views_json(sel, t, specs))
