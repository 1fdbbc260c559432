"""The page: widgets and their arrangement (the wireframe in shared/design/ui-sketch.md).

Controls on the left, views on the right; one step slider drives every view. Event wiring lives in
wiring.py, so this file is only about what the page looks like.
"""

from __future__ import annotations

from types import MappingProxyType, SimpleNamespace

import gradio as gr

from playground.ui.common.controls import FORMULAS, STRATEGY_CHOICES, UiParams, return_info, visible_controls
from playground.ui.common.examples import examples_for
from playground.ui.explore import share_panel
from playground.ui.explore.handlers import Views
from playground.ui.explore.share import ShareView
from playground.ui.store import task_of
from playground.ui.tabs import compare as tab_compare
from playground.ui.tabs import learn as tab_learn
from playground.ui.tabs import sample as tab_sample
from playground.ui.tabs import whatif as tab_whatif

PARAMS = ("strategy", "temperature", "top_k", "top_p", "min_p", "beam_width", "num_groups",
          "diversity_penalty", "num_return", "length_penalty_formula", "length_penalty", "seed",
          "max_length")  # UiParams fields, in the order the events pass them
TABS = (tab_compare, tab_sample, tab_whatif, tab_learn)  # after Explore, in this order
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
BASE_CSS = """
.caption p { font-size: 0.85rem !important; color: #6b7280 !important; margin: -4px 0 8px 0 !important; }
#status { min-height: 0; }
#status p { color: #b45309; font-weight: 500; margin: 0; }
#summary p { font-size: 1.1rem; margin: 4px 0; }
"""
CSS = BASE_CSS + "".join(getattr(tab, "CSS", "") for tab in TABS)  # a tab module may add its own rules


def input_widget_props(model) -> dict:
    """Label/info of the input box: a spelled word for G2P, ARPAbet for P2G."""
    if task_of(model) == "p2g":
        return dict(label="Phonemes (ARPAbet, space-separated)", info="e.g. K ER N AH L; no stress digits")
    return dict(label="Word", info="letters and the apostrophe; up to 48")


def example_samples(model) -> tuple[list[list[str]], list[str]]:
    pairs = examples_for(task_of(model), model.source_vocab)
    return [[text] for text, _ in pairs], [f"{text} · {why}" for text, why in pairs]


def caption(key: str) -> gr.Markdown:
    return gr.Markdown(CAPTIONS[key], elem_classes="caption")


def build_layout(store, first_text: str, views: Views, params: UiParams) -> SimpleNamespace:
    """Create every widget inside the current gr.Blocks; returns them by name for wiring.py."""
    ui = SimpleNamespace()
    model = store.get(store.default)
    gr.Markdown("## Decoding Playground\nType a word, move a slider and watch what an attention seq2seq "
                "model (trained on CMUdict) did at every decoding step, and why.")
    with gr.Row(equal_height=False):
        ui.model = gr.Dropdown(store.choices(), value=store.default, label="Model", elem_id="model", scale=2,
                               min_width=220, allow_custom_value=store.allow_hub,
                               info="or type a Hub id owner/name@revision" if store.allow_hub else None)
        ui.text = gr.Textbox(first_text, max_length=200, elem_id="text", scale=2, min_width=220,
                             **input_widget_props(model))
        samples, labels = example_samples(model)
        ui.examples = gr.Dataset(components=[ui.text], samples=samples, sample_labels=labels,
                                 label="Examples", samples_per_page=12, scale=5, layout="gallery",
                                 elem_id="examples")
    ui.status = gr.Markdown("", elem_id="status")
    with gr.Tabs(elem_id="tabs") as ui.tabs:
        with gr.Tab("Explore", id="explore", elem_id="tab-explore"):
            explore_tab(ui, views, params)
            share_panel.build(ui, ShareView(model=store.default, text=first_text, params=params))
        ui.params = [getattr(ui, name) for name in PARAMS]
        for tab in TABS:  # each tab module builds its widgets and wires its own events
            with gr.Tab(tab.TITLE, id=tab.ID, elem_id=f"tab-{tab.ID}"):
                setattr(ui, tab.ID, tab.build(store, ui))
    return ui


