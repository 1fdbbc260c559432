"""The Explore tab's widgets: the decoding controls on the left (made from the control table), the five views of
one decoding on the right, each with a one-line caption saying how to read it. Events live in events.py."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import gradio as gr

from playground.ui.common.controls import CONTROLS, UiParams, control_info, visible_controls
from playground.ui.common.widgets import control_widget
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


def build(ui: SimpleNamespace, views: Views, params: UiParams) -> None:
    """Controls on the left, the five views on the right; widgets land on ``ui`` (``ui.controls``: by name)."""
    with gr.Row():
        with gr.Column(scale=1, min_width=270, variant="panel"):
            build_controls(ui, params)
        with gr.Column(scale=4):
            build_views(ui, views)


def build_controls(ui: SimpleNamespace, params: UiParams) -> None:
    shown = visible_controls(params.strategy, params.length_penalty_formula)
    ui.controls = {name: control_widget(name, getattr(params, name), elem_id=element_id(name),
                                        visible=shown.get(name, True),
                                        info=control_info(name, params.strategy, params.length_penalty_formula))
                   for name in CONTROLS}
    ui.params = list(ui.controls.values())  # in CONTROL_NAMES order: the events' inputs


def build_views(ui: SimpleNamespace, views: Views) -> None:
    ui.summary = gr.Markdown(views.summary, elem_id="summary")
    ui.results = gr.Plot(views.results, show_label=False, elem_id="plot-results")
    caption("results")
    ui.hypothesis = gr.Radio(views.hypotheses, value=0, label="Hypothesis shown below", elem_id="hypothesis",
                             visible=len(views.hypotheses) > 1)
    ui.step = gr.Slider(1, max(views.steps, 2), 1, step=1, label="Step", elem_id="step",
                        info="the output position shown in every view below", interactive=views.steps > 1)
    # the views as JSON, every step included: the page draws the charts from it (step_views.py)
    ui.step_views = gr.Textbox(views.step_views, visible=False, elem_id="step-views")
    with gr.Row():
        with gr.Column(min_width=360):
            ui.distribution = gr.Plot(views.distribution, show_label=False, elem_id="plot-distribution")
            caption("distribution")
        with gr.Column(min_width=360):
            build_attention_picker(ui, views.attention_heads)
            ui.attention = gr.Plot(views.attention, show_label=False, elem_id="plot-attention")
            caption("attention")
    ui.tree = gr.Plot(views.tree, show_label=False, elem_id="plot-tree")
    caption("tree")
    ui.uncertainty = gr.Plot(views.uncertainty, show_label=False, elem_id="plot-uncertainty")
    caption("uncertainty")


def picker_choices(heads: tuple[int, int]) -> tuple[list, list]:
    """Layer and head choices for a model with ``heads`` = (layers, heads per layer); head -1 = their mean."""
    layers, per_layer = heads
    return ([(f"layer {i + 1} of {layers}", i) for i in range(layers)],
            [("mean of heads", -1)] + [(f"head {k + 1}", k) for k in range(per_layer)])


def build_attention_picker(ui: SimpleNamespace, heads: tuple[int, int]) -> None:
    """Which decoder layer and head the attention map shows (last layer, mean of its heads by default);
    shown only for models with more than one attention."""
    layers, head_choices = picker_choices(heads)
    with gr.Row(visible=heads != (1, 1), elem_id="attention-picker") as ui.attention_picker:
        ui.layer = gr.Dropdown(layers, value=heads[0] - 1, label="Attention layer", elem_id="attention-layer",
                               min_width=140)
        ui.head = gr.Dropdown(head_choices, value=-1, label="Head", elem_id="attention-head", min_width=140)
