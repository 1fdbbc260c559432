"""The Explore page's figures for notebooks and scripts: a trace in, plotly Figures out.

    from playground import load_model, decode, DecodeConfig
    from playground.views import figures
    model = load_model("checkpoints/g2p-bahdanau")
    figs = figures(decode(model, "colonel", DecodeConfig(strategy="beam")).trace)
    figs["tree"].show()  # Jupyter shows a Figure inline; figs["attention"].write_html("a.html") saves one

The figures are the page's own (the chart registry, playground/ui/explore/charts.py), drawn from the trace alone:
no server, and no gradio is imported. Only the logit lens chart ("lens") needs the model too: pass it as ``model``.
"""

from __future__ import annotations

import plotly.graph_objects as go

from playground.analysis.logit_lens import LensSource
from playground.decoding.trace import Trace
from playground.ui.common.style import figure
from playground.ui.explore import charts
from playground.ui.explore.lens import with_lens
from playground.ui.explore.selection import Selection


def figures(trace: Trace, hypothesis: int = 0, step: int = 1, layer: int | None = None,
            head: int | None = None, model=None) -> dict[str, go.Figure]:
    """Every Explore chart for ``trace``, by name in page order ("results", "distribution", "attention", "tree",
    "uncertainty", "lens"), as the page draws it for these picks:

    - ``hypothesis``: which returned hypothesis the views follow (0 = the best);
    - ``step``: the output position shown, 1-based like the page's step slider;
    - ``layer``, ``head``: the cross-attention the heatmap shows (0-based; default: the last layer, the mean of
      its heads);
    - ``model``: the model that decoded ``trace``, for what each layer predicted ("lens", the logit lens; without
      it that chart says it was not computed).

    Out-of-range values are clamped to what the trace holds, as on the page.
    """
    sel = Selection.of(trace, hypothesis, layer, head)
    if model is not None:
        sel = with_lens(sel, LensSource(model, trace.source))
    return {name: figure(*spec) for name, spec in charts.specs(sel, sel.clamp(step - 1)).items()}
