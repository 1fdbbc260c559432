"""The Learn tab: one-click presets, each demonstrating a decoding phenomenon on a real word.

A button per lesson (playground/analysis/lessons.py) runs its demonstration through the engine, live, and
shows the explanation, the formula, the measured numbers and a chart; "Open in Explore" copies the
lesson's input and settings into the Explore tab and switches to it, so every chart there can be read
with the lesson in mind.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import gradio as gr

from playground.analysis.lessons import BY_KEY, LESSONS, Lesson, demonstrate, lesson_task
from playground.models.card import task_of
from playground.ui.common.controls import UiParams
from playground.ui.common.events import DECODE_GROUP, guarded
from playground.ui.common.export import write_json
from playground.ui.common.runtime import gpu
from playground.ui.common.style import esc
from playground.ui.store import describe
from playground.ui.tabs.learn_plots import demo_figure

ID, TITLE = "learn", "Learn"
LATEX = ({"left": "$$", "right": "$$", "display": True},)  # read-only: a module-level table
CSS = """
#lesson-buttons { gap: 6px; flex-wrap: wrap; }
#lesson-buttons button { flex: 1 1 160px; }
#lesson-text p { font-size: 0.98rem; }
#lesson-formula { overflow-x: auto; }
"""


def model_for(store, lesson: Lesson) -> str:
    """The served model the lesson was written for, else the first one of its task (G2P or P2G)."""
    if lesson.model in store.models:
        return lesson.model
    task = lesson_task(lesson.model)
    for name, model in store.models.items():
        if task_of(model) == task:
            return name
    raise ValueError(f"this lesson needs a {task.upper()} model, and none is served")


def lesson_of(key) -> Lesson:
    if not isinstance(key, str) or key not in BY_KEY:
        raise ValueError(f"unknown lesson {str(key)[:40]!r}; choose one of {', '.join(BY_KEY)}")
    return BY_KEY[key]


def lesson_view(store, key: str) -> tuple:
    """-> key, text (explanation + numbers), formula, chart, JSON path."""
    lesson = lesson_of(key)
    name = model_for(store, lesson)
    model = store.get(name)
    demo = demonstrate(lesson, model)
    holds = ("✓ **It holds here:** " if demo.holds else  # (plain symbols: no emoji font needed)
             "✗ **Not with this model:** the phenomenon did not show on this word: ")
    where = f"*{esc(lesson.word)}*" + (f" (`{esc(lesson.text)}`)" if lesson.text != lesson.word else "")
    text = (f"### {esc(lesson.title)}\n{esc(lesson.explanation)}\n\n"
            f"**Live, on {where} with {esc(describe(name, model))}.** {holds}{esc(demo.summary)}")
    payload = {"lesson": dataclasses.asdict(lesson), "demo": dataclasses.asdict(demo)}
    formula = f"$${lesson.formula}$$\n\n<small>{esc(lesson.source)}</small>"
    return (key, text, formula, demo_figure(demo, f"{lesson.title} · {lesson.word}"),
            write_json(payload, f"lesson-{key}"))


def explore_values(store, key: str) -> list:
    """-> model, text, the Explore controls (CONTROL_NAMES order) set to the lesson, and the Explore tab."""
    lesson = lesson_of(key)
    params = dataclasses.replace(UiParams(), **lesson.settings)
    return [model_for(store, lesson), lesson.text, *params.controls().values(), gr.Tabs(selected="explore")]


def build(store, shared: SimpleNamespace) -> SimpleNamespace:
    """Create this tab's widgets inside the current gr.Tab and wire its events."""
    tab = SimpleNamespace()
    gr.Markdown("Pick a lesson: each one runs the real model on a real word and shows, with numbers, a "
                "phenomenon of decoding. **Open in Explore** loads the same word and settings there.")
    with gr.Row(elem_id="lesson-buttons"):
        tab.buttons = [gr.Button(lesson.title, elem_id=f"lesson-{lesson.key.replace('_', '-')}", size="sm")
                       for lesson in LESSONS]
    tab.current = gr.State("")  # the lesson shown (per tab), for "Open in Explore"
    with gr.Row():
        with gr.Column(scale=2, min_width=320):
            tab.text = gr.Markdown("*No lesson picked yet.*", elem_id="lesson-text")
            tab.formula = gr.Markdown("", latex_delimiters=[dict(d) for d in LATEX], elem_id="lesson-formula")
            with gr.Row():
                tab.open = gr.Button("Open in Explore", variant="primary", elem_id="lesson-open")
                tab.download = gr.DownloadButton("JSON", elem_id="lesson-json", size="sm")
        with gr.Column(scale=3, min_width=480):
            tab.plot = gr.Plot(demo_figure(None), show_label=False, elem_id="plot-learn")
    _wire(store, shared, tab)
    return tab


def _wire(store, shared: SimpleNamespace, tab: SimpleNamespace) -> None:
    outputs = [tab.current, tab.text, tab.formula, tab.plot, tab.download]
    for lesson, button in zip(LESSONS, tab.buttons, strict=True):

        @gpu
        @guarded
        def show(key: str = lesson.key):
            return lesson_view(store, key)

        button.click(show, None, outputs, api_visibility="private", **DECODE_GROUP)

    @gpu
    @guarded
    def lesson_endpoint(key: str) -> tuple:
        """Show lesson `key` (one of the Learn presets): its text, formula, chart and JSON download."""
        return lesson_view(store, key)

    @guarded
    def open_in_explore(key: str):
        """The Explore tab's model, input and controls for lesson `key`, and a switch to that tab."""
        if not key:
            raise ValueError("pick a lesson first")
        return explore_values(store, key)

    hidden_key = gr.Textbox(visible="hidden", elem_id="lesson-key")  # the API's way to name a lesson
    hidden_key.submit(lesson_endpoint, hidden_key, outputs, api_name="lesson", **DECODE_GROUP)
    tab.open.click(open_in_explore, tab.current,
                   [shared.model, shared.text, *shared.params, shared.tabs], api_name="lesson_settings",
                   queue=False)
