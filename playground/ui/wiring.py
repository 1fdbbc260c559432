"""gr.Blocks assembly: events, named API endpoints, queue and concurrency.

Why these queue settings: a decode is CPU-bound PyTorch work (milliseconds; a few hundred for a wide
beam), mostly Python between tiny matrix products, so the GIL serialises most of it anyway. Decodes
share one concurrency group sized to the CPU count: more would only interleave on the same cores and
make everyone wait longer. Re-rendering for another hypothesis never touches the model and gets a
larger group, so it stays responsive while decodes queue; a step move never reaches the server (it
redraws in the page from the step views sent with each decode: step_views.py). ``trigger_mode=
"always_last"`` drops intermediate slider positions: only the latest value is decoded.
"""

from __future__ import annotations

import logging

import gradio as gr

from playground.decoding.budget import cut_by_budget
from playground.decoding.config import DecodeConfig
from playground.models.vocab import InputError
from playground.ui.common.controls import CONTROLS, FORMULAS, UiParams, return_info, visible_controls
from playground.ui.common.events import DECODE_CONCURRENCY, DECODE_GROUP, TRIM, USER_ERRORS
from playground.ui.common.examples import default_input
from playground.ui.common.runtime import gpu
from playground.ui.common.style import esc
from playground.ui.explore import share_panel
from playground.ui.explore.handlers import Session, api_decode, render_views, run_decode
from playground.ui.explore.step_views import STEP_JS
from playground.ui.layout import CSS, PARAMS, build_layout, example_samples, input_widget_props
from playground.ui.store import describe, task_of

log = logging.getLogger(__name__)
RENDER_CONCURRENCY = 2 * DECODE_CONCURRENCY
QUEUE_MAX = 64  # waiting events beyond this are refused ("queue full") instead of piling up memory
STATE_TTL_S = 3600  # a tab's last trace is dropped an hour after its last update (or when the tab closes)
CONTROL_NAMES = tuple(n for n in CONTROLS if n != "max_length")  # max length applies to every strategy
DECODE_FIELDS = ("strategy", "temperature", "top_k", "top_p", "min_p", "beam_width", "num_return",
                 "num_samples", "length_penalty", "length_penalty_formula", "num_groups", "diversity_penalty",
                 "seed", "max_length")  # the /decode knobs: DecodeConfig fields, validated strictly
assert set(DECODE_FIELDS) <= set(DecodeConfig.__dataclass_fields__), "/decode knobs must be config fields"


def launch_kwargs() -> dict:
    """Arguments for demo.launch() (Gradio 6 takes theme and css at launch, not in gr.Blocks).

    ``run_history=False``: Gradio's run history keeps the last 100 calls' inputs and outputs in the
    browser's localStorage and re-parses and re-writes that whole list several times per event. Every
    Explore call returns a views JSON of 50-300 KB, so each slider change got slower than the one before
    (521 ms p50 over the first five changes, 994 ms over the last five of 40:
    benchmarks/page_profile.py --run-history). Disabling it also deletes runs an older page saved."""
    return dict(theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, show_error=True,
                state_session_capacity=1000, run_history=False)


def _view_outputs(views, step: int, with_hypotheses: bool) -> list:
    """[summary, (hypothesis picker), step slider, views JSON]. The five charts are not outputs: the page
    draws them from the views JSON (step_views.js), because gr.Plot re-mounts its chart on every new value."""
    out = [views.summary]
    if with_hypotheses:
        out.append(gr.update(choices=views.hypotheses, value=0, visible=len(views.hypotheses) > 1))
    # a slider needs minimum < maximum: a one-step output gets 1..2, disabled
    out += [gr.update(maximum=max(views.steps, 2), value=min(max(step, 1), views.steps or 1),
                      interactive=views.steps > 1), views.step_views]
    return out


def explore_update(store, session: Session, model_name: str, text: str, step, values: dict) -> list:
    """The body of the explore event: decode with the widgets' ``values`` (UiParams fields) and return
    [session, status, *views]. A message for people (bad input or parameter) keeps the previous views and
    shows next to the controls (status line and a warning toast); a decode cut short by its time or node
    budget warns too. Messages are HTML-escaped: gradio renders toasts and Markdown as HTML, and
    the message may quote the input."""
    try:
        new = run_decode(store, model_name, text, UiParams(**values))
    except USER_ERRORS as e:
        if str(text).strip():  # an empty box while typing is not worth a pop-up
            gr.Warning(esc(str(e)), duration=5)
        return [session, f"**Cannot decode:** {esc(str(e))}"] + [gr.skip()] * 4
    except Exception:
        log.exception("decode failed for %r with %s", text, values)
        raise gr.Error("Decoding failed unexpectedly; the server log has the details.") from None
    if cut_by_budget(new.trace):  # (an output cut at the chosen max length is only noted in the summary)
        gr.Warning(esc(new.trace.message), duration=8)
    step = _whole_or(step, 1)
    views = render_views(new, 0, step - 1)
    status = "".join(f"**Note:** {esc(n)}. " for n in new.notes)
    return [new, status] + _view_outputs(views, step, True)


