"""The What-if tab's charts. Pure: reports from playground/analysis/whatif.py in, Plotly figures out.

* ``token_figure``: one bar per output position, the probability of the symbol taken (typed, forced or
  chosen) with its rank; a position where the model preferred another symbol names that symbol.
* ``log_prob_figure``: total log p(y|x) of several outputs side by side (your target, greedy, beam,
  exact search, the dictionary), with ✓ / ✗ for "is a dictionary answer".
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.style import base_layout, empty_figure, esc, f32

C_FORCED = "#9ca3af"  # positions the user forced (prefix)
C_OFF_TOP = style.C_CHOSEN  # the symbol taken was not the model's favourite there
HEIGHT = 340


def token_figure(steps, title: str) -> go.Figure:
    """steps: TokenStep list (whatif.py). Bars: p(symbol | prefix, x) at T = 1, labelled with the rank."""
    if not steps:
        return empty_figure("nothing to show")
    x = np.arange(len(steps))
    probs = f32([s.prob for s in steps])
    colors = [C_FORCED if s.forced else style.C_KEPT if s.rank == 0 else C_OFF_TOP for s in steps]
    labels = [f"{s.prob:.2f}<br>rank {s.rank + 1}" + ("" if s.rank == 0 else f"<br>top: {esc(s.top_symbol)}")
              for s in steps]  # off the model's favourite: name the favourite
    hover = [f"{esc(s.symbol)}: p = {s.prob:.3g}, rank {s.rank + 1}" + (" (forced)" if s.forced else "")
             + ("" if s.rank == 0 else f"<br>the model's top: {esc(s.top_symbol)} ({s.top_prob:.2f})")
             for s in steps]
    fig = go.Figure(layout=base_layout(title, HEIGHT, showlegend=False, bargap=0.3))
    fig.add_bar(x=x, y=probs, marker_color=colors, text=labels, textposition="outside", cliponaxis=False,
                hovertext=hover, hoverinfo="text")
    ticks = [f"{i + 1}<br><b>{esc(s.symbol)}</b>" for i, s in enumerate(steps)]
    fig.update_xaxes(tickvals=x, ticktext=ticks, title_text="output position · symbol")
    fig.update_yaxes(title_text="p(symbol | prefix, input)", range=[0, 1.35], tickvals=[0, 0.25, 0.5, 0.75, 1])
    legend = [("rank 1: the model's favourite", style.C_KEPT), ("lower rank", C_OFF_TOP)]
    if any(s.forced for s in steps):
        legend.append(("forced (prefix)", C_FORCED))
    key = " · ".join(f"<span style='color:{c}'>■</span> {t}" for t, c in legend)
    fig.update_layout(title_subtitle_text=key, title_subtitle_font_size=11, margin_t=62)
    return fig


def log_prob_figure(candidates, title: str, highlight: str = "your target") -> go.Figure:
    """Horizontal bars of total log p(y|x) (0 = certain), one per Candidate, most probable first."""
    if not candidates:
        return empty_figure("nothing to compare")
    rows = sorted(candidates, key=lambda c: -c.log_prob)
    arpabet = is_arpabet([t for c in rows for t in c.tokens])
    mark = {True: " ✓", False: " ✗", None: ""}
    labels = [f"{'<b>' if c.label == highlight else ''}{esc(c.label)}: {esc(readable(c.tokens, arpabet, 40))}"
              f"{mark[c.correct]}{'</b>' if c.label == highlight else ''}" for c in rows]
    log_p = f32([c.log_prob for c in rows])
    colors = [style.C_CHOSEN if c.label == highlight else style.C_FINISHED if c.label.startswith("exact")
              else "#94a3b8" if c.label == "dictionary" else style.C_KEPT for c in rows]
    y = np.arange(len(rows))
    fig = go.Figure(layout=base_layout(title, min(120 + 44 * len(rows), 420), showlegend=False, bargap=0.3))
    # a value goes inside its bar when it fits there and outside (left of the bar) otherwise: placed outside, a
    # long bar's value would run into the outputs' labels when those take much of the width
    fig.add_bar(y=y, x=log_p, orientation="h", marker_color=colors, cliponaxis=False, textposition="auto",
                text=[f"{v:.3f} (p = {math.exp(max(float(v), -745)):.2g})" for v in log_p],
                hovertemplate="log p(y|x) = %{x:.4f}<extra></extra>")
    low = float(min(log_p.min(), 0.0))
    fig.update_xaxes(title_text="log p(y|x), nats (0 = certain)",
                     range=[low * 1.6 - 0.6, 0])
    fig.update_yaxes(tickvals=y, ticktext=labels, autorange="reversed", title_text="")
    if any(c.correct is not None for c in rows):
        fig.update_layout(title_subtitle_text="✓ = a dictionary (CMUdict) answer, ✗ = not",
                          title_subtitle_font_size=11, margin_t=62)
    return fig

