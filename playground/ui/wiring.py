"""gr.Blocks assembly: the page's shell events (model picker, examples), the API endpoints that belong to no tab,
and the queue. Each tab wires its own events (explore/events.py, tabs/*.py).

Why these queue settings: a decode is CPU-bound PyTorch work (milliseconds; a few hundred for a wide beam),
mostly Python between tiny matrix products, so the GIL serialises most of it anyway. Decodes share one
concurrency group sized to the CPU count (common/events.py), and every decode, the Explore tab's server function's
included, takes one of the same number of slots (runtime.DECODE_SLOTS): more would only interleave on the same
cores and make everyone wait longer. /decode's answer is bounded (PLAYGROUND_MAX_RESPONSE_BYTES, store.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import gradio as gr

from playground.decoding.config import PARAMS
from playground.models.card import task_of
from playground.models.checkpoint import brief
from playground.models.vocab import InputError
from playground.ui import report_api
from playground.ui.common.controls import UiParams, language_props, speaks
from playground.ui.common.events import DECODE_CONCURRENCY, DECODE_GROUP, TRIM, USER_ERRORS, named
from playground.ui.common.runtime import DECODE_SLOTS, gpu
from playground.ui.common.style import esc
from playground.ui.common.toolbar import page_js
from playground.ui.explore import events as explore_events
from playground.ui.explore import share_panel
from playground.ui.explore.handlers import api_decode, api_default, render_views, run_decode
from playground.ui.explore.service import ExploreService, respond
from playground.ui.layout import CSS, build_layout, chat_props, example_samples, first_input, input_widget_props
from playground.ui.store import check_response, check_trace_estimate, describe, max_response_bytes

PAGE_JS = page_js()  # once per page (leaked chart listeners, the charts' toolbar)
QUEUE_MAX = 64  # waiting events beyond this are refused ("queue full") instead of piling up memory
DECODE_FIELDS = tuple(name for name in PARAMS if name != "record_trace")  # /decode: every field the CLI takes
DECODE_DEFAULTS = MappingProxyType({"model": "", **{name: api_default(PARAMS[name]) for name in DECODE_FIELDS}})


def plotly_preload() -> str:
    """``<link rel=modulepreload>`` tags for Gradio's plot chunks (its 4.6 MB plotly.js bundle included).

    Why: the page asks for them only once the Explore charts mount, ~2 s into loading, then waits ~0.7 s for
    the bundle and parses it; preloaded, they arrive while Gradio's own code starts (benchmarks/cold_start.py).
    The chunk names carry a hash that changes with Gradio's version, so they are read from the installed
    package; none found, nothing is preloaded."""
    assets = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
    chunks = sorted(p.name for pattern in ("Plot-*.js", "PlotlyPlot-*.js") for p in assets.glob(pattern))
    return "".join(f'<link rel="modulepreload" href="./assets/{name}">' for name in chunks)


def launch_kwargs() -> dict:
    """Arguments for demo.launch() (Gradio 6 takes theme and css at launch, not in gr.Blocks).

    ``run_history=False``: Gradio's run history keeps the last 100 calls' inputs and outputs in the
    browser's localStorage and re-parses and re-writes that whole list several times per event. Every
    Explore call returns a views JSON of 50-300 KB, so each slider change got slower than the one before
    (521 ms p50 over the first five changes, 994 ms over the last five of 40:
    benchmarks/page_profile.py --run-history). Disabling it also deletes runs an older page saved."""
    return dict(theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, js=PAGE_JS, head=plotly_preload(), show_error=True,
                state_session_capacity=1000, run_history=False)


def build_demo(store) -> gr.Blocks:
    params0 = UiParams()
    first_text = first_input(store.get(store.default))
    first = run_decode(store, store.default, first_text, params0)  # the page opens already rendered
    service = ExploreService(store, slots=DECODE_SLOTS)  # the Explore tab's server functions (the app's slots)
    with gr.Blocks(title="Decoding Playground", fill_width=True) as demo:
        ui = build_layout(store, first_text, render_views(first), params0, service, respond(first, 0, {}))
        decode = explore_events.wire(ui)
        explore_events.wire_api(store)
        report_api.wire(store)  # /report
        wire_shell(ui, store, decode)
        share_panel.wire(demo, ui, store)
    demo.queue(default_concurrency_limit=DECODE_CONCURRENCY, max_size=QUEUE_MAX)
    demo.explore_service = service  # (benchmarks/load.py reads what its pages keep)
    return demo


def wire_shell(ui, store, decode: dict) -> None:
    """The model picker (then a decode: ``decode`` is the page's JavaScript-only decode event), the example
    buttons, /decode and /models."""

    def switch_model(model_name: str, text: str, language: str = ""):
        """The new model's input box, examples and target languages; the input and language stay if it reads
        them (a view link sets the model and its language together)."""
        try:
            model = store.get(model_name)
        except USER_ERRORS as e:  # the modal renders HTML, and the message quotes the typed name
            raise gr.Error(esc(str(e)), print_exception=False) from None
        try:
            model.source_vocab.tokenize(text)
            new_text = {}  # kept: the box is not set again (see below)
        except InputError:  # e.g. a spelled word handed to a P2G model: open its first example instead
            new_text = {"value": first_input(model)}
        new_language = {} if speaks(model, language) or not language else {"value": ""}
        # A value is sent only when it must change: the text and language read here can be older than the boxes'
        # (a view link sets all three at once), and sending them back undid the link's target language
        samples, labels = example_samples(model)
        return (gr.update(**new_text, **input_widget_props(model)),
                gr.update(samples=samples, sample_labels=labels), gr.update(**new_language, **language_props(model)),
                gr.update(**chat_props(model)))

    def pick_example(sample: list) -> str:
        return str(sample[0]) if isinstance(sample, (list, tuple)) and sample else ""

    @gpu
    @named("text", *DECODE_DEFAULTS, defaults=DECODE_DEFAULTS, types={"text": str})
    def decode_endpoint(text, model, *values) -> dict:
        """Decode `text` with one strategy; returns the full trace as JSON (playground/decoding/trace.py),
        plus `model` and `returned` (node ids of the num_return best). Values are validated strictly:
        nothing is adjusted, and an error names the field and its valid range."""
        try:
            return bounded_decode(store, model or store.default, text, dict(zip(DECODE_FIELDS, values, strict=True)))
        except USER_ERRORS as e:
            raise gr.Error(brief(str(e), 500, quote=False), print_exception=False) from None
        finally:
            TRIM()

    def models_endpoint() -> list[dict]:
        """The models this server decodes with: name (pass it as `model`), task, label and, for a multilingual
        model, its target languages (pass one as `language` to /explore)."""
        return [{"name": n, "task": task_of(m), "label": describe(n, m),
                 "languages": [token for _, token in m.target_languages]}
                for n, m in store.models.items()]

    switched = ui.model.change(switch_model, [ui.model, ui.text, ui.language],
                               [ui.text, ui.examples, ui.language, ui.chat], api_name="switch_model",
                               show_progress="hidden").then(**decode)
    follow_input(ui, switched)
    ui.chat.click(chat_formatter(store), [ui.model, ui.text], ui.text, api_name="chat_prompt",
                  show_progress="hidden").then(**decode)
    ui.examples.click(pick_example, ui.examples, ui.text, api_name="pick_example", queue=False)
    gr.api(decode_endpoint, api_name="decode", **DECODE_GROUP)
    gr.api(models_endpoint, api_name="models", queue=False)


def chat_formatter(store):
    """The "Format as chat" event (/chat_prompt) over ``store``."""

    def format_chat(model_name: str, text: str) -> str:
        """The prompt as one user turn through the model's chat template (its role markers and special tokens
        written out), for a Hugging Face chat model; an error says why for any other model."""
        try:
            model = store.get(model_name)
            if not model.config.get("chat"):  # (a model that formats chat prompts says so: hf_causal.py)
                raise InputError("only a Hugging Face decoder-only model with a chat template formats a chat prompt")
            return model.chat_prompt(text)
        except USER_ERRORS as e:
            raise gr.Error(esc(brief(str(e), 500, quote=False)), print_exception=False) from None

    return format_chat


def bounded_decode(store, model: str, text: str, config: dict) -> dict:
    """/decode's answer (handlers.api_decode), refused with a message naming the bound when its JSON would be over
    PLAYGROUND_MAX_RESPONSE_BYTES."""
    limit = max_response_bytes()
    out = api_decode(Bounded(store, limit), model, text, config)
    check_response(len(json.dumps(out, separators=(",", ":"))), limit)
    return out


class Bounded:
    """The store as /decode sees it: a result whose JSON would be more than twice the response bound is refused
    before the trace becomes a dict (the exact size is checked after: check_response)."""

    def __init__(self, store, limit: int):
        self.store, self.limit = store, limit

    def get(self, name):
        return self.store.get(name)

    def decode(self, name, text, config):
        result = self.store.decode(name, text, config)
        check_trace_estimate(result.trace, self.limit)
        return result


def follow_input(ui, switched) -> None:
    """The tabs that follow the input (ui.followers: Compare's and Sample's listeners) hear of a new text or
    target language through one chain of events, the first listening and the others run after it (``.then``),
    and of a new model after the switch above.

    Why chains: when a deferred ``always_last`` event finishes, Gradio's page (6.x) dispatches its trigger again
    to *every* listener of that trigger. Two such listeners on one trigger, both busy when it fires, then re-run
    each other for as long as the page is open, and Explore's decode with them: a view link opened on a busy
    machine never drew (tests/test_browser_hf.py). One Python listener per trigger cannot loop; the tabs cost
    nothing more, as only the tab on screen decodes."""
    first, *rest = ui.followers
    event = gr.on([ui.text.change, ui.language.change], **first, trigger_mode="always_last", api_visibility="private")
    for follower in rest:
        event = event.then(**follower, trigger_mode="always_last", api_visibility="private")
    for follower in ui.followers:
        switched = switched.then(**follower, trigger_mode="always_last", api_visibility="private")