def _whole_or(value, default: int) -> int:
    """A widget value as int; a missing or non-numeric one (an API caller's) becomes ``default``."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def build_demo(store) -> gr.Blocks:
    params0 = UiParams()
    trim = TRIM  # shared by the app's decodes (not session state): keeps the server's RSS flat
    first_text = default_input(task_of(store.get(store.default)), store.get(store.default).source_vocab)
    first = run_decode(store, store.default, first_text, params0)  # the page opens already rendered

    @gpu
    def explore(session: Session, model_name: str, text: str, step: float, strategy: str, temperature: float,
                top_k: float, top_p: float, min_p: float, beam_width: float, num_groups: float,
                diversity_penalty: float, num_return: float, length_penalty_formula: str,
                length_penalty: float, seed: float | None, max_length: float):
        """Decode with the current controls and redraw every view (bad input keeps the previous views)."""
        values = {k: v for k, v in locals().items() if k in PARAMS}
        values["seed"] = 0 if seed is None else seed  # an emptied Number box gives None
        try:
            return explore_update(store, session, model_name, text, step, values)
        finally:
            trim()

    def select(session: Session, hyp: int, step: float):
        """Re-render for another hypothesis from the stored trace (no decoding)."""
        if not isinstance(session, Session) or session.trace is None:
            return [gr.skip()] * 3
        step = _whole_or(step, 1)
        views = render_views(session, _whole_or(hyp, 0), step - 1)
        return _view_outputs(views, step, False)

    def set_strategy(strategy: str, formula: str):
        shown = visible_controls(strategy, formula)
        infos = {"length_penalty_formula": FORMULAS.get(formula, ""),  # (an API caller may name no formula)
                 "num_return": return_info(strategy)}
        return [gr.update(visible=shown[n], **({"info": infos[n]} if n in infos else {})) for n in CONTROL_NAMES]

    def switch_model(model_name: str, text: str):
        try:
            model = store.get(model_name)
        except USER_ERRORS as e:  # the modal renders HTML, and the message quotes the typed name
            raise gr.Error(esc(str(e)), print_exception=False) from None
        try:
            model.source_vocab.tokenize(text)
        except InputError:  # e.g. a spelled word handed to a P2G model: open its first example instead
            text = default_input(task_of(model), model.source_vocab)
        samples, labels = example_samples(model)
        return (gr.update(value=text, **input_widget_props(model)),
                gr.update(samples=samples, sample_labels=labels))

    def pick_example(sample: list) -> str:
        return str(sample[0]) if isinstance(sample, (list, tuple)) and sample else ""

    @gpu
    def decode_endpoint(text: str, model: str = "", strategy: str = "greedy", temperature: float = 1.0,
                        top_k: int = 0, top_p: float = 1.0, min_p: float = 0.0, beam_width: int = 5,
                        num_return: int = 1, num_samples: int = 1, length_penalty: float = 1.0,
                        length_penalty_formula: str = "length", num_groups: int = 1,
                        diversity_penalty: float = 0.0, seed: int = 0, max_length: int = 32) -> dict:
        """Decode `text` with one strategy; returns the full trace as JSON (playground/decoding/trace.py),
        plus `model` and `returned` (node ids of the num_return best). Values are validated strictly:
        nothing is adjusted, and an error names the field and its valid range."""
        config = {k: v for k, v in locals().items() if k in DECODE_FIELDS}
        try:
            return api_decode(store, model or store.default, text, config)
        except USER_ERRORS as e:
            raise gr.Error(str(e), print_exception=False) from None
        finally:
            trim()

    def models_endpoint() -> list[dict]:
        """The models this server decodes with: name (pass it as `model`), task and label."""
        return [{"name": n, "task": task_of(m), "label": describe(n, m)} for n, m in store.models.items()]

    with gr.Blocks(title="Decoding Playground", fill_width=True) as demo:
        session = gr.State(first, time_to_live=STATE_TTL_S)  # per tab: the last good decoding
        ui = build_layout(store, first_text, render_views(first), params0)
        views_out = [ui.summary, ui.hypothesis, ui.step, ui.step_views]
        explore_io = dict(inputs=[session, ui.model, ui.text, ui.step, *ui.params],
                          outputs=[session, ui.status, *views_out])
        decode_group = dict(DECODE_GROUP)
        explored = gr.on([ui.text.change] + [p.change for p in ui.params], explore, **explore_io,
                         api_name="explore", trigger_mode="always_last", show_progress="minimal", **decode_group)
        # step and hypothesis listen to .input (user moves only): explore also sets them, and that
        # programmatic change must not trigger a second, possibly stale, render. The page draws the charts
        # from the views JSON, when it changes and when the step moves: neither reaches the server.
        draw = dict(inputs=[ui.step, ui.step_views], outputs=None, js=STEP_JS, queue=False, show_progress="hidden",
                    api_visibility="private")
        ui.step_views.change(None, **draw)
        ui.step.input(None, **draw)
        ui.hypothesis.input(select, [session, ui.hypothesis, ui.step], [ui.summary, ui.step, ui.step_views],
                            api_name="select_hypothesis", trigger_mode="always_last", show_progress="hidden",
                            concurrency_id="render", concurrency_limit=RENDER_CONCURRENCY)
        gr.on([ui.strategy.change, ui.length_penalty_formula.change], set_strategy,
              [ui.strategy, ui.length_penalty_formula], [getattr(ui, n) for n in CONTROL_NAMES],
              api_name="controls", queue=False, show_progress="hidden")
        ui.model.change(switch_model, [ui.model, ui.text], [ui.text, ui.examples], api_name="switch_model",
                        show_progress="hidden").then(
            explore, **explore_io, api_name="explore_after_switch", api_visibility="undocumented",
            show_progress="minimal", **decode_group)
        ui.examples.click(pick_example, ui.examples, ui.text, api_name="pick_example", queue=False)
        gr.api(decode_endpoint, api_name="decode", **decode_group)
        gr.api(models_endpoint, api_name="models", queue=False)
        share_panel.wire(demo, ui, store, session, explored, PARAMS)
    demo.queue(default_concurrency_limit=DECODE_CONCURRENCY, max_size=QUEUE_MAX)
    return demo
