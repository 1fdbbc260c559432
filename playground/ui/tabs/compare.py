"""The Compare tab: 2-4 strategies side by side on the same input and seed, computed in one call.

Each column has a preset (which fills its compact controls) and only the knobs its strategy reads.
All columns are decoded by one handler (``/compare``); the aligned diff of their top outputs sits on
top, each column below shows its outputs and its top output's attention and p(symbol) strip.

Re-running on every keystroke of the shared input box would decode 2-4 times per key for a tab nobody
is looking at, so input/model changes re-run only while this tab is open; otherwise they mark it stale
and it re-runs when opened (``active`` / ``stale`` states, per browser tab). A new page starts stale: the
columns are first computed when the tab is first opened, which keeps the app's start fast.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from playground.analysis.compare import (
    KNOBS,
    MAX_COLUMNS,
    PRESETS,
    column_config,
    compare,
    describe,
    preset_config,
    preset_knobs,
)
from playground.decoding.validate import whole
from playground.ui.common.controls import APPLIES, CONTROLS, speaks, with_language
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, guarded
from playground.ui.common.export import write_json
from playground.ui.common.runtime import gpu
from playground.ui.common.style import md
from playground.ui.common.widgets import control_widget
from playground.ui.store import describe as model_label
from playground.ui.tabs.compare_plots import column_figure, diff_figure, outputs_html

ID, TITLE = "compare", "Compare"
DEFAULT_PRESETS = ("greedy", "beam 5", "nucleus p=0.9", "exact search")
DEFAULT_COUNT = 3
CUSTOM = "custom"  # the preset label once a column's knobs were edited by hand
KNOB_NAMES = tuple(k for k in KNOBS if k != "strategy")  # the sliders under each column's strategy
CSS = """
.cmp-column ol { margin: 4px 0 0 0; padding-left: 1.4em; }
.cmp-column li { margin-bottom: 4px; }
.cmp-out { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.95rem; }
.cmp-num { font-size: 0.8rem; color: #6b7280; }
mark.cmp-diff { background: #fdba74; color: inherit; padding: 0 2px; border-radius: 3px; }
#compare-status p { color: #b45309; margin: 0; }
"""


def knob_updates(strategy: str, values: dict | None = None) -> list:
    """gr.update per KNOB_NAMES: shown only if ``strategy`` reads it, with ``values`` filled in."""
    used = APPLIES.get(strategy, ())
    return [gr.update(visible=name in used, **({"value": values[name]} if values else {})) for name in KNOB_NAMES]


def fill_preset(name: str) -> list:
    """The column's strategy and knobs for preset ``name`` ("custom" leaves them as they are)."""
    if name not in PRESETS:
        return [gr.skip()] * (1 + len(KNOB_NAMES))
    knobs = preset_knobs(name)
    return [gr.update(value=knobs["strategy"]), *knob_updates(knobs["strategy"], knobs)]


SAME_MODEL = "same as above"  # a column's model choice: the page's model picker's


def run_compare(store, model_name: str, text: str, count, seed, max_length, column_models: list, knob_values: list,
                language: str = ""):
    """Decode with the first ``count`` columns' models (each a served model's name, or SAME_MODEL) and knobs
    (KNOBS order, one block per column) -> Comparison. ``language``: the page's target language (a multilingual
    model's), forced in the columns on the page's model and on any other model that lists it."""
    count = whole(count)
    if not isinstance(count, int) or not 2 <= count <= MAX_COLUMNS:
        raise ValueError(f"the number of columns must be 2 to {MAX_COLUMNS}, got {count!r}")
    seed = 0 if seed is None else whole(seed)  # (an emptied box gives None; DecodeConfig checks the rest)
    per = len(KNOBS)
    configs = []
    for c in range(count):
        knobs = dict(zip(KNOBS, knob_values[c * per:(c + 1) * per], strict=True))
        knobs = {k: whole(v) if CONTROLS[k].integer else v for k, v in knobs.items()}
        try:
            configs.append(column_config(seed=seed, max_length=whole(max_length), **knobs))
        except ValueError as e:
            raise ValueError(f"column {c + 1}: {e}") from None
    names = [model_name if m in (SAME_MODEL, None, "") else m for m in column_models[:count]]
    configs = [with_language(config, language) if name == model_name or speaks(store.get(name), language) else config
               for name, config in zip(names, configs, strict=True)]
    mixed = len(set(names)) > 1  # columns on several models: every label names its model
    labels = [describe(config) + (f" · {model_label(name, store.get(name))}" if mixed else "")
              for name, config in zip(names, configs, strict=True)]
    return compare([store.get(name) for name in names], text, configs, labels=labels)


def compare_values(store, model_name, text, count, seed, max_len, *values):
    """The page's Compare inputs -> Comparison (``values``: the column models, every column's knobs, the target
    language)."""
    models, knob_values, language = values[:MAX_COLUMNS], values[MAX_COLUMNS:-1], values[-1]
    return run_compare(store, model_name, text, count, seed, max_len, models, knob_values, language)


def render(comparison, text: str) -> list:
    """[diff figure, download path, then per column (HTML, figure)] for MAX_COLUMNS columns."""
    out = [diff_figure(comparison), _json(comparison, text)]
    for c in range(MAX_COLUMNS):
        if c < len(comparison.columns):
            col, marks = comparison.columns[c], comparison.alignment.marks(c)
            out += [outputs_html(col, marks), column_figure(col, marks)]
        else:
            out += [gr.skip(), gr.skip()]
    return out


def build(store, shared: SimpleNamespace) -> SimpleNamespace:
    """Create this tab's widgets inside the current gr.Tab and wire its events."""
    tab = SimpleNamespace(columns=[], knobs=[], presets=[], strategies=[], models=[], html=[], plots=[])
    gr.Markdown("The same input and seed through 2-4 strategies at once. Pick a preset per column (it fills "
                "the column's controls) or set the controls yourself; orange marks where the columns' top "
                "outputs differ.")
    explore_max_length = shared.controls["max_length"]  # the same cut-off everywhere
    # the columns are computed when the tab is first opened (``stale`` starts True): the app starts faster
    with gr.Row(equal_height=True):
        tab.count = gr.Radio([2, 3, 4], value=DEFAULT_COUNT, label="Columns", elem_id="compare-count", scale=1)
        tab.seed = gr.Number(0, label="Seed (shared by every column)", precision=0, minimum=0,
                             elem_id="compare-seed", scale=1)
        tab.run = gr.Button("Compare", variant="primary", elem_id="compare-run", scale=1)
        tab.download = gr.DownloadButton("Download all columns (JSON)", None,
                                         elem_id="compare-download", scale=1)
    tab.status = gr.Markdown("", elem_id="compare-status")
    tab.diff = gr.Plot(None, show_label=False, elem_id="plot-compare-diff")
    # three rows of 4 columns (controls, outputs, charts), so that each row lines up across the columns
    with gr.Row(equal_height=False):
        for c in range(MAX_COLUMNS):
            knobs = preset_knobs(DEFAULT_PRESETS[c])
            with gr.Column(visible=c < DEFAULT_COUNT, min_width=300, elem_id=f"compare-col-{c}") as column:
                tab.columns.append(column)
                tab.models.append(gr.Dropdown([SAME_MODEL, *store.choices()], value=SAME_MODEL,
                                              label=f"Column {c + 1}: model", elem_id=f"compare-model-{c}"))
                preset = gr.Dropdown([*PRESETS, CUSTOM], value=DEFAULT_PRESETS[c], label="Preset",
                                     elem_id=f"compare-preset-{c}")
                strategy = gr.Dropdown(list(CONTROLS["strategy"].choices), value=knobs["strategy"],
                                       label=CONTROLS["strategy"].label, elem_id=f"compare-strategy-{c}")
                used = APPLIES[knobs["strategy"]]
                sliders = [_knob(name, knobs[name], c, name in used) for name in KNOB_NAMES]
                tab.presets.append(preset)
                tab.strategies.append(strategy)
                tab.knobs.append([strategy, *sliders])
    for kind in ("outputs", "plot"):
        with gr.Row(equal_height=False):
            for c in range(MAX_COLUMNS):
                with gr.Column(visible=c < DEFAULT_COUNT, min_width=300) as column:
                    tab.columns.append(column)
                    if kind == "outputs":
                        tab.html.append(gr.HTML("", elem_id=f"compare-outputs-{c}"))
                    else:
                        tab.plots.append(gr.Plot(None, show_label=False, elem_id=f"plot-compare-{c}"))
    _wire(store, shared, tab, explore_max_length)
    return tab


def _json(comparison, text: str) -> str:
    return write_json(comparison.to_dict(), f"compare-{text}")


def _knob(name: str, value, column: int, visible: bool) -> gr.Slider:
    """A column's slider: the Explore control's range and label, without its help line (columns are narrow)."""
    return control_widget(name, value, visible=visible, info=None, min_width=120,
                          elem_id=f"compare-{name.replace('_', '-')}-{column}")


def _wire(store, shared, tab, max_length) -> None:
    knob_inputs = [k for column in tab.knobs for k in column]
    outputs = [tab.diff, tab.download] + [w for pair in zip(tab.html, tab.plots, strict=True) for w in pair]
    # (the target language last: /compare keeps its positional API)
    inputs = [shared.model, shared.text, tab.count, tab.seed, max_length, *tab.models, *knob_inputs, shared.language]
    active, stale = gr.State(False), gr.State(True)  # stale until the first run (on first opening the tab)

    @gpu
    @guarded
    def on_compare(model_name, text, count, seed, max_len, *values):
        """Decode the input with every shown column's model and strategy (one call); returns the aligned diff,
        the JSON download and each column's outputs and attention/p(symbol) figure."""
        return [""] + render(compare_values(store, model_name, text, count, seed, max_len, *values), text)

    def auto(run: bool, stale_now: bool, args) -> list:
        """Re-run (``run``) or just remember whether the views are stale; errors go to the status line."""
        if not run:
            return [stale_now] + [gr.skip()] * (len(outputs) + 1)
        try:
            comparison = compare_values(store, *args)
        except USER_ERRORS as e:
            return [False, f"**Cannot compare:** {md(str(e))}"] + [gr.skip()] * len(outputs)
        return [False, ""] + render(comparison, args[1])

    @gpu
    @guarded
    def compare_on_change(is_active, is_stale, *args):
        """The input or model changed: re-run if the tab is showing, else mark it stale."""
        return auto(bool(is_active), not is_active, args)

    @gpu
    @guarded
    def compare_on_open(is_active, is_stale, *args):
        """The tab was opened: re-run if the input changed since the last run."""
        return auto(bool(is_active and is_stale), bool(is_stale), args)

    def is_this_tab(evt: gr.SelectData) -> bool:
        return evt.value == TITLE or evt.value == ID

    tab.run.click(on_compare, inputs, [tab.status, *outputs], api_name="compare", **DECODE_GROUP)
    _wire_api(store)
    auto_io = dict(inputs=[active, stale, *inputs], outputs=[stale, tab.status, *outputs], **DECODE_GROUP)
    shared.followers.append(dict(fn=compare_on_change, **auto_io, show_progress="minimal"))  # (wiring.follow_input)
    shared.tabs.select(is_this_tab, None, active, queue=False, show_progress="hidden",
                       api_visibility="private").then(compare_on_open, **auto_io, api_visibility="private")
    _wire_columns(tab, dict(inputs=inputs, outputs=[tab.status, *outputs], **DECODE_GROUP), on_compare)


def _wire_api(store) -> None:
    """/compare_json: the comparison as data, for gradio_client."""

    @gpu
    @guarded
    def compare_json(text: str, model: str = "", presets: list[str] | None = None, seed: int = 0,
                     max_length: int = 32, models: list[str] | None = None, language: str = "") -> dict:
        """Compare 2-4 presets (the Compare tab's names, e.g. "greedy", "beam 5", "nucleus p=0.9") on `text`
        with one shared seed: every column's outputs, per-step p(symbol), whole trace, and the aligned diff.
        `models` (optional, one per preset) decodes each column with its own model (default: `model`);
        `language`, a multilingual model's target language, is forced in every column whose model lists it."""
        names = list(presets or DEFAULT_PRESETS[:2])
        column_models = [store.get(m or model or store.default)
                         for m in (list(models) if models else [model or store.default] * len(names))]
        if len(column_models) != len(names):
            raise ValueError(f"give one model per preset: {len(column_models)} models for {len(names)} presets")
        configs = [preset_config(name, seed=seed, max_length=max_length) for name in names]
        if language and not any(speaks(m, language) for m in column_models):
            raise ValueError(f"unknown target language {language!r}: no column's model lists it")
        configs = [with_language(c, language) if speaks(m, language) else c
                   for m, c in zip(column_models, configs, strict=True)]
        return compare(column_models, text, configs, labels=names).to_dict()

    gr.api(compare_json, api_name="compare_json", **DECODE_GROUP)


def _wire_columns(tab, io: dict, on_compare) -> None:
    """Per column: a preset fills its knobs and re-runs; a strategy shows the knobs it reads; a hand-edited knob
    turns the preset label into "custom". Any knob or the column count re-runs every column."""
    knob_inputs = [k for column in tab.knobs for k in column]
    for c in range(MAX_COLUMNS):
        strategy, sliders = tab.knobs[c][0], tab.knobs[c][1:]
        tab.presets[c].input(fill_preset, tab.presets[c], tab.knobs[c], queue=False,
                             api_visibility="private").then(on_compare, **io, api_visibility="private")
        strategy.input(knob_updates, strategy, sliders, queue=False, api_visibility="private")
        # once a knob is edited by hand the column no longer is its preset: say so instead of a stale name
        gr.on([k.input for k in tab.knobs[c]], lambda: CUSTOM, None, tab.presets[c], queue=False,
              api_visibility="private", show_progress="hidden")
    # a user's own knob or count change re-runs all columns (.input: not the preset's programmatic fill)
    gr.on([tab.count.input, tab.seed.input] + [k.input for k in knob_inputs], on_compare, **io,
          trigger_mode="always_last", api_visibility="private")
    tab.count.change(lambda n: [gr.update(visible=c % MAX_COLUMNS < int(n)) for c in range(len(tab.columns))],
                     tab.count, tab.columns, queue=False, api_visibility="private")
