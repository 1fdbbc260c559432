"""What the Explore tab does, as plain Python (no gradio): decode, render the views, list choices.

The page's JavaScript reaches these through service.py, and the API endpoints through events.py; both only
turn exceptions into messages, so every behaviour here is tested without a server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go

from playground.analysis.logit_lens import LensSource
from playground.decoding.config import DecodeConfig
from playground.decoding.trace import Trace
from playground.ui.common import style
from playground.ui.common.controls import UiParams, with_language
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.style import esc
from playground.ui.explore import charts
from playground.ui.explore.lens import with_lens
from playground.ui.explore.selection import Selection
from playground.ui.explore.step_views import step_views_json


@dataclass
class Session:
    """A page's last good decoding (kept per page by service.py, never in a module global)."""
    trace: Trace | None = None
    text: str = ""
    model: str = ""
    notes: list[str] = field(default_factory=list)  # values adjusted to fit, shown as warnings
    params: UiParams = field(default_factory=UiParams)  # the controls it was decoded with (the share string)
    language: str = ""  # the target language forced first ("": the model's choice)
    lens: LensSource | None = None  # the logit lens of its hypotheses, computed when shown (analysis/logit_lens.py)


@dataclass(frozen=True)
class Views:
    """Everything the page shows for one (trace, hypothesis, step) selection."""
    summary: str  # HTML: input -> the selected output, and the engine's notes
    specs: dict  # chart name (charts.CHARTS) -> its (data, layout) dicts, as the page draws them
    hypotheses: list[tuple[str, int]]  # choices for the hypothesis picker: (label, index)
    steps: int  # length of the selected hypothesis (the step slider goes 1..steps)
    step_views: str  # the views as the page draws them, every step included (JSON: step_views.py)
    attention_heads: tuple[int, int]  # (layers, heads) the attention picker offers
    hypothesis: int  # the hypothesis shown (clamped)
    step: int  # the output position shown (0-based, clamped)

    def figure(self, name: str) -> go.Figure:
        """Chart ``name`` as a plotly Figure (gr.Plot's first drawing, tests); built on demand: a decode's
        answer needs only the JSON."""
        return style.figure(*self.specs[name])


def run_decode(store, model_name: str, text: str, params: UiParams, language: str = "") -> Session:
    """Decode ``text``; raises InputError / ValueError / CheckpointError with a message for people.
    ``language``: a multilingual model's target-language token (models/hf.py ``target_languages``), forced
    as the first output token as generate's ``forced_bos_token_id`` does; "" lets the model choose."""
    config, notes = params.to_config()
    result = store.decode(model_name, text, with_language(config, language))
    return Session(trace=result.trace, text=text, model=model_name, notes=notes, params=params,
                   language=language or "", lens=LensSource(store.get(model_name), result.trace.source))


def api_default(param):
    """A parameter's default as /decode shows it: lists for sequences, the prefix as text (as the CLI's --prefix)."""
    if param.name == "prefix":
        return ""
    return list(param.default) if param.kind is tuple else param.default


def api_decode(store, model_name: str, text: str, config: dict) -> dict:
    """The /decode endpoint: strict (no value is adjusted) and JSON out. ``prefix`` is text in the target's
    writing (e.g. "K AE"), as on the command line."""
    if isinstance(config.get("prefix"), str):
        config = dict(config, prefix=tuple(store.get(model_name).target_vocab.tokenize(config["prefix"]))
                      if config["prefix"].strip() else ())
    result = store.decode(model_name, text, DecodeConfig.from_dict(config))
    out = result.trace.to_dict()
    out["model"] = model_name
    out["returned"] = [h.node for h in result.hypotheses]  # node ids of the num_return best
    return out


def summary_html(sel: Selection) -> str:
    """One line on top of the views: input -> the selected output, plus the engine's notes (HTML, escaped)."""
    trace, h = sel.trace, sel.hypothesis
    if h is None:
        return "No output yet."
    out = readable(h.tokens, is_arpabet(trace.target_symbols))
    source = readable(trace.source, is_arpabet(trace.source))
    line = (f"<b>{esc(source)}</b> → <b>{esc(out)}</b> · log p = {h.log_prob:.3f} · p = {_exp(h.log_prob):.3g}"
            + ("" if h.finished else " · cut at the maximum length"))
    return line + (f"<br><i>{esc(trace.message)}</i>" if trace.message else "")


def render_views(session: Session, hyp: int = 0, t: int = 0, layer: int | None = None,
                 head: int | None = None) -> Views:
    """Every view for hypothesis ``hyp`` (of the shown ones) at step ``t``, the attention of ``layer`` and
    ``head`` (default: the last layer, the mean of its heads); all clamped to what exists."""
    if session.trace is None:
        raise ValueError("nothing decoded yet")
    sel = with_lens(Selection.of(session.trace, hyp, layer, head), session.lens)
    t = sel.clamp(t)
    arpabet = is_arpabet(sel.trace.target_symbols)
    choices = [(f"{i + 1}. {readable(h.tokens, arpabet)}", i) for i, h in enumerate(sel.shown)]
    specs = charts.specs(sel, t)
    return Views(summary=summary_html(sel), specs=specs, hypotheses=choices, steps=sel.steps,
                 step_views=step_views_json(sel, t, specs), attention_heads=sel.trace.attention_heads,
                 hypothesis=sel.index, step=t)


def _exp(x: float) -> float:
    return math.exp(max(x, -745.0))  # exp underflows to 0.0 quietly below -745
