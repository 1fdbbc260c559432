"""Compare: columns computed in one call, exact values on scripted models, and the token alignment."""

from __future__ import annotations

import copy
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from decoding_cases import BEAM_MISSES, SHORT_OR_LONG

from playground.analysis.compare import (
    PRESETS,
    align,
    column_config,
    compare,
    describe,
    preset_config,
    preset_knobs,
)
from playground.decoding import DecodeConfig, decode
from playground.decoding.trace import Trace
from playground.models.vocab import InputError
from playground.training.metrics import edit_distance

CHECKPOINT = Path(__file__).resolve().parents[1] / "checkpoints" / "g2p-bahdanau"


# --- alignment ------------------------------------------------------------------------------------
def test_identical_sequences_align_without_differences():
    al = align([("K", "AE", "T"), ("K", "AE", "T")])
    assert al.rows == (("K", "AE", "T"),) * 2 and al.differs == (False,) * 3 and al.agree


def test_a_substitution_is_one_differing_position():
    al = align([("K", "ER", "N"), ("K", "AH", "N")])
    assert al.rows == (("K", "ER", "N"), ("K", "AH", "N")) and al.differs == (False, True, False)


def test_insertions_and_deletions_become_gaps():
    assert align([("a", "b"), ("a", "x", "b")]).rows == (("a", None, "b"), ("a", "x", "b"))
    al = align([("a", "b", "c"), ("a", "c")])
    assert al.rows == (("a", "b", "c"), ("a", None, "c")) and al.differs == (False, True, False)


def test_insertions_of_different_lengths_at_one_place_are_merged():
    al = align([("a", "b"), ("a", "x", "b"), ("a", "y", "z", "b")])
    assert al.rows == (("a", None, None, "b"), ("a", "x", None, "b"), ("a", "y", "z", "b"))
    assert al.differs == (False, True, True, False)
    assert al.marks(1) == [False, True, False]  # the row's own symbols a, x, b
    assert al.marks(0) == [False, False]


def test_an_empty_output_aligns_as_all_gaps():
    al = align([("a", "b"), ()])
    assert al.rows == (("a", "b"), (None, None)) and all(al.differs) and al.marks(1) == []


def test_a_deletion_and_an_insertion_stay_gaps_around_the_matches():
    # a b c -> b c d: dropping a and adding d costs 2; any alignment with a substitution costs 3
    al = align([("a", "b", "c"), ("b", "c", "d")])
    assert al.rows == (("a", "b", "c", None), (None, "b", "c", "d")) and al.differs == (True, False, False, True)
    assert al.marks(0) == [True, False, False] and al.marks(1) == [False, False, True]


def test_three_rows_share_the_centres_positions():
    al = align([("K", "AE", "T"), ("K", "AE", "T", "S"), ("AE", "T")])
    assert al.rows == (("K", "AE", "T", None), ("K", "AE", "T", "S"), (None, "AE", "T", None))
    assert al.differs == (True, False, False, True)


def test_alignments_are_minimal_and_keep_every_symbol_on_random_sequences():
    rng = random.Random(0)
    symbols = ("AA", "AE", "T")  # few symbols, so equally short alignments (ties) are common

    def draw():
        return tuple(rng.choice(symbols) for _ in range(rng.randrange(7)))

    for _ in range(300):
        sequences = [draw() for _ in range(rng.randrange(2, 5))]
        al = align(sequences)
        for row, seq in zip(al.rows, sequences, strict=True):
            assert tuple(s for s in row if s is not None) == seq  # gaps added, nothing lost or reordered
        assert al.differs == tuple(len(set(column)) > 1 for column in zip(*al.rows, strict=True))
        a, b = sequences[:2]
        pair = align([a, b]).rows  # two rows: nothing is padded, so this is the pairwise alignment itself
        assert sum(x != y for x, y in zip(*pair, strict=True)) == edit_distance(a, b), (a, b)  # minimal
        for j in range(len(pair[0]) - 1):  # never a deletion next to an insertion: one substitution is cheaper
            assert not (pair[0][j] is None and pair[1][j + 1] is None), pair
            assert not (pair[1][j] is None and pair[0][j + 1] is None), pair


# --- presets and column configs -------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_valid_config(name):
    config = preset_config(name, seed=7, max_length=20)
    assert config.strategy == PRESETS[name]["strategy"] and config.seed == 7 and config.max_length == 20
    assert describe(config)


def test_column_config_returns_a_beams_best_three_and_one_sample():
    assert column_config(strategy="beam", beam_width=5).num_return == 3
    assert column_config(strategy="beam", beam_width=2).num_return == 2
    assert column_config(strategy="sample", top_p=0.9).num_return == 1
    assert column_config(strategy="beam", num_groups=4, beam_width=5).num_groups == 1  # only diverse beam reads it
    assert preset_config("beam 10, α=0").length_penalty == 0.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(strategy="beam", beam_width=40), "beam_width"),
    (dict(strategy="diverse_beam", beam_width=5, num_groups=2), "num_groups"),
    (dict(strategy="sample", top_p=0.0), "top_p"),
    (dict(strategy="magic"), "strategy"),
    (dict(width=3), "unknown column knob"),
])
def test_bad_column_knobs_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        column_config(**kwargs)


