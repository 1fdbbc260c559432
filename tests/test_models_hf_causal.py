"""Hugging Face decoder-only models through the adapter (playground/models/hf_causal.py) decode exactly as the
library's own generate() does.

Tiny random models of every supported family are built from their config classes (tests/causal.py; nothing is
downloaded). Against ``generate``: greedy and beam search (k = 4, alpha 0 and 1, early stopping on and off, the
n-best list) give the same tokens and the same scores; our ``early_stopping=False`` is HF's "never". The engine
bans only a padding token of the tokenizer's own, so generate() is told the same. Teacher-forced ``score`` equals
the forward pass's log-likelihood of a continuation, a step-by-step decode gives the forward pass's logits and
self-attention, and a padded batch decodes each prompt as alone.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from causal import FAMILIES, causal_model
from helpers import check_trace_columns

from playground import DecodeConfig, decode
from playground.decoding.api import decode_many, encode_source, score

pytest.importorskip("transformers")

PROMPTS = ("the cat sat on the mat", "a big red dog ran to the house", "bird sang")
MAX_LENGTH = 12
EXACT = {"gpt2": 3.0, "llama": 5.0, "qwen2": 3.0}  # the three, against generate() in full: </s> biases
# under which some hypotheses end with </s> and some are cut (checked below)


@pytest.fixture(scope="module", params=EXACT)
def model(request):
    return causal_model(request.param, eos_bias=EXACT[request.param])


def prompt_ids(model, text: str) -> torch.Tensor:
    return torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(text))])  # (1, P)


def generate(model, text: str, **settings):
    ids = prompt_ids(model, text)
    banned = sorted(model.target_vocab.never_generated)
    with torch.no_grad():
        return model.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=MAX_LENGTH,
                                    do_sample=False, return_dict_in_generate=True, output_scores=True,
                                    output_logits=True, pad_token_id=model.target_vocab.pad_id,
                                    **({"suppress_tokens": banned} if banned else {}), **settings)


def continuation(model, sequence: torch.Tensor, prompt: int) -> list[int]:
    """A generated row without its prompt, its </s> and the padding after it."""
    ids = sequence[prompt:].tolist()
    eos = model.target_vocab.eos_id
    return ids[: ids.index(eos)] if eos in ids else ids


@pytest.mark.parametrize("text", PROMPTS)
def test_greedy_gives_generates_tokens(model, text):
    ours = decode(model, text, DecodeConfig(strategy="greedy", max_length=MAX_LENGTH)).hypotheses[0]
    theirs = generate(model, text, num_beams=1)
    prompt = prompt_ids(model, text).shape[1]
    assert ours.token_ids == continuation(model, theirs.sequences[0], prompt)
    log_probs = torch.stack(theirs.logits).log_softmax(-1)[:, 0]  # (T, V)
    assert ours.log_prob == pytest.approx(float(log_probs.gather(1, theirs.sequences[0, prompt:, None]).sum()),
                                          abs=1e-4)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("early_stopping", [True, False])
@pytest.mark.parametrize("text", PROMPTS[:2])
def test_beam_search_gives_generates_n_best_list_and_scores(model, text, alpha, early_stopping):
    config = DecodeConfig(strategy="beam", beam_width=4, num_return=4, length_penalty=alpha,
                          early_stopping=early_stopping, max_length=MAX_LENGTH)
    ours = decode(model, text, config).hypotheses
    theirs = generate(model, text, num_beams=4, num_return_sequences=4, length_penalty=alpha,
                      early_stopping=True if early_stopping else "never")
    prompt = prompt_ids(model, text).shape[1]
    assert [h.token_ids for h in ours] == [continuation(model, s, prompt) for s in theirs.sequences]
    assert [h.score for h in ours] == pytest.approx(theirs.sequences_scores.tolist(), abs=1e-5)


def test_the_tests_cover_finished_and_cut_hypotheses(model):
    hypotheses = [h for text in PROMPTS[:2] for h in decode(model, text, DecodeConfig(
        strategy="beam", beam_width=4, num_return=4, max_length=MAX_LENGTH)).hypotheses]
    assert any(h.finished for h in hypotheses) and any(not h.finished for h in hypotheses)


@pytest.mark.parametrize("text", PROMPTS)
def test_teacher_forced_score_is_the_forward_passs_log_likelihood(model, text):
    target = decode(model, text, DecodeConfig(strategy="greedy", max_length=6)).hypotheses[0].tokens[:4]
    forced = score(model, text, target)
    prompt = prompt_ids(model, text)
    ids = torch.cat([prompt, torch.tensor([forced.token_ids])], dim=1)  # the prompt, the target and </s>
    with torch.no_grad():
        logits = model.model(input_ids=ids[:, :-1]).logits[0, prompt.shape[1] - 1:]  # (T, V) the continuation's
    expected = logits.log_softmax(-1).gather(1, torch.tensor(forced.token_ids)[:, None])[:, 0]
    assert forced.log_probs == pytest.approx(expected.tolist(), abs=1e-5)


def test_steps_give_the_forward_passs_logits_and_self_attention(model):
    """Step by step through the cache = one forward pass over prompt + output: logits and the self-attention of
    every layer and head over the context (the prompt's last position over the prompt at step 0)."""
    text = PROMPTS[1]
    tokens = decode(model, text, DecodeConfig(strategy="greedy", max_length=6)).hypotheses[0].token_ids
    prompt = prompt_ids(model, text)
    ids = torch.cat([prompt, torch.tensor([tokens], dtype=torch.long)], dim=1)
    with torch.no_grad():
        full = model.model(input_ids=ids, output_attentions=True)
        _, state = encode_source(model, text)
        prev = torch.tensor([model.target_vocab.bos_id])
        for t in range(len(tokens) + 1):
            out = model.step(prev, state)
            state, position = out.state, prompt.shape[1] - 1 + t
            torch.testing.assert_close(out.logits[0], full.logits[0, position], atol=1e-4, rtol=1e-4)
            expected = torch.stack([a[0, :, position, :position + 1] for a in full.attentions])  # (L, H, K)
            torch.testing.assert_close(out.self_attention[0], expected, atol=1e-5, rtol=1e-4)
            prev = torch.tensor(tokens[t:t + 1] or [0])


def test_a_state_stepped_twice_gives_the_same_as_stepped_once(model):
    """A step reuses the library's cache object of the state it continues (as generate() keeps one cache); stepping
    the same state again, with another token, must not see the first step's position."""
    with torch.no_grad():
        _, state = encode_source(model, PROMPTS[0])
        state = model.step(torch.tensor([model.target_vocab.bos_id]), state).state  # the prefill's step 0
        a, b = torch.tensor([5]), torch.tensor([6])
        after_a = model.step(a, state)
        after_b = model.step(b, state)  # (the cache object has moved on to after_a's position)
        again = model.step(a, state)
        _, fresh = encode_source(model, PROMPTS[0])
        fresh = model.step(b, model.step(torch.tensor([model.target_vocab.bos_id]), fresh).state)
    torch.testing.assert_close(after_b.logits, fresh.logits, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(again.logits, after_a.logits, atol=1e-5, rtol=1e-4)
    assert after_b.self_attention.shape == after_a.self_attention.shape


def test_a_padded_batch_decodes_each_prompt_as_alone(model):
    config = DecodeConfig(strategy="beam", beam_width=3, num_return=3, max_length=8)
    batch = decode_many(model, list(PROMPTS), config)
    for text, result in zip(PROMPTS, batch, strict=True):
        alone = decode(model, text, config)
        assert [h.token_ids for h in result.hypotheses] == [h.token_ids for h in alone.hypotheses]
        assert [h.score for h in result.hypotheses] == pytest.approx([h.score for h in alone.hypotheses], abs=1e-4)
        for ours, theirs in zip(result.trace.steps, alone.trace.steps, strict=True):
            torch.testing.assert_close(torch.tensor(ours.attention), torch.tensor(theirs.attention), atol=1e-5,
                                       rtol=1e-4)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_decodes_with_every_strategy(family):
    model = causal_model(family)
    for strategy in ("greedy", "sample", "beam", "stochastic_beam", "diverse_beam", "exact", "contrastive"):
        config = DecodeConfig(strategy=strategy, beam_width=4, num_groups=2 if strategy == "diverse_beam" else 1,
                              top_k=5, max_length=5, node_budget=200)
        trace = decode(model, PROMPTS[0], config).trace
        assert trace.context and trace.hypotheses
        check_trace_columns(trace)  # (more than 50 symbols: rows keep their top columns)
        for step in trace.steps:  # each row attends over the prompt and what was fed after it, summing to 1
            assert step.attention.shape[-1] == len(trace.source) + step.t
            np.testing.assert_allclose(step.attention.sum(-1), 1.0, atol=1e-5)
    greedy = decode(model, PROMPTS[0], DecodeConfig(max_length=MAX_LENGTH)).hypotheses[0]
    theirs = generate(model, PROMPTS[0], num_beams=1).sequences[0]
    assert greedy.token_ids == continuation(model, theirs, prompt_ids(model, PROMPTS[0]).shape[1])
