"""The Sample tab: N samples under the Explore tab's settings: which outputs, how often, how probable.

The samples are one batched decode (strategy "sample", num_samples = N) with the Explore tab's
temperature, top-k, top-p, min-p, seed and max length; every distinct output is then scored exactly
(playground/analysis/sampling.py). This is where temperature and top-p show as a change of the *output*
distribution, not just of one step's.

Like the Compare tab, a change of the input or model re-draws only while this tab is open; opening the
tab re-draws when the input, model or settings differ from its last draw. The settings are not watched:
they live on the Explore tab, so they can only change while this tab is hidden, and watching them queued
two server events beside every Explore slider move's decode, which delayed its charts.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from playground.analysis.sampling import sample_distribution
from playground.decoding.config import MAX_SAMPLES
from playground.ui.common.controls import UiParams
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, guarded
from playground.ui.common.export import write_json
from playground.ui.common.runtime import gpu
from playground.ui.common.style import esc
from playground.ui.tabs.sample_plots import calibration_figure, diversity_markdown, outputs_figure, settings_markdown

ID, TITLE = "sample", "Sample"
DEFAULT_N = 200
PROGRESS = gr.Progress()  # the default gradio replaces with the event's own tracker (one object is enough)
SETTINGS = ("temperature", "top_k", "top_p", "min_p", "seed", "max_length")  # read from the Explore tab
CSS = """
#sample-settings p { color: #4b5563; margin: 0; }
#sample-figures p { font-size: 1rem; line-height: 1.6; margin: 4px 0; }
#sample-status p { color: #b45309; margin: 0; }
"""


def sample_config(settings: dict):
    """The Explore tab's widget values (SETTINGS, as the widgets give them) -> a sampling DecodeConfig.

    Raises ValueError naming a field that is out of range."""
    values = dict(settings)
    values["seed"] = 0 if values.get("seed") is None else values["seed"]  # an emptied Number box gives None
    config, _ = UiParams(strategy="sample", num_return=1, **values).to_config()
    return config


def run_sample(store, model_name: str, text: str, n, settings: dict, progress=None):
    """Draw ``n`` samples of ``text`` with the Explore tab's ``settings`` -> SampleStats."""
    if not isinstance(n, (int, float)) or not float(n).is_integer() or not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"the number of samples must be a whole number from 1 to {MAX_SAMPLES}, got {n!r}")
    return sample_distribution(store.get(model_name), text, sample_config(settings), int(n), progress=progress)


def render(stats, text: str) -> list:
    """[diversity figures, outputs chart, calibration chart, download path]."""
    return [diversity_markdown(stats), outputs_figure(stats), calibration_figure(stats),
            write_json(stats.to_dict(), f"samples-{text}")]


def build(store, shared: SimpleNamespace) -> SimpleNamespace:
    """Create this tab's widgets inside the current gr.Tab and wire its events."""
    from playground.ui.layout import PARAMS  # (layout imports this module: import at call time)

    tab = SimpleNamespace()
    settings_widgets = [shared.params[PARAMS.index(name)] for name in SETTINGS]
    settings0 = {name: w.value for name, w in zip(SETTINGS, settings_widgets, strict=True)}
    gr.Markdown("Draw many samples at once and see which outputs come out, how often, and how probable each "
                "is: under the model itself (T = 1) and under the distribution the sampler actually drew from "
                "(after temperature and the filters). Change the settings on the Explore tab.")
    tab.settings = gr.Markdown(settings_markdown(sample_config(settings0)), elem_id="sample-settings")
    first = ["", None, None, None]  # drawn when the tab is first opened: the app starts without this work
    with gr.Row(equal_height=True):
        tab.n = gr.Slider(1, MAX_SAMPLES, DEFAULT_N, step=1, label="Number of samples (N)", elem_id="sample-n",
                          info="drawn as one batch; the same seed gives the same samples", scale=3)
        tab.draw = gr.Button("Draw", variant="primary", elem_id="sample-draw", scale=1)
        tab.download = gr.DownloadButton("Download (JSON)", first[3], elem_id="sample-download", scale=1)
    tab.status = gr.Markdown("", elem_id="sample-status")
    tab.figures = gr.Markdown(first[0], elem_id="sample-figures")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=520):
            tab.outputs = gr.Plot(first[1], show_label=False, elem_id="plot-sample-outputs")
            gr.Markdown("Orange = how often each output was drawn; light = its exact probability under the model "
                        "(T = 1); dark = under the filtered distribution. With enough samples orange meets dark.",
                        elem_classes="caption")
        with gr.Column(scale=2, min_width=380):
            tab.calibration = gr.Plot(first[2], show_label=False, elem_id="plot-sample-calibration")
            gr.Markdown("Each output twice: filled = filtered probability (on the dashed line when sampling works "
                        "as intended), hollow = model probability (off the line where temperature or the "
                        "filters reshape the distribution).", elem_classes="caption")
    _wire(store, shared, tab, settings_widgets)
    return tab


