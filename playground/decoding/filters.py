"""Logits processors: pure functions on ``(..., V)`` logits, Hugging Face ``logits_process.py`` style.

Every function returns a NEW tensor of the same shape and dtype (the input is never mutated), puts
removed tokens at ``-inf`` and keeps at least one token. The masking filters keep the argmax (and
all tokens tied with it), except ``typical``, whose guaranteed survivor is the most *typical* token,
as in the paper and in HF. Disabled values (``t = 1``, ``k = 0``, ``p = 1``, ``min_p = 0``,
``mass = 1``, ``eps = 0``, ``penalty = 1``, ``n = 0``) return an unchanged copy.

    temperature        logits / t                                          (Ackley et al. 1985)
    top_k              keep the k highest logits                           (Fan et al. 2018)
    top_p              smallest set with cumulative prob >= p (nucleus)    (Holtzman et al. 2020)
    min_p              keep prob >= p * max prob                           (Nguyen et al. 2024)
    typical            locally typical sampling, mass                      (Meister et al. 2022)
    epsilon            keep prob >= eps (truncation sampling)              (Hewitt et al. 2022)
    repetition_penalty positive logits / penalty, negative * penalty       (Keskar et al. 2019, CTRL)
    no_repeat_ngram    ban tokens that would repeat an n-gram              (Paulus et al. 2018)

Ties: a token tied with the last kept token is kept too (top-k keeps every token >= the k-th value,
exactly like HF ``TopKLogitsWarper``; top-p and typical likewise keep whole tie groups), so a
filter may keep more than k tokens / more mass than p, but never depends on sort order.

Deviations from HF transformers (v4.4x) semantics:
- top_p: HF sorts and cuts inside a tie group, so which of two equal tokens survives depends on
  the sort; here the whole tie group at the boundary is kept. ``p = 1`` is an exact no-op (HF
  also drops tokens whose probability underflows to 0).
- Boundary comparisons use ``TOLERANCE = 1e-6``: a cumulative mass within 1e-6 of p (top_p,
  typical) counts as reaching it, and min_p / epsilon compare log-probabilities with a 1e-6
  slack. HF compares exactly, so float32 rounding decides hand-made cases such as top-p 0.8 on
  probs [0.3, 0.1, 0.1, 0.5] (0.5 + 0.3 may round to 0.79999995); here it keeps {0.3, 0.5}.
- min_p and epsilon are computed in log space in float64 (HF: probabilities in the input dtype),
  which only matters when probabilities underflow.
- Disabled values are accepted (HF raises for top_k = 0, typical mass = 1, epsilon = 0); there
  is no ``min_tokens_to_keep`` (it is always 1).
- temperature: if ``logits / t`` overflows the dtype in a row, that row is shifted by its max
  first (softmax is shift-invariant), so the result never holds +inf or NaN.
- repetition_penalty: results are clamped to the dtype's finite range (a finite logit stays
  finite), ``-inf`` stays ``-inf``.
- no_repeat_ngram: vectorised; if every allowed token of a row would be banned, the row's argmax
  is left allowed (HF returns an all ``-inf`` row, i.e. NaN probabilities).
- Inputs with NaN or +inf, or a row without any finite logit, raise ValueError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.decoding.validate import NEG_INF, check_logits, check_prev_tokens, check_range

TOLERANCE = 1e-6  # slack on probability-mass / log-probability thresholds (see module docstring)


@dataclass(frozen=True)
class Domain:
    """The values a processor's argument may take; ``check`` normalises to float / int or raises ValueError."""

    low: float  # bounds are written in messages as given: (0, 1], not (0.0, 1.0]
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    note: str = ""

    def check(self, label: str, value):
        return check_range(label, value, self.low, self.high, integer=self.integer, low_open=self.low_open,
                           high_open=self.high_open or self.high == math.inf, note=self.note)


