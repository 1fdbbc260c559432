"""On a CUDA GPU, the models and the engine give what they give on the CPU, and a training step runs.

Marked ``cuda``: skipped where torch sees no GPU (CI's machines have none); run with ``pytest -m cuda`` on a
machine that has one. The engine keeps its own tensors on the CPU and the models return their per-step
outputs there (models/rnn.py, models/transformer.py), so the same decode must come out on either device.
"""

from __future__ import annotations

import pytest
import torch
from helpers import CHARS, tiny_model, tiny_transformer

from playground.decoding import DecodeConfig, decode, decode_many
from playground.models.ensemble import Ensemble, EnsembleConfig

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")]
WORDS = ["cab", "tacks", "a", "bat", "stack"]
CONFIGS = {"greedy": DecodeConfig(strategy="greedy", max_length=8),
           "beam": DecodeConfig(strategy="beam", beam_width=3, num_return=3, max_length=8),
           "sample": DecodeConfig(strategy="sample", num_samples=6, num_return=3, seed=1, max_length=8)}
MODELS = {"rnn": tiny_model, "transformer": tiny_transformer}


def outputs(result) -> list[tuple[tuple[str, ...], float]]:
    return [(tuple(h.tokens), h.log_prob) for h in result.hypotheses]


def same(a, b) -> None:
    assert [tokens for tokens, _ in a] == [tokens for tokens, _ in b]
    assert [lp for _, lp in a] == pytest.approx([lp for _, lp in b], abs=1e-4)


@pytest.mark.parametrize("family", MODELS)
@pytest.mark.parametrize("strategy", CONFIGS)
def test_a_decode_on_the_gpu_equals_the_cpu_one(family, strategy):
    cpu, gpu = MODELS[family](seed=2), MODELS[family](seed=2).cuda()
    for word in WORDS:
        same(outputs(decode(gpu, word, CONFIGS[strategy])), outputs(decode(cpu, word, CONFIGS[strategy])))


@pytest.mark.parametrize("family", MODELS)
def test_batched_decoding_on_the_gpu_equals_one_at_a_time(family):
    gpu = MODELS[family](seed=3).cuda()
    for config in CONFIGS.values():
        batched = decode_many(gpu, WORDS, config)
        for word, result in zip(WORDS, batched, strict=True):
            same(outputs(result), outputs(decode(gpu, word, config)))


def test_an_ensemble_of_an_rnn_and_a_transformer_runs_on_the_gpu():
    members = [tiny_model(seed=4).cuda(), tiny_transformer(seed=4).cuda()]
    ensemble = Ensemble(EnsembleConfig(members=("rnn", "transformer"), combine="probs"), members)
    result = decode(ensemble, "cab", CONFIGS["beam"])
    assert result.trace.members == ["rnn", "transformer"] and result.trace.steps[0].member_log_probs.shape[1] == 2


@pytest.mark.parametrize("family", MODELS)
def test_a_training_step_under_bf16_autocast_gives_finite_gradients(family):
    model = MODELS[family](seed=5).cuda().train()
    src = torch.tensor([CHARS.encode(list("cab")), CHARS.encode(list("bat"))], device="cuda")
    tgt_in = torch.tensor([[1, 5, 6], [1, 7, 8]], device="cuda")  # <s> and two phones
    tgt_out = torch.tensor([[5, 6, 2], [7, 8, 2]], device="cuda")  # the phones and </s>
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model.loss(src, tgt_in, tgt_out, label_smoothing=0.1)
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in model.parameters()
                                        if p.grad is not None)
