"""View 3: attention of the selected hypothesis, output steps (rows) x source symbols (columns).

An encoder-decoder's is its cross-attention over the source. A decoder-only model's (``trace.context``) is its
self-attention over the context: the prompt, then what it fed after it (<s> for the playground's own, then the
outputs so far); the columns a step could not see yet (the causal mask) are left blank, and a line marks where the
prompt ends."""

from __future__ import annotations

import numpy as np
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
    keys = trace.context_keys(sel.hypothesis.node) if trace.context else trace.source
    cols = unique_labels([esc(s) for s in keys])
    n_rows, n_cols = z.shape
    height = int(min(max(110 + 24 * n_rows, 260), 560))
    what, axis = ("context", "prompt | what was fed after it") if trace.context else ("source", "source symbol")
    heatmap = dict(
        type="heatmap", z=causal_blanks(z, n_cols - n_rows) if trace.context else z, x=cols, y=rows,
        colorscale=[list(stop) for stop in BLUES], zmin=0.0, zmax=float(max(z.max(), 1e-6)), xgap=1, ygap=1,
        colorbar=dict(title=dict(text="weight", side="right"), thickness=12, len=0.9),
        hovertemplate=f"output %{{y}} ← {what} %{{x}}<br>attention %{{z:.3f}}<extra>" + esc(which) + "</extra>",
    )
    title = "Self-attention · output step × context" if trace.context else "Attention · output step × source symbol"
    layout = base_layout(title + (f" · {which}" if which else ""), height,
                         xaxis=dict(type="category", title=dict(text=axis, standoff=4), side="top",
                                    tickfont=dict(size=13)),
                         yaxis=dict(type="category", autorange="reversed", showgrid=False,
                                    title=dict(text="output step · symbol")))
    layout["margin"]["t"] = 84  # the source labels sit on top, under the title
    if t is not None:
        layout.update(attention_marks(z, t, prompt_end(sel)))
    return [heatmap], layout


def prompt_end(sel: Selection) -> int | None:
    """The column where a decoder-only model's prompt ends (None for an encoder-decoder)."""
    return len(sel.trace.source) if sel.trace.context else None


def causal_blanks(z: np.ndarray, first: int) -> np.ndarray:
    """A decoder-only heatmap (T, K) with the cells row j could not attend to (columns from ``first`` + j + 1
    on: not yet fed) set to NaN, which Plotly leaves blank: the causal mask, visibly empty."""
    out = z.astype(np.float32, copy=True)
    rows, cols = np.indices(out.shape)
    out[cols > first + rows] = np.nan
    return out


def prompt_line(prompt: int, n_rows: int) -> dict:
    """A dashed line between the prompt's last column and the first one fed after it."""
    return dict(type="line", x0=prompt - 0.5, x1=prompt - 0.5, y0=-0.5, y1=n_rows - 0.5,
                line=dict(color="#64748b", width=2, dash="dash"))


def attention_marks(z, t: int, prompt: int | None = None) -> dict:
    """The step marks of the heatmap ``z`` (L, S): a box around row t and a dot on its most attended
    column, and for a decoder-only model the line where its prompt ends (``prompt``: a step move replaces the
    shapes, so the line goes with them). The only part of the figure that depends on the step (explore.js moves it
    in the page)."""
    n_rows, n_cols = z.shape
    t = min(max(t, 0), n_rows - 1)
    box = dict(type="rect", x0=-0.5, x1=n_cols - 0.5, y0=t - 0.5, y1=t + 0.5, line=dict(color=C_CHOSEN, width=3))
    dot = [dict(x=int(z[t].argmax()), y=t, text="●", showarrow=False, font=dict(color=C_CHOSEN, size=10),
                hovertext="most attended symbol")] if z[t].any() else []
    return {"shapes": [box] + ([] if prompt is None else [prompt_line(prompt, n_rows)]), "annotations": dot}
