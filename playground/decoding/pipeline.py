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
import functools
from typing import NamedTuple

import torch

from playground.decoding import processors
from playground.decoding.processors import FILTERS
from playground.decoding.validate import NEG_INF, check_logits, check_prev_tokens

FILTER_NAMES = FILTERS  # the six distribution filters, in their default order


class _Checked:
    """FilterSettings' methods; its fields are the processors' own (below)."""

    def __post_init__(self):
        for p in processors.PROCESSORS.values():  # normalises numpy scalars etc. to float / int
            object.__setattr__(self, p.field, p.domain.check(f"FilterSettings.{p.field}", getattr(self, p.field)))
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
        missing = [name for name in FILTER_NAMES if processors.PROCESSORS[name].enabled(self) and name not in order]
        if missing:
            raise ValueError(f"FilterSettings.filter_order {order} omits enabled filter(s) {missing}")
        object.__setattr__(self, "filter_order", order)

    @functools.cached_property  # (computed once: ``process`` asks at every step; the settings are frozen)
    def active_filters(self) -> tuple[str, ...]:
        """The enabled filters, in ``filter_order``."""
        return tuple(name for name in self.filter_order if processors.PROCESSORS[name].enabled(self))

    @functools.cached_property
    def active_history(self) -> tuple[processors.Processor, ...]:
        """The enabled history processors, in the order they apply."""
        return tuple(p for p in processors.HISTORY if p.enabled(self))

    @functools.cached_property
    def idle(self) -> bool:
        """No processor is on: processing would only copy the logits."""
        return not self.active_filters and not self.active_history

    @classmethod
    def from_config(cls, config, **overrides) -> FilterSettings:
        """Build from any object with the ``DecodeConfig`` field names; ``overrides`` win."""
        values = {f.name: getattr(config, f.name) for f in dataclasses.fields(cls) if hasattr(config, f.name)}
        return cls(**{**values, **overrides})


FilterSettings = dataclasses.make_dataclass(
    "FilterSettings", [(p.field, type(p.off), dataclasses.field(default=p.off)) for p in processors.PROCESSORS.values()]
    + [("filter_order", tuple, dataclasses.field(default=FILTER_NAMES))], bases=(_Checked,), frozen=True,
    kw_only=True)
FilterSettings.__module__ = __name__  # (make_dataclass takes module= only from Python 3.12)
FilterSettings.__doc__ = """Processor settings: each processor's field (processors.py), at its "off" value by default,
and ``filter_order``; names and meanings are those of ``DecodeConfig``.

``temperature`` must be > 0 here: temperature 0 (greedy) is an argmax in the strategy, so build the settings with
``temperature=1.0`` for it (``from_config(config, temperature=1.0)``). ``filter_order`` lists filter names from
FILTER_NAMES, each at most once; a filter that is enabled must appear in it (a missing disabled filter is fine)."""


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
    table = processors.PROCESSORS
    history, history_processors = logits, settings.active_history
    if history_processors:
        if prev_tokens is None:
            raise ValueError("process: repetition_penalty / no_repeat_ngram_size need prev_tokens (B, T)")
        prev_tokens = check_prev_tokens(logits, prev_tokens, "process")
        for p in history_processors:
            history = p.apply(history, getattr(settings, p.field), prev_tokens)
    temperature = table["temperature"]
    if temperature.enabled(settings):
        tempered = temperature.apply(history, settings.temperature, prev_tokens)
    else:
        tempered = history.clone() if history is logits else history
    filtered = history
    for name in settings.active_filters:
        if name == "temperature" and filtered is history:
            filtered = tempered  # temperature first (the default): reuse it
        else:
            filtered = table[name].apply(filtered, getattr(settings, table[name].field), prev_tokens)
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
