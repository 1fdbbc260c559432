"""Controls: which apply to which strategy (hidden ones must truly do nothing), UI values -> DecodeConfig."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import tiny_model

from playground.decoding.api import decode
from playground.decoding.config import STRATEGIES
from playground.ui.common.controls import (
    APPLIES,
    CONTROLS,
    SETTINGS,
    STRATEGY_CHOICES,
    UiParams,
    visible_controls,
)
from playground.ui.explore.selection import shown_hypotheses

# values that bite even on the untrained (nearly uniform) test model; UiParams' defaults are the reference
CHANGED = dict(temperature=2.0, top_k=3, top_p=0.5, min_p=0.95, beam_width=2, num_return=1,
               length_penalty=0.3, length_penalty_formula="gnmt", num_groups=4, diversity_penalty=0.0, seed=7,
               max_length=5, penalty_alpha=0.0)


def run(params: UiParams):
    config, _ = params.to_config()
    return decode(tiny_model(), "worcester", config).trace


def outcome(trace) -> tuple:
    """Everything the page shows of a decoding (the config it echoes aside): exact search's beam width, for one,
    changes only how fast the mode is found, which its message says."""
    return shown_hypotheses(trace), trace.nodes, trace.steps, trace.message


def test_every_strategy_has_a_choice_and_a_visibility_rule():
    assert [value for _, value in STRATEGY_CHOICES] == list(STRATEGIES) == list(APPLIES)
    assert list(CONTROLS) == ["strategy", *SETTINGS] and set(SETTINGS) == set(CHANGED)


def test_the_control_table_is_the_ui_params_fields_and_fits_the_engine():
    names = [f.name for f in dataclasses.fields(UiParams)]
    assert list(CONTROLS) == names[:-1] and names[-1] == "time_budget_s"  # the server's, no widget
    for name, c in CONTROLS.items():  # every slider's ends are values the engine accepts
        if c.kind == "slider" and name != "num_return":
            for end in (c.low, c.high):
                UiParams(**{name: end}).to_config()


@pytest.mark.parametrize("strategy, shown, hidden", [
    ("greedy", {"max_length"}, {"temperature", "top_k", "top_p", "min_p", "beam_width", "seed"}),
    ("sample", {"temperature", "top_k", "top_p", "min_p", "seed", "num_return"},
     {"beam_width", "length_penalty"}),
    ("beam", {"beam_width", "num_return", "length_penalty", "length_penalty_formula"},
     {"temperature", "seed"}),
    ("stochastic_beam", {"temperature", "beam_width", "seed"}, {"length_penalty", "num_groups"}),
    ("diverse_beam", {"num_groups", "diversity_penalty", "beam_width"}, {"temperature", "top_p"}),
    ("exact", {"max_length", "beam_width"}, {"temperature", "length_penalty", "num_return"}),
    ("contrastive", {"top_k", "penalty_alpha", "max_length"}, {"temperature", "top_p", "beam_width", "seed"}),
])
def test_visible_controls(strategy, shown, hidden):
    visible = visible_controls(strategy)
    assert all(visible[c] for c in shown) and not any(visible[c] for c in hidden)
    assert visible["max_length"]


def test_alpha_is_hidden_when_no_formula_uses_it():
    assert visible_controls("beam", "length")["length_penalty"]
    assert not visible_controls("beam", "none")["length_penalty"]
    assert visible_controls("beam", "none")["length_penalty_formula"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_hidden_controls_change_nothing(strategy):
    """The page hides a control only if the engine ignores it for that strategy."""
    base = UiParams(strategy=strategy, max_length=8)
    reference = outcome(run(base))
    for control, value in CHANGED.items():
        if not visible_controls(strategy)[control]:
            assert outcome(run(dataclasses.replace(base, **{control: value}))) == reference, control


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_shown_controls_change_something(strategy):
    base = UiParams(strategy=strategy, max_length=8, length_penalty_formula="length")
    reference = outcome(run(base))
    for control in APPLIES[strategy]:
        if strategy == "exact" and control == "max_length":
            continue  # the untrained model's mode is the empty output, which any max_length allows
        changed = dataclasses.replace(base, **{control: CHANGED[control]})
        if control == "length_penalty_formula":
            changed = dataclasses.replace(changed, length_penalty=1.0)
        assert outcome(run(changed)) != reference, f"{control} is shown for {strategy} but changes nothing"


def test_values_that_do_not_fit_are_adjusted_with_a_note():
    config, notes = UiParams(strategy="beam", beam_width=2, num_return=5).to_config()
    assert config.num_return == 2 and "beam width" in notes[0]
    config, notes = UiParams(strategy="diverse_beam", beam_width=6, num_groups=4).to_config()
    assert config.num_groups == 3 and "divide" in notes[0]
    config, notes = UiParams(strategy="sample", num_return=4, beam_width=1).to_config()
    assert config.num_samples == config.num_return == 4 and notes == []  # samples ignore the beam width


def test_values_that_cannot_be_repaired_raise_a_message_naming_the_field():
    with pytest.raises(ValueError, match="temperature"):
        UiParams(strategy="sample", temperature=-1).to_config()
    with pytest.raises(ValueError, match="seed"):
        UiParams(seed=-3).to_config()
    with pytest.raises(ValueError, match="length_penalty_formula"):
        UiParams(length_penalty_formula="cubic").to_config()


def test_returned_hypotheses_help_says_samples_only_for_sampling():
    from playground.ui.common.controls import return_info

    assert "samples drawn" in return_info("sample")
    for strategy in ("beam", "stochastic_beam", "diverse_beam"):
        assert "samples" not in return_info(strategy) and "beam width" in return_info(strategy)
