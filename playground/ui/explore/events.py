"""The Explore tab's events and its API endpoints.

In the page, a control's change runs no Python: a JavaScript-only event hands the controls to explore.js, which
calls the tab's server function (service.py) and draws the answer. The one Gradio update left is which controls
a strategy shows (``set_strategy``, unqueued). For gradio_client, /explore, /select_hypothesis and
/export_trace do the same work statelessly (the store's result cache makes a repeated decode free).
"""

from __future__ import annotations

import json
from types import MappingProxyType, SimpleNamespace

import gradio as gr

from playground.analysis.branch import branch_prefix
from playground.decoding.validate import whole
from playground.ui.common.controls import (
    CONTROL_NAMES,
    SETTINGS,
    UiParams,
    control_info,
    strategy_values,
    visible_controls,
)
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, named
from playground.ui.common.runtime import gpu
from playground.ui.explore import header
from playground.ui.explore.handlers import export_dict, run_decode, with_branch
from playground.ui.explore.lens_api import wire_lens_api
from playground.ui.explore.selection import Selection
from playground.ui.explore.service import respond
from playground.ui.store import check_response, check_trace_estimate

TOGGLED = tuple(n for n in SETTINGS if n != "max_length")  # max length applies to every strategy: never hidden
# every control's change: the model, the input and the controls (CONTROL_NAMES order) to explore.js
DECODE_JS = header.call_js("model, text, language, ...values", "decode", "model, text, language, values")
VIEW_DEFAULTS = MappingProxyType({"step": 1, "hypothesis": 0, "layer": -1, "head": -1})


def set_strategy(strategy: str, formula: str) -> list:
    """Show the controls ``strategy`` reads (and their help for it), hide the others."""
    shown = visible_controls(strategy, formula)
    return [gr.update(visible=shown[n], info=control_info(n, strategy, formula)) for n in TOGGLED]


def strategy_controls(strategy: str, formula: str, *values) -> list:
    """What the page does when the strategy or the length-penalty formula changes: set_strategy's controls, and
    those ``strategy`` starts elsewhere (contrastive search's top-k 4) moved there while they sit at the page's
    start value."""
    moved = strategy_values(strategy, dict(zip(TOGGLED, values, strict=True)))
    return [{**shown, "value": moved[n]} if n in moved else shown
            for n, shown in zip(TOGGLED, set_strategy(strategy, formula), strict=True)]


def wire(ui: SimpleNamespace) -> dict:
    """The page's events; returns the JavaScript-only decode event's arguments (a model switch ends with it)."""
    decode = dict(fn=None, inputs=[ui.model, ui.text, ui.language, *ui.params], outputs=None, js=DECODE_JS,
                  queue=False, show_progress="hidden", api_visibility="private")
    gr.on([ui.text.change, ui.language.change] + [p.change for p in ui.params], **decode)
    strategy, formula = ui.controls["strategy"], ui.controls["length_penalty_formula"]
    toggled = [ui.controls[n] for n in TOGGLED]
    # one Python listener per trigger (wiring.follow_input says why): the page's, and /controls for API callers
    gr.on([strategy.change, formula.change], strategy_controls, [strategy, formula, *toggled], toggled,
          api_visibility="private", queue=False, show_progress="hidden")
    gr.api(set_strategy, api_name="controls", queue=False)
    return decode


def api_view(store, model: str, text: str, values: dict, view: dict, language: str = "") -> dict:
    """What the page gets for these controls and view picks (service.respond), for an API caller."""
    try:
        session = run_decode(store, model or store.default, text, UiParams(**values), language)
        return json.loads(respond(session, view.get("hypothesis", 0), view))
    except USER_ERRORS as e:
        raise gr.Error(str(e), print_exception=False) from None


