"""What the page does, as plain Python (no gradio): decode, render the views, list choices.

The gradio layer (layout.py) only wires widgets to these functions and turns exceptions into
messages, so every behaviour here is tested without a server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go

from playground.decoding.config import DecodeConfig
from playground.decoding.trace import Trace
from playground.ui.common.controls import UiParams
from playground.ui.common.style import esc
from playground.ui.explore.attention import attention_figure
from playground.ui.explore.plots import distribution_figure, results_figure, uncertainty_figure
from playground.ui.explore.selection import hypothesis_path, is_arpabet, readable, shown_hypotheses
from playground.ui.explore.step_views import step_views_json
from playground.ui.explore.tree import tree_figure


@dataclass
class Session:
    """Per-browser-tab state (held in a gr.State, never in a module global): the last good decoding."""
    trace: Trace | None = None
    text: str = ""
    model: str = ""
    notes: list[str] = field(default_factory=list)  # values adjusted to fit, shown as warnings


@dataclass(frozen=True)
class Views:
    """Everything the page shows for one (trace, hypothesis, step) selection."""
    summary: str
    results: go.Figure
    distribution: go.Figure
    attention: go.Figure
    tree: go.Figure
    uncertainty: go.Figure
    hypotheses: list[tuple[str, int]]  # choices for the hypothesis picker: (label, index)
    steps: int  # length of the selected hypothesis (the step slider goes 1..steps)
    step_views: str  # the views as the page draws them, every step included (JSON: step_views.py)


def run_decode(store, model_name: str, text: str, params: UiParams) -> Session:
    """Decode ``text``; raises InputError / ValueError / CheckpointError with a message for people."""
    config, notes = params.to_config()
    result = store.decode(model_name, text, config)
    return Session(trace=result.trace, text=text, model=model_name, notes=notes)


def api_decode(store, model_name: str, text: str, config: dict) -> dict:
    """The /decode endpoint: strict (no value is adjusted) and JSON out."""
    result = store.decode(model_name, text, DecodeConfig.from_dict(config))
    out = result.trace.to_dict()
    out["model"] = model_name
    out["returned"] = [h.node for h in result.hypotheses]  # node ids of the num_return best
    return out


def clamp_step(trace: Trace | None, hyp: int, t: int) -> int:
    n = len(hypothesis_path(trace, hyp)) if trace is not None else 0
    return min(max(int(t), 0), max(n - 1, 0))


def summary_markdown(session: Session, hyp: int = 0) -> str:
    """One line on top of the views: input -> the selected output, plus engine notes."""
    trace = session.trace
    if trace is None or not trace.hypotheses:
        return "No output yet."
    h = trace.hypotheses[min(max(hyp, 0), len(trace.hypotheses) - 1)]
    out = readable(h.tokens, is_arpabet(trace.target_symbols))
    source = readable(trace.source, is_arpabet(trace.source))
    lines = [f"**{esc(source)}** → **{esc(out)}** · log p = {h.log_prob:.3f} · p = {_exp(h.log_prob):.3g}"
             + ("" if h.finished else " · cut at the maximum length")]
    if trace.message:
        lines.append(f"_{esc(trace.message)}_")
    return "  \n".join(lines)


def render_views(session: Session, hyp: int = 0, t: int = 0) -> Views:
    trace = session.trace
    if trace is None:
        raise ValueError("nothing decoded yet")
    shown = shown_hypotheses(trace)
    hyp = min(max(int(hyp), 0), max(len(shown) - 1, 0))
    t = clamp_step(trace, hyp, t)
    arpabet = is_arpabet(trace.target_symbols)
    choices = [(f"{i + 1}. {readable(h.tokens, arpabet)}", i) for i, h in enumerate(shown)]
    figures = {"results": results_figure(trace, hyp), "distribution": distribution_figure(trace, hyp, t),
               "attention": attention_figure(trace, hyp, t), "tree": tree_figure(trace, hyp, t),
               "uncertainty": uncertainty_figure(trace, hyp, t)}
    return Views(
        summary=summary_markdown(session, hyp),
        **figures,
        hypotheses=choices,
        steps=len(hypothesis_path(trace, hyp)),
        step_views=step_views_json(trace, hyp, t, figures),
    )


def _exp(x: float) -> float:
    return math.exp(max(x, -745.0))  # exp underflows to 0.0 quietly below -745
