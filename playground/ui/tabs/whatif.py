"""The What-if tab: score a typed target, force a prefix, exact search vs beam search.

Three questions about the input in the shared text box, each with a button (no model work on every
keystroke: exact search can take seconds), a chart, a one-line answer and a JSON download. The analyses
live in playground/analysis/whatif.py; this module only wires and words them.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import gradio as gr

from playground.analysis.whatif import continue_prefix, score_target, search_check, to_dict
from playground.decoding.config import MAX_BEAM_WIDTH, DecodeConfig
from playground.decoding.registry import STRATEGIES as SPECS
from playground.decoding.validate import check_range, whole
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, guarded
from playground.ui.common.export import write_json
from playground.ui.common.labels import is_arpabet, readable
from playground.ui.common.runtime import gpu
from playground.ui.common.style import empty_figure, esc, md
from playground.ui.tabs.whatif_plots import log_prob_figure, token_figure

ID, TITLE = "whatif", "What-if"
STRATEGIES = tuple((spec.label, name) for name, spec in SPECS.items())  # every one can continue a prefix
CSS = """
#whatif-exact-verdict p { font-size: 1.05rem; }
.whatif-section h3 { margin: 12px 0 4px 0; }
"""


def _show(tokens) -> str:
    return md(readable(list(tokens), is_arpabet(tokens)))


def _beam(value) -> int:
    """A beam width from a slider (a float) or an API caller, refused with the field's range if absurd."""
    return check_range("beam_width", whole(value), 1, MAX_BEAM_WIDTH, integer=True)


def score_view(store, model_name: str, text: str, target: str, beam_width, language: str = "") -> tuple:
    """-> summary, per-symbol chart, log p chart, JSON path. ``language``: the page's target language, forced
    first (analysis/whatif.py)."""
    report = score_target(store.get(model_name), text, target, beam_width=_beam(beam_width),
                          language=language)
    worst = min(report.steps, key=lambda s: s.prob)
    best = max(report.candidates[1:], key=lambda c: c.log_prob)
    gap = report.log_prob - best.log_prob
    source = md(readable(report.source, is_arpabet(report.source)))
    lines = [f"**{_show(report.candidates[0].tokens)}** for **{source}**: "
             f"log p = {report.log_prob:.3f} (p = {math.exp(report.log_prob):.3g}). Least likely symbol: "
             f"**{md(worst.symbol)}** (p = {worst.prob:.2f}, rank {worst.rank + 1}"
             + ("" if worst.rank == 0 else f"; the model prefers {md(worst.top_symbol)}") + ").",
             ("It is the most probable output found." if gap >= -1e-4 else
              f"{abs(gap):.3f} nats less probable than {md(best.label)}'s **{_show(best.tokens)}**.")]
    if report.note:
        lines.append(f"_{md(report.note)}_")
    title = f"Your target, symbol by symbol · log p = {report.log_prob:.3f}"
    return ("  \n".join(lines), token_figure(report.steps, title),
            log_prob_figure(report.candidates, "Total log p of your target next to the strategies' outputs"),
            write_json(to_dict(report), f"whatif-score-{text}"))


def prefix_view(store, model_name: str, text: str, prefix: str, strategy: str, beam_width,
                language: str = "") -> tuple:
    """-> summary, the best continuation's per-step chart, JSON path."""
    k = _beam(beam_width)
    returns = SPECS[strategy].returns if strategy in SPECS else "one"  # (an unknown name: DecodeConfig refuses it)
    returned = dict(num_samples=k, num_return=k) if returns == "samples" else dict(num_return=k) if returns == "best" \
        else {}
    config = DecodeConfig(strategy=strategy, beam_width=k, length_penalty_formula="none", seed=0, **returned)
    cont = continue_prefix(store.get(model_name), text, prefix, config, language=language)
    best = cont.outputs[0]
    forced_cost = cont.log_probs[0] - cont.free.log_prob
    lines = [f"Forcing **{_show(cont.prefix)}**, {md(strategy)} continues with **{_show(_content(best))}** "
             f"(log p = {cont.log_probs[0]:.3f}); with {'only the language' if language else 'nothing'} forced: "
             f"**{_show(cont.free.tokens)}** "
             f"(log p = {cont.free.log_prob:.3f}, so the prefix costs {max(-forced_cost, 0):.3f} nats)."]
    if len(cont.outputs) > 1:
        lines.append("All returned: " + " · ".join(f"{_show(_content(o))} ({lp:.2f})"
                                                  for o, lp in zip(cont.outputs, cont.log_probs, strict=True)))
    if cont.note:
        lines.append(f"_{md(cont.note)}_")
    title = f"Forced prefix (grey), then {strategy}'s choices · log p = {cont.log_probs[0]:.3f}"
    return "  \n".join(lines), token_figure(best, title), write_json(to_dict(cont), f"whatif-prefix-{text}")


