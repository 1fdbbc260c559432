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