class TemperatureDomain(Domain):
    def check(self, label: str, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
            raise ValueError(f"{label} must be > 0, got {value!r}: temperature 0 means greedy decoding, "
                             "which the strategy does by taking the argmax, not by dividing by 0")
        return super().check(label, value)


# argument domains (the mathematically meaningful values; DecodeConfig adds the API's own limits)
TEMPERATURE = TemperatureDomain(0, low_open=True)
TOP_K = Domain(0, integer=True, note=" (0 disables)")
TOP_P = Domain(0, 1, low_open=True, note=" (1 disables)")
MIN_P = Domain(0, 1, note=" (0 disables)")
TYPICAL = Domain(0, 1, low_open=True, note=" (1 disables)")
EPSILON = Domain(0, 1, high_open=True, note=" (0 disables)")
REPETITION_PENALTY = Domain(0, low_open=True, note=" (1 disables)")
NO_REPEAT_NGRAM = Domain(0, integer=True, note=" (0 disables)")


# ---------------------------------------------------------------------------------------------
# unchecked implementations: (..., V) logits -> new (..., V) logits; args already validated


def _temperature(logits: torch.Tensor, t: float) -> torch.Tensor:
    out = logits / t
    overflowed = ~torch.isfinite(out.amax(-1, keepdim=True))  # (..., 1): +inf appeared or max went to -inf
    if bool(overflowed.any()):
        shifted = (logits - logits.amax(-1, keepdim=True)) / t  # row max -> 0, softmax unchanged
        out = torch.where(overflowed, shifted, out)
    return out


def _top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    if k == 0 or k >= logits.shape[-1]:
        return logits.clone()
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1) the k-th largest logit
    return logits.masked_fill(logits < kth, NEG_INF)  # ties with the k-th value survive (as HF)


def _last_kept(sorted_probs: torch.Tensor, mass: float) -> torch.Tensor:
    """(..., 1) index of the last member of the shortest prefix of ``sorted_probs`` (..., V) whose
    cumulative probability reaches ``mass`` (within TOLERANCE)."""
    reached = sorted_probs.cumsum(-1) >= mass - TOLERANCE  # (..., V) float64 cumulative mass
    return (~reached).sum(-1, keepdim=True).clamp(max=sorted_probs.shape[-1] - 1)


def _top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    if p >= 1.0:
        return logits.clone()
    sorted_logits = torch.sort(logits, dim=-1, descending=True).values  # (..., V)
    last = _last_kept(torch.softmax(sorted_logits.double(), dim=-1), p)  # (..., 1)
    threshold = sorted_logits.gather(-1, last)  # every token >= the last kept logit survives
    return logits.masked_fill(logits < threshold, NEG_INF)


def _min_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    if p == 0.0:
        return logits.clone()
    # prob_i >= p * max_prob  <=>  logit_i - max_logit >= log p   (in float64; -inf stays removed)
    gap = logits.double() - logits.amax(-1, keepdim=True).double()
    return logits.masked_fill(gap < math.log(p) - TOLERANCE, NEG_INF)


def _typical(logits: torch.Tensor, mass: float) -> torch.Tensor:
    if mass >= 1.0:
        return logits.clone()
    # Meister et al. 2022: rank tokens by |-log p(x) - H(p)| (how close their surprisal is to the
    # entropy) and keep the most typical ones until their probability mass reaches ``mass``.
    log_probs = torch.log_softmax(logits.double(), dim=-1)  # (..., V)
    probs = log_probs.exp()
    entropy = -torch.where(probs > 0, probs * log_probs, 0.0).sum(-1, keepdim=True)  # (..., 1) nats
    atypicality = (-log_probs - entropy).abs()  # (..., V); +inf for -inf logits
    sorted_atyp, order = torch.sort(atypicality, dim=-1)
    last = _last_kept(probs.gather(-1, order), mass)
    threshold = sorted_atyp.gather(-1, last)
    return logits.masked_fill(atypicality > threshold, NEG_INF)


def _epsilon(logits: torch.Tensor, eps: float) -> torch.Tensor:
    if eps == 0.0:
        return logits.clone()
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    below = log_probs < math.log(eps) - TOLERANCE
    below &= logits < logits.amax(-1, keepdim=True)  # the argmax (and its ties) always survive
    return logits.masked_fill(below, NEG_INF)


def _repetition_penalty(logits: torch.Tensor, prev_tokens: torch.Tensor, penalty: float) -> torch.Tensor:
    if penalty == 1.0 or prev_tokens.shape[-1] == 0:
        return logits.clone()
    seen = logits.gather(-1, prev_tokens)  # (..., T) logits of every previous token
    # CTRL (Keskar et al. 2019) divides the logit; HF multiplies negative logits so that penalty > 1
    # always lowers the token's score.
    penalised = torch.where(seen < 0, seen * penalty, seen / penalty)
    finfo = torch.finfo(logits.dtype)
    penalised = torch.where(seen == NEG_INF, seen, penalised.clamp(finfo.min, finfo.max))
    return logits.scatter(-1, prev_tokens, penalised)  # out-of-place; repeated ids write equal values


