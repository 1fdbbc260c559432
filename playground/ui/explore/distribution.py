"""View 2: the next-symbol distribution at the selected step: the model at T = 1, after temperature, after the
filters, with the filter's cut-off and the symbol taken."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.decoding.registry import STRATEGIES
from playground.ui.common import style
from playground.ui.common.style import base_layout, empty_spec, esc, f32, figure
from playground.ui.explore.selection import Selection

TOP_N = 12  # bars in the step distribution: enough to see the tail, few enough to read the labels


def distribution_figure(sel: Selection, t: int = 0, top_n: int = TOP_N) -> go.Figure:
    """View 2: the next-token distribution at step t: T=1, after temperature, after filtering."""
    return figure(*distribution_spec(sel, t, top_n))


def distribution_spec(sel: Selection, t: int = 0, top_n: int = TOP_N) -> tuple[list[dict], dict]:
    """distribution_figure's (data, layout), as plain dicts (the page gets every step's: style.figure_json).

    The ``top_n`` most probable tokens at T=1 (the taken one always among them), then one "all others" bar
    holding the rest of each distribution's mass, whenever the vocabulary has more tokens than are drawn (a Hub
    model's trace keeps only its top columns: their mass left out is exact, recorder.py)."""
    trace, path = sel.trace, sel.path
    if not path:
        return empty_spec("no step to show")
    t = sel.clamp(t)
    ps, sym = path[t], trace.target_symbols
    rows = sel.row_probs(ps)
    if rows is None:
        return empty_spec(f"step {t + 1} was not recorded (this search only re-scores its best path)")
    order = shown_tokens(rows, ps.token, top_n)  # token ids, most probable first
    others = len(sym) - len(order)  # tokens left out of the bars: one "all others" bar
    bars_y = {k: with_others(rows[k], rows["outside"][k], order, others) for k in ("p1", "temperature", "filtered")}
    # temperature and filters only shape sampling; argmax-style searches read the model's distribution
    # (minus tokens the engine never allows, e.g. <pad>), so they get one series instead of three
    spec = STRATEGIES.get(trace.strategy)  # (a teacher-forced score's trace is "forced": no strategy)
    processed = spec is not None and spec.samples or not np.allclose(rows["temperature"], rows["filtered"], atol=1e-6)
    x = list(range(len(order) + (others > 0)))
    labels = [esc(sym[i]) for i in order] + ([f"all others ({others:,})"] if others else [])
    series = [("model, T=1", "p1", style.C_T1), ("after temperature", "temperature", style.C_TEMP),
              ("after filtering", "filtered", style.C_FILTERED)]
    bars = [dict(type="bar", x=x, y=f32(bars_y[k]), name=name, marker=dict(color=color if processed else style.C_KEPT),
                 hovertemplate=name + ": %{y:.3f}<extra>%{customdata[0]}</extra>",
                 customdata=[[label, token] for label, token in zip(labels, [*map(int, order), -1], strict=False)])
            for name, k, color in (series if processed else series[:1])]
    members = np.stack([with_others(m, out, order, others) for m, out in zip(
        rows["members"], rows["members_outside"], strict=True)]) if len(rows["members"]) else np.zeros((0, len(x)))
    bars += member_markers(trace.members, members, x)
    allowed = rows["temperature"][order] > 0  # 0 after temperature = masked before any filter (e.g. <pad>, <s>)
    layout = base_layout(_title(t, rows, processed, len(sym)), 330, barmode="group", bargap=0.2, bargroupgap=0.05,
                         showlegend=processed or bool(trace.members),
                         xaxis=dict(tickvals=x, ticktext=_ticks(order, labels, allowed, ps.token),
                                    title=dict(text="next symbol (most probable at T=1 first)")),
                         yaxis=dict(title=dict(text="probability"),
                                    range=[0, float(max(max(y.max() for y in bars_y.values()),
                                                        members.max(initial=0.0))) * 1.22 + 1e-6]),
                         annotations=_chosen_mark(order, ps.token, bars_y) + _others_mark(order, others, bars_y),
                         # bars fall off to the right, so the top-right corner is free for the legend
                         legend=dict(orientation="v", x=1, y=1, xanchor="right", yanchor="top"))
    notes = [_mark_cut_off(layout, allowed, rows["filtered"][order], rows["kept"])] if processed else []
    notes += [] if allowed.all() else ["grey: never allowed"]
    prefix = " ".join(esc(sym[trace.nodes[n.node].token]) for n in path[:t]) or "(start)"
    layout["title"]["subtitle"] = dict(text=" · ".join([f"after: {prefix}"] + [n for n in notes if n]),
                                       font=dict(size=11))
    layout["margin"]["t"] = 62  # room for the subtitle
    return bars, layout


