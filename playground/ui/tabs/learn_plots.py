"""The Learn tab's chart. Pure: a lesson's Demo (playground/analysis/lesson_demos.py) in, a Plotly figure out.

A Demo holds one or two panels of plain bars: symbols of one step (vertical bars, one colour per series,
e.g. T = 1 / 0.5 / 0.2 / 0) or whole outputs (horizontal bars, long labels on the left). Two panels sit
side by side with their own titles.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.ui.common import style
from playground.ui.common.style import base_layout, empty_figure, esc, f32

# one colour per series: the processing hues for distributions, then accents for comparisons
PALETTE = (style.C_T1, style.C_TEMP, style.C_FILTERED, style.C_CHOSEN, style.C_FINISHED)
SEQUENCE_COLORS = (style.C_KEPT, style.C_CHOSEN, "#94a3b8")
SINGLE = "#64748b"  # a one-series panel's bars (it has no legend entry)
HEIGHT = 400


def demo_figure(demo, title: str = "") -> go.Figure:
    """One subplot per panel, side by side."""
    if demo is None or not demo.panels:
        return empty_figure("pick a lesson above")
    n = len(demo.panels)
    horizontal = any(p.horizontal for p in demo.panels)
    # a horizontal panel's output labels sit on its left: room between panels only when it is not the first
    between = any(p.horizontal for p in demo.panels[1:])
    fig = make_subplots(rows=1, cols=n, subplot_titles=[esc(p.title) for p in demo.panels],
                        horizontal_spacing=0.32 if between else 0.16)
    rows = max(len(p.categories) for p in demo.panels)
    height = max(HEIGHT, 150 + 34 * rows) if horizontal else HEIGHT
    fig.update_layout(base_layout(esc(title) or "Live demonstration", height, barmode="group", bargap=0.25,
                                  bargroupgap=0.05))
    for col, panel in enumerate(demo.panels, start=1):
        _draw(fig, panel, col)
    fig.update_annotations(font_size=12)  # the subplot titles
    # the summary sentence sits next to the chart (tabs/learn.py); a one-series panel needs no legend
    fig.update_layout(margin=dict(l=10, r=30, t=80, b=10), legend=dict(y=1.1),
                      showlegend=any(len(p.series) > 1 for p in demo.panels))
    return fig


def _draw(fig: go.Figure, panel, col: int) -> None:
    colors = SEQUENCE_COLORS if panel.horizontal else PALETTE
    if len(panel.series) == 1 and not panel.horizontal:
        colors = (SINGLE,)  # not a colour of the legend's series: this panel's bars are none of them
    seen = {trace.name for trace in fig.data}
    idx = np.arange(len(panel.categories))
    labels = [esc(c) for c in panel.categories]
    for i, series in enumerate(panel.series):
        values = f32(series.values)
        # grouped vertical bars are narrow: label the first of at most two series (hover shows every value)
        labelled = panel.horizontal or (i == 0 and len(panel.series) <= 2)
        text = [_fmt(v, panel.counts) if labelled else "" for v in series.values]
        common = dict(name=esc(series.name), marker_color=colors[i % len(colors)], text=text, cliponaxis=False,
                      textposition="outside", textfont_size=10,
                      showlegend=series.name not in seen and len(panel.series) > 1,
                      legendgroup=series.name)
        if panel.horizontal:
            fig.add_bar(y=idx, x=values, orientation="h", row=1, col=col,
                        hovertemplate="%{x:.4g}<extra>" + esc(series.name) + "</extra>", **common)
        else:
            fig.add_bar(x=idx, y=values, row=1, col=col,
                        hovertemplate="%{y:.4g}<extra>" + esc(series.name) + "</extra>", **common)
    values = [v for s in panel.series for v in s.values] or [0.0]
    low, high = min(min(values), 0.0), max(max(values), 0.0)
    span = (high - low) or 1.0
    value_range = [low - 0.3 * span if low < 0 else 0, high + 0.25 * span if high > 0 else 0]
    if panel.horizontal:
        fig.update_yaxes(tickvals=idx, ticktext=labels, autorange="reversed", row=1, col=col)
        fig.update_xaxes(title_text=esc(panel.value_title), range=value_range, row=1, col=col)
    else:
        fig.update_xaxes(tickvals=idx, ticktext=labels, title_text=esc(panel.category_title), row=1, col=col)
        fig.update_yaxes(title_text=esc(panel.value_title), range=value_range, row=1, col=col)
        if 0 < panel.cut < len(panel.categories):
            fig.add_vline(x=panel.cut - 0.5, line_dash="dash", line_color="#6b7280", row=1, col=col,
                          annotation_text=f"cut-off: {panel.cut} kept", annotation_position="top right",
                          annotation_font_size=11)


def _fmt(v: float, counts: bool) -> str:
    """Bar labels: counts as integers; probabilities and log-probs with 2 decimals; none for a bar too small
    to see (a row of "0.00" labels would run into each other)."""
    if counts:
        return f"{v:.0f}"
    return "" if abs(v) < 0.005 else f"{v:.2f}"
