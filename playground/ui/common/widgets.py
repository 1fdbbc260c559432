"""Gradio widgets made from the control table (controls.py): one place that turns a ``Control`` into a widget."""

from __future__ import annotations

import gradio as gr

from playground.ui.common.controls import CONTROLS


def control_widget(name: str, value, **props):
    """The widget of control ``name`` holding ``value``; ``props`` (elem_id, visible, info, label, min_width, ...)
    override the table's. Its visible label is the table's label, which Gradio ties to the input element."""
    c = CONTROLS[name]
    props = {"label": c.label, "info": c.info or None, **props}
    if c.kind == "radio":
        return gr.Radio(list(c.choices), value=value, **props)
    if c.kind == "slider":
        return gr.Slider(c.low, c.high, value, step=c.step, **props)
    return gr.Number(value, precision=0, minimum=0, **props)
