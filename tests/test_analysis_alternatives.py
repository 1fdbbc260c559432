"""A token's alternatives (analysis/alternatives.py) on a scripted model: by hand."""

import pytest

from playground.analysis.alternatives import alternatives
from playground.decoding import DecodeConfig, decode
from playground.decoding.scripted import ScriptedModel

MODEL = ScriptedModel(target_symbols="abc", table={"": {"a": 0.5, "b": 0.3, "c": 0.2}, "b": {"</s>": 1.0}})


def test_each_position_has_its_probability_rank_and_the_top_alternatives():
    trace = decode(MODEL, "x", DecodeConfig(strategy="sample", top_k=2, seed=3, num_samples=8, num_return=8)).trace
    b = next(h for h in trace.hypotheses if h.tokens == ["b"])
    first, end = alternatives(trace, b, top=3)
    assert first["token"] == "b" and first["p"] == pytest.approx(0.3) and first["rank"] == 1
    assert first["p_filtered"] == pytest.approx(0.3 / 0.8)  # top-k 2 keeps a and b
    assert [(a["token"], round(a["p"], 3), round(a["p_filtered"], 3)) for a in first["top"]] == [
        ("a", 0.5, 0.625), ("b", 0.3, 0.375), ("c", 0.2, 0.0)]
    assert end["token"] == "</s>" and end["p"] == pytest.approx(1.0) and end["rank"] == 0 and end["position"] == 2


def test_an_unrecorded_row_gives_the_probability_alone():
    trace = decode(MODEL, "x", DecodeConfig(strategy="greedy", record_trace=False)).trace
    (first, _) = alternatives(trace, trace.hypotheses[0])
    assert first == {"position": 1, "token": "a", "p": pytest.approx(0.5)}
