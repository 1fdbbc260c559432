"""The Compare tab's handler (ui/tabs/compare.py): columns on one model or on several, and their labels."""

from __future__ import annotations

from helpers import tiny_model

from playground.analysis.compare import KNOBS, preset_knobs
from playground.ui import ModelStore
from playground.ui.tabs.compare import SAME_MODEL, run_compare


def knob_values(*presets: str) -> list:
    """Every column's knobs in KNOBS order, as the page sends them."""
    return [preset_knobs(p)[k] for p in presets for k in KNOBS]


def labels(store: ModelStore, column_models: list) -> list[str]:
    comparison = run_compare(store, "a", "cab", 2, 0, 8, column_models, knob_values("greedy", "beam 5"))
    return [c.label for c in comparison.columns]


def test_columns_on_the_page_model_are_labelled_by_strategy_only():
    store = ModelStore({"a": tiny_model(seed=0), "b": tiny_model(seed=1)})
    assert labels(store, [SAME_MODEL, SAME_MODEL]) == ["greedy", "beam search 5 · α=1"]
    assert labels(store, [SAME_MODEL, "a"]) == ["greedy", "beam search 5 · α=1"]  # "a" is the page's model


def test_columns_on_several_models_each_name_their_model():
    store = ModelStore({"a": tiny_model(seed=0), "b": tiny_model(seed=1)})
    assert labels(store, [SAME_MODEL, "b"]) == ["greedy · a · spelling → phonemes",
                                                "beam search 5 · α=1 · b · spelling → phonemes"]


def test_the_pages_target_language_is_forced_where_a_columns_model_lists_it():
    # a multilingual model's language is a token of its target vocabulary: "K" stands in for one here
    a, b, c = tiny_model(seed=0), tiny_model(seed=1), tiny_model(seed=2)
    c.target_languages = [("K", "K")]
    store = ModelStore({"a": a, "b": b, "c": c})
    comparison = run_compare(store, "a", "cab", 3, 0, 8, [SAME_MODEL, "b", "c"],
                             knob_values("greedy", "beam 5", "nucleus p=0.9"), language="K")
    page, other, speaker = comparison.columns
    assert page.config.prefix == ("K",) and all(o.tokens[0] == "K" for o in page.outputs)  # the page's model
    assert other.config.prefix == ()  # b lists no languages: it chooses for itself
    assert speaker.config.prefix == ("K",) and speaker.outputs[0].tokens[0] == "K"
    plain = run_compare(store, "a", "cab", 2, 0, 8, [SAME_MODEL, "c"], knob_values("greedy", "beam 5"))
    assert all(col.config.prefix == () for col in plain.columns)  # no language: every model chooses
