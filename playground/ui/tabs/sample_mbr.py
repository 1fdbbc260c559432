"""The Sample tab's minimum Bayes risk section: N candidates, their utility matrix, the MBR choice.

The candidates are N samples drawn with the Explore tab's sampling settings (as the Sample tab's own draw), or
beam search's n-best list; playground/analysis/mbr.py computes the utility matrix, every candidate's expected
utility against the others as pseudo-references, and the choice, beside beam search's best and the mode. Model
work runs on the "Run MBR" button only. ``/mbr`` is the button; ``/mbr_json`` the same analysis as data.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from playground.analysis.mbr import MAX_BEAM, MAX_SAMPLES, check_request, minimum_bayes_risk
from playground.ui.common.controls import APPLIES, UiParams, with_language
from playground.ui.common.events import DECODE_GROUP, guarded, named
from playground.ui.common.export import write_json
from playground.ui.common.runtime import gpu
from playground.ui.tabs.mbr_plots import comparison_markdown, expected_figure, matrix_figure, summary_markdown

DEFAULT_N = 50
SETTINGS = tuple(n for n in APPLIES["sample"] if n != "num_return")  # as the Sample tab's (sample.py)
SOURCE_CHOICES = (("N samples (the settings above)", "sample"), ("beam search's n-best (N ≤ 16)", "beam"))
PROGRESS = gr.Progress()
CSS = """
#mbr-summary p { font-size: 1rem; line-height: 1.6; margin: 4px 0; }
#mbr-compare table { font-size: 0.95rem; }
"""


def mbr_config(settings: dict):
    """The Explore tab's sampling widget values (SETTINGS) -> a sampling DecodeConfig (ValueError naming a field)."""
    values = dict(settings)
    values["seed"] = 0 if values.get("seed") is None else values["seed"]  # an emptied Number box gives None
    config, _ = UiParams(strategy="sample", num_return=1, **values).to_config()
    return config


def run_mbr(store, model_name: str, text: str, n, source, settings: dict, progress=None, language: str = ""):
    """MBR of ``text`` over ``n`` candidates from ``source`` ("sample" | "beam") with the Explore tab's
    ``settings`` (and a multilingual model's target ``language``) -> MbrResult."""
    n = check_request(n, source)
    config = with_language(mbr_config(settings), language)
    return minimum_bayes_risk(store.get(model_name), text, config, n, source, progress=progress)


def render(result, text: str) -> list:
    """[summary, matrix chart, expected-utility chart, comparison, download path]."""
    return [summary_markdown(result, text), matrix_figure(result), expected_figure(result),
            comparison_markdown(result), write_json(result.to_dict(), f"mbr-{text}")]


def build(store, shared: SimpleNamespace, settings_widgets: list) -> SimpleNamespace:
    """Create the section's widgets (inside the Sample tab) and wire its events."""
    sec = SimpleNamespace()
    with gr.Column(elem_id="sample-mbr"):
        gr.Markdown("### Minimum Bayes risk (MBR)\nInstead of the most probable output, pick the candidate that agrees "
                    "most with all the others: its **expected utility** Σ_j w_j · u(h, y_j) against the candidates as "
                    "pseudo-references, weighted by how often each was drawn (samples) or by its renormalised "
                    "probability (n-best). Utility: 1 − edit distance / length over symbols (chrF for text models).")
        with gr.Row(equal_height=True):
            sec.source = gr.Radio([list(c) for c in SOURCE_CHOICES], value="sample", label="Candidates",
                                  elem_id="mbr-source", scale=2)
            sec.n = gr.Slider(1, MAX_SAMPLES, DEFAULT_N, step=1, label="Number of candidates (N)", elem_id="mbr-n",
                              info=f"1-{MAX_SAMPLES} samples, or a beam of 1-{MAX_BEAM}", scale=2)
            sec.run = gr.Button("Run MBR", variant="primary", elem_id="mbr-run", scale=1)
            sec.download = gr.DownloadButton("Download (JSON)", None, elem_id="mbr-download", scale=1)
        sec.status = gr.Markdown("", elem_id="mbr-status")
        sec.summary = gr.Markdown("", elem_id="mbr-summary")
        sec.compare = gr.Markdown("", elem_id="mbr-compare")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=520):
                sec.matrix = gr.Plot(None, show_label=False, elem_id="plot-sample-mbr-matrix")
                gr.Markdown("Row h, column y: u(h, y), how much candidate h agrees with candidate y (1 = the same). "
                            "★ = the MBR choice; ✓/✗ = a dictionary answer or not.", elem_classes="caption")
            with gr.Column(scale=2, min_width=420):
                sec.expected = gr.Plot(None, show_label=False, elem_id="plot-sample-mbr-expected")
                gr.Markdown("Each candidate's expected utility, best first: the orange bar is the MBR choice; "
                            "w is its weight as a pseudo-reference, its own included (u(h, h) = 1); [beam] and "
                            "[mode] mark beam search's best and the model's mode.", elem_classes="caption")
    _wire(store, shared, sec, settings_widgets)
    return sec


