"""The Sample tab's views. Pure: SampleStats (playground/analysis/sampling.py) in, a figure or Markdown out.

- ``outputs_figure``: the most frequent distinct outputs, three bars each: how often drawn, the model's
  exact probability (T=1) and the probability under the filtered distribution the sampler drew from;
- ``calibration_figure``: every distinct output as a point, probability (x) against frequency (y): the
  filtered points sit on the diagonal, the model's drift off it as temperature and top-p reshape sampling;
- ``diversity_markdown``: distinct outputs, entropy of the sample, share equal to beam search's top output.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from playground.ui.common import style
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.style import base_layout, empty_figure, esc, f32, md

TOP = 20  # distinct outputs charted: enough to see the tail, few enough to read the labels
C_FREQ = style.C_CHOSEN  # what the sampler did, in the accent colour; what it should do, in blues
LOG_RANGE = 30.0  # probabilities spanning more than this factor get a log axis


def _label(out, arpabet: bool, beam: bool) -> str:
    text = esc(readable(out.tokens, arpabet, max_chars=40)) + ("" if out.finished else " (cut)")
    return f"<b>{text} ★</b>" if beam else text


def _probs(outputs):
    """(frequency, model p, filtered p) float64 arrays for ``outputs``."""
    freq = np.array([o.frequency for o in outputs])
    model = np.exp(np.array([o.log_prob for o in outputs]))
    filtered = np.array([0.0 if o.filtered_out else math.exp(o.filtered_log_prob) for o in outputs])
    return freq, model, filtered


def outputs_figure(stats, top: int = TOP) -> go.Figure:
    """Horizontal grouped bars for the ``top`` most frequent outputs; a log axis when the values span
    more than LOG_RANGE (e.g. a rare sample with model probability 1e-6 next to one of 0.5)."""
    if not stats.outputs:
        return empty_figure("no samples drawn")
    arpabet = _arpabet_outputs(stats)
    shown = list(stats.outputs[:top])
    freq, model, filtered = _probs(shown)
    beam_tokens = (stats.beam_top.tokens, stats.beam_top.finished)
    labels = [_label(o, arpabet, (o.tokens, o.finished) == beam_tokens) for o in shown]
    y = np.arange(len(shown), dtype=np.int16)
    positive = np.concatenate([v[v > 0] for v in (freq, model, filtered)])
    log = positive.size > 0 and positive.max() / positive.min() > LOG_RANGE
    more = f" · top {len(shown)} of {stats.distinct} shown" if stats.distinct > len(shown) else ""
    title = (f"{stats.n} sample{'s' * (stats.n != 1)} · {stats.distinct} distinct output"
             f"{'s' * (stats.distinct != 1)}{more} · ★ = beam search's top output")
    height = int(min(max(150 + 42 * len(shown), 300), 960))
    fig = go.Figure(layout=base_layout(title, height, barmode="group", bargap=0.22, bargroupgap=0.0))
    series = [("sampled frequency", freq, C_FREQ, [f"{o.count}×" for o in shown]),
              ("model p(y|x), T=1", model, style.C_T1, None),
              ("p under the filtered distribution", filtered, style.C_FILTERED, None)]
    for name, values, color, text in series:
        fig.add_bar(y=y, x=f32(values), orientation="h", name=name, marker_color=color,
                    text=text, textposition="outside", cliponaxis=False, textfont=dict(size=10),
                    hovertemplate=name + " = %{x:.4g}<extra></extra>")
    fig.update_yaxes(tickvals=y, ticktext=labels, autorange="reversed", showgrid=False,
                     title_text="output (most frequent first)", tickfont=dict(size=12))
    if log:
        low = max(positive.min() / 2, 1e-12)
        fig.update_xaxes(type="log", range=[math.log10(low), 0.05], title_text="probability (log scale)")
    else:
        fig.update_xaxes(range=[0, min(1.0, positive.max() * 1.15 + 1e-3)], title_text="probability")
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
                      margin_t=72)
    return fig


def calibration_figure(stats) -> go.Figure:
    """Frequency against probability for every distinct output, log-log, with the y = x diagonal."""
    if not stats.outputs:
        return empty_figure("no samples drawn")
    outputs = list(stats.outputs)
    freq, model, filtered = _probs(outputs)
    arpabet = _arpabet_outputs(stats)
    names = [esc(readable(o.tokens, arpabet, max_chars=40)) for o in outputs]
    low = max(min(freq.min(), model[model > 0].min(initial=1.0)) / 2, 1e-12)
    fig = go.Figure(layout=base_layout("Sampled frequency against probability (one point per output)", 420))
    fig.add_scatter(x=[low, 1], y=[low, 1], mode="lines", line=dict(color="#9ca3af", dash="dash"),
                    name="frequency = probability", hoverinfo="skip")
    for name, p, color, symbol in (("model p, T=1", model, style.C_TEMP, "circle-open"),
                                   ("filtered p", filtered, style.C_FILTERED, "circle")):
        fig.add_scatter(x=f32(np.maximum(p, low)), y=f32(freq), mode="markers", name=name, text=names,
                        marker=dict(color=color, symbol=symbol, size=9, line=dict(width=1.5)),
                        hovertemplate="%{text}<br>" + name + " = %{x:.3g}<br>frequency = %{y:.3g}<extra></extra>")
    fig.update_xaxes(title_text="probability (log)", type="log", range=[math.log10(low), 0.05])
    fig.update_yaxes(title_text=f"sampled frequency (log; 1/{stats.n} = once)", type="log",
                     range=[math.log10(0.5 / stats.n), 0.05])  # nothing is drawn less than once
    fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"), margin_t=72)
    return fig


def diversity_markdown(stats) -> str:
    """The diversity figures in one block, with what each means."""
    n, d = stats.n, stats.distinct
    beam = md(readable(stats.beam_top.tokens, _arpabet_outputs(stats)))
    lines = [
        f"**{d}** distinct output{'s' * (d != 1)} in **{n}** sample{'s' * (n != 1)}",
        f"entropy of the sample **{stats.entropy:.2f}** nats ({stats.entropy / math.log(2):.2f} bits; "
        f"0 = always the same, {math.log(n):.2f} = all different)",
        f"**{stats.beam_share:.0%}** equal beam search's top output ★ {beam} "
        f"(model p {math.exp(stats.beam_top.log_prob):.3g}"
        + (", removed by the filters" if stats.beam_top.filtered_out else "") + ")",
        f"the outputs drawn hold **{stats.model_mass:.0%}** of the model's probability and "
        f"**{stats.filtered_mass:.0%}** of the filtered distribution's",
    ]
    if stats.message:
        lines.append(f"_{md(stats.message)}_")
    return "  \n".join(lines)


def settings_markdown(config) -> str:
    """One line: the Explore tab's settings the samples are drawn with."""
    parts = [f"temperature {config.temperature:g}" + (" (= greedy)" if config.temperature == 0 else ""),
             f"top-k {config.top_k}" if config.top_k else "top-k off",
             f"top-p {config.top_p:g}" if config.top_p < 1 else "top-p off",
             f"min-p {config.min_p:g}" if config.min_p else "min-p off",
             f"seed {config.seed}", f"max length {config.max_length}"]
    return "Sampling with the Explore tab's settings: " + " · ".join(parts)


def _arpabet_outputs(stats) -> bool:
    tokens = [t for o in stats.outputs for t in o.tokens] + list(stats.beam_top.tokens)
    return is_arpabet(tokens)
