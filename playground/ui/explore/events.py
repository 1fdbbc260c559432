"""The Explore tab's events: decode on every control change, re-render for another hypothesis, show the
controls a strategy reads, and draw the views in the page (step_views.js) without a server call per step.

A step move never reaches the server (the views JSON carries every step); re-rendering for another hypothesis
never touches the model and gets a larger concurrency group than decodes, so it stays responsive while decodes
queue. ``trigger_mode="always_last"`` drops intermediate slider positions: only the latest value is decoded.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import gradio as gr

from playground.decoding.budget import cut_by_budget
from playground.decoding.validate import whole
from playground.ui.common.controls import CONTROL_NAMES, SETTINGS, UiParams, control_info, visible_controls
from playground.ui.common.events import DECODE_CONCURRENCY, DECODE_GROUP, TRIM, USER_ERRORS, named
from playground.ui.common.runtime import gpu
from playground.ui.common.style import esc
from playground.ui.explore.handlers import Session, render_views, run_decode
from playground.ui.explore.step_views import STEP_JS
from playground.ui.explore.tab import picker_choices

log = logging.getLogger(__name__)
RENDER_CONCURRENCY = 2 * DECODE_CONCURRENCY
TOGGLED = tuple(n for n in SETTINGS if n != "max_length")  # max length applies to every strategy: never hidden


def whole_or(value, default: int) -> int:
    """A widget value as int; a missing or non-whole one (an API caller's) becomes ``default``."""
    value = whole(value)
    return value if isinstance(value, int) else default


def view_outputs(views, step: int, pickers: tuple | None = None) -> list:
    """[summary, step slider, views JSON], then, after a decode (``pickers`` = the selected layer and head),
    [hypothesis picker, layer, head, their row]. The five charts are not outputs: the page draws them from the
    views JSON (step_views.js), because gr.Plot re-mounts its chart on every new value."""
    # a slider needs minimum < maximum: a one-step output gets 1..2, disabled
    out = [views.summary, gr.update(maximum=max(views.steps, 2), value=min(max(step, 1), views.steps or 1),
                                    interactive=views.steps > 1), views.step_views]
    if pickers is not None:
        layers, heads = picker_choices(views.attention_heads)
        layer, head = pickers
        out += [gr.update(choices=views.hypotheses, value=0, visible=len(views.hypotheses) > 1),
                gr.update(choices=layers, value=layer), gr.update(choices=heads, value=-1 if head is None else head),
                gr.update(visible=views.attention_heads != (1, 1))]
    return out


def attention_pick(trace, layer, head) -> tuple[int, int | None]:
    """The picker's layer and head (-1: the mean of the heads) as Selection takes them, clamped to ``trace``."""
    layers, heads = trace.attention_heads
    layer, head = whole_or(layer, layers - 1), whole_or(head, -1)
    return min(max(layer, 0), layers - 1), head if 0 <= head < heads else None


def explore_update(store, session: Session, model_name: str, text: str, step, values: dict, layer=None,
                   head=None) -> list:
    """Decode with the widgets' ``values`` (by control name) and return [session, status, *views]. A message
    for people (bad input or parameter) keeps the previous views and shows next to the controls (status line
    and a warning toast); a decode cut short by its time or node budget warns too. Messages are HTML-escaped:
    gradio renders toasts and Markdown as HTML, and the message may quote the input."""
    try:
        new = run_decode(store, model_name, text, UiParams(**values))
    except USER_ERRORS as e:
        if str(text).strip():  # an empty box while typing is not worth a pop-up
            gr.Warning(esc(str(e)), duration=5)
        return [session, f"**Cannot decode:** {esc(str(e))}"] + [gr.skip()] * 7
    except Exception:
        log.exception("decode failed for %r with %s", text, values)
        raise gr.Error("Decoding failed unexpectedly; the server log has the details.") from None
    if cut_by_budget(new.trace):  # (an output cut at the chosen max length is only noted in the summary)
        gr.Warning(esc(new.trace.message), duration=8)
    step, pick = whole_or(step, 1), attention_pick(new.trace, layer, head)
    views = render_views(new, 0, step - 1, *pick)
    status = "".join(f"**Note:** {esc(n)}. " for n in new.notes)
    return [new, status] + view_outputs(views, step, pick)


def select(session: Session, hyp: int, step: float, layer: int = -1, head: int = -1) -> list:
    """Re-render for another hypothesis, attention layer or head from the stored trace (no decoding)."""
    if not isinstance(session, Session) or session.trace is None:
        return [gr.skip()] * 3
    step = whole_or(step, 1)
    views = render_views(session, whole_or(hyp, 0), step - 1, *attention_pick(session.trace, layer, head))
    return view_outputs(views, step)


def set_strategy(strategy: str, formula: str) -> list:
    """Show the controls ``strategy`` reads (and their help for it), hide the others."""
    shown = visible_controls(strategy, formula)
    return [gr.update(visible=shown[n], info=control_info(n, strategy, formula)) for n in TOGGLED]


def wire(ui: SimpleNamespace, store, session: gr.State) -> SimpleNamespace:
    """Every Explore event. Returns the decode handler, its inputs/outputs and its event (a model switch
    decodes too; the share panel follows every successful decode)."""

    @gpu
    @named("session", "model_name", "text", "step", *CONTROL_NAMES, "layer", "head",
           defaults={"layer": -1, "head": -1})
    def explore(session, model_name, text, step, *values):
        """Decode with the current controls and redraw every view (bad input keeps the previous views);
        ``layer`` and ``head`` pick the attention shown (-1: the last layer, the mean of its heads)."""
        *values, layer, head = values
        named_values = dict(zip(CONTROL_NAMES, values, strict=True))
        named_values["seed"] = 0 if named_values["seed"] is None else named_values["seed"]  # an emptied box
        try:
            return explore_update(store, session, model_name, text, step, named_values, layer, head)
        finally:
            TRIM()

    views = [ui.summary, ui.step, ui.step_views]
    explore_io = dict(inputs=[session, ui.model, ui.text, ui.step, *ui.params, ui.layer, ui.head],
                      outputs=[session, ui.status, *views, ui.hypothesis, ui.layer, ui.head, ui.attention_picker])
    explored = gr.on([ui.text.change] + [p.change for p in ui.params], explore, **explore_io, api_name="explore",
                     trigger_mode="always_last", show_progress="minimal", **DECODE_GROUP)
    # step and hypothesis listen to .input (user moves only): explore also sets them, and that programmatic
    # change must not trigger a second, possibly stale, render. The page draws the charts from the views JSON,
    # when it changes and when the step moves: neither reaches the server.
    draw = dict(inputs=[ui.step, ui.step_views], outputs=None, js=STEP_JS, queue=False, show_progress="hidden",
                api_visibility="private")
    ui.step_views.change(None, **draw)
    ui.step.input(None, **draw)
    gr.on([ui.hypothesis.input, ui.layer.input, ui.head.input], select,
          [session, ui.hypothesis, ui.step, ui.layer, ui.head], views, api_name="select_hypothesis",
          trigger_mode="always_last", show_progress="hidden", concurrency_id="render",
          concurrency_limit=RENDER_CONCURRENCY)
    strategy, formula = ui.controls["strategy"], ui.controls["length_penalty_formula"]
    gr.on([strategy.change, formula.change], set_strategy, [strategy, formula],
          [ui.controls[n] for n in TOGGLED], api_name="controls", queue=False, show_progress="hidden")
    return SimpleNamespace(explore=explore, io=explore_io, event=explored)
