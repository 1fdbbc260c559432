"""Pieces every strategy shares: one model step, one processing step, forcing, length penalties, hypotheses.

The driver loop (driver.py) and exact search (strategies/exact.py) build on them; a strategy's signature is in
spec.py.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.decoding.pipeline import FilterSettings, process
from playground.decoding.protocol import StepOutput, check_output
from playground.decoding.trace import LOG_ZERO, Hypothesis
from playground.decoding.validate import NEG_INF, check_logits

if TYPE_CHECKING:  # (config.py builds DecodeConfig from the registry, which imports the strategies, which import this)
    from playground.decoding.config import DecodeConfig

def filter_settings(config: DecodeConfig, *, samples: bool) -> FilterSettings:
    """A strategy that samples uses every filter; the others only the two history processors (spec.py).

    Temperature 0 is not a division: ``process_step`` turns it into an argmax, so build T=1 settings."""
    return settings_of(config, samples)


@functools.lru_cache(maxsize=64)
def settings_of(config: DecodeConfig, samples: bool) -> FilterSettings:
    """filter_settings, built once per (frozen, hashable) config: validating every processor's field costs tens of
    microseconds, a tenth of a small model's decode; the settings are frozen, so decodes can share them."""
    if samples and config.temperature > 0:
        return FilterSettings.from_config(config)
    return FilterSettings(repetition_penalty=config.repetition_penalty,
                          no_repeat_ngram_size=config.no_repeat_ngram_size)


def argmax_only(config: DecodeConfig, *, samples: bool) -> bool:
    """Sampling at temperature 0: the T -> 0 limit of softmax(logits / T) is a point mass on the argmax."""
    return samples and config.temperature == 0


def prefix_ids(model, config: DecodeConfig) -> list[int]:
    """config.prefix as target ids; raises InputError naming symbols the target vocabulary lacks."""
    return model.target_vocab.encode(list(config.prefix))


def model_step(model, prev_tokens: torch.Tensor, state) -> StepOutput:
    """One batched model call: prev_tokens (B,) -> the model's StepOutput, checked against what it declares."""
    return check_output(model, model.step(prev_tokens, state), prev_tokens.shape[0])


def attention_of(out: StepOutput) -> torch.Tensor:
    """The attention a trace records, (B, L, H, K): the cross-attention over the source, or for a decoder-only
    model its self-attention over the context (the prompt, then the outputs so far)."""
    return out.attention if out.attention is not None else out.self_attention


def never_generated(model) -> torch.Tensor:
    """The ids the target vocabulary says no strategy may output (its ``never_generated``): <pad> and <s> for
    the playground's own and the encoder-decoders, like fairseq (``lprobs[:, pad] = -inf``)."""
    return torch.tensor(sorted(model.target_vocab.never_generated), dtype=torch.long)


