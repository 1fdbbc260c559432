"""The Explore tab's widgets: the decoding controls on the left (made from the control table), the five views of
one decoding on the right, each with a one-line caption saying how to read it. Events live in events.py."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import gradio as gr

from playground.ui.common.controls import CONTROLS, UiParams, control_info, visible_controls
from playground.ui.common.widgets import control_widget
from playground.ui.explore import header
from playground.ui.explore.handlers import Views

CAPTIONS = MappingProxyType({  # one line each: how to read the chart
    "results": "One row per output, best first: grey = raw log p(y|x), blue = the score the search ranked by "
               "(one bar when they are the same). Nearer 0 = more likely.",
    "distribution": "Next-symbol probabilities at the selected step: light = model (T=1), mid = after "
                    "temperature, dark = after top-k/top-p/min-p. Dashed = cut-off; bold = taken.",
    "attention": "Row = output symbol, column = input symbol; dark = where the decoder looked while "
                 "producing that row. Orange box = the selected step.",
    "tree": "Every candidate the search scored, by step: ● kept, ○ pruned, ◆ finished; orange = the selected "
            "hypothesis, band = the selected step. Hover a node for its log-probabilities.",
    "uncertainty": "Along the selected hypothesis: probability of the symbol taken, entropy (0 = certain) "
                   "before and after filtering, and how many symbols survived filtering.",
})


def element_id(name: str) -> str:
    """A control's stable element id (browser tests, CSS): top_p -> top-p."""
    return name.replace("_", "-")


def caption(key: str) -> gr.Markdown:
    return gr.Markdown(CAPTIONS[key], elem_classes="caption")


def build(ui: SimpleNamespace, views: Views, params: UiParams, service, first_answer: str) -> None:
    """Controls on the left, the five views on the right; widgets land on ``ui`` (``ui.controls``: by name).
    ``service`` answers the page's calls (service.py); ``first_answer`` is its answer for ``views``."""
    with gr.Row():
        with gr.Column(scale=1, min_width=270, variant="panel"):
            build_controls(ui, params)
        with gr.Column(scale=4):
            build_views(ui, views, service, first_answer)


def build_controls(ui: SimpleNamespace, params: UiParams) -> None:
    shown = visible_controls(params.strategy, params.length_penalty_formula)
    ui.controls = {name: control_widget(name, getattr(params, name), elem_id=element_id(name),
                                        visible=shown.get(name, True),
                                        info=control_info(name, params.strategy, params.length_penalty_formula))
                   for name in CONTROLS}
    ui.params = list(ui.controls.values())  # in CONTROL_NAMES order: the events' inputs


def build_views(ui: SimpleNamespace, views: Views, service, first_answer: str) -> None:
    """The charts are gr.Plot components only to host a graph each (and load Gradio's plotly.js): after their
    first figure, explore.js draws them. The HTML pieces around them are the tab's own (header.py)."""
    ui.explore_header = header.summary(first_answer, service)
    ui.results = gr.Plot(views.results, show_label=False, elem_id="plot-results")
    caption("results")
    header.pickers()
    with gr.Row():
        with gr.Column(min_width=360):
            ui.distribution = gr.Plot(views.distribution, show_label=False, elem_id="plot-distribution")
            caption("distribution")
        with gr.Column(min_width=360):
            header.attention_picker()
            ui.attention = gr.Plot(views.attention, show_label=False, elem_id="plot-attention")
            caption("attention")
    ui.tree = gr.Plot(views.tree, show_label=False, elem_id="plot-tree")
    caption("tree")
    ui.uncertainty = gr.Plot(views.uncertainty, show_label=False, elem_id="plot-uncertainty")
    caption("uncertainty")
