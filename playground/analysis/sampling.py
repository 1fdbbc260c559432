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

Bounds (the engine's, budget.py): a batch holds at most ``max_logits() // V`` rows, so a large vocabulary draws
and scores in chunks of that many rows (the chunk after the first draws with seed + 1, and so on; one chunk, the
usual case, is exactly ``decode`` with the config's seed); and the whole of it -- the draw, beam search's
reference and the scoring -- keeps to the config's ``time_budget_s``: the draw ends by DRAW_SHARE of it, the
reference by BEAM_SHARE, and scoring stops at the budget after its first chunk (the beam's output and the most
frequent ones), leaving the rarest outputs unscored (``unscored`` samples, said in ``message``).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import torch

from playground.decoding.api import decode, encode_source
from playground.decoding.budget import Deadline, cut_by_budget, max_logits
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
DRAW_SHARE, BEAM_SHARE = 0.6, 0.8  # the fractions of the time budget by which the draw, then the reference, end
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
    unscored: int = 0  # samples whose output the time budget left unscored (not in ``outputs``)

    def __post_init__(self):
        if self.n < 1 or sum(o.count for o in self.outputs) + self.unscored != self.n:
            raise ValueError(f"the distinct outputs' counts (and the unscored samples) must add up to n={self.n}")
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
                    filtered_mass=self.filtered_mass, message=self.message, unscored=self.unscored,
                    beam_top=self.beam_top.to_dict(), outputs=[o.to_dict() for o in self.outputs])


def sampling_config(config: DecodeConfig, n: int) -> DecodeConfig:
    """``config`` turned into one batched draw of ``n`` samples (its filters, seed and max_length kept)."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"the number of samples must be an integer in [1, {MAX_SAMPLES}], got {n!r}")
    return dataclasses.replace(config, strategy="sample", num_samples=n, num_return=n, record_trace=False)


def sample_distribution(model, text: str, config: DecodeConfig, n: int,
                        progress: Progress | None = None) -> SampleStats:
    """Draw ``n`` samples in one batched decode, then score every distinct output (and beam search's
    best) in one batched teacher-forced pass, within the time budget (module docstring). Raises InputError /
    ValueError with a message for people."""
    report = progress or (lambda fraction, what: None)
    config = sampling_config(config, n)
    clock = Deadline(config.time_budget_s)
    report(0.0, f"drawing {n} sample{'s' * (n != 1)}")
    encoded = encode_source(model, text)
    samples, notes = draw(model, text, config, encoded, clock, report)
    counts = Counter((tuple(h.token_ids), h.finished) for h in samples)  # every sample, once each
    drawn = len(samples)  # == n unless the time budget stopped the draw early
    report(0.6, "beam search for the reference output")
    reference = decode(model, text, DecodeConfig(
        strategy="beam", beam_width=min(REFERENCE_BEAM_WIDTH, chunk_rows(model)), max_length=config.max_length,
        prefix=config.prefix,
        record_trace=False, time_budget_s=_left(config, clock, BEAM_SHARE)), encoded=encoded)
    beam = reference.hypotheses[0]
    if cut_by_budget(reference.trace):
        notes.append("The time budget cut beam search's reference output short.")
    beam_key = (tuple(beam.token_ids), beam.finished)
    keys = [beam_key] + [k for k in sorted(counts, key=lambda k: -counts[k]) if k != beam_key]
    report(0.7, f"scoring {len(counts)} distinct output{'s' * (len(counts) != 1)}")
    model_lp, filtered_lp = score_outputs(model, config, keys, encoded, clock)
    vocab = model.target_vocab

    def out(i: int) -> DistinctOutput:
        ids, finished = keys[i]
        count = counts.get(keys[i], 0)
        return DistinctOutput(tokens=tuple(vocab.decode(list(ids))), finished=finished, count=count,
                              frequency=count / drawn, log_prob=model_lp[i], filtered_log_prob=filtered_lp[i])

    scored = range(len(model_lp))
    outputs = sorted((out(i) for i in scored if keys[i] in counts), key=lambda o: (-o.count, -o.log_prob, o.tokens))
    unscored = drawn - sum(o.count for o in outputs)
    if unscored:
        notes.append(f"The time budget (time_budget_s={config.time_budget_s:g}) ran out while scoring: the "
                     f"{len(keys) - len(model_lp)} rarest distinct outputs ({unscored} of the {drawn} samples) are "
                     "left out.")
    entropy = -sum(c / drawn * math.log(c / drawn) for c in counts.values())
    report(1.0, "done")
    return SampleStats(source=tuple(encoded[0]), config=config, n=drawn, outputs=tuple(outputs),
                       entropy=max(entropy, 0.0), beam_top=out(0), message=" ".join(dict.fromkeys(notes)),
                       unscored=unscored)


def _left(config: DecodeConfig, clock: Deadline, share: float) -> float:
    """The time budget left to a phase that must end by ``share`` of it (a few ms at least: a step always runs)."""
    return min(max(config.time_budget_s * share - clock.elapsed(), 0.001), config.time_budget_s)


def chunk_rows(model) -> int:
    """Rows one batch may hold within the engine's memory budget (rows x vocabulary, budget.py)."""
    return max(1, max_logits() // len(model.target_vocab))


def draw(model, text: str, config: DecodeConfig, encoded, clock: Deadline, report: Progress) -> tuple[list, list]:
    """(the samples drawn, notes): ``config.num_samples`` in batches of at most ``chunk_rows`` (the k-th with seed
    + k), until drawn or DRAW_SHARE of the time budget is spent (the first batch always runs)."""
    n, rows = config.num_samples, chunk_rows(model)
    samples, notes = [], []
    for k, start in enumerate(range(0, n, rows)):
        if k and clock.elapsed() >= config.time_budget_s * DRAW_SHARE:
            notes.append(f"The time budget (time_budget_s={config.time_budget_s:g}) ran out after {len(samples)} of "
                         f"{n} samples (drawn {rows} at a time, the most this model's vocabulary allows at once).")
            break
        m = min(rows, n - start)
        part = dataclasses.replace(config, num_samples=m, num_return=m, seed=(config.seed + k) % 2**63,
                                   time_budget_s=_left(config, clock, DRAW_SHARE))
        trace = decode(model, text, part, encoded=encoded).trace
        samples += trace.hypotheses
        if trace.message:
            notes.append(trace.message)
        report(0.6 * (start + m) / n, f"drew {start + m} of {n} samples")
    return samples, notes


class _OutOfTime(Exception):
    """A scoring batch stopped by the time budget."""


def score_outputs(model, config: DecodeConfig, keys: list, encoded, clock: Deadline) -> tuple[list, list]:
    """``forced_log_probs`` of ``keys`` in batches of ``chunk_rows``, in order, until the time budget runs out (the
    first batch always completes): the scores of the first len(result) keys."""
    rows, model_lp, filtered_lp = chunk_rows(model), [], []
    for start in range(0, len(keys), rows):
        stop = None if not start else lambda: clock.expired()
        try:
            m, f = forced_log_probs(model, "", config, keys[start:start + rows], encoded=encoded, stop=stop)
        except _OutOfTime:
            break
        model_lp += m
        filtered_lp += f
    return model_lp, filtered_lp


@torch.inference_mode()
def forced_log_probs(model, text: str, config: DecodeConfig, sequences, *, encoded=None,
                     stop=None) -> tuple[list[float], list[float]]:
    """Teacher-force D sequences ``[(token_ids, finished), ...]`` (ids without </s>; finished ones get
    </s> appended) as one batch of D rows. Returns (model log p at T=1, log p under ``config``'s filtered
    distribution), D floats each, float64 sums; a token the filters removed gives LOG_ZERO. ``encoded``:
    ``encode_source(model, text)`` already computed; ``stop()`` True between two steps abandons the batch
    (_OutOfTime)."""
    if not sequences:
        return [], []
    eos = model.target_vocab.eos_id
    targets = [list(ids) + [eos] * bool(finished) for ids, finished in sequences]
    length = max(len(t) for t in targets)
    if length == 0:  # only empty unfinished outputs: nothing to score, probability 1
        return [0.0] * len(targets), [0.0] * len(targets)
    target = torch.tensor([t + [eos] * (length - len(t)) for t in targets], dtype=torch.long)  # (D, T)
    mask = torch.tensor([[j < len(t) for j in range(length)] for t in targets])  # (D, T) real tokens
    _, state = encode_source(model, text) if encoded is None else encoded
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
        if stop is not None and stop():
            raise _OutOfTime
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
