"""The Explore tab's "Share and export" panel: this view as a string and a link, and the trace as a JSON
download (header.share_view: explore.js keeps them current), and opening a pasted view or a ``?view=`` link
(which set the model, input and controls; their change events then decode as any change does)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import gradio as gr

from playground.ui.common.controls import language_props, speaks
from playground.ui.common.events import USER_ERRORS, guarded
from playground.ui.common.style import esc
from playground.ui.explore import header
from playground.ui.explore.share import ShareView, parse_view

BRANCH_JS = header.call_js("b", "setBranch", "b ? JSON.parse(b) : null")  # a view's branch, with its input


def build(ui: SimpleNamespace) -> None:
    """Widgets, inside the Explore tab's views column."""
    with gr.Accordion("Share and export", open=False, elem_id="share"):
        header.share_view()
        with gr.Row():
            ui.open_string = gr.Textbox(label="Open a view", placeholder="paste a view string", scale=3,
                                        elem_id="open-view")
            ui.open_button = gr.Button("Open view", elem_id="open-view-button", scale=1)
        ui.branch_link = gr.Textbox(visible=False, elem_id="branch-link")  # a view's branch, for explore.js


def view_outputs(view: ShareView, model) -> list:
    """The model, input, target-language picker (the view's model's languages, so the value is one of its
    choices), every control, and the view's branch as JSON with the input it belongs to (explore.js applies it
    once that input is decoded)."""
    if view.language and not speaks(model, view.language):
        raise ValueError(f"the view's target language {view.language!r} is not one of {view.model}'s")
    return [view.model, view.text, gr.update(value=view.language, **language_props(model)),
            *view.params.controls().values(),
            json.dumps({"model": view.model, "text": view.text, "branch": list(view.branch)})]


def wire(demo: gr.Blocks, ui: SimpleNamespace, store) -> None:
    controls = [ui.model, ui.text, ui.language, *ui.params, ui.branch_link]
    ui.branch_link.change(None, ui.branch_link, None, js=BRANCH_JS, queue=False, show_progress="hidden",
                          api_visibility="private")

    @guarded
    def open_view(s: str) -> list:
        """Set the model, input, target language and every control from a view string; the page then decodes
        it."""
        view = parse_view(s)
        return view_outputs(view, store.get(view.model))  # an unknown model is refused, with the store's message

    ui.open_button.click(open_view, ui.open_string, controls, api_name="open_view", show_progress="hidden")

    def open_from_url(request: gr.Request) -> list:
        """``?view=...`` in the page's address opens that view; a bad one warns and keeps the defaults."""
        s = request.query_params.get("view") if request is not None else None
        if not s:
            return [gr.skip()] * len(controls)
        try:
            view = parse_view(s)
            return view_outputs(view, store.get(view.model))
        except USER_ERRORS as e:
            gr.Warning(f"The link's view cannot be opened: {esc(str(e))}", duration=8)
            return [gr.skip()] * len(controls)

    demo.load(open_from_url, None, controls, api_visibility="private", show_progress="hidden")