def _wire(store, shared, sec, settings_widgets) -> None:
    handlers = _handlers(store)
    gr.api(handlers.mbr_json, api_name="mbr_json", **DECODE_GROUP)
    inputs = [shared.model, shared.text, sec.n, sec.source, *settings_widgets, shared.language]
    outputs = [sec.status, sec.summary, sec.matrix, sec.expected, sec.compare, sec.download]
    sec.run.click(handlers.mbr, inputs, outputs, api_name="mbr", show_progress="full", **DECODE_GROUP)
    sec.source.change(n_for_source, [sec.source, sec.n], sec.n, queue=False, show_progress="hidden",
                      api_visibility="private")


def n_for_source(source: str, n):
    """The N slider's range follows the source: up to MAX_SAMPLES samples, a beam of up to MAX_BEAM."""
    top = MAX_BEAM if source == "beam" else MAX_SAMPLES
    value = n if isinstance(n, (int, float)) else DEFAULT_N
    return gr.update(maximum=top, value=min(max(int(value), 1), top))


def _handlers(store) -> SimpleNamespace:
    """The section's event handler and API endpoint; parameters named from SETTINGS (gradio reads them)."""

    @gpu
    @guarded
    @named("model_name", "text", "n", "source", *SETTINGS, "language", "progress", defaults={"progress": PROGRESS})
    def mbr(model_name, text, n, source, *values):
        """Minimum Bayes risk over N candidates (samples with the given settings, or the beam's n-best): the
        summary, the utility matrix, the expected utilities, the comparison with beam search and the mode, and
        the JSON download."""
        *settings, language, progress = values
        result = run_mbr(store, model_name, text, n, source, dict(zip(SETTINGS, settings, strict=True)),
                         progress=lambda fraction, what: progress(fraction, desc=what), language=language)
        return [""] + render(result, text)

    api_defaults = {"model": "", "n": DEFAULT_N, **UiParams().controls(), "source": "sample", "language": ""}

    @gpu
    @guarded
    @named("text", "model", "n", *SETTINGS, "source", "language", types={"text": str, "source": str},
           defaults={k: api_defaults[k] for k in ("model", "n", *SETTINGS, "source", "language")})
    def mbr_json(text, model, n, *values) -> dict:
        """Minimum Bayes risk decoding of `text`: `n` candidates (`source` = "sample": n samples, 1-200, with
        temperature, top_k, top_p, min_p, seed, max_length; "beam": the n-best list of a beam of width n, 1-16),
        deduplicated with counts; the utility matrix, each candidate's expected utility
        sum_j weights[j] * matrix[i][j] (self-utility included), the MBR choice (their argmax), beam search's
        best and the mode, each marked correct against the dictionary (G2P/P2G)."""
        *settings, source, language = values
        return run_mbr(store, model or store.default, text, n, source, dict(zip(SETTINGS, settings, strict=True)),
                       language=language).to_dict()

    return SimpleNamespace(mbr=mbr, mbr_json=mbr_json)