def exact_view(store, model_name: str, text: str, beam_width, language: str = "") -> tuple:
    """-> verdict, log p chart, JSON path."""
    check = search_check(store.get(model_name), text, _beam(beam_width), language=language)
    icon = {"search error": "✗", "found the mode": "✓", "undetermined": "?"}[check.verdict]  # (no emoji font needed)
    verdict = f"{icon} **{check.verdict.capitalize()}**" + (" · **model error**" if check.model_error else "")
    title = f"Beam search (width {check.beam_width}) vs exact search: {check.verdict}"
    candidates = (check.beam, check.mode, *check.references)
    return (f"{verdict}  \n{md(check.explanation)}", log_prob_figure(candidates, title, highlight=""),
            write_json(to_dict(check), f"whatif-exact-{text}"))


def kept_on_error(view, n_outputs: int):
    """Run ``view``; a message for people (bad target, prefix, input or value) goes to the section's summary
    line and a warning toast, and the section's previous charts and download stay (as in the Explore tab)."""
    try:
        return view()
    except USER_ERRORS as e:
        gr.Warning(esc(str(e)), duration=6)
        return (f"**Cannot do that:** {md(str(e))}",) + (gr.skip(),) * (n_outputs - 1)


def _content(steps) -> list[str]:
    return [s.symbol for s in steps if s.symbol != "</s>"]


def build(store, shared: SimpleNamespace) -> SimpleNamespace:
    """Create this tab's widgets inside the current gr.Tab and wire its events."""
    tab = SimpleNamespace()
    gr.Markdown("Ask the model about the input above: how likely is an output you type, what happens if the "
                "output must start a certain way, and did beam search find the model's most probable output?")
    tab.beam_width = gr.Slider(1, MAX_BEAM_WIDTH, 5, step=1, label="Beam width (also: samples returned)",
                               elem_id="whatif-beam-width", info="for beam search, exact search's seed, and k")
    with gr.Column(elem_classes="whatif-section"):
        gr.Markdown("### Score a target")
        with gr.Row(equal_height=True):
            tab.target = gr.Textbox(label="Target output", elem_id="whatif-target", scale=4, max_length=400,
                                    placeholder="in the model's output alphabet, e.g. K ER N AH L (G2P) or kernel")
            tab.score_btn = gr.Button("Score", variant="primary", elem_id="whatif-score-btn", scale=0, min_width=160)
            tab.score_json = gr.DownloadButton("JSON", elem_id="whatif-score-json", scale=0, min_width=100, size="sm")
        tab.score_summary = gr.Markdown(elem_id="whatif-score-summary")
        with gr.Row():
            tab.score_plot = gr.Plot(empty_figure("type a target and press Score"), show_label=False,
                                     elem_id="plot-whatif-score")
            tab.logp_plot = gr.Plot(empty_figure("type a target and press Score"), show_label=False,
                                    elem_id="plot-whatif-logp")
    with gr.Column(elem_classes="whatif-section"):
        gr.Markdown("### Force a prefix and let a strategy continue")
        with gr.Row(equal_height=True):
            tab.prefix = gr.Textbox(label="Forced prefix", elem_id="whatif-prefix", scale=3, max_length=400,
                                    placeholder="the first output symbols, e.g. K ER")
            tab.strategy = gr.Radio(STRATEGIES, value="greedy", label="Strategy", elem_id="whatif-strategy",
                                    scale=4)
            tab.prefix_btn = gr.Button("Continue", variant="primary", elem_id="whatif-prefix-btn", scale=0,
                                       min_width=160)
            tab.prefix_json = gr.DownloadButton("JSON", elem_id="whatif-prefix-json", scale=0, min_width=100,
                                                size="sm")
        tab.prefix_summary = gr.Markdown(elem_id="whatif-prefix-summary")
        tab.prefix_plot = gr.Plot(empty_figure("type a prefix and press Continue"), show_label=False,
                                  elem_id="plot-whatif-prefix")
    with gr.Column(elem_classes="whatif-section"):
        gr.Markdown("### Exact search vs beam search: search error or model error?")
        with gr.Row():
            tab.exact_btn = gr.Button("Check", variant="primary", elem_id="whatif-exact-btn", scale=0,
                                      min_width=160)
            tab.exact_json = gr.DownloadButton("JSON", elem_id="whatif-exact-json", scale=0, min_width=100,
                                               size="sm")
        tab.exact_verdict = gr.Markdown(elem_id="whatif-exact-verdict")
        tab.exact_plot = gr.Plot(empty_figure("press Check"), show_label=False, elem_id="plot-whatif-exact")
    _wire(store, shared, tab)
    return tab


