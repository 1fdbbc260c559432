"""The Explore tab's widgets: the decoding controls on the left (made from the control table), the views of one
decoding on the right (made from the chart registry, charts.py), each with a one-line caption saying how to read
it. Events live in events.py."""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import gradio as gr

from playground.ui.common.controls import CONTROLS, UiParams, control_info, visible_controls
from playground.ui.common.widgets import control_widget
from playground.ui.explore import charts, header
from playground.ui.explore.handlers import Views

PICKERS = MappingProxyType({  # the pickers a chart entry (charts.py) places above or under it
    "steps": header.pickers,  # which hypothesis and which step every view follows
    "attention": header.attention_picker,  # the attention map's layer and head
})


def element_id(name: str) -> str:
    """A control's stable element id (browser tests, CSS): top_p -> top-p."""
    return name.replace("_", "-")


def build(ui: SimpleNamespace, views: Views, params: UiParams, service, first_answer: str) -> None:
    """Controls on the left, the views on the right; widgets land on ``ui`` (``ui.controls``: by name).
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
    """The charts of the registry (charts.py), row by row; ``ui.plots``: name -> gr.Plot. The charts are gr.Plot
    components only to host a graph each (and load Gradio's plotly.js): after their first figure, explore.js
    draws them. The HTML pieces around them are the tab's own (header.py)."""
    ui.explore_header = header.summary(first_answer, service)
    ui.plots = {}
    for row in charts.rows():
        if len(row) == 1:
            build_chart(ui, views, row[0])
            continue
        with gr.Row():
            for chart in row:
                with gr.Column(min_width=360):
                    build_chart(ui, views, chart)


def build_chart(ui: SimpleNamespace, views: Views, chart: charts.Chart) -> None:
    """One chart: its picker above if any, the plot (element id plot-<name>), its caption, its picker under."""
    if chart.above:
        PICKERS[chart.above]()
    ui.plots[chart.name] = gr.Plot(views.figure(chart.name), show_label=False, elem_id=f"plot-{chart.name}")
    gr.Markdown(chart.caption, elem_classes="caption")
    if chart.below:
        PICKERS[chart.below]()