def api_branch(store, model: str, text: str, values: dict, view: dict, language: str = "") -> dict:
    """/branch: decode as /explore does, then force ``view["branch_token"]`` at output position
    ``view["branch_step"]`` of hypothesis ``view["hypothesis"]`` and let the same strategy continue; the answer
    shows the branch's best at its forced token."""
    try:
        session = run_decode(store, model or store.default, text, UiParams(**values), language)
        sel = Selection.of(session.trace, whole(view.get("hypothesis", 0)))
        prefix = branch_prefix(session.trace, sel.hypothesis, whole(view.get("branch_step")), view.get("branch_token"))
        session = with_branch(store, session, prefix)
        step = session.trace.nodes[session.trace.branch.node].step + 1
        return json.loads(respond(session, Selection.of(session.trace).branch_from, {**view, "step": step}))
    except USER_ERRORS as e:
        raise gr.Error(str(e), print_exception=False) from None


def wire_api(store) -> None:
    """/explore, /select_hypothesis, /branch, /export_trace: named endpoints for gradio_client (no page needed)."""
    defaults = {"model": "", **UiParams().controls(), **VIEW_DEFAULTS, "language": "", "branch_step": 1,
                "branch_token": ""}

    @gpu
    @named("text", "model", *CONTROL_NAMES, "step", "layer", "head", "language", defaults=defaults,
           types={"text": str, "language": str})
    def explore(text, model, *values) -> dict:
        """Decode `text` with the page's controls; returns what the page draws: summary, hypotheses, steps,
        attention layers and heads, the share string, and `views` (the five figures and every step's
        distribution and marks, Plotly JSON). `layer`/`head` -1: the last layer, the mean of its heads.
        `language`: a multilingual model's target-language token (/models lists them), "" = the model's choice."""
        *values, step, layer, head, language = values
        return api_view(store, model, text, dict(zip(CONTROL_NAMES, values, strict=True)),
                        {"step": step, "layer": layer, "head": head}, language)

    @gpu
    @named("text", "model", *CONTROL_NAMES, "hypothesis", "step", "layer", "head", "language", defaults=defaults,
           types={"text": str, "language": str})
    def select_hypothesis(text, model, *values) -> dict:
        """As /explore, for another of the returned hypotheses (0 = the best)."""
        *values, hypothesis, step, layer, head, language = values
        return api_view(store, model, text, dict(zip(CONTROL_NAMES, values, strict=True)),
                        {"hypothesis": hypothesis, "step": step, "layer": layer, "head": head}, language)

    @gpu
    @named("text", "model", *CONTROL_NAMES, "hypothesis", "branch_step", "branch_token", "layer", "head", "language",
           defaults=defaults, types={"text": str, "language": str, "branch_token": str})
    def branch(text, model, *values) -> dict:
        """As /explore, then force `branch_token` (a symbol of the model's output vocabulary) at output position
        `branch_step` (1-based) of hypothesis `hypothesis` (0 = the best), after that hypothesis's own symbols
        before it, and let the same strategy continue. The answer is /explore's for the branched decoding: the
        branch's outputs follow the original's (marked ↳), the views show its best at the forced step."""
        *values, hypothesis, branch_step, branch_token, layer, head, language = values
        return api_branch(store, model, text, dict(zip(CONTROL_NAMES, values, strict=True)),
                          {"hypothesis": hypothesis, "branch_step": branch_step, "branch_token": branch_token,
                           "layer": layer, "head": head}, language)

    @gpu
    @named("text", "model", *CONTROL_NAMES, "language", defaults=defaults, types={"text": str, "language": str})
    def export_trace(text, model, *values) -> dict:
        """The whole trace of decoding `text` with the page's controls (as the page's Export button), with
        `model`, `text` and `alternatives` (per shown output, per token: p at T=1 and filtered, rank and the top 5
        alternatives). /decode gives the trace, validated strictly."""
        *values, language = values
        try:
            session = run_decode(store, model or store.default, text,
                                 UiParams(**dict(zip(CONTROL_NAMES, values, strict=True))), language)
            check_trace_estimate(session.trace)  # (PLAYGROUND_MAX_RESPONSE_BYTES, as /decode and the page's export)
            out = export_dict(session)
            check_response(len(json.dumps(out, separators=(",", ":"))))
        except USER_ERRORS as e:
            raise gr.Error(str(e), print_exception=False) from None
        return out

    for fn in (explore, select_hypothesis, branch, export_trace):
        gr.api(fn, api_name=fn.__name__, **DECODE_GROUP)
    wire_lens_api(store)  # /logit_lens (lens_api.py)