def _wire(store, shared: SimpleNamespace, tab: SimpleNamespace) -> None:
    @gpu
    @guarded
    def on_score(model_name: str, text: str, target: str, beam_width: float, language: str = ""):
        """Score a typed target: per-symbol probability and rank, and its log p next to the strategies'."""
        return kept_on_error(lambda: score_view(store, model_name, text, target, beam_width, language), 4)

    @gpu
    @guarded
    def on_prefix(model_name: str, text: str, prefix: str, strategy: str, beam_width: float, language: str = ""):
        """Force a prefix and let the chosen strategy continue."""
        return kept_on_error(lambda: prefix_view(store, model_name, text, prefix, strategy, beam_width, language),
                             3)

    @gpu
    @guarded
    def on_exact(model_name: str, text: str, beam_width: float, language: str = ""):
        """Exact search vs beam search: search error, found the mode, or undetermined; and model error."""
        return kept_on_error(lambda: exact_view(store, model_name, text, beam_width, language), 3)

    @gpu
    @guarded
    def score_endpoint(text: str, target: str, model: str = "", beam_width: int = 5, language: str = "") -> dict:
        """Teacher-forced score of `target` given `text`: per-symbol probability and rank, total log p, and
        greedy / beam / exact outputs with their log p (JSON, see playground/analysis/whatif.py). `language`: a
        multilingual model's target-language token (/models lists them), forced first; "" forces nothing."""
        return to_dict(score_target(store.get(model or store.default), text, target, beam_width=_beam(beam_width),
                                    language=language))

    gr.on([tab.score_btn.click, tab.target.submit], on_score,
          [shared.model, shared.text, tab.target, tab.beam_width, shared.language],
          [tab.score_summary, tab.score_plot, tab.logp_plot, tab.score_json], api_name="whatif_score",
          **DECODE_GROUP)
    gr.on([tab.prefix_btn.click, tab.prefix.submit], on_prefix,
          [shared.model, shared.text, tab.prefix, tab.strategy, tab.beam_width, shared.language],
          [tab.prefix_summary, tab.prefix_plot, tab.prefix_json], api_name="whatif_prefix", **DECODE_GROUP)
    tab.exact_btn.click(on_exact, [shared.model, shared.text, tab.beam_width, shared.language],
                        [tab.exact_verdict, tab.exact_plot, tab.exact_json], api_name="exact_check", **DECODE_GROUP)
    gr.api(score_endpoint, api_name="score", **DECODE_GROUP)
