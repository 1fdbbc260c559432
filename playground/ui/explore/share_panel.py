"""The Explore tab's "Share and export" panel: this view as a string and a link, opening a pasted view,
and the current trace as a JSON download (share.py and export.py do the work; this file is gradio only).
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from playground.ui.common.controls import CONTROL_NAMES, UiParams
from playground.ui.common.events import USER_ERRORS, guarded
from playground.ui.common.export import write_json
from playground.ui.common.style import esc
from playground.ui.explore.handlers import Session
from playground.ui.explore.share import ShareView, parse_view, view_string

LINK = "[Open this view in a new tab](?view={s}) (the link reproduces input, model, strategy, every setting "\
       "and the seed)"


def build(ui: SimpleNamespace, first: ShareView) -> None:
    """Widgets, inside the Explore tab's views column."""
    s = view_string(first)
    with gr.Accordion("Share and export", open=False, elem_id="share"):
        with gr.Row():
            ui.share_string = gr.Textbox(s, label="This view as a string", interactive=False, buttons=["copy"],
                                         elem_id="share-string", scale=3,
                                         info="paste it into 'Open a view' on any copy of the playground")
            ui.share_link = gr.Markdown(LINK.format(s=s), elem_id="share-link")
        with gr.Row():
            ui.open_string = gr.Textbox(label="Open a view", placeholder="paste a view string", scale=3,
                                        elem_id="open-view")
            ui.open_button = gr.Button("Open view", elem_id="open-view-button", scale=1)
        with gr.Row():
            ui.export_button = gr.Button("Export this trace as JSON", elem_id="export-trace", scale=1)
            ui.export_file = gr.File(label="Trace (JSON)", interactive=False, visible=False,
                                     elem_id="trace-file", scale=3)


def current_view(model_name: str, text: str, *values) -> ShareView:
    """The widgets' values (CONTROL_NAMES order) as a ShareView (raises ValueError for values the page would
    refuse too)."""
    try:
        params = UiParams(**dict(zip(CONTROL_NAMES, values, strict=True)))
    except TypeError as e:
        raise ValueError(str(e)) from None
    return ShareView(model=model_name, text=text, params=params)


def view_outputs(view: ShareView) -> list:
    return [view.model, view.text, *view.params.controls().values()]


def wire(demo: gr.Blocks, ui: SimpleNamespace, store, session: gr.State, explored) -> None:
    """Events. ``explored`` is the Explore decode's event (the string follows every successful decode)."""
    controls = [ui.model, ui.text, *ui.params]

    def describe(model_name: str, text: str, *values):
        """The view string and link for the widgets' current values (unchanged while they are invalid)."""
        try:
            s = view_string(current_view(model_name, text, *values))
        except ValueError:
            return gr.skip(), gr.skip()
        return s, LINK.format(s=s)

    explored.success(describe, controls, [ui.share_string, ui.share_link], queue=False, show_progress="hidden",
                     api_visibility="private")

    @guarded
    def open_view(s: str) -> list:
        """Set the model, input and every control from a view string; the page then decodes it."""
        view = parse_view(s)
        store.get(view.model)  # an unknown model is refused here, with the store's message
        return view_outputs(view)

    ui.open_button.click(open_view, ui.open_string, controls, api_name="open_view", show_progress="hidden")

    def open_from_url(request: gr.Request) -> list:
        """``?view=...`` in the page's address opens that view; a bad one warns and keeps the defaults."""
        s = request.query_params.get("view") if request is not None else None
        if not s:
            return [gr.skip()] * len(controls)
        try:
            view = parse_view(s)
            store.get(view.model)
        except USER_ERRORS as e:
            gr.Warning(f"The link's view cannot be opened: {esc(str(e))}", duration=8)
            return [gr.skip()] * len(controls)
        return view_outputs(view)

    demo.load(open_from_url, None, controls, api_visibility="private", show_progress="hidden")

    @guarded
    def export_trace(state: Session):
        """The last good decoding's full trace as a JSON file."""
        if not isinstance(state, Session) or state.trace is None:
            raise ValueError("nothing decoded yet")
        payload = dict(state.trace.to_dict(), model=state.model, text=state.text)
        stem = f"trace-{state.model}-{state.text}-{state.trace.strategy}"
        return gr.update(value=write_json(payload, stem), visible=True)

    ui.export_button.click(export_trace, session, ui.export_file, api_name="export_trace", show_progress="hidden")