def explore_tab(ui: SimpleNamespace, views: Views, params: UiParams) -> None:
    """Controls on the left, the five views of one decoding on the right."""
    shown = visible_controls(params.strategy, params.length_penalty_formula)

    def kw(name: str) -> dict:  # stable element ids (browser test, CSS) and the initial visibility
        return dict(elem_id=name.replace("_", "-"), visible=shown.get(name, True))

    p = params
    with gr.Row():
        with gr.Column(scale=1, min_width=270, variant="panel"):
            ui.strategy = gr.Radio(STRATEGY_CHOICES, value=p.strategy, label="Strategy", **kw("strategy"))
            ui.temperature = gr.Slider(0, 5, p.temperature, step=0.05, label="Temperature",
                                       info="0 = always the most probable", **kw("temperature"))
            ui.top_k = gr.Slider(0, 50, p.top_k, step=1, label="top-k",
                                 info="keep the k most probable; 0 = off", **kw("top_k"))
            ui.top_p = gr.Slider(0.05, 1, p.top_p, step=0.01, label="top-p (nucleus)",
                                 info="keep the smallest set with this much mass; 1 = off", **kw("top_p"))
            ui.min_p = gr.Slider(0, 0.95, p.min_p, step=0.01, label="min-p",
                                 info="drop tokens below min-p × the top probability; 0 = off",
                                 **kw("min_p"))
            ui.beam_width = gr.Slider(1, 16, p.beam_width, step=1, label="Beam width", **kw("beam_width"))
            ui.num_groups = gr.Slider(1, 16, p.num_groups, step=1, label="Groups (diverse beam)",
                                      info="must divide the beam width", **kw("num_groups"))
            ui.diversity_penalty = gr.Slider(0, 5, p.diversity_penalty, step=0.1, label="Diversity penalty",
                                             info="how strongly a group avoids earlier groups' tokens",
                                             **kw("diversity_penalty"))
            ui.num_return = gr.Slider(1, 16, p.num_return, step=1, label="Returned hypotheses",
                                      info=return_info(p.strategy), **kw("num_return"))
            ui.length_penalty_formula = gr.Radio(
                list(FORMULAS), value=p.length_penalty_formula, label="Length penalty",
                info=FORMULAS[p.length_penalty_formula], **kw("length_penalty_formula"))
            ui.length_penalty = gr.Slider(0, 2, p.length_penalty, step=0.05, label="α (length penalty)",
                                          info="0 = no normalisation; larger favours longer outputs",
                                          **kw("length_penalty"))
            ui.seed = gr.Number(p.seed, label="Seed", precision=0, minimum=0, **kw("seed"))
            ui.max_length = gr.Slider(1, 64, p.max_length, step=1, label="Max length",
                                      info="output symbols, the end token included", **kw("max_length"))
        with gr.Column(scale=4):
            ui.summary = gr.Markdown(views.summary, elem_id="summary")
            ui.results = gr.Plot(views.results, show_label=False, elem_id="plot-results")
            caption("results")
            ui.hypothesis = gr.Radio(views.hypotheses, value=0, label="Hypothesis shown below",
                                     elem_id="hypothesis", visible=len(views.hypotheses) > 1)
            ui.step = gr.Slider(1, max(views.steps, 2), 1, step=1, label="Step", elem_id="step",
                                info="the output position shown in every view below",
                                interactive=views.steps > 1)
            # the views as JSON, every step included: the page draws the charts from it (step_views.py)
            ui.step_views = gr.Textbox(views.step_views, visible=False, elem_id="step-views")
            with gr.Row():
                with gr.Column(min_width=360):
                    ui.distribution = gr.Plot(views.distribution, show_label=False,
                                              elem_id="plot-distribution")
                    caption("distribution")
                with gr.Column(min_width=360):
                    ui.attention = gr.Plot(views.attention, show_label=False, elem_id="plot-attention")
                    caption("attention")
            ui.tree = gr.Plot(views.tree, show_label=False, elem_id="plot-tree")
            caption("tree")
            ui.uncertainty = gr.Plot(views.uncertainty, show_label=False, elem_id="plot-uncertainty")
            caption("uncertainty")
