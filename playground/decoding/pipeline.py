"""The per-step logits processing pipeline: history processors, then the ordered filters.

For one decoding step, ``process(logits, settings, prev_tokens)`` turns the model's raw logits (B, V)
into two views that the trace shows side by side:

1. history processors first (they are about what was already generated, not about the shape of
   the distribution): repetition penalty (Keskar et al. 2019), then no-repeat-n-gram;
2. ``temperature_logits`` = step 1 then temperature only;
3. ``filtered_logits`` = step 1 then the six filters in ``settings.filter_order``
   (default temperature -> top_k -> top_p -> min_p -> typical -> epsilon, the order HF applies its
   warpers in). Each filter sees the previous one's output, so every filter after the first works
   on the renormalised survivors, and the order matters: e.g. top-k 2 then top-p 0.5 on probs
   [0.4, 0.35, 0.25] keeps 1 token, top-p 0.5 then top-k 2 keeps 2.

Disabled processors are skipped entirely (the engine calls this every step). Settings are validated
once, in ``FilterSettings.__post_init__``; ``process`` checks the logits once and then calls the
unchecked filter implementations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import torch

from playground.decoding.filters import (
    NEG_INF,
    UNCHECKED,
    UNCHECKED_HISTORY,
    check_filter_arg,
    check_logits,
    check_prev_tokens,
)

FILTER_NAMES = ("temperature", "top_k", "top_p", "min_p", "typical", "epsilon")

# filter name -> (FilterSettings field, value that disables it)
_FIELDS = {
    "temperature": ("temperature", 1.0),
    "top_k": ("top_k", 0),
    "top_p": ("top_p", 1.0),
    "min_p": ("min_p", 0.0),
    "typical": ("typical_mass", 1.0),
    "epsilon": ("epsilon", 0.0),
}


@dataclass(frozen=True, kw_only=True)
class FilterSettings:
    """Processor settings; field names and meanings are those of ``DecodeConfig``.

    ``temperature`` must be > 0 here: temperature 0 (greedy) is an argmax in the strategy, so build
    the settings with ``temperature=1.0`` for it (``from_config(config, temperature=1.0)``).
    ``filter_order`` lists filter names from FILTER_NAMES, each at most once; a filter that is
    enabled must appear in it (a missing disabled filter is fine).
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    typical_mass: float = 1.0
    epsilon: float = 0.0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    filter_order: tuple[str, ...] = FILTER_NAMES

    def __post_init__(self):
        checks = [(name, field) for name, (field, _) in _FIELDS.items()]
        checks += [("repetition_penalty", "repetition_penalty"), ("no_repeat_ngram", "no_repeat_ngram_size")]
        for name, field in checks:
            value = check_filter_arg(name, getattr(self, field), f"FilterSettings.{field}")
            object.__setattr__(self, field, value)  # normalise numpy scalars etc. to float / int
        order = self.filter_order
        if not isinstance(order, (list, tuple)) or not all(isinstance(name, str) for name in order):
            raise ValueError(f"FilterSettings.filter_order must be a sequence of filter names, got {order!r}")
        order = tuple(order)
        unknown = [name for name in order if name not in FILTER_NAMES]
        if unknown:
            raise ValueError(f"FilterSettings.filter_order: unknown filter(s) {unknown}; "
                             f"choose from {FILTER_NAMES}")
        if len(set(order)) != len(order):
            raise ValueError(f"FilterSettings.filter_order lists a filter twice: {order}")
        missing = [name for name in FILTER_NAMES if self._enabled(name) and name not in order]
        if missing:
            raise ValueError(f"FilterSettings.filter_order {order} omits enabled filter(s) {missing}")
        object.__setattr__(self, "filter_order", order)

    def _enabled(self, name: str) -> bool:
        field, disabled = _FIELDS[name]
        return getattr(self, field) != disabled

    @property
    def active_filters(self) -> tuple[str, ...]:
        """The enabled filters, in ``filter_order``."""
        return tuple(name for name in self.filter_order if self._enabled(name))

    @classmethod
    def from_config(cls, config, **overrides) -> FilterSettings:
        """Build from any object with the ``DecodeConfig`` field names; ``overrides`` win."""
        values = {f.name: getattr(config, f.name) for f in dataclasses.fields(cls) if hasattr(config, f.name)}
        return cls(**{**values, **overrides})


class Processed(NamedTuple):
    temperature_logits: torch.Tensor  # (B, V) history processors + temperature only
    filtered_logits: torch.Tensor  # (B, V) history processors + every filter in order; removed = -inf


def process(logits: torch.Tensor, settings: FilterSettings,
            prev_tokens: torch.Tensor | None = None) -> Processed:
    """Apply ``settings`` to raw ``logits`` (B, V) given the tokens generated so far ``prev_tokens``
    (B, T) (needed only if repetition penalty or no-repeat-n-gram is enabled; T may be 0).

    Both outputs are new tensors (never the input); they are the same tensor object when no filter
    other than temperature is enabled. Treat them as read-only."""
    if not isinstance(settings, FilterSettings):
        raise ValueError(f"settings must be a FilterSettings, got {type(settings).__name__}")
    check_logits(logits)
    history = logits
    if settings.repetition_penalty != 1.0 or settings.no_repeat_ngram_size > 0:
        if prev_tokens is None:
            raise ValueError("process: repetition_penalty / no_repeat_ngram_size need prev_tokens (B, T)")
        prev_tokens = check_prev_tokens(logits, prev_tokens, "process")
        for name, field, disabled in (("repetition_penalty", "repetition_penalty", 1.0),
                                      ("no_repeat_ngram", "no_repeat_ngram_size", 0)):
            if getattr(settings, field) != disabled:
                history = UNCHECKED_HISTORY[name](history, prev_tokens, getattr(settings, field))
    if settings.temperature != 1.0:
        tempered = UNCHECKED["temperature"](history, settings.temperature)
    else:
        tempered = history.clone() if history is logits else history
    filtered = history
    for name in settings.active_filters:
        if name == "temperature" and filtered is history:
            filtered = tempered  # temperature first (the default): reuse it
        else:
            filtered = UNCHECKED[name](filtered, getattr(settings, _FIELDS[name][0]))
    if filtered is history:  # temperature disabled and nothing else enabled
        filtered = tempered
    return Processed(tempered, filtered)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of ``softmax(logits)`` (..., V) -> (...); ``-inf`` entries contribute 0, not NaN
    (0 * log 0 := 0)."""
    log_probs = torch.log_softmax(logits, dim=-1)
    probs = log_probs.exp()
    return (-torch.where(probs > 0, probs * log_probs, 0.0).sum(-1)).clamp(min=0.0)


def kept_count(filtered_logits: torch.Tensor) -> torch.Tensor:
    """Number of tokens the filters kept, i.e. not at ``-inf``: (..., V) -> (...) long. (A kept token
    whose probability underflows to 0 -- logit more than ~100 below the max in float32 -- still counts.)"""
    return (filtered_logits > NEG_INF).sum(-1)
