"""The Compare tab's views. Pure: a Comparison (playground/analysis/compare.py) in, a figure or HTML out.

- ``diff_figure``: the columns' top outputs aligned symbol by symbol, differing positions in orange;
- ``column_figure``: one column's compact internals: where the decoder looked for each symbol of its top
  output (attention, left) next to how probable that symbol was (a p(symbol) strip, right), one row each;
- ``outputs_html``: a column's outputs with log p and score, the top one's differing symbols marked.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.analysis.alternatives import alternatives
from playground.ui.common import style
from playground.ui.common.labels import is_arpabet, readable, unique_labels
from playground.ui.common.style import base_layout, empty_figure, esc, f32
from playground.ui.explore.tokens import hover_text

C_SAME, C_DIFF, C_GAP = "#e5e7eb", "#fdba74", "#ffffff"  # aligned cells: agree, differ, nothing there


def diff_figure(comparison) -> go.Figure:
    """Rows = columns, x = aligned positions; cells show each column's symbol, orange where they differ."""
    al = comparison.alignment
    labels = [f"{i + 1}. {esc(c.label)}" for i, c in enumerate(comparison.columns)]
    width = len(al.differs)
    if width == 0:
        return empty_figure("every column's top output is empty", height=160)
    # z: 0 = agree, 1 = differ, 2 = gap (a symbol the other columns have and this one lacks)
    z = np.array([[2 if s is None else int(d) for s, d in zip(row, al.differs, strict=True)]
                  for row in al.rows], dtype=np.int8)  # (C, J)
    text = [["–" if s is None else esc(s) for s in row] for row in al.rows]
    n_diff = sum(al.differs)
    title = ("All columns agree on the top output" if al.agree else
             f"Top outputs aligned · {n_diff} of {width} position{'s' * (width != 1)} differ (orange)")
    height = 96 + 40 * len(al.rows)
    fig = go.Figure(layout=base_layout(title, height))
    fig.add_heatmap(z=z, x=np.arange(1, width + 1, dtype=np.int16), y=labels, text=text,
                    texttemplate="%{text}", textfont=dict(size=14), zmin=0, zmax=2, showscale=False,
                    colorscale=[[0, C_SAME], [0.33, C_SAME], [0.33, C_DIFF], [0.67, C_DIFF], [0.67, C_GAP],
                                [1, C_GAP]], xgap=2, ygap=2,
                    hovertemplate="%{y}<br>position %{x}: %{text}<extra></extra>")
    fig.update_xaxes(title_text="aligned position (– = no symbol there)", dtick=1, side="bottom")
    fig.update_yaxes(autorange="reversed", showgrid=False, title_text="")
    return fig


def column_figure(column, marks=None) -> go.Figure:
    """Attention map of the column's top output (rows = output symbols, columns = source symbols) and,
    sharing its rows, p(symbol | prefix) at T=1 as bars; ``marks`` (one bool per output symbol, </s>
    excluded) colours the symbols where the columns differ."""
    steps, attention = column.steps, f32(column.attention)  # (L,), (L, S)
    trace = column.trace  # a decoder-only model's attention is over its context: the prompt, then what it fed
    source = trace.context_keys(trace.hypotheses[0].node) if trace.context and trace.hypotheses else trace.source
    if not steps or attention.size == 0:
        return empty_figure("no output to show", height=260)
    marks = list(marks or []) + [False] * (len(steps) - len(marks or []))
    rows = [f"<span style='color:{style.C_CHOSEN}'><b>{t + 1}·{esc(s)}</b></span>" if marks[t]
            else f"{t + 1}·{esc(s)}" for t, s in enumerate(steps)]
    y = np.arange(len(steps), dtype=np.int16)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.7, 0.3], horizontal_spacing=0.04)
    height = int(min(max(130 + 22 * len(steps), 280), 560))
    fig.update_layout(base_layout("Attention · p(symbol)", height, showlegend=False))
    fig.add_heatmap(z=attention, x=unique_labels([esc(s) for s in source]), y=y, colorscale="Blues", zmin=0,
                    zmax=float(max(attention.max(), 1e-6)), showscale=False, xgap=1, ygap=1, row=1, col=1,
                    customdata=[[r] * len(source) for r in rows],
                    hovertemplate="output %{customdata} ← %{x}<br>attention %{z:.3f}<extra></extra>")
    p_model = f32(column.p_model)
    p_filtered = [np.nan if p is None else p for p in column.p_filtered]
    alts = alternatives(trace, trace.hypotheses[0])[:len(steps)]  # the top output's, as the page's token strip
    fig.add_bar(x=p_model, y=y, orientation="h", marker_color=style.C_KEPT, row=1, col=2,
                text=[f"{p:.2f}" for p in p_model], textposition="auto", insidetextanchor="end", cliponaxis=False,
                textfont=dict(size=10), customdata=f32(p_filtered), hovertext=[hover_text(a) for a in alts],
                hovertemplate="%{hovertext}<extra></extra>")
    fig.update_xaxes(type="category", side="top", tickfont=dict(size=12), row=1, col=1,
                     title_text="context: prompt | what was fed" if trace.context else "source",
                     title_standoff=2)
    fig.update_xaxes(range=[0, 1.0], side="top", tickvals=[0, 0.5, 1], title_text="p(symbol)", row=1, col=2,
                     title_standoff=2)
    fig.update_yaxes(tickvals=y, ticktext=rows, autorange="reversed", showgrid=False, row=1, col=1)
    fig.update_yaxes(autorange="reversed", showgrid=False, row=1, col=2)
    fig.update_layout(margin=dict(l=10, r=10, t=86, b=10))
    return fig


def outputs_html(column, marks=None) -> str:
    """The column's outputs, best first, each with log p and the score it was ranked by; the top output's
    symbols that differ from another column's are highlighted."""
    arpabet = is_arpabet(column.trace.target_symbols)
    joiner = " " if arpabet else ""
    lines = []
    for i, out in enumerate(column.outputs):
        if i == 0 and marks is not None and any(marks):
            body = joiner.join(f"<mark class='cmp-diff'>{esc(s)}</mark>" if m else esc(s)
                               for s, m in zip(out.tokens, marks, strict=False)) or "(empty)"
        else:
            body = esc(joiner.join(out.tokens)) or "(empty)"
        ipa = readable(out.tokens, True).partition("/")[2] if arpabet and out.tokens else ""
        cut = "" if out.finished else " <i>(cut at max length)</i>"
        score = "" if abs(out.score - out.log_prob) < 1e-4 else f" · score {out.score:.2f}"
        lines.append(f"<li><span class='cmp-out'>{body}</span>{' /' + esc(ipa) if ipa else ''}{cut}"
                     f"<br><span class='cmp-num'>log p {out.log_prob:.2f} · p {np.exp(out.log_prob):.3g}"
                     f"{score}</span></li>")
    return f"<div class='cmp-column'><b>{esc(column.label)}</b><ol>{''.join(lines)}</ol></div>"
