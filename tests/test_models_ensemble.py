"""Ensembles: hand-computed combinations, members' distributions in the trace, mixed families, and ensemble
checkpoints that name their members beside them (never anywhere else)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from decoding_cases import MEMBER_A as A
from decoding_cases import MEMBER_B as B
from helpers import check_invariants, tiny_model, tiny_transformer

from playground import CheckpointError, DecodeConfig, decode, load_model
from playground.decoding.config import STRATEGIES
from playground.decoding.scripted import ScriptedModel
from playground.models.checkpoint import save_checkpoint
from playground.models.ensemble import Ensemble, EnsembleConfig
from playground.training.ensemble import main as make


def ensemble(combine: str) -> Ensemble:
    return Ensemble(EnsembleConfig(members=("a", "b"), combine=combine), [A, B])


@pytest.mark.parametrize("combine, p_a", [
    ("probs", (0.6 + 0.2) / 2),  # the mixture: 0.4
    ("log_probs", math.sqrt(0.6 * 0.2) / (math.sqrt(0.6 * 0.2) + math.sqrt(0.4 * 0.8))),  # the product: 0.380
])
def test_the_combined_distribution_is_the_hand_computed_one(combine, p_a):
    trace = decode(ensemble(combine), "x", DecodeConfig(strategy="greedy")).trace
    probs = np.exp(trace.steps[0].log_probs[0])  # ids: <pad> <s> </s> a b
    assert probs[3] == pytest.approx(p_a, abs=1e-6) and probs[4] == pytest.approx(1 - p_a, abs=1e-6)
    assert trace.hypotheses[0].tokens == ["b"]  # both ways, b wins (a member alone, A, would say a)
    assert decode(A, "x", DecodeConfig()).hypotheses[0].tokens == ["a"]


def test_the_trace_keeps_each_members_distribution_and_name():
    trace = decode(ensemble("probs"), "x", DecodeConfig(strategy="beam", beam_width=2)).trace
    members = np.exp(trace.steps[0].member_log_probs[0])  # (M, V)
    assert trace.members == ["a", "b"] and members.shape == (2, 5)
    assert members[0, 3:] == pytest.approx([0.6, 0.4]) and members[1, 3:] == pytest.approx([0.2, 0.8])
    again = type(trace).from_dict(json.loads(json.dumps(trace.to_dict())))
    assert again == trace and again.members == ["a", "b"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_rnn_and_a_transformer_decode_together_with_every_strategy(strategy):
    model = Ensemble(EnsembleConfig(members=("rnn", "tf")), [tiny_model(), tiny_transformer()])
    config = DecodeConfig(strategy=strategy, beam_width=3, num_samples=3, max_length=5,
                          num_groups=3 if strategy == "diverse_beam" else 1)
    trace = decode(model, "cab", config).trace
    check_invariants(trace, config)
    assert trace.steps[0].member_log_probs.shape[1] == 2


def test_members_must_read_and_write_the_same_symbols():
    with pytest.raises(ValueError, match="other symbols"):
        Ensemble(EnsembleConfig(members=("a", "other")), [A, ScriptedModel(target_symbols="abc")])
    with pytest.raises(ValueError, match="at least 2"):
        EnsembleConfig(members=("a",))


@pytest.fixture
def members(tmp_path):
    for name, model in (("rnn", tiny_model()), ("tf", tiny_transformer())):
        save_checkpoint(model, tmp_path / name, meta={"task": "g2p", "name": name, "description": name})
    return tmp_path


def test_an_ensemble_checkpoint_loads_its_members_once(members):
    out = make([str(members / "rnn"), str(members / "tf"), "--out", str(members / "both"), "--combine", "log_probs"])
    assert not (out / "model.safetensors").exists()  # no weights of its own
    loaded: dict = {}
    model = load_model(out, loaded=loaded)
    assert isinstance(model, Ensemble) and model.arch.combine == "log_probs" and model.member_names == ("rnn", "tf")
    assert load_model(members / "rnn", loaded=loaded) is model.members[0]  # shared, not loaded twice
    assert "ensemble of 2 models" in (out / "README.md").read_text()
    assert decode(model, "cab", DecodeConfig(max_length=4)).hypotheses


@pytest.mark.parametrize("member", ["../rnn", "/etc", "rnn/../../x", ".", ".."])
def test_an_ensemble_cannot_name_a_member_outside_its_folder(members, member):
    (members / "bad").mkdir()
    (members / "bad" / "config.json").write_text(json.dumps(
        {"name": "bad", "task": "g2p", "model": {"family": "ensemble", "members": ["rnn", member]}}))
    with pytest.raises(CheckpointError, match="member|own member|no such"):
        load_model(members / "bad")


def test_making_an_ensemble_of_strangers_is_refused(members, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    with pytest.raises(SystemExit):
        make([str(members / "rnn"), str(members / "tf"), "--out", str(elsewhere / "both")])
