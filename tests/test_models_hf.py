"""Hugging Face encoder-decoders through the adapter (playground/models/hf.py) decode exactly as the library does.

Tiny BART, Marian and T5 models are built from their config classes with random weights and a word-level
tokenizer (tests/helpers.py), saved as a Hub repository holds them and loaded with ``load_model``; nothing is
downloaded. Against ``model.generate``: greedy and beam search (k = 4, alpha 0 and 1, early stopping on and
off, the n-best list) give the same token sequences and the same scores (ours vs ``sequences_scores``). Our
``early_stopping=False`` stops on the exact bound, which is HF's ``early_stopping="never"``; HF's own default
(False) is a heuristic. The engine never emits <pad>, so HF is told the same (``suppress_tokens``). Teacher-
forced ``score`` equals the model's own forward pass, and so do the logits of a step-by-step decode.
"""

from __future__ import annotations

import json

import pytest
import torch
from helpers import check_trace_columns, hf_checkpoint

from playground import DecodeConfig, decode, load_model
from playground.decoding.api import decode_many, encode_source, score
from playground.decoding.trace import Trace

pytest.importorskip("transformers")

FAMILIES = ("bart", "marian", "t5")
# family -> (seed, </s> bias): weights under which some hypotheses end with </s> and some are cut (checked below)
WEIGHTS = {"bart": (0, 2.0), "marian": (0, 2.0), "t5": (2, 6.0)}
TEXTS = ("the cat sat on the mat", "a big red dog ran to the house", "bird sang")
MAX_LENGTH = 16


@pytest.fixture(scope="module", params=FAMILIES)
def model(request, tmp_path_factory):
    seed, eos_bias = WEIGHTS[request.param]
    return load_model(hf_checkpoint(tmp_path_factory.mktemp(request.param), request.param, seed=seed,
                                    eos_bias=eos_bias))


def source_ids(model, text: str) -> torch.Tensor:
    return torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(text))])  # (1, S)


def generate(model, text: str, **settings):
    """The library's own generate() on the same weights, <pad> suppressed as the engine does."""
    src = source_ids(model, text)
    with torch.no_grad():
        return model.model.generate(input_ids=src, attention_mask=torch.ones_like(src), max_new_tokens=MAX_LENGTH,
                                    do_sample=False, suppress_tokens=[model.target_vocab.pad_id],
                                    return_dict_in_generate=True, output_scores=True, output_logits=True,
                                    **settings)


def generated_tokens(model, sequence: torch.Tensor) -> list[int]:
    """A generated row without its start token, its </s> and the padding after it."""
    ids = sequence[1:].tolist()
    eos = model.target_vocab.eos_id
    return ids[: ids.index(eos)] if eos in ids else ids


@pytest.mark.parametrize("text", TEXTS)
def test_greedy_gives_generates_tokens(model, text):
    ours = decode(model, text, DecodeConfig(strategy="greedy", max_length=MAX_LENGTH)).hypotheses[0]
    theirs = generate(model, text, num_beams=1)
    assert ours.token_ids == generated_tokens(model, theirs.sequences[0])
    log_probs = torch.stack(theirs.logits).log_softmax(-1)[:, 0]  # (T, V): the raw logits, <pad> not removed
    assert ours.log_prob == pytest.approx(float(log_probs.gather(1, theirs.sequences[0, 1:, None]).sum()), abs=1e-4)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("early_stopping", [True, False])
@pytest.mark.parametrize("text", TEXTS[:2])
def test_beam_search_gives_generates_n_best_list_and_scores(model, text, alpha, early_stopping):
    config = DecodeConfig(strategy="beam", beam_width=4, num_return=4, length_penalty=alpha,
                          early_stopping=early_stopping, max_length=MAX_LENGTH)
    ours = decode(model, text, config).hypotheses
    theirs = generate(model, text, num_beams=4, num_return_sequences=4, length_penalty=alpha,
                      early_stopping=True if early_stopping else "never")
    assert [h.token_ids for h in ours] == [generated_tokens(model, s) for s in theirs.sequences]
    assert [h.score for h in ours] == pytest.approx(theirs.sequences_scores.tolist(), abs=1e-5)


def test_the_tests_cover_finished_and_cut_hypotheses(model):
    """Some hypotheses end with </s> and some are cut at max_length, so both paths are compared above."""
    hypotheses = [h for text in TEXTS[:2] for h in decode(model, text, DecodeConfig(
        strategy="beam", beam_width=4, num_return=4, max_length=MAX_LENGTH)).hypotheses]
    assert any(h.finished for h in hypotheses) and len({len(h.token_ids) for h in hypotheses}) > 1


