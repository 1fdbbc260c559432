"""The Sample tab: N samples under the Explore tab's settings: which outputs, how often, how probable.

The samples are one batched decode (strategy "sample", num_samples = N) with the Explore tab's
temperature, top-k, top-p, min-p, seed and max length; every distinct output is then scored exactly
(playground/analysis/sampling.py). This is where temperature and top-p show as a change of the *output*
distribution, not just of one step's.

Like the Compare tab, a change of the input or model re-draws only while this tab is open; opening the
tab re-draws when the input, model or settings differ from its last draw. The settings are not watched:
they live on the Explore tab, so they can only change while this tab is hidden, and watching them queued
two server events beside every Explore slider move's decode, which delayed its charts.

Below the samples, a minimum Bayes risk section (sample_mbr.py) picks, from N samples with the same settings or the
beam's n-best list, the candidate that agrees most with the others; it runs on its button only.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from playground.analysis.sampling import sample_distribution
from playground.decoding.config import MAX_SAMPLES
from playground.ui.common.controls import APPLIES, UiParams, with_language
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, guarded, named
from playground.ui.common.export import write_json
from playground.ui.common.runtime import gpu
from playground.ui.common.style import md
from playground.ui.tabs import sample_mbr
from playground.ui.tabs.sample_plots import calibration_figure, diversity_markdown, outputs_figure, settings_markdown

ID, TITLE = "sample", "Sample"
DEFAULT_N = 200
PROGRESS = gr.Progress()  # the default gradio replaces with the event's own tracker (one object is enough)
SETTINGS = tuple(n for n in APPLIES["sample"] if n != "num_return")  # read from the Explore tab (N is ours)
CSS = """
#sample-settings p { color: #4b5563; margin: 0; }
#sample-figures p { font-size: 1rem; line-height: 1.6; margin: 4px 0; }
#sample-status p { color: #b45309; margin: 0; }
""" + sample_mbr.CSS


def sample_config(settings: dict):
    """The Explore tab's widget values (SETTINGS, as the widgets give them) -> a sampling DecodeConfig.

    Raises ValueError naming a field that is out of range."""
    values = dict(settings)
    values["seed"] = 0 if values.get("seed") is None else values["seed"]  # an emptied Number box gives None
    config, _ = UiParams(strategy="sample", num_return=1, **values).to_config()
    return config


def run_sample(store, model_name: str, text: str, n, settings: dict, progress=None, language: str = ""):
    """Draw ``n`` samples of ``text`` with the Explore tab's ``settings`` (and its target ``language``, for a
    multilingual model) -> SampleStats."""
    if not isinstance(n, (int, float)) or not float(n).is_integer() or not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"the number of samples must be a whole number from 1 to {MAX_SAMPLES}, got {n!r}")
    config = with_language(sample_config(settings), language)
    return sample_distribution(store.get(model_name), text, config, int(n), progress=progress)


def render(stats, text: str) -> list:
    """[diversity figures, outputs chart, calibration chart, download path]."""
    return [diversity_markdown(stats), outputs_figure(stats), calibration_figure(stats),
            write_json(stats.to_dict(), f"samples-{text}")]


def build(store, shared: SimpleNamespace) -> SimpleNamespace:
    """Create this tab's widgets inside the current gr.Tab and wire its events."""
    tab = SimpleNamespace()
    settings_widgets = [shared.controls[name] for name in SETTINGS]
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
    tab.mbr = sample_mbr.build(store, shared, settings_widgets)  # minimum Bayes risk, below (sample_mbr.py)
    return tab