def test_unknown_preset_is_named():
    with pytest.raises(ValueError, match="unknown preset"):
        preset_knobs("best")


# --- compare on a scripted model: exact values ----------------------------------------------------
def test_greedy_and_beam_columns_on_the_beam_misses_case():
    greedy, beam = DecodeConfig(strategy="greedy"), column_config(strategy="beam", beam_width=2)
    result = compare(BEAM_MISSES, "xyz", [greedy, beam], labels=["g", "b"])
    g, b = result.columns
    assert g.top.tokens == ("a", "c") and math.isclose(g.top.log_prob, math.log(0.6 * 0.34), rel_tol=1e-5)
    assert b.top.tokens == ("b",) and math.isclose(b.top.log_prob, math.log(0.36), rel_tol=1e-5)
    assert math.isclose(b.top.score, math.log(0.36) / 2, rel_tol=1e-5)  # length penalty: L = 2 with </s>
    assert len(b.outputs) == 2 and len(g.outputs) == 1
    assert g.steps == ("a", "c", "</s>") and np.allclose(g.p_model, [0.6, 0.34, 1.0], atol=1e-6)
    assert g.p_filtered == (None, None, None)  # greedy does not filter: nothing to show
    assert np.allclose(g.attention, 1 / 3) and np.asarray(g.attention).shape == (3, 3)  # uniform over "xyz"
    assert result.source == ("x", "y", "z") and all(result.alignment.differs)
    assert (g.label, b.label) == ("g", "b")


def test_sampling_column_records_the_filtered_probability():
    nucleus = column_config(strategy="sample", top_p=0.5)
    result = compare(SHORT_OR_LONG, "ab", [DecodeConfig(), nucleus])
    col = result.columns[1]
    # step 1: top-p 0.5 keeps a (0.4) and b (0.35), renormalised by 0.75; then every kept row is one symbol
    assert col.steps[0] in ("a", "b") and col.p_filtered[0] == pytest.approx(col.p_model[0] / 0.75, abs=1e-5)
    assert col.p_filtered[1:] == pytest.approx([1.0] * (len(col.steps) - 1))
    assert col.label == "sampling · top-p 0.5"


def test_columns_match_separate_decodes_and_share_the_seed():
    configs = [preset_config("temperature 1.5", seed=3), preset_config("top-k 5", seed=3),
               preset_config("stochastic beam 5", seed=3)]
    result = compare(BEAM_MISSES, "ab", configs)
    for column, config in zip(result.columns, configs, strict=True):
        alone = decode(BEAM_MISSES, "ab", config)
        assert [o.tokens for o in column.outputs] == [tuple(h.tokens) for h in alone.hypotheses]
        assert column.trace == alone.trace


@pytest.mark.parametrize("count", [1, 5])
def test_two_to_four_columns(count):
    with pytest.raises(ValueError, match="2 to 4"):
        compare(BEAM_MISSES, "ab", [DecodeConfig()] * count)


def test_bad_input_is_a_message():
    with pytest.raises(InputError):
        compare(BEAM_MISSES, "a1", [DecodeConfig()] * 2)
    with pytest.raises(InputError):
        compare(BEAM_MISSES, "  ", [DecodeConfig()] * 2)


def test_to_dict_is_json_and_holds_every_trace():
    result = compare(BEAM_MISSES, "ab", [preset_config(n) for n in ("greedy", "beam 5", "exact search")])
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert [c["label"] for c in d["columns"]] == [c.label for c in result.columns]
    assert Trace.from_dict(d["columns"][1]["trace"]) == result.columns[1].trace
    assert d["alignment"]["differs"] == list(result.alignment.differs)
    assert copy.deepcopy(result) == result


@pytest.mark.skipif(not CHECKPOINT.exists(), reason="no shipped checkpoint")
def test_shipped_model_columns_are_consistent():
    from playground import load_model

    model = load_model(str(CHECKPOINT))
    result = compare(model, "colonel", [preset_config("greedy"), preset_config("beam 5")])
    for column in result.columns:
        assert np.allclose(np.sum(column.attention, axis=1), 1.0, atol=1e-4)  # attention rows are distributions
        assert math.isclose(sum(math.log(p) for p in column.p_model), column.top.log_prob, abs_tol=1e-4)
    assert result.columns[1].top.score >= result.columns[1].outputs[-1].score  # best first


def test_each_column_can_decode_with_its_own_model():
    from helpers import tiny_model, tiny_transformer

    rnn, transformer = tiny_model(), tiny_transformer()
    config = preset_config("beam 5", max_length=5)
    result = compare([rnn, transformer], "cab", [config, config])
    for column, model in zip(result.columns, (rnn, transformer), strict=True):
        assert column.top.tokens == tuple(decode(model, "cab", config).hypotheses[0].tokens)
    assert np.asarray(result.columns[1].attention).shape == (len(result.columns[1].steps), 3)  # mean of heads
    with pytest.raises(ValueError, match="2 models for 3 configs"):
        compare([rnn, transformer], "cab", [config] * 3)
