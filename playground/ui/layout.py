"""The page's shell: the model picker, the input box and its examples, the status line, and the tabs.

Controls on the left, views on the right; one step slider drives every view. Event wiring lives in
wiring.py and in each tab's module, so this file is only about what the page looks like.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from playground.models.card import task_of
from playground.ui.common import toolbar
from playground.ui.common.controls import UiParams, language_props
from playground.ui.common.examples import default_input, examples_for
from playground.ui.explore import header, share_panel
from playground.ui.explore import tab as explore_tab
from playground.ui.explore.handlers import Views
from playground.ui.tabs import compare as tab_compare
from playground.ui.tabs import learn as tab_learn
from playground.ui.tabs import sample as tab_sample
from playground.ui.tabs import whatif as tab_whatif

TABS = (tab_compare, tab_sample, tab_whatif, tab_learn)  # after Explore, in this order
BASE_CSS = """
.caption p { font-size: 0.85rem !important; color: #6b7280 !important; margin: -4px 0 8px 0 !important; }
"""
CSS = BASE_CSS + toolbar.CSS + header.CSS + "".join(getattr(tab, "CSS", "") for tab in TABS)  # a tab may add its own


def input_widget_props(model) -> dict:
    """Label, help, length limit and height of the input box: a spelled word (G2P), ARPAbet (P2G), free text (hf),
    a prompt (a Hugging Face decoder-only model)."""
    task = task_of(model)
    if task == "p2g":
        return dict(label="Phonemes (ARPAbet, space-separated)", info="e.g. K ER N AH L; no stress digits",
                    max_length=200, lines=1)
    if task == "hf" and model.config.get("decoder_only"):  # a prompt to continue: room for a few lines
        return dict(label="Prompt", info=f"text the model continues, up to {model.source_vocab.max_tokens} tokens",
                    max_length=8 * model.source_vocab.max_tokens, lines=3, max_lines=8)
    if task == "hf":  # (a token is a few characters: the box lets the tokenizer's limit be the one that speaks)
        return dict(label="Text", info=f"free text, up to {model.source_vocab.max_tokens} tokens",
                    max_length=8 * model.source_vocab.max_tokens, lines=1)
    return dict(label="Word", info="letters and the apostrophe; up to 48", max_length=200, lines=1)


def chat_props(model) -> dict:
    """The "Format as chat" button: shown only for a model whose tokenizer has a chat template (models/chat.py)."""
    return dict(visible=bool(model.config.get("chat")))


def _model_type(model) -> str:
    """A Hugging Face model's config "model_type" (its examples depend on it); "" for the others."""
    return model.config.get("model_type", "")


def first_input(model) -> str:
    """The input the page opens with for ``model`` (its first example that it can read)."""
    return default_input(task_of(model), model.source_vocab, _model_type(model))


def example_samples(model) -> tuple[list[list[str]], list[str]]:
    pairs = examples_for(task_of(model), model.source_vocab, _model_type(model))
    return [[text] for text, _ in pairs], [f"{text} · {why}" for text, why in pairs]


def build_layout(store, first_text: str, views: Views, params: UiParams, service, first_answer: str) -> SimpleNamespace:
    """Create every widget inside the current gr.Blocks; returns them by name for wiring.py. The page opens
    showing ``views`` (``first_answer``: the Explore service's answer for them; service.py)."""
    ui = SimpleNamespace()
    model = store.get(store.default)
    gr.Markdown("## Decoding Playground\nType a word, move a slider and watch what an attention seq2seq "
                "model (trained on CMUdict) did at every decoding step, and why.")
    with gr.Row(equal_height=False):
        ui.model = gr.Dropdown(store.choices(), value=store.default, label="Model", elem_id="model", scale=2,
                               min_width=220, allow_custom_value=store.allow_hub,
                               info="or type a Hub id owner/name@revision" if store.allow_hub else None)
        ui.text = gr.Textbox(first_text, elem_id="text", scale=2, min_width=220,
                             **input_widget_props(model))
        ui.chat = gr.Button("Format as chat", elem_id="format-chat", size="sm", scale=0, min_width=130,
                            **chat_props(model))
        ui.language = gr.Dropdown(**language_props(model), value="", label="Target language", scale=1,
                                  min_width=160, elem_id="target-language",
                                  info="forced as the first output token")
        samples, labels = example_samples(model)
        ui.examples = gr.Dataset(components=[ui.text], samples=samples, sample_labels=labels,
                                 label="Examples", samples_per_page=12, scale=5, layout="gallery",
                                 elem_id="examples")
    ui.followers = []  # the tabs' listeners to the input's changes, as event arguments (wiring.follow_input)
    with gr.Tabs(elem_id="tabs") as ui.tabs:
        with gr.Tab("Explore", id="explore", elem_id="tab-explore"):
            explore_tab.build(ui, views, params, service, first_answer)
            share_panel.build(ui)
        for tab in TABS:  # each tab module builds its widgets and wires its own events
            with gr.Tab(tab.TITLE, id=tab.ID, elem_id=f"tab-{tab.ID}"):
                setattr(ui, tab.ID, tab.build(store, ui))
    return ui
