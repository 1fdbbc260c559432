"""Views 1, 2 and 5: results, the step distribution and per-step uncertainty. Pure: Trace -> Figure.

Every function takes the trace plus the selection (hypothesis index, step t) and returns a new
plotly Figure; nothing here knows about gradio, so the views are tested headless. Figures are built as
plain dicts through style.figure (no per-property validation: it was most of a slider move's cost).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.style import band, base_layout, empty_figure, empty_spec, esc, f32, figure
from playground.ui.explore.selection import hypothesis_path, is_arpabet, readable, row_probs, shown_hypotheses

SAMPLING = ("sample", "stochastic_beam")  # the strategies that apply temperature and the filters
TOP_N = 12  # bars in the step distribution: enough to see the tail, few enough to read the labels


def results_figure(trace, selected: int = 0) -> go.Figure:
    """View 1: one row per final hypothesis, raw log-probability and the normalised (ranking) score."""
    hyps = shown_hypotheses(trace)
    if not hyps:
        return empty_figure("no hypothesis: the search returned nothing")
    arpabet, n, y = is_arpabet(trace.target_symbols), len(hyps), np.arange(len(hyps))
    labels = []
    for i, h in enumerate(hyps):
        text = f"{i + 1}. {esc(readable(h.tokens, arpabet))}" + ("" if h.finished else " (cut)")
        labels.append(f"<b>{text}</b>" if i == selected else text)
    log_p, score = f32([h.log_prob for h in hyps]), f32([h.score for h in hyps])
    same = np.allclose(log_p, score, atol=1e-4)  # greedy / sampling rank by log p itself
    title = f"Results · {n} hypothes{'i' if n == 1 else 'e'}s, best first"
    height = min(max(150, 90 + (24 if same else 36) * n), 460)
    bars = [dict(type="bar", y=y, x=log_p, orientation="h", name="log p(y|x) = score" if same else "log p(y|x), raw",
                 marker=dict(color=style.C_KEPT if same else "#94a3b8"), text=[f"{v:.2f}" for v in log_p],
                 textposition="outside", cliponaxis=False, customdata=f32(np.exp(log_p.astype(np.float64))),
                 hovertemplate="log p(y|x) = %{x:.3f}<br>p = %{customdata:.3g}<extra></extra>")]
    if not same:
        name = "score (perturbed)" if trace.strategy == "stochastic_beam" else "score (length-normalised)"
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
    return figure(bars, layout)


def distribution_figure(trace, hyp: int = 0, t: int = 0, top_n: int = TOP_N) -> go.Figure:
    """View 2: the next-token distribution at step t: T=1, after temperature, after filtering."""
    return figure(*distribution_spec(trace, hyp, t, top_n))


def distribution_spec(trace, hyp: int = 0, t: int = 0, top_n: int = TOP_N) -> tuple[list[dict], dict]:
    """distribution_figure's (data, layout), as plain dicts (the page gets every step's: style.figure_json)."""
    path = hypothesis_path(trace, hyp)
    if not path:
        return empty_spec("no step to show")
    t = min(max(t, 0), len(path) - 1)
    ps, sym = path[t], trace.target_symbols
    rows = row_probs(trace, ps)
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
    allowed = p_temp[order] > 0  # 0 after temperature = masked before any filter (e.g. <pad>, <s>)
    ticks = [f"<b>{label}</b>" if i == ps.token else label if ok
             else f"<span style='color:#b6bac2'>{label}</span>"
             for i, label, ok in zip(order, labels, allowed, strict=True)]
    top = float(max(p1[order].max(), p_temp[order].max(), p_filt[order].max()))
    chosen_top = float(max(p1[ps.token], p_temp[ps.token], p_filt[ps.token]))
    layout = base_layout(title, 330, barmode="group", bargap=0.2, bargroupgap=0.05, showlegend=processed,
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


# the uncertainty chart's three rows, top to bottom: p(chosen), entropy, kept-set size (shared x axis)
ROW_HEIGHTS, ROW_GAP = (0.38, 0.38, 0.24), 0.06
AXES = ("", "2", "3")  # row r's axes are x{AXES[r]} / y{AXES[r]}: x, x2, x3


def stacked_domains(weights=ROW_HEIGHTS, gap: float = ROW_GAP) -> list[list[float]]:
    """y domains of rows stacked top to bottom, exactly as make_subplots(rows=n, row_heights=weights,
    vertical_spacing=gap) computes them (bottom row first), so the chart looks as it did with it."""
    heights = [(1.0 - gap * (len(weights) - 1)) * (w / float(sum(weights))) for w in reversed(weights)]
    starts = [sum(heights[:k]) + k * gap for k in range(len(heights))]
    return [[s, s + h] for s, h in zip(starts, heights, strict=True)][::-1]


def uncertainty_figure(trace, hyp: int = 0, t: int | None = None) -> go.Figure:
    """View 5: along the selected hypothesis, p(chosen), entropy before/after filtering, kept-set size."""
    path = hypothesis_path(trace, hyp)
    recorded = [(ps, r) for ps in path if (r := row_probs(trace, ps)) is not None]
    if not recorded:
        return empty_figure("no recorded steps to show")
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
        layout.update(uncertainty_marks(min(max(t, 0), len(path) - 1)))
    return figure(data, layout)


def uncertainty_marks(t: int) -> dict:
    """The selected step t: one band across each of the three rows (layout keys to update)."""
    return {"shapes": [band(t - 0.5, t + 0.5, axis="x" + a, across="y" + a) for a in AXES]}
