"""The engine's front door: ``decode(model, text, config)`` and ``score(model, text, target)``.

    from playground import load_model, decode, DecodeConfig
    result = decode(model, "cat", DecodeConfig(strategy="beam", beam_width=5, num_return=3))
    result.hypotheses[0].tokens   # ['K', 'AE', 'T']; .score is the ranking score, .log_prob the raw one
    result.trace                  # every step, every candidate (trace.py)

``result.hypotheses`` are the best ``config.num_return`` of ``result.trace.hypotheses`` (which holds all
final hypotheses the strategy produced: the n-best pool of a beam search, every drawn sample, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.decoding.budget import Deadline
from playground.decoding.chains import chain
from playground.decoding.config import MAX_LENGTH, DecodeConfig
from playground.decoding.recorder import Recorder
from playground.decoding.registry import STRATEGIES
from playground.decoding.trace import Hypothesis, Trace
from playground.models.vocab import EOS, InputError


@dataclass(frozen=True)
class DecodeResult:
    hypotheses: list[Hypothesis]  # best first, at most config.num_return
    trace: Trace


@dataclass(frozen=True)
class ForcedScore:
    """Teacher-forced score of one target; per-token lists cover the target symbols and the final </s>."""

    tokens: list[str]  # target symbols + ["</s>"]
    token_ids: list[int]
    log_probs: list[float]  # log p(y_t | y_<t, x) at T=1
    probs: list[float]
    ranks: list[int]  # rank of y_t among all tokens at step t (0 = the model's top choice)
    log_prob: float  # sum of log_probs
    trace: Trace  # a chain: one step per token, chosen = the forced token


@torch.no_grad()
def encode_source(model, text: str) -> tuple[list[str], object]:
    """Tokenise and encode one input; raises InputError (a ValueError) with a message for people."""
    source = model.source_vocab.tokenize(text)
    src_ids = torch.tensor([model.source_vocab.encode(source)], dtype=torch.long)  # (1, S)
    return source, model.encode(src_ids)


@torch.no_grad()
def decode(model, text: str, config: DecodeConfig | None = None, *, encoded: tuple | None = None) -> DecodeResult:
    """``encoded``: what ``encode_source(model, text)`` returned for this very model and text (a cache's), so
    that decoding the same input with other settings skips the encoder. Strategies never modify a state."""
    config = DecodeConfig() if config is None else config
    if not isinstance(config, DecodeConfig):
        raise TypeError(f"config must be a DecodeConfig, got {type(config).__name__}")
    source, state = encode_source(model, text) if encoded is None else encoded
    model.target_vocab.encode(list(config.prefix))  # InputError naming unknown prefix symbols, before work
    recorder = Recorder(strategy=config.strategy, config=config.to_dict(), source=source,
                        target_symbols=list(model.target_vocab.symbols), record_steps=config.record_trace,
                        deadline=Deadline(config.time_budget_s))
    hypotheses = STRATEGIES[config.strategy](model, state, config, recorder)
    trace = recorder.finish(hypotheses)
    return DecodeResult(hypotheses=hypotheses[: config.num_return], trace=trace)


@torch.no_grad()
def score(model, text: str, target) -> ForcedScore:
    """Teacher-forced log-probability of ``target`` (a string in the target vocabulary's writing, or a
    list of target symbols) given ``text``, at T=1 with no processing, </s> included."""
    vocab = model.target_vocab
    symbols = vocab.tokenize(target) if isinstance(target, str) else list(target)
    target_ids = vocab.encode(symbols) + [vocab.eos_id]
    if len(target_ids) > MAX_LENGTH:
        raise InputError(f"target has {len(symbols)} symbols; the maximum is {MAX_LENGTH - 1}")
    source, state = encode_source(model, text)
    config = DecodeConfig(strategy="greedy", max_length=len(target_ids))
    recorder = Recorder(strategy="forced", config=config.to_dict(), source=source,
                        target_symbols=list(vocab.symbols))
    hypotheses = chain(model, state, config, recorder, rows=1, choose=lambda logits: logits.argmax(-1),
                       forced=target_ids)
    trace = recorder.finish(hypotheses)
    log_probs = [trace.nodes[i].log_prob for i in trace.path(hypotheses[0].node)[1:]]
    return ForcedScore(tokens=symbols + [EOS], token_ids=target_ids, log_probs=log_probs,
                       probs=[math.exp(lp) for lp in log_probs],
                       ranks=[int(s.chosen_rank[0]) for s in trace.steps],
                       log_prob=float(sum(log_probs)), trace=trace)
