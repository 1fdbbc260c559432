"""The Learn tab: lessons grouped by topic, each demonstrating a decoding phenomenon on a real word, live.

A button per lesson (playground/analysis/lessons.py) opens it: whole (the explanation, the formula, the measured
numbers and a chart), or, with **Predict first** on, its setting and a question whose answer the live run decides;
the chart and the explanation follow a guess, with the verdict. A lesson is computed once per model and kept
(learn_view.py, analysis/lesson_cache.py): the first lesson opened starts a background warm-up of all the others.
``?lesson=<key>`` opens a lesson predict-first (the link box below it gives its address). "Open in Explore" copies
the lesson's input and settings into the Explore tab and switches to it.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import gradio as gr

from playground.analysis.lesson_cache import LessonMemo
from playground.analysis.lessons import LESSONS, grouped
from playground.ui.common.controls import UiParams
from playground.ui.common.events import DECODE_GROUP, USER_ERRORS, guarded
from playground.ui.common.runtime import gpu
from playground.ui.common.style import esc
from playground.ui.report_api import lesson_button
from playground.ui.tabs import learn_view as view
from playground.ui.tabs.learn_plots import demo_figure

ID, TITLE = "learn", "Learn"
LATEX = ({"left": "$$", "right": "$$", "display": True},)  # read-only: a module-level table
LINK_JS = "(k) => k ? location.origin + location.pathname + '?lesson=' + encodeURIComponent(k) : ''"
CSS = """
#lesson-groups { gap: 10px; }
#lesson-groups > div { gap: 4px; }
#lesson-groups button { width: 100%; }
.lesson-group p { font-size: 0.95rem; margin: 0 !important; }
.lesson-blurb p { font-size: 0.8rem !important; color: #6b7280 !important; margin: -2px 0 4px 0 !important; }
#lesson-text p { font-size: 0.98rem; }
#lesson-formula { overflow-x: auto; }
#lesson-question p { font-size: 1.02rem; }
#lesson-verdict p { font-size: 1.02rem; }
"""


def lesson_key(lesson) -> str:
    return lesson.key.replace("_", "-")


def explore_values(store, key: str) -> list:
    """-> model, text, the Explore controls (CONTROL_NAMES order) set to the lesson, and the Explore tab."""
    lesson = view.lesson_of(key)
    params = dataclasses.replace(UiParams(), **lesson.settings)
    return [view.model_for(store, lesson), lesson.text, *params.controls().values(), gr.Tabs(selected="explore")]


def build(store, shared: SimpleNamespace) -> SimpleNamespace:
    """Create this tab's widgets inside the current gr.Tab and wire its events."""
    tab = SimpleNamespace(memo=LessonMemo(lambda key, name: view.compute(store, key, name)), buttons=[])
    gr.Markdown("Pick a lesson: each one runs the real model on a real word and shows, with numbers, a "
                "phenomenon of decoding. With **Predict first** on, it asks you first and shows after you answer. "
                "**Open in Explore** loads the same word and settings there.")
    with gr.Row(elem_id="lesson-groups"):
        for (key, label, about), lessons in grouped():
            with gr.Column(min_width=200, elem_id=f"lesson-group-{key}"):
                gr.Markdown(f"**{esc(label)}**: {esc(about)}", elem_classes="lesson-group")
                for lesson in lessons:
                    tab.buttons.append(gr.Button(lesson.name, elem_id=f"lesson-{lesson_key(lesson)}", size="sm"))
                    gr.Markdown(esc(lesson.blurb), elem_classes="lesson-blurb")
    # the lesson shown (per page), for "Open in Explore", the answer and the link (a textbox: its change event
    # reaches the page's JavaScript)
    tab.current = gr.Textbox("", visible="hidden", elem_id="lesson-current")
    with gr.Row():
        with gr.Column(scale=2, min_width=320):
            tab.predict = gr.Checkbox(False, label="Predict first: ask before showing", elem_id="lesson-predict")
            tab.question = gr.Markdown("", elem_id="lesson-question")
            tab.choices = gr.Radio([], label="Your answer", visible=False, elem_id="lesson-choices")
            tab.verdict = gr.Markdown("", elem_id="lesson-verdict")
            tab.text = gr.Markdown("*No lesson picked yet.*", elem_id="lesson-text")
            tab.formula = gr.Markdown("", latex_delimiters=[dict(d) for d in LATEX], elem_id="lesson-formula")
            with gr.Row():
                tab.open = gr.Button("Open in Explore", variant="primary", elem_id="lesson-open")
                tab.download = gr.DownloadButton("JSON", elem_id="lesson-json", size="sm")
                tab.report = lesson_button(lambda key: opened(store, tab, key))  # the lesson sheet: report_api.py
            tab.link = gr.Textbox(label="Link to this lesson (opens it predict-first)", interactive=False,
                                  buttons=["copy"], elem_id="lesson-link")
        with gr.Column(scale=3, min_width=480):
            tab.plot = gr.Plot(demo_figure(None), show_label=False, elem_id="plot-learn")
    _wire(store, shared, tab)
    return tab


def opened(store, tab, key: str) -> view.Opened:
    """The lesson from the memo (computed on first use); the first call also warms every other lesson."""
    lesson = view.lesson_of(key)
    found = tab.memo.get(key, view.model_for(store, lesson))
    servable = []
    for other in LESSONS:
        try:
            servable.append((other.key, view.model_for(store, other)))
        except ValueError:  # no model of its task is served: it says so when opened
            continue
    tab.memo.warm(k for k in servable if not tab.memo.cached(*k))
    return found


def whole(found: view.Opened) -> tuple:
    """-> text, formula, chart, JSON path: the lesson as a whole."""
    return (view.lesson_text(found), view.formula_text(found.lesson), found.figure, found.json_path)


def show(store, tab, key: str, predict_first: bool) -> tuple:
    """-> key, text, formula, chart, JSON, question, choices, verdict: predict-first (when the lesson has a
    question on this model) or whole."""
    found = opened(store, tab, key)
    q = found.question
    if predict_first and q is not None:
        return (key, "", "", view.hidden_chart(), None, view.setting_text(found) + "\n\n" + view.question_text(q),
                gr.update(choices=list(q.choices), value=None, visible=True, interactive=True), "")
    note = "*This lesson asks no question on this model.*" if predict_first else ""
    return (key, *whole(found), "", gr.update(choices=[], value=None, visible=False), note)


def reveal(store, tab, key: str, choice) -> tuple:
    """-> text, formula, chart, JSON, choices (locked on the guess), verdict."""
    if not key:
        raise ValueError("pick a lesson first")
    found = opened(store, tab, key)
    if found.question is None:
        raise ValueError("this lesson asks no question on this model")
    verdict = view.verdict_text(found.question, choice)
    return (*whole(found), gr.update(interactive=False), verdict)


def _wire(store, shared: SimpleNamespace, tab: SimpleNamespace) -> None:
    outputs = [tab.current, tab.text, tab.formula, tab.plot, tab.download, tab.question, tab.choices, tab.verdict]
    for lesson, button in zip(LESSONS, tab.buttons, strict=True):

        @gpu
        @guarded
        def pick(predict_first: bool, key: str = lesson.key):
            return show(store, tab, key, predict_first)

        button.click(pick, tab.predict, outputs, api_visibility="private", **DECODE_GROUP)

    @gpu
    @guarded
    def toggle(predict_first: bool, key: str):
        return show(store, tab, key, predict_first) if key else [gr.skip()] * len(outputs)

    @gpu
    @guarded
    def answer(key: str, choice: str):
        return reveal(store, tab, key, choice)

    tab.predict.input(toggle, [tab.predict, tab.current], outputs, api_visibility="private", **DECODE_GROUP)
    tab.choices.input(answer, [tab.current, tab.choices], [tab.text, tab.formula, tab.plot, tab.download,
                                                           tab.choices, tab.verdict],
                      api_visibility="private", **DECODE_GROUP)
    tab.current.change(None, tab.current, tab.link, js=LINK_JS, queue=False, show_progress="hidden",
                       api_visibility="private")
    _wire_api(store, shared, tab)
    _wire_link(store, shared, tab, outputs)


def _wire_api(store, shared: SimpleNamespace, tab: SimpleNamespace) -> None:
    @gpu
    @guarded
    def lesson_endpoint(key: str) -> tuple:
        """Show lesson `key` (one of the Learn presets): its text, formula, chart and JSON download."""
        return whole(opened(store, tab, key))

    @gpu
    @guarded
    def lesson_question(key: str) -> dict:
        """Lesson `key`'s predict-first question: the lesson, its setting and the question with its choices (not
        the answer: /lesson_answer checks one)."""
        return view.public(opened(store, tab, key))

    @gpu
    @guarded
    def lesson_answer(key: str, choice: str) -> dict:
        """Check an answer to lesson `key`'s question (`choice`: a choice's text, or its index 0-3): right or
        not, the right answer, why (the measured numbers), the lesson's headline and summary."""
        index = int(choice) if isinstance(choice, str) and choice.strip().isdigit() else choice
        return view.answered(opened(store, tab, key), index)

    @guarded
    def open_in_explore(key: str):
        """The Explore tab's model, input and controls for lesson `key`, and a switch to that tab."""
        if not key:
            raise ValueError("pick a lesson first")
        return explore_values(store, key)

    hidden_key = gr.Textbox(visible="hidden", elem_id="lesson-key")  # the API's way to name a lesson
    hidden_key.submit(lesson_endpoint, hidden_key, [tab.text, tab.formula, tab.plot, tab.download],
                      api_name="lesson", **DECODE_GROUP)
    gr.api(lesson_question, api_name="lesson_question", **DECODE_GROUP)
    gr.api(lesson_answer, api_name="lesson_answer", **DECODE_GROUP)
    tab.open.click(open_in_explore, tab.current,
                   [shared.model, shared.text, *shared.params, shared.tabs], api_name="lesson_settings",
                   queue=False)


def _wire_link(store, shared: SimpleNamespace, tab: SimpleNamespace, outputs: list) -> None:
    """``?lesson=<key>`` in the page's address: the Learn tab, predict-first, on that lesson; an unknown key warns
    and leaves the page as it is."""

    @gpu
    def predict_first(key: str) -> list:
        return [gr.Tabs(selected=ID), True, *show(store, tab, key, True)]

    def open_from_url(request: gr.Request):  # (not wrapped: gradio reads the gr.Request hint off this function)
        key = request.query_params.get("lesson") if request is not None else None
        if not key:
            return [gr.skip()] * (len(outputs) + 2)
        try:
            return predict_first(key)
        except USER_ERRORS as e:
            gr.Warning(f"The link's lesson cannot be opened: {esc(str(e))}", duration=10)
            return [gr.skip()] * (len(outputs) + 2)

    gr.on(None, open_from_url, None, [shared.tabs, tab.predict, *outputs], api_visibility="private",
          show_progress="hidden", **DECODE_GROUP)
