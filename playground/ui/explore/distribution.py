"""View 2: the next-symbol distribution at the selected step: the model at T = 1, after temperature, after the
filters, with the filter's cut-off and the symbol taken."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.style import base_layout, empty_spec, esc, f32, figure
from playground.ui.explore.selection import Selection

SAMPLING = ("sample", "stochastic_beam")  # the strategies that apply temperature and the filters
TOP_N = 12  # bars in the step distribution: enough to see the tail, few enough to read the labels


def distribution_figure(sel: Selection, t: int = 0, top_n: int = TOP_N) -> go.Figure:
    """View 2: the next-token distribution at step t: T=1, after temperature, after filtering."""
    return figure(*distribution_spec(sel, t, top_n))


def distribution_spec(sel: Selection, t: int = 0, top_n: int = TOP_N) -> tuple[list[dict], dict]:
    """distribution_figure's (data, layout), as plain dicts (the page gets every step's: style.figure_json)."""
    trace, path = sel.trace, sel.path
    if not path:
        return empty_spec("no step to show")
    t = sel.clamp(t)
    ps, sym = path[t], trace.target_symbols
    rows = sel.row_probs(ps)
    if rows is None:
        return empty_spec(f"step {t + 1} was not recorded (this search only re-scores its best path)")
    p1, p_temp, p_filt = rows["p1"], rows["temperature"], rows["filtered"]
    order = [int(i) for i in np.argsort(-p1, kind="stable")[:top_n]]
    if ps.token not in order:  # always show the token that was taken, even from far down the tail
        order[-1] = ps.token
    x = list(range(len(order)))
    # temperature and filters only shape sampling; argmax-style searches read the model's distribution
    # (minus tokens the engine never allows, e.g. <pad>), so they get one series instead of three
    processed = trace.strategy in SAMPLING or not np.allclose(p_temp, p_filt, atol=1e-6)
    if processed:
        title = (f"Step {t + 1} · entropy {rows['entropy']:.2f} → {rows['entropy_temperature']:.2f} → "
                 f"{rows['entropy_filtered']:.2f} nats · kept {rows['kept']} of {len(sym)}")
    else:
        title = f"Step {t + 1} · entropy {rows['entropy']:.2f} nats · the model as is (no filtering)"
    series = [("model, T=1", p1, style.C_T1), ("after temperature", p_temp, style.C_TEMP),
              ("after filtering", p_filt, style.C_FILTERED)]
    labels = [esc(sym[i]) for i in order]
    bars = [dict(type="bar", x=x, y=f32(p[order]), name=name, marker=dict(color=color if processed else style.C_KEPT),
                 hovertemplate=name + ": %{y:.3f}<extra>%{customdata}</extra>", customdata=labels)
            for name, p, color in (series if processed else series[:1])]
    bars += member_markers(trace.members, rows["members"], order, x)
    allowed = p_temp[order] > 0  # 0 after temperature = masked before any filter (e.g. <pad>, <s>)
    ticks = [f"<b>{label}</b>" if i == ps.token else label if ok
             else f"<span style='color:#b6bac2'>{label}</span>"
             for i, label, ok in zip(order, labels, allowed, strict=True)]
    top = float(max(p1[order].max(), p_temp[order].max(), p_filt[order].max(),
                    rows["members"][:, order].max(initial=0.0)))
    chosen_top = float(max(p1[ps.token], p_temp[ps.token], p_filt[ps.token]))
    layout = base_layout(title, 330, barmode="group", bargap=0.2, bargroupgap=0.05,
                         showlegend=processed or bool(trace.members),
                         xaxis=dict(tickvals=x, ticktext=ticks,
                                    title=dict(text="next symbol (most probable at T=1 first)")),
                         yaxis=dict(title=dict(text="probability"), range=[0, top * 1.22 + 1e-6]),
                         annotations=[dict(x=order.index(ps.token), y=chosen_top, text="chosen", showarrow=True,
                                           arrowhead=2, arrowcolor=style.C_CHOSEN, ay=-26,
                                           font=dict(color=style.C_CHOSEN))],
                         # bars fall off to the right, so the top-right corner is free for the legend
                         legend=dict(orientation="v", x=1, y=1, xanchor="right", yanchor="top"))
    notes = [_mark_cut_off(layout, order, allowed, p_filt, rows["kept"])] if processed else []
    notes += [] if allowed.all() else ["grey: never allowed"]
    prefix = " ".join(esc(sym[trace.nodes[n.node].token]) for n in path[:t]) or "(start)"
    layout["title"]["subtitle"] = dict(text=" · ".join([f"after: {prefix}"] + [n for n in notes if n]),
                                       font=dict(size=11))
    layout["margin"]["t"] = 62  # room for the subtitle
    return bars, layout


def _mark_cut_off(layout: dict, order: list[int], allowed, p_filt, kept_total: int) -> str:
    """Draw the filter's cut-off when the kept tokens are the most probable allowed ones (top-k/p, min-p
    keep a prefix of the sorted distribution); otherwise return a note on how to spot removed tokens."""
    positions = [k for k in range(len(order)) if allowed[k]]
    kept = [bool(p_filt[order[k]] > 0) for k in positions]
    n_kept = sum(kept)
    if 0 < n_kept < len(kept) and all(kept[:n_kept]):
        x = positions[n_kept - 1] + 0.5  # a dashed vertical line with its label, as fig.add_vline draws it
        layout.setdefault("shapes", []).append(dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain",
                                                    line=dict(color="#6b7280", dash="dash")))
        layout["annotations"].append(dict(text=f"cut-off: {kept_total} kept", showarrow=False, x=x, xref="x",
                                          xanchor="left", y=1, yref="y domain", yanchor="top"))
        return ""
    return "" if all(kept) else "bars with no dark bar were removed"


MEMBER_SYMBOLS = ("diamond", "triangle-up", "square", "cross", "star")


def member_markers(names: list[str], members, order: list[int], x: list[int]) -> list[dict]:
    """An ensemble's members (M, V) as one row of markers each over the bars: where they disagree shows at a
    glance (the bars are the ensemble's combined distribution)."""
    return [dict(type="scatter", mode="markers", x=x, y=f32(members[m, order]), name=f"member: {name}",
                 marker=dict(symbol=MEMBER_SYMBOLS[m % len(MEMBER_SYMBOLS)], size=9, color=style.C_CHOSEN
                             if m == 0 else "#0f766e", line=dict(width=1, color="white")),
                 hovertemplate=f"{esc(name)}: %{{y:.3f}}<extra></extra>") for m, name in enumerate(names)]
