"""Draw token ids from (already processed) logits with a seeded ``torch.Generator``.

Two samplers draw from the same distribution ``softmax(logits)``:

- ``sample_multinomial``: ``torch.multinomial`` on the probabilities (inverse-CDF sampling).
- ``sample_gumbel``: the Gumbel-max trick, ``argmax_i (logits_i + G_i)`` with ``G_i ~ Gumbel(0, 1)``
  i.i.d. (Gumbel 1954; Maddison et al. 2014, "A* Sampling"). Its top-k generalisation
  (Gumbel-top-k) draws k distinct tokens without replacement; stochastic beam search (Kool et al.
  2019) perturbs beam scores with ``gumbel_noise``.

Both take ``(..., V)`` logits whose removed tokens are ``-inf`` (never drawn) and return a LongTensor
of shape ``(...)`` when ``num_samples == 1`` and ``(..., num_samples)`` otherwise (independent draws,
with replacement). The same generator state gives the same samples; the two samplers consume the
generator differently, so they give different (equally distributed) draws for the same seed.
"""

from __future__ import annotations

import numbers

import torch

from playground.decoding.validate import check_logits


def _check_sampling_args(logits: torch.Tensor, generator: torch.Generator, num_samples: int) -> None:
    check_logits(logits)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator (seeded), got {type(generator).__name__}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples < 1:
        raise ValueError(f"num_samples must be an integer >= 1, got {num_samples!r}")


def _shape_out(ids: torch.Tensor, lead: torch.Size, num_samples: int) -> torch.Tensor:
    """(N, num_samples) -> (...) or (..., num_samples)."""
    return ids.reshape(lead) if num_samples == 1 else ids.reshape(*lead, num_samples)


def gumbel_noise(shape: tuple[int, ...] | torch.Size, generator: torch.Generator,
                 dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Standard Gumbel(0, 1) noise ``G = -log(-log U)``, ``U ~ Uniform(0, 1)``, always finite.

    ``torch.rand`` draws from [0, 1): U = 0 would give G = -inf (and -log(0) = inf), so U is clamped
    to the smallest positive normal number; U < 1 keeps G finite at the top. float64 by default so
    that the noise resolves differences of ~1e-16 and U = 0 is practically impossible anyway."""
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator (seeded), got {type(generator).__name__}")
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype, got {dtype}")
    uniform = torch.rand(tuple(shape), generator=generator, dtype=dtype)
    uniform = uniform.clamp_(min=torch.finfo(dtype).tiny)
    return -torch.log(-torch.log(uniform))


def sample_multinomial(logits: torch.Tensor, generator: torch.Generator,
                       num_samples: int = 1) -> torch.Tensor:
    """Draw from ``softmax(logits)`` (..., V) with ``torch.multinomial`` (with replacement)."""
    _check_sampling_args(logits, generator, num_samples)
    lead, vocab = logits.shape[:-1], logits.shape[-1]
    probs = torch.softmax(logits.reshape(-1, vocab).double(), dim=-1)  # (N, V); -inf -> exactly 0
    ids = torch.multinomial(probs, int(num_samples), replacement=True, generator=generator)  # (N, n)
    return _shape_out(ids, lead, num_samples)


def sample_gumbel(logits: torch.Tensor, generator: torch.Generator,
                  num_samples: int = 1) -> torch.Tensor:
    """Draw from ``softmax(logits)`` (..., V) by the Gumbel-max trick: argmax(logits + Gumbel noise).

    Each row is shifted by its max first (argmax-invariant) so that huge logits (1e30) do not swallow
    the O(1) noise: two tied logits of 1e30 stay a fair coin. ``-inf + G = -inf`` is never the argmax
    because every row has a finite logit (checked)."""
    _check_sampling_args(logits, generator, num_samples)
    lead, vocab = logits.shape[:-1], logits.shape[-1]
    flat = logits.reshape(-1, 1, vocab).double()  # (N, 1, V)
    shifted = flat - flat.amax(-1, keepdim=True)
    noise = gumbel_noise((flat.shape[0], int(num_samples), vocab), generator)  # (N, n, V)
    ids = (shifted + noise).argmax(-1)  # (N, n)
    return _shape_out(ids, lead, num_samples)


SAMPLERS = {
    "multinomial": sample_multinomial,
    "gumbel": sample_gumbel,
}
"""Sampler name (``DecodeConfig.sampler``) -> function ``(logits, generator, num_samples=1) -> ids``."""
