"""View 3: attention of the selected hypothesis, output steps (rows) x source symbols (columns)."""

from __future__ import annotations

import plotly.colors
import plotly.graph_objects as go

from playground.ui.common.labels import unique_labels
from playground.ui.common.style import C_CHOSEN, base_layout, empty_spec, esc, f32, figure
from playground.ui.explore.selection import Selection

# plotly.py's "Blues" spelled out, as its validation would: plotly.js has its own, different "Blues"
BLUES = tuple((k / 8, c) for k, c in enumerate(plotly.colors.sequential.Blues))  # read-only module table


def attention_figure(sel: Selection, t: int | None = None) -> go.Figure:
    """Heatmap of the selection's attention: row j = where the decoder looked while producing token j."""
    return figure(*attention_spec(sel, t))


def attention_spec(sel: Selection, t: int | None = None) -> tuple[list[dict], dict]:
    """``attention_figure``'s data and layout as plain dicts: the page's JSON is written from them without
    building a Figure (style.figure_json)."""
    trace, path = sel.trace, sel.path
    if not path or not trace.source:
        return empty_spec("no attention to show")
    z, which = f32(sel.attention), sel.attention_label()  # (T, S); which layer and head
    sym = trace.target_symbols
    rows = [f"{ps.t + 1}·{esc(sym[ps.token])}" for ps in path]  # unique: the step number comes first
    cols = unique_labels([esc(s) for s in trace.source])
    n_rows, n_cols = z.shape
    height = int(min(max(110 + 24 * n_rows, 260), 560))
    heatmap = dict(
        type="heatmap", z=z, x=cols, y=rows, colorscale=[list(stop) for stop in BLUES], zmin=0.0,
        zmax=float(max(z.max(), 1e-6)),
        xgap=1, ygap=1, colorbar=dict(title=dict(text="weight", side="right"), thickness=12, len=0.9),
        hovertemplate="output %{y} ← source %{x}<br>attention %{z:.3f}<extra>" + esc(which) + "</extra>",
    )
    layout = base_layout("Attention · output step × source symbol" + (f" · {which}" if which else ""), height,
                         xaxis=dict(type="category", title=dict(text="source symbol", standoff=4), side="top",
                                    tickfont=dict(size=13)),
                         yaxis=dict(type="category", autorange="reversed", showgrid=False,
                                    title=dict(text="output step · symbol")))
    layout["margin"]["t"] = 84  # the source labels sit on top, under the title
    if t is not None:
        layout.update(attention_marks(z, t))
    return [heatmap], layout


def attention_marks(z, t: int) -> dict:
    """The step marks of the heatmap ``z`` (L, S): a box around row t and a dot on its most attended
    column. The only part of the figure that depends on the step (explore.js moves it in the page)."""
    n_rows, n_cols = z.shape
    t = min(max(t, 0), n_rows - 1)
    box = dict(type="rect", x0=-0.5, x1=n_cols - 0.5, y0=t - 0.5, y1=t + 0.5, line=dict(color=C_CHOSEN, width=3))
    dot = [dict(x=int(z[t].argmax()), y=t, text="●", showarrow=False, font=dict(color=C_CHOSEN, size=10),
                hovertext="most attended source symbol")] if z[t].any() else []
    return {"shapes": [box], "annotations": dot}