@pytest.mark.parametrize("text", TEXTS)
def test_teacher_forced_score_is_the_models_forward_log_likelihood(model, text):
    target = decode(model, text, DecodeConfig(strategy="greedy", max_length=6)).hypotheses[0].tokens[:4]
    forced = score(model, text, target)
    ids = [model.start_id] + forced.token_ids  # the decoder's input: start token, then the target and </s>
    with torch.no_grad():
        src = source_ids(model, text)
        logits = model.model(input_ids=src, attention_mask=torch.ones_like(src),
                             decoder_input_ids=torch.tensor([ids[:-1]])).logits[0]  # (T, V)
    expected = logits.log_softmax(-1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
    assert forced.log_probs == pytest.approx(expected.tolist(), abs=1e-5)
    assert forced.log_prob == pytest.approx(float(expected.sum()), abs=1e-4)


def test_step_by_step_equals_one_forward_pass_logits_and_cross_attention(model):
    """The adapter's steps, through the cache, give the logits and cross-attention of every layer and head that
    one teacher-forced forward pass over the whole output gives."""
    text = TEXTS[1]
    tokens = decode(model, text, DecodeConfig(strategy="greedy", max_length=8)).hypotheses[0].token_ids
    ids = [model.start_id] + tokens
    with torch.no_grad():
        src = source_ids(model, text)
        full = model.model(input_ids=src, attention_mask=torch.ones_like(src), decoder_input_ids=torch.tensor([ids]),
                           output_attentions=True)
        _, state = encode_source(model, text)
        prev = torch.tensor([model.target_vocab.bos_id])
        for t, token in enumerate(ids[1:] + [None]):
            out = model.step(prev, state)  # logits (1, V), attention (1, L, H, S)
            state, attention = out.state, out.attention
            assert torch.allclose(out.logits[0], full.logits[0, t], rtol=1e-5, atol=1e-5)
            cross = torch.stack([a[0, :, t] for a in full.cross_attentions])  # (L, H, S)
            assert torch.allclose(attention[0], cross, rtol=1e-4, atol=1e-5)  # (weights in [0, 1], other kernels)
            if token is not None:
                prev = torch.tensor([token])
    assert attention.shape[1:] == (2, 2, src.shape[1])


def test_reorder_copies_rows_like_beams_and_leaves_the_state_untouched(model):
    """Expanding one row into three and reordering them steps each copy as the original, and stepping never
    changes the state it was given (the store keeps encodings and decodes them again)."""
    _, state = encode_source(model, TEXTS[0])
    one = model.step(torch.tensor([model.target_vocab.bos_id]), state)
    again = model.step(torch.tensor([model.target_vocab.bos_id]), state)
    assert torch.equal(one.logits, again.logits)
    rows = model.reorder(one.state, torch.zeros(3, dtype=torch.long))
    logits = model.step(torch.tensor([5, 6, 5]), rows).logits
    alone = model.step(torch.tensor([6]), one.state).logits
    # a three-row and a one-row matmul may round differently (another BLAS kernel): a relative tolerance
    torch.testing.assert_close(logits[1], alone[0], rtol=1e-4, atol=1e-4 * float(alone.abs().max()))
    assert torch.equal(logits[0], logits[2])


def test_a_padded_batch_decodes_each_input_as_alone(model):
    """decode_many pads sources of different lengths with the tokenizer's pad id (BART's is 1, not 0)."""
    config = DecodeConfig(strategy="beam", beam_width=3, num_return=2, max_length=10)
    together = decode_many(model, list(TEXTS), config)
    for text, result in zip(TEXTS, together, strict=True):
        alone = decode(model, text, config)
        assert [h.token_ids for h in result.hypotheses] == [h.token_ids for h in alone.hypotheses]
        assert [h.score for h in result.hypotheses] == pytest.approx([h.score for h in alone.hypotheses], abs=1e-5)


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam", "stochastic_beam", "diverse_beam", "exact"])
def test_every_strategy_keeps_the_trace_invariants(model, strategy):
    config = DecodeConfig(strategy=strategy, beam_width=4, num_groups=2 if strategy == "diverse_beam" else 1,
                          num_samples=5, temperature=1.3, top_k=8, max_length=8)
    trace = decode(model, TEXTS[2], config).trace
    check_trace_columns(trace)
    assert all(step.cut for step in trace.steps)  # 83-84 symbols: each row keeps its top 50
    assert trace.source[-1] == "</s>" and trace.steps[0].attention.shape[1:3] == (2, 2)
    assert Trace.from_dict(json.loads(json.dumps(trace.to_dict(), allow_nan=False))) == trace


def test_the_step_distribution_shows_the_top_tokens_and_all_the_others(model):
    """A Hub model's trace keeps 50 of its 83-84 tokens per row: the chart draws the 12 most probable and one "all
    others" bar holding the rest of each distribution's mass; top-k's cut-off line sits after the 5th bar."""
    import numpy as np

    from playground.ui.explore.distribution import TOP_N, distribution_figure
    from playground.ui.explore.selection import Selection

    trace = decode(model, TEXTS[0], DecodeConfig(strategy="sample", top_k=5, seed=1, max_length=4)).trace
    fig = distribution_figure(Selection.of(trace), t=1)
    ticks = list(fig.layout.xaxis.ticktext)
    assert len(ticks) == TOP_N + 1 and ticks[-1] == "<i>others</i>"
    assert any(a.text == f"{len(trace.target_symbols) - TOP_N} tokens" for a in fig.layout.annotations)
    for bars in fig.data:
        assert float(np.sum(bars.y, dtype=np.float64)) == pytest.approx(1.0, abs=1e-5)  # every token counted once
    assert fig.data[2].y[-1] == 0.0 and fig.data[0].y[-1] > 0  # top-k left nothing outside its 5
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [4.5]
    assert any(a.text == "chosen" for a in fig.layout.annotations)
    assert f"kept 5 of {len(trace.target_symbols)}" in fig.layout.title.text


def test_every_view_draws_a_cut_trace(model):
    """The five Explore views and the page's step views accept a trace whose rows keep only their top columns."""
    from helpers import all_figures

    from playground.ui.explore.handlers import Session, render_views

    trace = decode(model, TEXTS[1], DecodeConfig(strategy="beam", beam_width=4, num_return=3, max_length=8)).trace
    assert trace.steps[0].cut
    for t in range(3):
        assert len(all_figures(trace, 1, t)) == 5
    assert render_views(Session(trace=trace), 0, 2).step_views