def process_step(logits: torch.Tensor, settings: FilterSettings, prev_tokens: torch.Tensor, *,
                 banned: torch.Tensor, forced: int | None = None,
                 argmax: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw logits (B, V) -> (temperature_logits, filtered_logits), both (B, V) with removed tokens at -inf.

    ``banned`` token ids (``never_generated``) are removed first. ``argmax``: temperature 0, both become
    a one-hot at the argmax (the first one, as torch.argmax). ``forced``: a forced token (prefix or teacher
    forcing) is the only one left in filtered_logits, whatever the filters said, so it can always be
    chosen (its model probability is kept elsewhere)."""
    allowed = logits.index_fill(1, banned, NEG_INF)  # (B, V), a copy: the trace keeps the raw logits
    if settings.idle and not argmax and forced is None:  # nothing to apply (argmax searches' every step): the
        check_logits(allowed)  # copy is both views, checked as process() would
        return allowed, allowed
    temperature_logits, filtered_logits = process(allowed, settings, prev_tokens)
    if argmax:
        temperature_logits = filtered_logits = one_hot_logits(temperature_logits.argmax(-1), logits.shape[-1])
    if forced is not None:
        forced_tokens = torch.full(logits.shape[:1], forced, dtype=torch.long)
        filtered_logits = one_hot_logits(forced_tokens, logits.shape[-1])
    return temperature_logits, filtered_logits


def search_log_probs(logits: torch.Tensor, filtered_logits: torch.Tensor, settings: FilterSettings,
                     prev_tokens: torch.Tensor, *, samples: bool, banned: torch.Tensor | None = None) -> torch.Tensor:
    """What a tree search adds up, (B, V) float64: sums over many steps stay exact, while an argmax-style search's
    log-softmax itself is float32, as generate() computes it (HF beam search adds float32 log-softmax scores) and
    as the trace keeps the model's log-probs: a float64 log-softmax of 5 x 50,000 logits cost ~0.75 ms a step,
    8 % of a GPT-2-sized beam 5 decode (benchmarks/engine_vs_hf.py, GPT-2 50k).

    Sampling strategies: log_softmax(filtered_logits), the distribution ``sample`` draws from, so that
    stochastic beam search samples (without replacement) from the same one. Argmax-style searches: the
    model's log-probs after the history processors, with removed tokens (<pad>, <s>, banned n-grams)
    at -inf and *not* renormalised, as in HF beam search (processors act on log-softmax scores) and
    fairseq (``lprobs[:, pad] = -inf``). Without processors this is exactly the model's log-prob. ``banned``: the
    token ids process_step removed; with no processor on they are all that filtered_logits removes (besides a
    logit of -inf, whose log-prob is -inf already), so they are set to -inf directly (the same values)."""
    if samples:
        return torch.log_softmax(filtered_logits.double(), dim=-1)
    if banned is not None and settings.idle:
        return torch.log_softmax(logits, dim=-1).double().index_fill_(1, banned, NEG_INF)
    history_logits = logits
    if settings.repetition_penalty != 1.0 or settings.no_repeat_ngram_size > 0:
        history_logits = process(logits, settings, prev_tokens).temperature_logits
    # -inf where filtered_logits is -inf, the value itself elsewhere: adding removed_at's 0 / -inf gives exactly
    # what masked_fill(filtered_logits == -inf, -inf) gives, without a boolean mask (as costly as the log_softmax
    # with a large vocabulary)
    return torch.log_softmax(history_logits, dim=-1).double().add_(removed_at(filtered_logits))


def removed_at(logits: torch.Tensor) -> torch.Tensor:
    """(B, V) finite or -inf logits -> (B, V) 0 where finite, -inf where -inf: clamped at the lowest float, then that
    subtracted (exactly 0 for every finite value, -inf stays -inf)."""
    return logits.clamp(max=LOG_ZERO).sub_(LOG_ZERO)


CHUNK = 64  # values per chunk in top_by_chunks: a 50,000-token row is 781 chunks and 16 values


def top_by_chunks(values: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, V) -> (values, positions) (N, count), largest first: a set of each row's ``count`` largest values, found
    among the ``count`` chunks of CHUNK consecutive values with the largest maxima (and the row's last, shorter
    chunk, if any): a chunk left out has its maximum at or below theirs, so ``count`` values at least as large as
    any of its own. One pass over the values (the chunk maxima) and a topk over ``count`` chunks, instead of a
    topk over every value (several passes: the largest part of a beam step's selection over 5 x 50,000 values).
    Which of equal values it takes, and in which order, is topk's over the chunks, not over the whole row."""
    n, size = values.shape
    chunks = size // CHUNK
    whole, taken = chunks * CHUNK, count * CHUNK
    blocks = values[:, :whole].view(n, chunks, CHUNK)  # (N, C, CHUNK)
    best = blocks.amax(-1).topk(count, dim=1).indices  # (N, count) chunk numbers
    found = blocks.gather(1, best[:, :, None].expand(-1, -1, CHUNK)).reshape(n, taken)  # (N, count * CHUNK)
    if whole < size:  # the last, shorter chunk: always a candidate
        found = torch.cat([found, values[:, whole:]], dim=1)
    top, at = found.topk(count, dim=1)  # (N, count) each, ``at`` into found
    in_chunks = best.gather(1, (at // CHUNK).clamp_(max=count - 1)) * CHUNK + at % CHUNK
    return top, torch.where(at < taken, in_chunks, at - taken + whole)


def top_values(values: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``values.topk(count, dim=1)`` (values and indices (N, count), largest first), the very same tensors: found
    by top_by_chunks when no two of the ``count + 1`` largest values of a row are equal. Then the ``count``
    largest are unique entries in a strict order, which is all topk can return; with a tie (or fewer finite values
    than that) topk over every value decides, since which of equal values it returns first is its own."""
    if values.shape[1] // CHUNK < 4 * (count + 1):  # (a few chunks: one topk costs less)
        return values.topk(count, dim=1)
    top, positions = top_by_chunks(values, count + 1)
    if not bool((top[:, :-1] > top[:, 1:]).all()):
        return values.topk(count, dim=1)
    return top[:, :count], positions[:, :count]


def forced_search(model_log_probs: torch.Tensor, forced: int) -> torch.Tensor:
    """What a tree search adds up when ``forced`` is the only allowed token (a prefix, teacher forcing): it alone
    survives, at what the model says it costs, so that scores stay comparable. (B, V) float64."""
    search = torch.full(model_log_probs.shape, NEG_INF, dtype=torch.float64)
    search[:, forced] = model_log_probs[:, forced].double().clamp(min=LOG_ZERO)
    return search


def one_hot_logits(tokens: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """tokens (B,) -> logits (B, V): 0 at the token, -inf elsewhere (softmax = one-hot)."""
    logits = torch.full((tokens.shape[0], vocab_size), NEG_INF)
    return logits.scatter(1, tokens[:, None], 0.0)


def forced_at(forced: list[int], t: int) -> int | None:
    return forced[t] if t < len(forced) else None


def length_penalty(length: int, config: DecodeConfig) -> float:
    """The divisor lp(L) of a hypothesis' cumulative log-prob; L counts output tokens, </s> included.

    "none":   1
    "length": L^alpha                  (Hugging Face ``BeamHypotheses.add``; fairseq ``--lenpen``)
    "gnmt":   ((5 + L) / 6)^alpha      (Wu et al. 2016, "Google's NMT", eq. 14; TF-NLP, OpenNMT)
    alpha > 0 favours longer outputs (log-probs are negative), alpha < 0 shorter ones, 0 disables.
    """
    alpha = config.length_penalty
    if config.length_penalty_formula == "none" or alpha == 0:
        return 1.0
    if config.length_penalty_formula == "length":
        return float(length) ** alpha
    return ((5.0 + length) / 6.0) ** alpha


def make_hypothesis(model, token_ids: list[int], *, log_prob: float, score: float, node: int,
                    finished: bool) -> Hypothesis:
    """``token_ids`` without </s>; ``log_prob`` is the raw model log-prob, </s> included if finished."""
    return Hypothesis(tokens=model.target_vocab.decode(token_ids), token_ids=list(token_ids),
                      log_prob=_finite(log_prob), score=_finite(score), node=int(node), finished=finished)


def _finite(x: float) -> float:
    """Python float at float32 precision (as the trace's nodes), clamped to the finite float32 range:
    -inf (a forced token of probability 0) becomes LOG_ZERO, as in the trace."""
    return float(np.float32(min(max(float(x), LOG_ZERO), -LOG_ZERO)))


def rank_hypotheses(hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """Best first by score; stable, so equal scores keep their order of discovery."""
    return sorted(hypotheses, key=lambda h: -h.score)
