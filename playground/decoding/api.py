"""The engine's front door: ``decode(model, text, config)`` and ``score(model, text, target)``.

    from playground import load_model, decode, DecodeConfig
    result = decode(model, "cat", DecodeConfig(strategy="beam", beam_width=5, num_return=3))
    result.hypotheses[0].tokens   # ['K', 'AE', 'T']; .score is the ranking score, .log_prob the raw one
    result.trace                  # every step, every candidate (trace.py)

``result.hypotheses`` are the best ``config.num_return`` of ``result.trace.hypotheses`` (which holds all
final hypotheses the strategy produced: the n-best pool of a beam search, every drawn sample, ...).

Decoding runs under ``torch.inference_mode`` rather than ``no_grad``: no tensor of a decode ever needs autograd,
and skipping its bookkeeping (version counters, views' autograd metadata) makes a shipped G2P model's decoder
step a few per cent faster (benchmarks/engine_overhead.py prints both). What a decode returns holds numpy arrays
and numbers only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.decoding.budget import Deadline, check_memory
from playground.decoding.config import MAX_LENGTH, DecodeConfig
from playground.decoding.protocol import OPTIONAL
from playground.decoding.recorder import Recorder
from playground.decoding.registry import BATCHED, STRATEGIES
from playground.decoding.strategies.greedy import teacher_force
from playground.decoding.trace import Hypothesis, Trace
from playground.models.vocab import EOS, InputError

BATCH_SIZE = 256  # inputs per batched model step in decode_many (a beam of 5 makes 1280 rows)


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


@torch.inference_mode()
def encode_source(model, text: str) -> tuple[list[str], object]:
    """Tokenise and encode one input; raises InputError (a ValueError) with a message for people."""
    source = model.source_vocab.tokenize(text)
    return source, encode_sources(model, [source])


def encode_sources(model, sources: list[list[str]]):
    """Tokenised inputs as one batch, padded on the right with the source vocabulary's pad id (0 for the
    playground's own vocabularies, the tokenizer's for a Hugging Face model): src_ids (N, S) -> the state."""
    ids = [model.source_vocab.encode(source) for source in sources]
    src_ids = torch.full((len(ids), max(map(len, ids))), model.source_vocab.pad_id, dtype=torch.long)  # (N, S)
    for i, row in enumerate(ids):
        src_ids[i, :len(row)] = torch.tensor(row)
    return model.encode(src_ids)


@torch.inference_mode()
def decode(model, text: str, config: DecodeConfig | None = None, *, encoded: tuple | None = None) -> DecodeResult:
    """``encoded``: what ``encode_source(model, text)`` returned for this very model and text (a cache's), so
    that decoding the same input with other settings skips the encoder. Strategies never modify a state."""
    config = check_config(model, config)
    source, state = encode_source(model, text) if encoded is None else encoded
    return run(model, [source], state, config)[0]


@torch.inference_mode()
def decode_many(model, texts: list[str], config: DecodeConfig | None = None, *,
                batch_size: int = BATCH_SIZE) -> list[DecodeResult | InputError]:
    """Decode many inputs, ``batch_size`` at a time through one batched model step (greedy, sampling, beam and
    diverse beam search; the other strategies one input at a time). Each result is what ``decode`` gives for
    that input alone, in the same order; an input the model cannot read gets its InputError in its place."""
    config = check_config(model, config)
    results: list[DecodeResult | InputError | None] = [None] * len(texts)
    sources = {}
    for i, text in enumerate(texts):
        try:
            sources[i] = model.source_vocab.tokenize(text)
        except InputError as e:
            results[i] = e
    order = sorted(sources, key=lambda i: len(sources[i]))  # similar lengths together: less padding
    size = batch_size if config.strategy in BATCHED else 1
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        batch = [sources[i] for i in chunk]
        for i, result in zip(chunk, run(model, batch, encode_sources(model, batch), config), strict=True):
            results[i] = result
    return results


def check_config(model, config: DecodeConfig | None) -> DecodeConfig:
    config = DecodeConfig() if config is None else config
    if not isinstance(config, DecodeConfig):
        raise TypeError(f"config must be a DecodeConfig, got {type(config).__name__}")
    model.target_vocab.encode(list(config.prefix))  # InputError naming unknown prefix symbols, before work
    missing = sorted(config.spec.needs - model.outputs)
    if missing:
        raise ValueError(f"{config.spec.label} needs the model's {', '.join(missing)} ({OPTIONAL[missing[0]]}), "
                         "which this model does not return")
    check_memory(config, len(model.target_vocab))  # rows x vocabulary, before any work (budget.py)
    return config


def run(model, sources: list[list[str]], state, config: DecodeConfig) -> list[DecodeResult]:
    """Run the strategy over encoded ``sources`` (``state``: a row each), a recorder per input. The batch shares
    one deadline, the time budget of every input together."""
    deadline, config_dict = Deadline(config.time_budget_s * len(sources)), config.to_dict()
    context, padded = "attention" not in model.outputs, max(map(len, sources))  # (decoder-only: self-attention)
    recorders = [Recorder(strategy=config.strategy, config=dict(config_dict), source=source,
                          target_symbols=list(model.target_vocab.symbols), record_steps=config.record_trace,
                          deadline=deadline, members=member_names(model), context=context, padded=padded)
                 for source in sources]
    hypotheses = STRATEGIES[config.strategy].run(model, state, config, recorders)
    return [DecodeResult(hypotheses=h[: config.num_return], trace=r.finish(h))
            for r, h in zip(recorders, hypotheses, strict=True)]


def member_names(model) -> list[str] | None:
    """An ensemble's member names (the protocol: a model that returns member_log_probs names its members)."""
    return list(model.member_names) if "member_log_probs" in model.outputs else None


@torch.inference_mode()
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
    hypothesis = teacher_force(model, state, config, recorder, target_ids)
    trace = recorder.finish([hypothesis])
    log_probs = [trace.nodes[i].log_prob for i in trace.path(hypothesis.node)[1:]]
    return ForcedScore(tokens=symbols + [EOS], token_ids=target_ids, log_probs=log_probs,
                       probs=[math.exp(lp) for lp in log_probs],
                       ranks=[int(s.chosen_rank[0]) for s in trace.steps],
                       log_prob=float(sum(log_probs)), trace=trace)
