"""Shared test helpers (fixtures live in conftest.py): tiny models and stores built in milliseconds, a
hand-written G2P-like scripted model, traces of every strategy, and the trace invariants every strategy keeps.
Nothing here downloads anything or writes into the repository."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.decoding.api import decode
from playground.decoding.config import DecodeConfig
from playground.decoding.scripted import ScriptedModel
from playground.decoding.trace import STATUSES, Trace
from playground.models.rnn import ModelConfig, Seq2Seq
from playground.models.vocab import Vocab

CHARS = Vocab(symbols=("<pad>", "<s>", "</s>", "'", *"abcdefghijklmnopqrstuvwxyz"), kind="chars")
PHONES = Vocab(symbols=("<pad>", "<s>", "</s>", "AA", "AE", "AH", "B", "K", "T", "S"), kind="words",
               lowercase=False)
HUB_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def tiny_model(attention: str = "bahdanau", rnn: str = "gru", layers: int = 1, seed: int = 0) -> Seq2Seq:
    """An untrained G2P RNN over CHARS -> PHONES (a few thousand weights)."""
    torch.manual_seed(seed)
    config = ModelConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), embed_dim=8, hidden_dim=12,
                         encoder_layers=layers, decoder_layers=layers, rnn=rnn, attention=attention, dropout=0.0)
    return Seq2Seq(config, CHARS, PHONES).eval()


def tiny_transformer(seed: int = 0, layers: int = 2, heads: int = 2):
    """An untrained G2P Transformer over CHARS -> PHONES (d_model 8)."""
    from playground.models.transformer import Transformer, TransformerConfig

    torch.manual_seed(seed)
    config = TransformerConfig(src_vocab_size=len(CHARS), tgt_vocab_size=len(PHONES), d_model=8, heads=heads,
                               encoder_layers=layers, decoder_layers=layers, ffn_dim=16, dropout=0.0)
    return Transformer(config, CHARS, PHONES).eval()


def tiny_p2g(seed: int = 0) -> Seq2Seq:
    """An untrained P2G RNN over PHONES -> CHARS, Luong "general" attention."""
    torch.manual_seed(seed)
    config = ModelConfig(src_vocab_size=len(PHONES), tgt_vocab_size=len(CHARS), embed_dim=8, hidden_dim=12,
                         encoder_layers=1, decoder_layers=1, rnn="gru", attention="general", dropout=0.0)
    return Seq2Seq(config, PHONES, CHARS).eval()


def tiny_store():
    """Two untrained models (milliseconds to build): the app's behaviour, not the models', is under test."""
    from playground.ui import ModelStore

    return ModelStore({"g2p-tiny": tiny_model(), "p2g-tiny": tiny_p2g()})


def served_client(ports: range):
    """A gradio_client Client on the app over tiny_store(), served on a free port in ``ports`` (a generator:
    ``yield from`` it in a module fixture; the server closes when the fixture ends)."""
    from gradio_client import Client

    from playground.ui import build_demo
    from playground.ui.server import serve

    url, demo = serve(build_demo(tiny_store()), ports=ports)
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


COLONEL_PHONES = ("K", "ER", "N", "AH", "L", "OW")


def colonel_model() -> ScriptedModel:
    """A hand-written G2P-like table: greedy reads 'colonel' as K ER N AH L (p = .9 .6 .8 .7 .9 1)."""
    return ScriptedModel(target_symbols=COLONEL_PHONES, attention="monotonic", table={
        (): {"K": 0.9, "N": 0.1},
        ("K",): {"ER": 0.6, "OW": 0.4},
        ("K", "ER"): {"N": 0.8, "L": 0.2},
        ("K", "ER", "N"): {"AH": 0.7, "</s>": 0.3},
        ("K", "ER", "N", "AH"): {"L": 0.9, "</s>": 0.1},
        ("K", "OW"): {"L": 1.0},
        ("K", "OW", "L"): {"AH": 0.5, "</s>": 0.5},
    })


def trace_of(model=None, text="colonel", **config) -> Trace:
    return decode(model or colonel_model(), text, DecodeConfig(**config)).trace


def all_figures(trace: Trace, hyp: int = 0, t: int = 0) -> list:
    """The five Explore views of hypothesis ``hyp`` at step ``t``."""
    from playground.ui.explore.attention import attention_figure
    from playground.ui.explore.distribution import distribution_figure
    from playground.ui.explore.results import results_figure
    from playground.ui.explore.selection import Selection
    from playground.ui.explore.tree import tree_figure
    from playground.ui.explore.uncertainty import uncertainty_figure

    sel = Selection.of(trace, hyp)
    return [results_figure(sel), distribution_figure(sel, t), attention_figure(sel, t), tree_figure(sel, t),
            uncertainty_figure(sel, t)]


TRACES = {  # every strategy, the filters, lengths penalties, hypotheses cut at the maximum length
    "greedy": dict(strategy="greedy"),
    "sample with filters": dict(strategy="sample", num_samples=6, num_return=3, temperature=1.5, top_k=5,
                                top_p=0.9, min_p=0.01, seed=3),
    "beam": dict(strategy="beam", beam_width=4, num_return=3, length_penalty=1.0),
    "beam gnmt, cut": dict(strategy="beam", beam_width=3, num_return=3, length_penalty_formula="gnmt",
                           max_length=3),
    "diverse beam": dict(strategy="diverse_beam", beam_width=6, num_groups=3, diversity_penalty=0.5,
                         num_return=3),
    "stochastic beam": dict(strategy="stochastic_beam", beam_width=4, num_return=3, temperature=1.2, top_k=8,
                            seed=2),
    "exact": dict(strategy="exact"),
}


def check_invariants(trace: Trace, config: DecodeConfig) -> None:
    for step in trace.steps:
        h = len(step.node_ids)
        for probs in (step.probs_temperature, step.probs_filtered):
            assert probs.shape[0] == h and np.isfinite(probs).all() and (probs >= 0).all()
            assert np.allclose(probs.sum(1), 1.0, atol=1e-5)
        assert (step.kept >= 1).all() and (step.kept == (step.probs_filtered > 0).sum(1)).all()
        assert step.attention.ndim == 4 and np.allclose(step.attention.sum(-1), 1.0, atol=1e-5)  # (H, L, K, S)
        for name in ("logits", "log_probs", "entropy", "entropy_temperature", "entropy_filtered",
                     "chosen_prob"):
            assert np.isfinite(getattr(step, name)).all(), name
        assert (step.entropy >= 0).all() and (step.entropy_filtered >= 0).all()
        if (step.chosen >= 0).any():  # chain steps: every row made a choice the filters allowed
            assert (step.chosen >= 0).all() and (step.chosen_prob > 0).all() and (step.chosen_rank >= 0).all()
        assert all(0 <= c < len(trace.nodes) for c in step.candidates)
    for node in trace.nodes:
        assert node.status in STATUSES and node.parent < node.id
        assert np.isfinite([node.log_prob, node.cum_log_prob, node.score]).all()
        if node.id:
            assert node.step == trace.nodes[node.parent].step + 1 and node.token not in (0, 1)
    assert trace.hypotheses, "every strategy returns at least one hypothesis"
    for hyp in trace.hypotheses:
        assert trace.nodes[hyp.node].token == (2 if hyp.finished else hyp.token_ids[-1])
        assert len(hyp.token_ids) + hyp.finished <= config.max_length
        assert hyp.token_ids[: len(config.prefix)] == [3] * len(config.prefix)  # "a" is id 3
        assert np.isfinite([hyp.log_prob, hyp.score]).all()
        assert hyp.log_prob == pytest.approx(trace.nodes[hyp.node].cum_log_prob, rel=1e-6, abs=1e-4)
    assert Trace.from_dict(json.loads(json.dumps(trace.to_dict(), allow_nan=False))) == trace