def _no_repeat_ngram(logits: torch.Tensor, prev_tokens: torch.Tensor, n: int) -> torch.Tensor:
    vocab, length = logits.shape[-1], prev_tokens.shape[-1]
    if n == 0 or length < n:
        return logits.clone()
    flat = logits.reshape(-1, vocab)  # (B, V)
    prev = prev_tokens.reshape(-1, length)  # (B, T)
    ngrams = prev.unfold(-1, n, 1)  # (B, T-n+1, n) every n-gram of the history
    context = prev[:, length - (n - 1):]  # (B, n-1) the tokens the next one would extend
    completes = (ngrams[..., :-1] == context[:, None, :]).all(-1)  # (B, T-n+1); all True when n == 1
    hits = torch.zeros(flat.shape, dtype=torch.long).scatter_add_(-1, ngrams[..., -1], completes.long())
    banned = hits > 0  # (B, V)
    stuck = ~((flat > NEG_INF) & ~banned).any(-1)  # (B,) rows where nothing would be left
    if bool(stuck.any()):
        rows = stuck.nonzero().squeeze(-1)
        banned[rows, flat[rows].argmax(-1)] = False
    return flat.masked_fill(banned, NEG_INF).reshape(logits.shape)


# ---------------------------------------------------------------------------------------------
# public, validated functions


def temperature(logits: torch.Tensor, t: float) -> torch.Tensor:
    """``logits / t`` (t > 0): t < 1 sharpens, t > 1 flattens the softmax. t = 0 (greedy) is not a
    division: strategies take the argmax instead, so it is rejected here."""
    check_logits(logits)
    return _temperature(logits, TEMPERATURE.check("temperature: t", t))


def top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits per row (Fan et al. 2018); ties with the k-th value are kept (HF).
    k = 0 disables, k >= V keeps all."""
    check_logits(logits)
    return _top_k(logits, TOP_K.check("top_k: k", k))


def top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering (Holtzman et al. 2020): keep the smallest set of most probable tokens whose
    cumulative probability is >= p, plus tokens tied with its last member. p in (0, 1], 1 disables."""
    check_logits(logits)
    return _top_p(logits, TOP_P.check("top_p: p", p))


def min_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Min-p filtering (Nguyen et al. 2024): keep tokens with prob >= p * (max prob). p in [0, 1],
    0 disables, 1 keeps only the argmax (and its ties)."""
    check_logits(logits)
    return _min_p(logits, MIN_P.check("min_p: p", p))


def typical(logits: torch.Tensor, mass: float) -> torch.Tensor:
    """Locally typical filtering (Meister et al. 2022): keep the tokens whose surprisal is closest to
    the entropy until their probability reaches ``mass``. mass in (0, 1], 1 disables. May drop
    the argmax (the most typical token is the guaranteed survivor), as in the paper and HF."""
    check_logits(logits)
    return _typical(logits, TYPICAL.check("typical: mass", mass))


def epsilon(logits: torch.Tensor, eps: float) -> torch.Tensor:
    """Epsilon sampling (Hewitt et al. 2022): drop tokens with prob < eps, but keep the argmax.
    eps in [0, 1), 0 disables."""
    check_logits(logits)
    return _epsilon(logits, EPSILON.check("epsilon: eps", eps))


def repetition_penalty(logits: torch.Tensor, prev_tokens: torch.Tensor, penalty: float) -> torch.Tensor:
    """CTRL repetition penalty (Keskar et al. 2019) with HF semantics: for every token id in
    ``prev_tokens`` (..., T) (counted once however often it occurs) a positive logit is divided by
    ``penalty`` and a negative one multiplied. penalty > 0; > 1 discourages repeats, 1 disables."""
    check_logits(logits)
    penalty = REPETITION_PENALTY.check("repetition_penalty: penalty", penalty)
    return _repetition_penalty(logits, check_prev_tokens(logits, prev_tokens, "repetition_penalty"), penalty)


def no_repeat_ngram(logits: torch.Tensor, prev_tokens: torch.Tensor, n: int) -> torch.Tensor:
    """Ban (-inf) every token that would complete an n-gram already present in ``prev_tokens``
    (..., T) (Paulus et al. 2018; HF NoRepeatNGramLogitsProcessor). n = 0 disables; n = 1 bans
    every token seen so far. Never bans the last allowed token of a row (see module docstring)."""
    check_logits(logits)
    n = NO_REPEAT_NGRAM.check("no_repeat_ngram: n", n)
    return _no_repeat_ngram(logits, check_prev_tokens(logits, prev_tokens, "no_repeat_ngram"), n)
