"""Sample: draw N sequences under one config and compare the empirical distribution with the model's.

    stats = sample_distribution(model, "colonel", DecodeConfig(top_p=0.9, seed=0), n=500)
    stats.outputs[0]        # the most frequent output: count, frequency, exact log p, filtered log p
    stats.entropy, stats.distinct, stats.beam_top.frequency

Three probabilities per distinct output, side by side:
- ``frequency``: how often it was drawn (count / n);
- ``log_prob``: the model's exact sequence log-probability at T=1 (teacher-forced, </s> included);
- ``filtered_log_prob``: its log-probability under the distribution the sampler actually drew from
  (the engine's processing at every forced step -- banned tokens, temperature, top-k/top-p/min-p --
  renormalised). A token the filters removed has probability 0: ``LOG_ZERO`` (the trace's stand-in for
  log 0 = -inf, so the numbers stay JSON) and ``filtered_out`` is True. Drawn samples never are; beam
  search's top output can be.
As n grows, frequency -> exp(filtered_log_prob): that is where temperature and top-p become visible.
Every distinct output is scored in one batched teacher-forced pass, not one model call per output.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import torch

from playground.decoding.api import decode, encode_source
from playground.decoding.common import (
    argmax_only,
    filter_settings,
    forced_at,
    model_step,
    never_generated,
    prefix_ids,
    process_step,
)
from playground.decoding.config import MAX_SAMPLES, DecodeConfig
from playground.decoding.trace import LOG_ZERO

REFERENCE_BEAM_WIDTH = 5  # "share equal to the beam's top output": beam search of this width
Progress = Callable[[float, str], None]  # (fraction done, what is happening)


@dataclass(frozen=True, kw_only=True)
class DistinctOutput:
    tokens: tuple[str, ...]  # without </s>
    finished: bool  # False: cut at max_length (its probabilities then exclude </s>)
    count: int  # samples equal to it
    frequency: float  # count / n
    log_prob: float  # exact model log p(y|x) at T=1, teacher-forced
    filtered_log_prob: float  # under the filtered distribution; LOG_ZERO if a token was filtered out

    def __post_init__(self):
        if self.count < 0 or not 0.0 <= self.frequency <= 1.0:
            raise ValueError(f"count must be >= 0 and frequency in [0, 1], got {self.count}, {self.frequency}")
        if not (self.log_prob <= 1e-6 and self.filtered_log_prob <= 1e-6):
            raise ValueError("log-probabilities must be <= 0")

    @property
    def filtered_out(self) -> bool:
        return self.filtered_log_prob <= LOG_ZERO

    def to_dict(self) -> dict:
        return dict(dataclasses.asdict(self), tokens=list(self.tokens), filtered_out=self.filtered_out)


@dataclass(frozen=True, kw_only=True)
class SampleStats:
    source: tuple[str, ...]
    config: DecodeConfig  # the sampling config (strategy "sample", num_samples = n)
    n: int  # samples drawn
    outputs: tuple[DistinctOutput, ...]  # every distinct output, most frequent first
    entropy: float  # nats, of the empirical distribution (log n when all n differ, 0 when all agree)
    beam_top: DistinctOutput  # beam search's best output; count = samples equal to it
    message: str = ""  # the engine's note (e.g. samples cut at max_length)

    def __post_init__(self):
        if self.n < 1 or sum(o.count for o in self.outputs) != self.n:
            raise ValueError(f"the distinct outputs' counts must add up to n={self.n}")
        if not 0.0 <= self.entropy <= math.log(self.n) + 1e-9:
            raise ValueError(f"entropy must lie in [0, log n], got {self.entropy}")

    @property
    def distinct(self) -> int:
        return len(self.outputs)

    @property
    def beam_share(self) -> float:
        return self.beam_top.frequency

    @property
    def model_mass(self) -> float:
        """Model probability (T=1) of all outputs drawn at least once: how much of it the samples saw."""
        return min(sum(math.exp(o.log_prob) for o in self.outputs), 1.0)

    @property
    def filtered_mass(self) -> float:
        return min(sum(math.exp(o.filtered_log_prob) for o in self.outputs), 1.0)

    def to_dict(self) -> dict:
        return dict(source=list(self.source), config=self.config.to_dict(), n=self.n, distinct=self.distinct,
                    entropy=self.entropy, beam_share=self.beam_share, model_mass=self.model_mass,
                    filtered_mass=self.filtered_mass, message=self.message,
                    beam_top=self.beam_top.to_dict(), outputs=[o.to_dict() for o in self.outputs])


def sampling_config(config: DecodeConfig, n: int) -> DecodeConfig:
    """``config`` turned into one batched draw of ``n`` samples (its filters, seed and max_length kept)."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"the number of samples must be an integer in [1, {MAX_SAMPLES}], got {n!r}")
    return dataclasses.replace(config, strategy="sample", num_samples=n, num_return=n, record_trace=False)


