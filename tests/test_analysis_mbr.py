"""Minimum Bayes risk (analysis/mbr.py, utility.py): the utilities by hand, the expected utilities as the
documented weighted mean of the matrix's rows (self-utility included), the choice as their argmax; and the Learn
lesson on the shipped checkpoint it names."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from playground.analysis.lessons import BY_KEY, demonstrate
from playground.analysis.mbr import MAX_BEAM, MAX_SAMPLES, check_request, minimum_bayes_risk
from playground.analysis.utility import chrf, symbol_utility, utilities
from playground.decoding.config import DecodeConfig
from playground.decoding.scripted import ScriptedModel
from playground.models.checkpoint import SHIPPED


def consensus_model() -> ScriptedModel:
    """p(a) = 0.4, p(bb) = 0.6 · 0.55 = 0.33, p(bc) = 0.6 · 0.45 = 0.27: "a" is the mode, yet "bb" and "bc"
    agree on their first symbol."""
    return ScriptedModel(target_symbols="abc", table={"": {"a": 0.4, "b": 0.6}, "a": {"</s>": 1.0},
                                                      "b": {"b": 0.55, "c": 0.45}})


# --- utilities, by hand ---------------------------------------------------------------------------------------
def test_symbol_utility_is_one_minus_the_edit_distance_over_the_longer_length():
    assert symbol_utility(("K", "ER", "N", "AH", "L"), ("K", "ER", "N", "L")) == pytest.approx(1 - 1 / 5)
    assert symbol_utility(("K", "ER", "N", "L"), ("K", "ER", "N", "AH", "L")) == pytest.approx(0.8)  # symmetric
    assert symbol_utility(("a",), ("b", "b")) == 0.0  # one substitution and one insertion over 2
    assert symbol_utility((), ()) == 1.0 and symbol_utility((), ("a",)) == 0.0
    assert symbol_utility(("AH", "L"), ("AH", "L")) == 1.0


def test_chrf_by_hand():
    # "ab" vs "abc": 1-grams P 2/2 R 2/3, 2-grams P 1/1 R 1/2 (3-grams: none in "ab", left out);
    # P = 1, R = 7/12, F2 = 5 P R / (4 P + R) = (35/12) / (55/12) = 7/11
    assert chrf("ab", "abc") == pytest.approx(7 / 11)
    # the other way round recall is perfect: P = 7/12, R = 1, F2 = (35/12) / (28/12 + 1) = 7/8 (chrF is asymmetric)
    assert chrf("abc", "ab") == pytest.approx(7 / 8)
    # counts are clipped: "abab" vs "ab": 1-grams 2 of 4 match (P 1/2, R 1), 2-grams 1 of 3 (P 1/3, R 1);
    # P = 5/12, R = 1, F2 = (25/12) / (20/12 + 1) = 25/32
    assert chrf("abab", "ab") == pytest.approx(25 / 32)
    assert chrf("a b c", "abc") == 1.0 and chrf("Haus", "Haus") == 1.0  # whitespace removed; identical: 1
    assert chrf("", "") == 1.0 and chrf("", "ab") == 0.0 and chrf("xy", "ab") == 0.0


def test_text_models_compare_the_detokenized_strings_with_chrf():
    detok = lambda pieces: "".join(pieces).replace("▁", " ").strip()  # noqa: E731
    text_model = SimpleNamespace(target_vocab=SimpleNamespace(kind="pieces", detokenize=detok))
    hyps = [("▁a", "b"), ("▁a", "bc"), ("▁ab", "ab")]
    matrix = utilities(text_model, hyps, hyps)
    for i, h in enumerate(hyps):
        for j, r in enumerate(hyps):
            assert matrix[i, j] == pytest.approx(chrf(detok(h), detok(r)))
    assert matrix[0, 1] == pytest.approx(7 / 11) and matrix[1, 0] == pytest.approx(7 / 8)


def test_a_hugging_face_models_outputs_are_compared_with_chrf_and_get_no_dictionary_mark(tmp_path):
    pytest.importorskip("transformers")
    from helpers import hf_checkpoint

    from playground import load_model

    model = load_model(hf_checkpoint(tmp_path / "bart", "bart"))
    result = minimum_bayes_risk(model, "the big cat sat on the mat", DecodeConfig(temperature=1.5, seed=0), 12)
    texts = [c.text for c in result.candidates]
    assert "chrF" in result.utility and texts == [model.target_vocab.detokenize(list(c.tokens))
                                                  for c in result.candidates]
    assert result.matrix == pytest.approx(np.array([[chrf(h, r) for r in texts] for h in texts]))
    assert result.expected == pytest.approx(result.matrix @ result.weights)
    assert result.mbr.correct is None and result.beam.correct is None and result.mode.correct is None


# --- the analysis on a scripted model ---------------------------------------------------------------------------
def test_beam_n_best_mbr_by_hand_picks_the_consensus_over_the_mode():
    result = minimum_bayes_risk(consensus_model(), "qqz", DecodeConfig(), 3, source="beam")
    assert [c.text for c in result.candidates] == ["a", "bb", "bc"]
    assert result.weights == pytest.approx([0.4, 0.33, 0.27])  # p(y|x) renormalised (here they add up to 1)
    assert result.matrix == pytest.approx(np.array([[1, 0, 0], [0, 1, 0.5], [0, 0.5, 1]]))
    # E[u(a)] = 0.4; E[u(bb)] = 0.33 + 0.5 * 0.27 = 0.465; E[u(bc)] = 0.27 + 0.5 * 0.33 = 0.435
    assert result.expected == pytest.approx([0.4, 0.465, 0.435])
    assert result.mbr.text == "bb" and result.choice == 1
    assert result.beam.text == result.mode.text == "a" and result.beam.expected_utility == pytest.approx(0.4)
    assert result.mode.log_prob == pytest.approx(math.log(0.4), abs=1e-6) and result.mode.candidate == 0
    assert result.mbr.correct is None  # "qqz" is no dictionary word


def assert_documented_expectation(out: dict) -> None:
    """/mbr_json's contract, as to_dict() writes it: E_i = sum_j w_j U[i][j] with the diagonal (= 1) included,
    the weights adding up to 1, and the choice their argmax."""
    matrix, weights, expected = (np.array(out[k]) for k in ("matrix", "weights", "expected_utilities"))
    assert weights.sum() == pytest.approx(1.0) and np.diag(matrix) == pytest.approx(1.0)
    assert expected == pytest.approx(matrix @ weights)
    assert expected[out["choice"]] >= expected.max() - 1e-9
    assert [c["expected_utility"] for c in out["candidates"]] == pytest.approx(expected)
    if out["method"] == "sample":  # w = count / n: E is the plain mean of the row over all n samples
        counts = [c["count"] for c in out["candidates"]]
        assert sum(counts) == out["n"] and weights == pytest.approx(np.array(counts) / out["n"])
        assert expected == pytest.approx(np.repeat(matrix, counts, axis=1).mean(axis=1))
    else:  # w = p(y|x) renormalised over the n-best list
        probs = np.exp([c["log_prob"] for c in out["candidates"]])
        assert weights == pytest.approx(probs / probs.sum())


@pytest.mark.parametrize("source, n", [("sample", 200), ("beam", 3), ("sample", 1)])
def test_expected_utilities_are_the_weighted_mean_of_the_rows_and_the_choice_their_argmax(source, n):
    result = minimum_bayes_risk(consensus_model(), "qqz", DecodeConfig(temperature=1.0, seed=3), n, source)
    out = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert_documented_expectation(out)
    assert "included" in out["self_utility"] and out["weights_are"]
    if n == 1:
        assert out["candidates"][0]["expected_utility"] == 1.0 and out["choice"] == 0


def test_samples_follow_the_settings_and_are_counted():
    result = minimum_bayes_risk(consensus_model(), "qqz", DecodeConfig(temperature=0.0, seed=0), 20, "sample")
    assert result.n == 20 and len(result.candidates) == 1 and result.candidates[0].count == 20  # T = 0: greedy
    assert result.config.strategy == "sample" and result.config.num_samples == 20


@pytest.mark.parametrize("n, source, message", [
    (0, "sample", f"from 1 to {MAX_SAMPLES}"), (MAX_SAMPLES + 1, "sample", "samples for MBR"),
    (MAX_BEAM + 1, "beam", f"from 1 to {MAX_BEAM}"), (2.5, "sample", "whole number"), (True, "beam", "whole number"),
    (10, "greedy", "source must be one of 'sample', 'beam'"),
])
def test_bad_requests_are_refused_with_a_message(n, source, message):
    with pytest.raises(ValueError, match=message):
        check_request(n, source)
    with pytest.raises(ValueError, match=message):
        minimum_bayes_risk(consensus_model(), "qqz", DecodeConfig(), n, source)


# --- the lesson, on the shipped checkpoint ---------------------------------------------------------------------
def test_the_lesson_word_is_a_dev_word():
    from playground.training.data import default_test_words_path, load_lexicon, load_test_words, make_splits

    if not default_test_words_path().is_file():
        pytest.skip("the standard test word list is absent")
    assert BY_KEY["mbr_consensus"].word in make_splits(load_lexicon(), load_test_words()).dev


def test_mbr_over_the_8_best_list_is_the_dictionary_answer_where_beam_search_is_wrong():
    lesson = BY_KEY["mbr_consensus"]
    if not (SHIPPED / lesson.model / "config.json").is_file():
        pytest.skip(f"the shipped {lesson.model} checkpoint is absent")
    from playground import load_model

    demo = demonstrate(lesson, load_model(SHIPPED / lesson.model))
    n = demo.numbers
    assert demo.holds, demo.summary
    assert n["mbr_correct"] is True and n["beam_correct"] is False and n["mode_correct"] is False
    assert n["mbr_expected_utility"] > n["beam_expected_utility"]
    assert n["mbr_log_prob"] < n["beam_log_prob"] == pytest.approx(n["mode_log_prob"], abs=1e-4)  # the mode loses
    assert n["mbr_weight"] < n["beam_weight"]  # ... though it is less probable than beam's best
