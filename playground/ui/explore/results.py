"""View 1: the results, one row per returned hypothesis with its raw log p and its ranking score."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.decoding.registry import STRATEGIES
from playground.ui.common import style
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.style import band, base_layout, empty_spec, esc, f32, figure
from playground.ui.explore.selection import BRANCH_MARK, Selection


def results_figure(sel: Selection) -> go.Figure:
    """View 1: one row per returned hypothesis, raw log-probability and the normalised (ranking) score."""
    return figure(*results_spec(sel))


def results_spec(sel: Selection) -> tuple[list[dict], dict]:
    """``results_figure``'s data and layout as plain dicts: the page's JSON is written from them without
    building a Figure (style.figure_json)."""
    trace, hyps, selected = sel.trace, sel.shown, sel.index
    if not hyps:
        return empty_spec("no hypothesis: the search returned nothing")
    arpabet, n, y = is_arpabet(trace.target_symbols), len(hyps), np.arange(len(hyps))
    labels, first = [], n if sel.branch_from is None else sel.branch_from
    for i, h in enumerate(hyps):
        number = f"{i + 1}." if i < first else f"{BRANCH_MARK} {i - first + 1}."  # a branch's outputs: ↳ 1., ...
        text = f"{number} {esc(readable(h.tokens, arpabet))}" + ("" if h.finished else " (cut)")
        labels.append(f"<b>{text}</b>" if i == selected else text)
    log_p, score = f32([h.log_prob for h in hyps]), f32([h.score for h in hyps])
    same = np.allclose(log_p, score, atol=1e-4)  # greedy / sampling rank by log p itself
    title = f"Results · {n} hypothes{'i' if n == 1 else 'e'}s, best first"
    height = min(max(150, 90 + (24 if same else 36) * n), 460)
    base = style.C_KEPT if same else "#94a3b8"
    colors = [base if i < first else style.C_BRANCH for i in range(n)]
    bars = [dict(type="bar", y=y, x=log_p, orientation="h", name="log p(y|x) = score" if same else "log p(y|x), raw",
                 marker=dict(color=colors), text=[f"{v:.2f}" for v in log_p],
                 textposition="outside", cliponaxis=False, customdata=f32(np.exp(log_p.astype(np.float64))),
                 hovertemplate="log p(y|x) = %{x:.3f}<br>p = %{customdata:.3g}<extra></extra>")]
    if not same:
        spec = STRATEGIES.get(trace.strategy)
        name = f"score ({spec.score if spec else 'search'})"
        bars.append(dict(type="bar", y=y, x=score, orientation="h", name=name, marker=dict(color=style.C_KEPT),
                         text=[f"{v:.2f}" for v in score], textposition="outside", cliponaxis=False,
                         hovertemplate=name + " = %{x:.3f}<extra></extra>"))
    low = float(min(log_p.min(), score.min(), 0.0))
    layout = base_layout(title, height, barmode="group", bargap=0.25, showlegend=not same,
                         xaxis=dict(title=dict(text="nats (0 = certain; further left = less likely)"),
                                    range=[low * 1.25 - 0.3, 0]),
                         yaxis=dict(tickvals=y, ticktext=labels, autorange="reversed", showgrid=False,
                                    title=dict(text="hypothesis")))
    if 0 <= selected < n:
        layout["shapes"] = [band(selected - 0.5, selected + 0.5, axis="y", across="x")]
    return bars, layout