def sample_distribution(model, text: str, config: DecodeConfig, n: int,
                        progress: Progress | None = None) -> SampleStats:
    """Draw ``n`` samples in one batched decode, then score every distinct output (and beam search's
    best) in one batched teacher-forced pass. Raises InputError / ValueError with a message for people."""
    report = progress or (lambda fraction, what: None)
    config = sampling_config(config, n)
    report(0.0, f"drawing {n} sample{'s' * (n != 1)}")
    trace = decode(model, text, config).trace
    counts = Counter((tuple(h.token_ids), h.finished) for h in trace.hypotheses)  # every sample, once each
    drawn = len(trace.hypotheses)  # == n unless the time budget stopped the draw early
    report(0.6, "beam search for the reference output")
    beam = decode(model, text, DecodeConfig(strategy="beam", beam_width=REFERENCE_BEAM_WIDTH,
                                            max_length=config.max_length, prefix=config.prefix,
                                            record_trace=False)).hypotheses[0]
    beam_key = (tuple(beam.token_ids), beam.finished)
    keys = sorted(counts, key=lambda k: -counts[k]) + ([] if beam_key in counts else [beam_key])
    report(0.7, f"scoring {len(counts)} distinct output{'s' * (len(counts) != 1)}")
    model_lp, filtered_lp = forced_log_probs(model, text, config, keys)
    vocab = model.target_vocab

    def out(i: int) -> DistinctOutput:
        ids, finished = keys[i]
        count = counts.get(keys[i], 0)
        return DistinctOutput(tokens=tuple(vocab.decode(list(ids))), finished=finished, count=count,
                              frequency=count / drawn, log_prob=model_lp[i], filtered_log_prob=filtered_lp[i])

    outputs = sorted((out(i) for i in range(len(counts))), key=lambda o: (-o.count, -o.log_prob, o.tokens))
    entropy = -sum(c / drawn * math.log(c / drawn) for c in counts.values())
    report(1.0, "done")
    return SampleStats(source=tuple(trace.source), config=config, n=drawn, outputs=tuple(outputs),
                       entropy=max(entropy, 0.0), beam_top=out(keys.index(beam_key)), message=trace.message)


@torch.inference_mode()
def forced_log_probs(model, text: str, config: DecodeConfig, sequences) -> tuple[list[float], list[float]]:
    """Teacher-force D sequences ``[(token_ids, finished), ...]`` (ids without </s>; finished ones get
    </s> appended) as one batch of D rows. Returns (model log p at T=1, log p under ``config``'s filtered
    distribution), D floats each, float64 sums; a token the filters removed gives LOG_ZERO."""
    if not sequences:
        return [], []
    eos = model.target_vocab.eos_id
    targets = [list(ids) + [eos] * bool(finished) for ids, finished in sequences]
    length = max(len(t) for t in targets)
    if length == 0:  # only empty unfinished outputs: nothing to score, probability 1
        return [0.0] * len(targets), [0.0] * len(targets)
    target = torch.tensor([t + [eos] * (length - len(t)) for t in targets], dtype=torch.long)  # (D, T)
    mask = torch.tensor([[j < len(t) for j in range(length)] for t in targets])  # (D, T) real tokens
    _, state = encode_source(model, text)
    rows = target.shape[0]
    state = model.reorder(state, torch.zeros(rows, dtype=torch.long))  # D copies of the encoded source
    samples = config.spec.samples
    settings, argmax = filter_settings(config, samples=samples), argmax_only(config, samples=samples)
    banned = never_generated(model)
    forced = prefix_ids(model, config)
    prev = torch.full((rows,), model.target_vocab.bos_id)  # (D,)
    model_lp = torch.zeros(rows, dtype=torch.float64)
    filtered_lp = torch.zeros(rows, dtype=torch.float64)
    for t in range(length):  # rows past their end keep stepping on </s>; the mask drops those terms
        out = model_step(model, prev, state)
        logits, state = out.logits, out.state  # (D, V)
        _, filtered = process_step(logits, settings, target[:, :t], banned=banned,
                                   forced=forced_at(forced, t), argmax=argmax)
        tok = target[:, t : t + 1]  # (D, 1)
        raw = torch.log_softmax(logits, -1).gather(1, tok)[:, 0].double()  # as the engine's nodes (float32)
        kept = torch.log_softmax(filtered.double(), -1).gather(1, tok)[:, 0]
        model_lp += torch.where(mask[:, t], raw, 0.0)
        filtered_lp += torch.where(mask[:, t], kept, 0.0)
        prev = target[:, t]
    clamp = lambda x: [max(float(v), LOG_ZERO) for v in x]  # -inf (probability 0) -> LOG_ZERO
    return clamp(model_lp), clamp(filtered_lp)
