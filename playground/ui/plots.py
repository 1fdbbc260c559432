"""Views 1, 2 and 5: results, the step distribution and per-step uncertainty. Pure: Trace -> Figure.

Every function takes the trace plus the selection (hypothesis index, step t) and returns a new
plotly Figure; nothing here knows about gradio, so the views are tested headless.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.ui import style
from playground.ui.paths import hypothesis_path, is_arpabet, readable, row_probs, shown_hypotheses
from playground.ui.style import base_layout, empty_figure, esc, f32

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
    fig = go.Figure(layout=base_layout(title, height, barmode="group", bargap=0.25, showlegend=not same))
    fig.add_bar(y=y, x=log_p, orientation="h", name="log p(y|x) = score" if same else "log p(y|x), raw",
                marker_color=style.C_KEPT if same else "#94a3b8", text=[f"{v:.2f}" for v in log_p],
                textposition="outside", cliponaxis=False, customdata=f32(np.exp(log_p.astype(np.float64))),
                hovertemplate="log p(y|x) = %{x:.3f}<br>p = %{customdata:.3g}<extra></extra>")
    if not same:
        name = "score (perturbed)" if trace.strategy == "stochastic_beam" else "score (length-normalised)"
        fig.add_bar(y=y, x=score, orientation="h", name=name, marker_color=style.C_KEPT,
                    text=[f"{v:.2f}" for v in score], textposition="outside", cliponaxis=False,
                    hovertemplate=name + " = %{x:.3f}<extra></extra>")
    low = float(min(log_p.min(), score.min(), 0.0))
    fig.update_xaxes(title_text="nats (0 = certain; further left = less likely)",
                     range=[low * 1.25 - 0.3, 0])
    fig.update_yaxes(tickvals=y, ticktext=labels, autorange="reversed", showgrid=False,
                     title_text="hypothesis")
    if 0 <= selected < n:
        fig.add_hrect(y0=selected - 0.5, y1=selected + 0.5, fillcolor=style.C_STEP, line_width=0,
                      layer="below")
    return fig


def distribution_figure(trace, hyp: int = 0, t: int = 0, top_n: int = TOP_N) -> go.Figure:
    """View 2: the next-token distribution at step t: T=1, after temperature, after filtering."""
    path = hypothesis_path(trace, hyp)
    if not path:
        return empty_figure("no step to show")
    t = min(max(t, 0), len(path) - 1)
    ps, sym = path[t], trace.target_symbols
    rows = row_probs(trace, ps)
    if rows is None:
        return empty_figure(f"step {t + 1} was not recorded (this search only re-scores its best path)")
    p1, p_temp, p_filt = rows["p1"], rows["temperature"], rows["filtered"]
    order = [int(i) for i in np.argsort(-p1, kind="stable")[:top_n]]
    if ps.token not in order:  # always show the token that was taken, even from far down the tail
        order[-1] = ps.token
    x = np.arange(len(order))
    # temperature and filters only shape sampling; argmax-style searches read the model's distribution
    # (minus tokens the engine never allows, e.g. <pad>), so they get one series instead of three
    processed = trace.strategy in SAMPLING or not np.allclose(p_temp, p_filt, atol=1e-6)
    if processed:
        title = (f"Step {t + 1} · entropy {rows['entropy']:.2f} → {rows['entropy_temperature']:.2f} → "
                 f"{rows['entropy_filtered']:.2f} nats · kept {rows['kept']} of {len(sym)}")
    else:
        title = f"Step {t + 1} · entropy {rows['entropy']:.2f} nats · the model as is (no filtering)"
    fig = go.Figure(layout=base_layout(title, 330, barmode="group", bargap=0.2, bargroupgap=0.05))
    series = [("model, T=1", p1, style.C_T1), ("after temperature", p_temp, style.C_TEMP),
              ("after filtering", p_filt, style.C_FILTERED)]
    for name, p, color in series if processed else series[:1]:
        fig.add_bar(x=x, y=f32(p[order]), name=name, marker_color=color if processed else style.C_KEPT,
                    hovertemplate=name + ": %{y:.3f}<extra>%{customdata}</extra>",
                    customdata=[esc(sym[i]) for i in order])
    allowed = p_temp[order] > 0  # 0 after temperature = masked before any filter (e.g. <pad>, <s>)
    ticks = [f"<b>{esc(sym[i])}</b>" if i == ps.token else esc(sym[i]) if ok
             else f"<span style='color:#b6bac2'>{esc(sym[i])}</span>"
             for i, ok in zip(order, allowed, strict=True)]
    fig.update_xaxes(tickvals=x, ticktext=ticks, title_text="next symbol (most probable at T=1 first)")
    top = float(max(p1[order].max(), p_temp[order].max(), p_filt[order].max()))
    fig.update_yaxes(title_text="probability", range=[0, top * 1.22 + 1e-6])
    chosen_top = float(max(p1[ps.token], p_temp[ps.token], p_filt[ps.token]))
    fig.add_annotation(x=order.index(ps.token), y=chosen_top, text="chosen", showarrow=True, arrowhead=2,
                       arrowcolor=style.C_CHOSEN, ay=-26,
                       font=dict(color=style.C_CHOSEN))
    notes = [_mark_cut_off(fig, order, allowed, p_filt, rows["kept"])] if processed else []
    notes += [] if allowed.all() else ["grey: never allowed"]
    prefix = " ".join(esc(sym[trace.nodes[n.node].token]) for n in path[:t]) or "(start)"
    # bars fall off to the right, so the top-right corner is free for the legend
    fig.update_layout(title_subtitle_text=" · ".join([f"after: {prefix}"] + [n for n in notes if n]),
                      title_subtitle_font_size=11, margin_t=62, showlegend=processed,
                      legend=dict(orientation="v", x=1, y=1, xanchor="right", yanchor="top"))
    return fig


def _mark_cut_off(fig: go.Figure, order: list[int], allowed, p_filt, kept_total: int) -> str:
    """Draw the filter's cut-off when the kept tokens are the most probable allowed ones (top-k/p, min-p
    keep a prefix of the sorted distribution); otherwise return a note on how to spot removed tokens."""
    positions = [k for k in range(len(order)) if allowed[k]]
    kept = [bool(p_filt[order[k]] > 0) for k in positions]
    n_kept = sum(kept)
    if 0 < n_kept < len(kept) and all(kept[:n_kept]):
        fig.add_vline(x=positions[n_kept - 1] + 0.5, line_dash="dash", line_color="#6b7280",
                      annotation_text=f"cut-off: {kept_total} kept", annotation_position="top right")
        return ""
    return "" if all(kept) else "bars with no dark bar were removed"


def uncertainty_figure(trace, hyp: int = 0, t: int | None = None) -> go.Figure:
    """View 5: along the selected hypothesis, p(chosen), entropy before/after filtering, kept-set size."""
    path = hypothesis_path(trace, hyp)
    recorded = [(ps, r) for ps in path if (r := row_probs(trace, ps)) is not None]
    if not recorded:
        return empty_figure("no recorded steps to show")
    sym = trace.target_symbols
    x = np.array([ps.t for ps, _ in recorded], dtype=np.int16)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.38, 0.38, 0.24])
    fig.update_layout(base_layout("Uncertainty along the selected hypothesis", 380, hovermode="x unified"))
    lines = [  # (row, name, values, colour, dash)
        (1, "p(chosen), T=1", [r["p1"][ps.token] for ps, r in recorded], style.C_TEMP, "solid"),
        (1, "p(chosen), filtered", [r["filtered"][ps.token] for ps, r in recorded], style.C_FILTERED, "dot"),
        (2, "entropy, T=1", [r["entropy"] for _, r in recorded], "#0891b2", "solid"),
        (2, "entropy, filtered", [r["entropy_filtered"] for _, r in recorded], "#0e7490", "dot"),
    ]
    for row, name, values, color, dash in lines:
        fig.add_scatter(x=x, y=f32(values), name=name, mode="lines+markers",
                        line=dict(color=color, dash=dash), row=row, col=1)
    fig.add_bar(x=x, y=np.array([r["kept"] for _, r in recorded], dtype=np.int32), name="kept tokens",
                marker_color="#a3a3a3", row=3, col=1)
    fig.update_yaxes(title_text="p(chosen)", range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="entropy (nats)", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="kept", rangemode="tozero", row=3, col=1)
    ticks = [f"{ps.t + 1}<br>{esc(sym[ps.token])}" for ps, _ in recorded]
    fig.update_xaxes(tickvals=x, ticktext=ticks, row=3, col=1, title_text="output step · symbol produced")
    fig.update_xaxes(ticks="", row=1, col=1)  # the shared x axis is labelled once, at the bottom
    fig.update_xaxes(ticks="", row=2, col=1)
    if t is not None:
        t = min(max(t, 0), len(path) - 1)
        fig.add_vrect(x0=t - 0.5, x1=t + 0.5, fillcolor=style.C_STEP, line_width=0, layer="below",
                      row="all", col=1)
    fig.update_layout(legend=dict(y=1.02))
    return fig