def _wire(store, shared, tab, settings_widgets) -> None:
    outputs = [tab.figures, tab.outputs, tab.calibration, tab.download]
    inputs = [shared.model, shared.text, tab.n, *settings_widgets, shared.language]
    # drawn: the arguments of the last automatic draw (None: none yet, so the first opening draws)
    active, drawn = gr.State(False), gr.State(None)
    handlers = _handlers(store, len(outputs))
    gr.api(handlers.sample_json, api_name="sample_json", **DECODE_GROUP)
    io = dict(outputs=[tab.status, *outputs], **DECODE_GROUP)
    tab.draw.click(handlers.sample, inputs, api_name="sample", show_progress="full", **io)
    auto_io = dict(inputs=[active, drawn, *inputs], outputs=[drawn, tab.status, *outputs], **DECODE_GROUP)
    shared.followers.append(dict(fn=handlers.sample_on_change, **auto_io))  # (wiring.follow_input)
    shared.tabs.select(is_this_tab, None, active, queue=False, show_progress="hidden",
                       api_visibility="private").then(handlers.sample_on_open, **auto_io, api_visibility="private")
    shared.tabs.select(show_settings, settings_widgets, tab.settings, queue=False,  # (they change elsewhere)
                       show_progress="hidden", api_visibility="private")
    tab.n.release(handlers.sample, inputs, trigger_mode="always_last", api_visibility="private", **io)


def is_this_tab(evt: gr.SelectData) -> bool:
    return evt.value == TITLE or evt.value == ID


def show_settings(*values) -> str:
    try:
        return settings_markdown(sample_config(dict(zip(SETTINGS, values, strict=True))))
    except ValueError as e:
        return f"**Settings cannot be used:** {md(str(e))}"


def draw(store, values: tuple, progress) -> list:
    """The tab's inputs' values (model_name, text, n, *SETTINGS, language) -> what it shows."""
    model_name, text, n, *settings, language = values
    stats = run_sample(store, model_name, text, n, dict(zip(SETTINGS, settings, strict=True)),
                       progress=lambda fraction, what: progress(fraction, desc=what), language=language)
    return render(stats, text)


def _handlers(store, n_outputs: int) -> SimpleNamespace:
    """The tab's event handlers; their parameters are named from SETTINGS (gradio reads them for the API, and
    finds gr.Progress among them by its default)."""
    args = ("model_name", "text", "n", *SETTINGS, "language")
    progress = {"progress": PROGRESS}

    def auto(run: bool, values: tuple, progress) -> list:  # (an automatic draw: errors go to the status line)
        if not run:
            return [gr.skip()] * (n_outputs + 2)
        try:
            return [list(values), ""] + draw(store, values, progress)
        except USER_ERRORS as e:
            return [list(values), f"**Cannot sample:** {md(str(e))}"] + [gr.skip()] * n_outputs

    @gpu
    @guarded
    @named(*args, "progress", defaults=progress)
    def sample(*values):
        """Draw N samples with the given settings; returns the diversity figures, the chart of distinct
        outputs (frequency, exact model probability, filtered probability), the calibration chart and the
        JSON download."""
        *values, progress = values  # (gradio passes the progress tracker where the signature names it)
        return [""] + draw(store, values, progress)

    @gpu
    @guarded
    @named("is_active", "last", *args, "progress", defaults=progress)
    def sample_on_change(is_active, last, *values):
        """The input or model changed: re-draw if the tab is showing (opening it re-draws otherwise)."""
        *values, progress = values
        return auto(bool(is_active), tuple(values), progress)

    @gpu
    @guarded
    @named("is_active", "last", *args, "progress", defaults=progress)
    def sample_on_open(is_active, last, *values):
        """The tab was opened: re-draw if the input, model or settings differ from the last draw."""
        *values, progress = values
        return auto(bool(is_active) and last != list(values), tuple(values), progress)

    api_defaults = {"model": "", "n": DEFAULT_N, **UiParams().controls(), "language": ""}

    @gpu
    @guarded
    @named("text", "model", "n", *SETTINGS, "language", types={"text": str},
           defaults={k: api_defaults[k] for k in ("model", "n", *SETTINGS, "language")})
    def sample_json(text, model, n, *values) -> dict:
        """Draw `n` samples of `text` (one batch; `language`: a multilingual model's target, forced first): each
        distinct output with its count, frequency, exact model log p and log p under the filtered distribution;
        entropy, distinct count, share equal to beam-5's top."""
        return run_sample(store, model or store.default, text, n, dict(zip(SETTINGS, values[:-1], strict=True)),
                          language=values[-1]).to_dict()

    return SimpleNamespace(sample=sample, sample_on_change=sample_on_change, sample_on_open=sample_on_open,
                           sample_json=sample_json)