def _wire(store, shared, tab, settings_widgets) -> None:
    outputs = [tab.figures, tab.outputs, tab.calibration, tab.download]
    inputs = [shared.model, shared.text, tab.n, *settings_widgets]
    # drawn: the arguments of the last automatic draw (None: none yet, so the first opening draws)
    active, drawn = gr.State(False), gr.State(None)

    def draw(model_name, text, n, settings_values, progress):
        settings = dict(zip(SETTINGS, settings_values, strict=True))
        stats = run_sample(store, model_name, text, n, settings,
                           progress=lambda fraction, what: progress(fraction, desc=what))
        return render(stats, text)

    @gpu
    @guarded
    def sample(model_name, text, n, temperature, top_k, top_p, min_p, seed, max_length,
               progress=PROGRESS):
        """Draw N samples with the given settings; returns the diversity figures, the chart of distinct
        outputs (frequency, exact model probability, filtered probability), the calibration chart and the
        JSON download."""
        return [""] + draw(model_name, text, n, [temperature, top_k, top_p, min_p, seed, max_length], progress)

    def auto(run: bool, args, progress) -> list:
        if not run:
            return [gr.skip()] * (len(outputs) + 2)
        try:
            return [list(args), ""] + draw(args[0], args[1], args[2], list(args[3:]), progress)
        except USER_ERRORS as e:
            return [list(args), f"**Cannot sample:** {esc(str(e))}"] + [gr.skip()] * len(outputs)

    # (every argument spelled out: gradio finds gr.Progress only among the named positional parameters)
    @gpu
    @guarded
    def sample_on_change(is_active, last, model_name, text, n, temperature, top_k, top_p, min_p, seed,
                         max_length, progress=PROGRESS):
        """The input or model changed: re-draw if the tab is showing (opening it re-draws otherwise)."""
        args = (model_name, text, n, temperature, top_k, top_p, min_p, seed, max_length)
        return auto(bool(is_active), args, progress)

    @gpu
    @guarded
    def sample_on_open(is_active, last, model_name, text, n, temperature, top_k, top_p, min_p, seed,
                       max_length, progress=PROGRESS):
        """The tab was opened: re-draw if the input, model or settings differ from the last draw."""
        args = (model_name, text, n, temperature, top_k, top_p, min_p, seed, max_length)
        return auto(bool(is_active) and last != list(args), args, progress)

    def is_this_tab(evt: gr.SelectData) -> bool:
        return evt.value == TITLE or evt.value == ID

    def show_settings(*values):
        try:
            return settings_markdown(sample_config(dict(zip(SETTINGS, values, strict=True))))
        except ValueError as e:
            return f"**Settings cannot be used:** {esc(str(e))}"

    @gpu
    @guarded
    def sample_json(text: str, model: str = "", n: int = DEFAULT_N, temperature: float = 1.0, top_k: int = 0,
                    top_p: float = 1.0, min_p: float = 0.0, seed: int = 0, max_length: int = 32) -> dict:
        """Draw `n` samples of `text` (one batch): every distinct output with its count, frequency, exact model
        log p and log p under the filtered distribution; entropy, distinct count, share equal to beam-5's top."""
        settings = dict(temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p, seed=seed,
                        max_length=max_length)
        return run_sample(store, model or store.default, text, n, settings).to_dict()

    gr.api(sample_json, api_name="sample_json", **DECODE_GROUP)
    io = dict(outputs=[tab.status, *outputs], **DECODE_GROUP)
    tab.draw.click(sample, inputs, api_name="sample", show_progress="full", **io)
    auto_io = dict(inputs=[active, drawn, *inputs], outputs=[drawn, tab.status, *outputs], **DECODE_GROUP)
    gr.on([shared.text.change, shared.model.change], sample_on_change,
          **auto_io, trigger_mode="always_last", api_name="sample_on_change", api_visibility="undocumented")
    shared.tabs.select(is_this_tab, None, active, queue=False, show_progress="hidden",
                       api_visibility="private").then(sample_on_open, **auto_io, api_visibility="private")
    shared.tabs.select(show_settings, settings_widgets, tab.settings, queue=False,  # (they change elsewhere)
                       show_progress="hidden", api_visibility="private")
    tab.n.release(sample, inputs, trigger_mode="always_last", api_visibility="private", **io)