def shown_tokens(rows: dict, token: int, top_n: int) -> list[int]:
    """The ``top_n`` most probable tokens at T=1 among those the row holds (``ids``: all of them unless a large
    vocabulary's trace was cut), ties in the row's order (lowest id first), and the taken ``token`` in the last
    place if it is not among them (a trace's rows always hold it)."""
    ids = rows["ids"]
    order = [int(i) for i in ids[np.argsort(-rows["p1"][ids], kind="stable")][:top_n]]
    if token not in order:  # always show the token that was taken, even from far down the tail
        order[-1] = token
    return order


def with_others(p: np.ndarray, outside: float, order: list[int], others: int) -> np.ndarray:
    """``p`` (V,) at the shown tokens, and when tokens are left out, their mass: what the row holds but does not
    show plus what the trace left out (``outside``)."""
    shown = p[order].astype(np.float32)
    if not others:
        return shown
    hidden = float(np.delete(p, order).astype(np.float64).sum()) + float(outside)
    return np.append(shown, np.float32(min(max(hidden, 0.0), 1.0)))


def _title(t: int, rows: dict, processed: bool, vocab: int) -> str:
    if processed:
        return (f"Step {t + 1} · entropy {rows['entropy']:.2f} → {rows['entropy_temperature']:.2f} → "
                f"{rows['entropy_filtered']:.2f} nats · kept {rows['kept']:,} of {vocab:,}")
    return f"Step {t + 1} · entropy {rows['entropy']:.2f} nats · the model as is (no filtering)"


def _ticks(order: list[int], labels: list[str], allowed, token: int) -> list[str]:
    """Bold for the taken token, grey for tokens never allowed, "others" in italics for the "all others" bar
    (its count goes above the bar, _others_mark: the last label, slanted, would run off the chart)."""
    ticks = [f"<b>{label}</b>" if i == token else label if ok else f"<span style='color:#b6bac2'>{label}</span>"
             for i, label, ok in zip(order, labels, allowed, strict=False)]
    return ticks + ["<i>others</i>" for _ in labels[len(order):]]


def _others_mark(order: list[int], others: int, bars_y: dict) -> list[dict]:
    """How many tokens the "all others" bar holds, written above it."""
    if not others:
        return []
    top = float(max(y[-1] for y in bars_y.values()))
    return [dict(x=len(order), y=top, text=f"{others:,} tokens", showarrow=False, yanchor="bottom",
                 font=dict(size=11, color="#6b7280"))]


def _chosen_mark(order: list[int], token: int, bars_y: dict) -> list[dict]:
    if token not in order:
        return []
    k = order.index(token)
    return [dict(x=k, y=float(max(y[k] for y in bars_y.values())), text="chosen", showarrow=True, arrowhead=2,
                 arrowcolor=style.C_CHOSEN, ay=-26, font=dict(color=style.C_CHOSEN))]


def _mark_cut_off(layout: dict, allowed, p_filt, kept_total: int) -> str:
    """Draw the filter's cut-off when the kept tokens are the most probable allowed ones (top-k/p, min-p
    keep a prefix of the sorted distribution); otherwise return a note on how to spot removed tokens.
    ``allowed`` and ``p_filt`` follow the shown bars (not the "all others" one)."""
    positions = [k for k in range(len(allowed)) if allowed[k]]
    kept = [bool(p_filt[k] > 0) for k in positions]
    n_kept = sum(kept)
    if 0 < n_kept < len(kept) and all(kept[:n_kept]):
        x = positions[n_kept - 1] + 0.5  # a dashed vertical line with its label, as fig.add_vline draws it
        layout.setdefault("shapes", []).append(dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain",
                                                    line=dict(color="#6b7280", dash="dash")))
        layout["annotations"].append(dict(text=f"cut-off: {kept_total:,} kept", showarrow=False, x=x, xref="x",
                                          xanchor="left", y=1, yref="y domain", yanchor="top"))
        return ""
    return "" if all(kept) else "bars with no dark bar were removed"


MEMBER_SYMBOLS = ("diamond", "triangle-up", "square", "cross", "star")


def member_markers(names: list[str], members, x: list[int]) -> list[dict]:
    """An ensemble's members (M, len(x)), as the bars show them, as one row of markers each over the bars: where
    they disagree shows at a glance (the bars are the ensemble's combined distribution)."""
    return [dict(type="scatter", mode="markers", x=x, y=f32(members[m]), name=f"member: {name}",
                 marker=dict(symbol=MEMBER_SYMBOLS[m % len(MEMBER_SYMBOLS)], size=9, color=style.C_CHOSEN
                             if m == 0 else "#0f766e", line=dict(width=1, color="white")),
                 hovertemplate=f"{esc(name)}: %{{y:.3f}}<extra></extra>") for m, name in enumerate(names)]
