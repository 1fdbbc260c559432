"""What-if analyses: hand-computable checks on scripted models, one check with the shipped G2P model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from decoding_cases import BEAM_MISSES

from playground.analysis.whatif import Candidate, continue_prefix, score_target, search_check, to_dict
from playground.decoding.config import DecodeConfig
from playground.models.vocab import InputError

WORD = "qqz"  # not a dictionary word: the scripted model ignores its source, and no dictionary verdict applies
G2P = Path(__file__).resolve().parents[1] / "checkpoints" / "g2p-bahdanau"


def test_score_target_gives_each_symbols_probability_and_rank():
    report = score_target(BEAM_MISSES, WORD, "ac", beam_width=1)
    assert [s.symbol for s in report.steps] == ["a", "c", "</s>"]
    assert [round(s.prob, 4) for s in report.steps] == [0.6, 0.34, 1.0]
    assert [s.rank for s in report.steps] == [0, 0, 0]
    assert report.log_prob == pytest.approx(math.log(0.6 * 0.34), abs=1e-5)


def test_a_target_off_the_models_favourite_path_names_the_favourite():
    report = score_target(BEAM_MISSES, WORD, "ad", beam_width=1)
    second = report.steps[1]  # d (0.33) is second to c (0.34)
    assert (second.symbol, second.rank, second.top_symbol) == ("d", 1, "c")
    assert second.top_prob == pytest.approx(0.34, abs=1e-5)


def test_score_target_lists_the_strategies_outputs_with_their_log_probs():
    report = score_target(BEAM_MISSES, WORD, "b", beam_width=1)
    by_label = {c.label: c for c in report.candidates}
    assert by_label["your target"].log_prob == pytest.approx(math.log(0.36), abs=1e-5)
    assert by_label["greedy"].tokens == ("a", "c")  # greedy takes a (0.6) and misses b </s> (0.36)
    assert by_label["beam (width 1)"].tokens == ("a", "c")
    assert by_label["exact search (the mode)"].tokens == ("b",)
    assert all(c.correct is None for c in report.candidates)  # not a dictionary word
    assert to_dict(report)["candidates"][0]["label"] == "your target"


def test_search_check_tells_a_search_error_from_finding_the_mode():
    missed = search_check(BEAM_MISSES, WORD, 1)
    assert missed.verdict == "search error" and missed.mode.tokens == ("b",)
    assert missed.mode.log_prob - missed.beam.log_prob == pytest.approx(math.log(0.36 / 0.204), abs=1e-4)
    assert missed.model_error is None and "Search error" in missed.explanation
    found = search_check(BEAM_MISSES, WORD, 2)
    assert found.verdict == "found the mode" and found.beam.tokens == ("b",)


def test_search_check_is_undetermined_when_exact_search_runs_out_of_nodes():
    check = search_check(BEAM_MISSES, WORD, 1, node_budget=1)
    assert check.verdict == "undetermined" and "Undetermined" in check.explanation


def test_continue_prefix_forces_the_prefix_and_reports_the_cost():
    cont = continue_prefix(BEAM_MISSES, WORD, "b", DecodeConfig(strategy="greedy"))
    (steps,) = cont.outputs
    assert [(s.symbol, s.forced) for s in steps] == [("b", True), ("</s>", False)]
    assert (steps[0].rank, steps[0].top_symbol) == (1, "a")
    assert cont.log_probs[0] == pytest.approx(math.log(0.36), abs=1e-5)
    assert cont.free.tokens == ("a", "c")  # greedy with nothing forced


# --- a target language (a multilingual model's token, forced first; here the scripted symbol "a") ---------------
def test_a_language_is_scored_as_the_forced_first_symbol_of_the_target_and_of_every_output():
    report = score_target(BEAM_MISSES, WORD, "c", beam_width=1, language="a")
    assert [(s.symbol, s.forced) for s in report.steps] == [("a", True), ("c", False), ("</s>", False)]
    assert report.log_prob == pytest.approx(math.log(0.6 * 0.34), abs=1e-5)
    by_label = {c.label: c.tokens for c in report.candidates}
    assert by_label["your target"] == ("a", "c")
    assert by_label["exact search (the mode)"] == ("a", "c")  # the mode among outputs starting with a (0.204)
    typed = score_target(BEAM_MISSES, WORD, "ac", beam_width=1, language="a")  # typed with it: not doubled
    assert typed.candidates[0].tokens == ("a", "c") and typed.log_prob == pytest.approx(report.log_prob)


def test_a_language_stays_forced_when_the_prefix_is_dropped():
    cont = continue_prefix(BEAM_MISSES, WORD, "d", DecodeConfig(strategy="greedy"), language="a")
    assert cont.prefix == ("a", "d") and [s.forced for s in cont.outputs[0]] == [True, True, False]
    assert cont.log_probs[0] == pytest.approx(math.log(0.6 * 0.33), abs=1e-5)
    assert (cont.free.label, cont.free.tokens) == ("greedy, only the language forced", ("a", "c"))


def test_the_search_check_searches_the_outputs_in_the_language():
    assert search_check(BEAM_MISSES, WORD, 1).verdict == "search error"  # the mode "b" is outside "a..."
    check = search_check(BEAM_MISSES, WORD, 1, language="a")
    assert check.verdict == "found the mode" and check.mode.tokens == check.beam.tokens == ("a", "c")


def test_a_multilingual_models_language_token_leads_what_if(tmp_path):
    pytest.importorskip("transformers")
    from helpers import m2m_checkpoint

    from playground import load_model
    from playground.decoding.api import score

    model = load_model(m2m_checkpoint(tmp_path))
    report = score_target(model, "the cat sat", "le chat", beam_width=2, language="__fr__")
    assert [s.symbol for s in report.steps][:3] == ["__fr__", "le", "chat"] and report.steps[0].forced
    assert report.log_prob == pytest.approx(score(model, "the cat sat", ["__fr__", "le", "chat"]).log_prob)
    assert all(c.tokens[0] == "__fr__" for c in report.candidates)
    with pytest.raises(InputError, match="__xx__"):
        score_target(model, "the cat sat", "le chat", language="__xx__")


@pytest.mark.parametrize("target, message", [("", "target is empty"), ("ax", "target: unknown symbol"),
                                             ("a\u200bc", "target contains control")])
def test_bad_targets_get_a_message_naming_the_target(target, message):
    with pytest.raises(InputError, match=message):
        score_target(BEAM_MISSES, WORD, target)


def test_bad_prefixes_and_inputs_get_a_message():
    with pytest.raises(InputError, match="prefix is empty"):
        continue_prefix(BEAM_MISSES, WORD, " ", DecodeConfig())
    with pytest.raises(ValueError, match="shorter than max_length=2"):
        continue_prefix(BEAM_MISSES, WORD, "ab", DecodeConfig(max_length=2))
    with pytest.raises(InputError, match="input is empty"):
        search_check(BEAM_MISSES, "", 2)


def test_candidates_refuse_impossible_log_probs():
    with pytest.raises(ValueError, match="log_prob"):
        Candidate(label="x", tokens=("a",), log_prob=0.5)
    with pytest.raises(ValueError, match="log_prob"):
        Candidate(label="x", tokens=("a",), log_prob=float("nan"))


@pytest.mark.skipif(not (G2P / "config.json").is_file(), reason="the shipped G2P checkpoint is absent")
def test_the_dictionary_judges_outputs_with_the_shipped_model():
    from playground import load_model

    model = load_model(G2P)
    report = score_target(model, "colonel", "K ER N AH L", beam_width=2)
    assert report.candidates[0].correct is True  # CMUdict's pronunciation
    check = search_check(model, "jeremia", 2)  # the Learn preset: beam (width 2) misses the mode
    assert check.verdict == "search error" and check.model_error is True
    assert check.beam.log_prob < check.mode.log_prob and check.mode.correct is False
    assert check.references[0].tokens == ("Y", "EH", "R", "IY", "M", "IY", "AH") and check.references[0].correct is True
