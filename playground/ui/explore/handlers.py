"""What the Explore tab does, as plain Python (no gradio): decode, render the views, list choices.

The page's JavaScript reaches these through service.py, and the API endpoints through events.py; both only
turn exceptions into messages, so every behaviour here is tested without a server.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import plotly.graph_objects as go

from playground.analysis.alternatives import alternatives
from playground.analysis.branch import run_branch
from playground.analysis.logit_lens import LensSource
from playground.decoding.config import DecodeConfig
from playground.decoding.trace import Trace
from playground.ui.common import style
from playground.ui.common.controls import UiParams, with_language
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.style import esc
from playground.ui.explore import charts
from playground.ui.explore.lens import with_lens
from playground.ui.explore.selection import BRANCH_MARK, Selection
from playground.ui.explore.step_views import step_views_json


@dataclass
class Session:
    """A page's last good decoding (kept per page by service.py, never in a module global)."""
    trace: Trace | None = None  # with a branch drawn into it, if any (analysis/branch.py)
    text: str = ""
    model: str = ""
    notes: list[str] = field(default_factory=list)  # values adjusted to fit, shown as warnings
    params: UiParams = field(default_factory=UiParams)  # the controls it was decoded with (the share string)
    language: str = ""  # the target language forced first ("": the model's choice)
    lens: LensSource | None = None  # the logit lens of its hypotheses, computed when shown (analysis/logit_lens.py)
    original: Trace | None = None  # the decoding before its branch (None: no branch)

    @property
    def branch(self) -> list[str]:
        """The branch's forced symbols ([] without one)."""
        return list(self.trace.branch.prefix) if self.trace is not None and self.trace.branch else []


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


def run_decode(store, model_name: str, text: str, params: UiParams, language: str = "",
               branch: list[str] | None = None) -> Session:
    """Decode ``text``; raises InputError / ValueError / CheckpointError with a message for people.
    ``language``: a multilingual model's target-language token (models/hf.py ``target_languages``), forced
    as the first output token as generate's ``forced_bos_token_id`` does; "" lets the model choose. ``branch``:
    forced symbols to branch with (with_branch), kept across settings until the page clears it."""
    config, notes = params.to_config()
    result = store.decode(model_name, text, with_language(config, language))
    session = Session(trace=result.trace, text=text, model=model_name, notes=notes, params=params,
                      language=language or "", lens=LensSource(store.get(model_name), result.trace.source))
    return with_branch(store, session, branch) if branch else session


def with_branch(store, session: Session, prefix: list[str]) -> Session:
    """``session`` with the branch that forces ``prefix`` (analysis/branch.py) drawn into its original decoding."""
    original = session.original or session.trace
    config = with_language(session.params.to_config()[0], session.language)
    merged = run_branch(store.get(session.model), session.text, config, original, list(prefix),
                        decode_with=lambda c: store.decode(session.model, session.text, c))
    return dataclasses.replace(session, trace=merged, original=original)


def without_branch(session: Session) -> Session:
    return dataclasses.replace(session, trace=session.original, original=None) if session.original else session


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


def export_dict(session: Session) -> dict:
    """The page's export: the whole trace with the model and input, and each shown output's tokens with their
    alternatives (analysis/alternatives.py: what the token strip shows on hover)."""
    trace = session.trace
    return dict(trace.to_dict(), model=session.model, text=session.text,
                alternatives=[alternatives(trace, h) for h in Selection.of(trace).shown])


def summary_html(sel: Selection) -> str:
    """One line on top of the views: input -> the selected output, plus what a branch costs and the engine's notes
    (HTML, escaped)."""
    trace, h = sel.trace, sel.hypothesis
    if h is None:
        return "No output yet."
    out = readable(h.tokens, is_arpabet(trace.target_symbols))
    source = readable(trace.source, is_arpabet(trace.source))
    line = (f"<b>{esc(source)}</b> → <b>{esc(out)}</b> · log p = {h.log_prob:.3f} · p = {_exp(h.log_prob):.3g}"
            + ("" if h.finished else " · cut at the maximum length"))
    if trace.branch is not None:
        line += f"<br>{esc(branch_summary(sel))}"
    return line + (f"<br><i>{esc(trace.message)}</i>" if trace.message else "")


def branch_summary(sel: Selection) -> str:
    """What the branch costs: the forced token's log p against the token the original took there, and the
    branch's best output against the original's."""
    trace, b = sel.trace, sel.trace.branch
    forced = trace.nodes[b.node]
    step = forced.step + 1
    taken = [n for n in trace.nodes[:b.node] if n.parent == b.parent and n.status in ("kept", "finished")]
    instead = min(taken, key=lambda n: -n.log_prob, default=None)
    original, branch = sel.shown[0], sel.shown[sel.branch_from]
    return (f"Branch at step {step}: {trace.target_symbols[forced.token]} forced (log p {forced.log_prob:.3f}"
            + (f", where the search took {trace.target_symbols[instead.token]} at {instead.log_prob:.3f})"
               if instead is not None else ")")
            + f" · the branch's best output log p {branch.log_prob:.3f} against the original's {original.log_prob:.3f}")


def render_views(session: Session, hyp: int = 0, t: int = 0, layer: int | None = None,
                 head: int | None = None) -> Views:
    """Every view for hypothesis ``hyp`` (of the shown ones) at step ``t``, the attention of ``layer`` and
    ``head`` (default: the last layer, the mean of its heads); all clamped to what exists."""
    if session.trace is None:
        raise ValueError("nothing decoded yet")
    sel = with_lens(Selection.of(session.trace, hyp, layer, head), session.lens)
    t = sel.clamp(t)
    arpabet = is_arpabet(sel.trace.target_symbols)
    first = len(sel.shown) if sel.branch_from is None else sel.branch_from
    choices = [(f"{i + 1}. {readable(h.tokens, arpabet)}" if i < first else
                f"{BRANCH_MARK} {i - first + 1}. {readable(h.tokens, arpabet)}", i) for i, h in enumerate(sel.shown)]
    specs = charts.specs(sel, t)
    return Views(summary=summary_html(sel), specs=specs, hypotheses=choices, steps=sel.steps,
                 step_views=step_views_json(sel, t, specs), attention_heads=sel.trace.attention_heads,
                 hypothesis=sel.index, step=t)


def _exp(x: float) -> float:
    return math.exp(max(x, -745.0))  # exp underflows to 0.0 quietly below -745
