"""View 5: uncertainty along the selected hypothesis: p(chosen) at T = 1 and filtered, entropy before and after
filtering, and the kept-set size, step by step."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.style import band, base_layout, empty_spec, esc, f32, figure
from playground.ui.explore.selection import Selection

# the uncertainty chart's three rows, top to bottom: p(chosen), entropy, kept-set size (shared x axis)
ROW_HEIGHTS, ROW_GAP = (0.38, 0.38, 0.24), 0.06
AXES = ("", "2", "3")  # row r's axes are x{AXES[r]} / y{AXES[r]}: x, x2, x3


def stacked_domains(weights=ROW_HEIGHTS, gap: float = ROW_GAP) -> list[list[float]]:
    """y domains of rows stacked top to bottom, exactly as make_subplots(rows=n, row_heights=weights,
    vertical_spacing=gap) computes them (bottom row first), so the chart looks as it did with it."""
    heights = [(1.0 - gap * (len(weights) - 1)) * (w / float(sum(weights))) for w in reversed(weights)]
    starts = [sum(heights[:k]) + k * gap for k in range(len(heights))]
    return [[s, s + h] for s, h in zip(starts, heights, strict=True)][::-1]


def uncertainty_figure(sel: Selection, t: int | None = None) -> go.Figure:
    """View 5: along the selected hypothesis, p(chosen), entropy before/after filtering, kept-set size."""
    return figure(*uncertainty_spec(sel, t))


def uncertainty_spec(sel: Selection, t: int | None = None) -> tuple[list[dict], dict]:
    """``uncertainty_figure``'s data and layout as plain dicts: the page's JSON is written from them without
    building a Figure (style.figure_json)."""
    trace, path = sel.trace, sel.path
    recorded = [(ps, r) for ps in path if (r := sel.row_probs(ps)) is not None]
    if not recorded:
        return empty_spec("no recorded steps to show")
    sym = trace.target_symbols
    x = np.array([ps.t for ps, _ in recorded], dtype=np.int16)
    ax = AXES
    lines = [  # (row, name, values, colour, dash)
        (0, "p(chosen), T=1", [r["p1"][ps.token] for ps, r in recorded], style.C_TEMP, "solid"),
        (0, "p(chosen), filtered", [r["filtered"][ps.token] for ps, r in recorded], style.C_FILTERED, "dot"),
        (1, "entropy, T=1", [r["entropy"] for _, r in recorded], "#0891b2", "solid"),
        (1, "entropy, filtered", [r["entropy_filtered"] for _, r in recorded], "#0e7490", "dot"),
    ]
    data = [dict(type="scatter", x=x, y=f32(values), name=name, mode="lines+markers",
                 line=dict(color=color, dash=dash), xaxis="x" + ax[row], yaxis="y" + ax[row])
            for row, name, values, color, dash in lines]
    data.append(dict(type="bar", x=x, y=np.array([r["kept"] for _, r in recorded], dtype=np.int32),
                     name="kept tokens", marker=dict(color="#a3a3a3"), xaxis="x3", yaxis="y3"))
    layout = base_layout("Uncertainty along the selected hypothesis", 380, hovermode="x unified",
                         legend=dict(y=1.02))
    y_axes = [dict(title=dict(text="p(chosen)"), range=[0, 1.05]), dict(title=dict(text="entropy (nats)"),
              rangemode="tozero"), dict(title=dict(text="kept"), rangemode="tozero")]
    for row, (domain, y_axis) in enumerate(zip(stacked_domains(), y_axes, strict=True)):
        layout["yaxis" + ax[row]] = dict(anchor="x" + ax[row], domain=domain, **y_axis)
        # the shared x axis is labelled once, at the bottom; the upper rows follow its zoom
        layout["xaxis" + ax[row]] = dict(anchor="y" + ax[row], domain=[0.0, 1.0], matches="x3",
                                         showticklabels=False, ticks="")
    layout["xaxis3"] = dict(anchor="y3", domain=[0.0, 1.0], tickvals=x,
                            ticktext=[f"{ps.t + 1}<br>{esc(sym[ps.token])}" for ps, _ in recorded],
                            title=dict(text="output step · symbol produced"))
    if t is not None:
        layout.update(uncertainty_marks(sel.clamp(t)))
    return data, layout


def uncertainty_marks(t: int) -> dict:
    """The selected step t: one band across each of the three rows (layout keys to update)."""
    return {"shapes": [band(t - 0.5, t + 0.5, axis="x" + a, across="y" + a) for a in AXES]}
