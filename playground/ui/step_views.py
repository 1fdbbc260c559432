"""Every step of one hypothesis at once, so that the step slider moves in the browser alone.

Why: a step move used to be a server event that re-sent four figures, and Gradio's Plot draws each new
value twice (``Plotly.react``, then ``Plots.resize``): 574 ms p50 per move for greedy and 1235 ms for
beam 5 (benchmarks/browser.py, issue #6), against a 150 ms target. Yet the stored trace already holds
every step, and of the four views only the step distribution really changes with the step: the
attention map, the search tree and the uncertainty chart keep their data and only move a mark.

So each decode (and each hypothesis pick) also ships, for the selected hypothesis:

- ``distribution``: the full figure of every step (plotly JSON, as gr.Plot would receive it);
- ``attention`` / ``tree`` / ``uncertainty``: per step, only the layout keys that move (shapes and
  annotations), or None when that view draws no step mark (e.g. "no attention to show").

step_views.js applies them with the page's own Plotly: one ``react`` for the distribution and one cheap
``relayout`` per other chart, no server round trip. tests/test_ui_step_views.py checks that this gives
exactly the figures the server renders for that step.
"""

from __future__ import annotations

from pathlib import Path

from plotly.io.json import to_json_plotly

from playground.ui.heatmap import attention_marks
from playground.ui.paths import hypothesis_path
from playground.ui.plots import distribution_figure, uncertainty_marks
from playground.ui.style import f32
from playground.ui.tree import tree_marks

MARKED = ("attention", "tree", "uncertainty")  # the views whose step marks move (their data stay)
# the step slider's js-only event handler (wiring.py): (step, step views JSON) -> draws in the page
STEP_JS = (Path(__file__).with_name("step_views.js")).read_text(encoding="utf-8")


def step_views(trace, hyp: int, marked: dict[str, bool]) -> dict:
    """Per-step views of hypothesis ``hyp``. ``marked[name]`` says whether that view, as rendered, carries a
    step mark (an empty-state figure has none, so there is nothing to move)."""
    path = hypothesis_path(trace, hyp)
    n = len(path)
    out: dict = {"steps": n, "hypothesis": hyp,
                 "distribution": [distribution_figure(trace, hyp, t).to_plotly_json() for t in range(n)]}
    if marked.get("attention"):  # the heatmap's rows, as attention_figure reads them: (L, S)
        z = f32(trace.attention_path(trace.hypotheses[min(max(hyp, 0), len(trace.hypotheses) - 1)].node))
    marks = {"attention": lambda t: attention_marks(z, t), "tree": tree_marks, "uncertainty": uncertainty_marks}
    for name in MARKED:
        out[name] = [marks[name](t) for t in range(n)] if marked.get(name) else None
    return out


def step_views_json(trace, hyp: int, marked: dict[str, bool]) -> str:
    """step_views as the JSON string the page keeps (numpy arrays as plotly's base64 typed arrays)."""
    return to_json_plotly(step_views(trace, hyp, marked))


def has_step_mark(fig) -> bool:
    """Whether a rendered figure carries a step mark (its layout has shapes)."""
    return bool(fig.to_plotly_json()["layout"].get("shapes"))
