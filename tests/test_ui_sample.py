"""The Sample tab's handler (ui/tabs/sample.py): the Explore settings and target language it samples with."""

from __future__ import annotations

import pytest
from helpers import tiny_model

from playground.ui import ModelStore
from playground.ui.common.controls import UiParams
from playground.ui.tabs.sample import SETTINGS, run_sample

SETTINGS0 = {name: value for name, value in UiParams(temperature=1.5, max_length=8).controls().items()
             if name in SETTINGS}


def test_a_target_language_is_forced_first_in_every_sample_and_in_the_beam_reference():
    store = ModelStore({"a": tiny_model()})  # "K", a target symbol, stands in for a language token
    stats = run_sample(store, "a", "cab", 30, SETTINGS0, language="K")
    assert stats.config.prefix == ("K",) and stats.n == 30
    assert all(o.tokens[0] == "K" for o in stats.outputs) and stats.beam_top.tokens[0] == "K"
    assert run_sample(store, "a", "cab", 30, SETTINGS0).config.prefix == ()  # "": the model chooses


def test_bad_sample_counts_and_languages_are_refused_with_a_message():
    store = ModelStore({"a": tiny_model()})
    with pytest.raises(ValueError, match="number of samples"):
        run_sample(store, "a", "cab", 0, SETTINGS0)
    with pytest.raises(ValueError, match="language must be"):
        run_sample(store, "a", "cab", 5, SETTINGS0, language=3)
    with pytest.raises(ValueError, match="xx_XX"):  # not a token of the model: refused when decoding
        run_sample(store, "a", "cab", 5, SETTINGS0, language="xx_XX")


# --- the MBR section (ui/tabs/sample_mbr.py) ---------------------------------------------------------------------
def test_the_mbr_handler_draws_its_views_from_the_explore_settings_without_a_server():
    import json

    import gradio as gr

    from playground.ui.tabs.sample_mbr import SETTINGS as MBR_SETTINGS
    from playground.ui.tabs.sample_mbr import _handlers

    assert MBR_SETTINGS == SETTINGS  # the same Explore settings as the Sample tab's own draw
    store = ModelStore({"a": tiny_model()})
    handler = _handlers(store).mbr
    status, summary, matrix, expected, compare, download = handler(
        "a", "cab", 30, "sample", *SETTINGS0.values(), "", lambda fraction, desc="": None)
    assert status == "" and "MBR of **cab** over 30 samples" in summary
    assert matrix.data[0].type == "heatmap" and expected.data[0].type == "bar"
    assert "MBR's choice" in compare and "beam search's best" in compare and "the mode" in compare
    with open(download) as f:
        out = json.load(f)
    assert out["method"] == "sample" and out["n"] == 30 and out["config"]["temperature"] == 1.5
    assert out["config"]["max_length"] == 8
    with pytest.raises(gr.Error, match="from 1 to 16"):  # a beam of 30: refused with the bound
        handler("a", "cab", 30, "beam", *SETTINGS0.values(), "", lambda fraction, desc="": None)


def test_the_mbr_languages_and_the_n_slider_follow_the_source():
    from playground.ui.tabs.sample_mbr import n_for_source, run_mbr

    store = ModelStore({"a": tiny_model()})
    result = run_mbr(store, "a", "cab", 4, "beam", SETTINGS0, language="K")
    assert all(c.tokens[0] == "K" for c in result.candidates) and result.beam.tokens[0] == "K"
    assert result.config.beam_width == 4 and result.n <= 4
    assert n_for_source("beam", 50)["maximum"] == 16 and n_for_source("beam", 50)["value"] == 16
    assert n_for_source("sample", 12) == {"maximum": 200, "value": 12, "__type__": "update"}
