"""The logits-processor registry: what each processor is, in one table (cf. Hugging Face's LogitsProcessorList).

A ``Processor`` says which DecodeConfig / FilterSettings field holds its value, which value turns it off, what
values it accepts, and how to apply it, with one signature for all:

    apply(logits (..., V), value, prev_tokens (..., T)) -> new logits (..., V)      (unchecked: see filters.py)

History processors read ``prev_tokens`` (the tokens generated so far) and run first; the six distribution
filters ignore it and run in ``filter_order`` (pipeline.py). config.py (which fields are filters, which are on),
pipeline.py (what to apply) and the public functions of filters.py (argument domains) all read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import torch

from playground.decoding import filters as F


@dataclass(frozen=True)
class Processor:
    name: str  # the public function in filters.py, and the name in filter_order
    field: str  # the DecodeConfig / FilterSettings field holding its value
    off: float  # the value that disables it (the processor is then never called)
    domain: F.Domain  # the values it accepts
    apply: Callable[[torch.Tensor, float, torch.Tensor | None], torch.Tensor]
    history: bool = False  # reads prev_tokens; applied before every filter

    def enabled(self, settings) -> bool:
        return getattr(settings, self.field) != self.off


PROCESSORS = MappingProxyType({p.name: p for p in (
    # history processors first, in this order (repetition penalty, then the n-gram ban)
    Processor("repetition_penalty", "repetition_penalty", 1.0, F.REPETITION_PENALTY,
              lambda x, v, prev: F._repetition_penalty(x, prev, v), history=True),
    Processor("no_repeat_ngram", "no_repeat_ngram_size", 0, F.NO_REPEAT_NGRAM,
              lambda x, v, prev: F._no_repeat_ngram(x, prev, v), history=True),
    # the distribution filters, in their default order (the order HF applies its warpers in)
    Processor("temperature", "temperature", 1.0, F.TEMPERATURE, lambda x, v, prev: F._temperature(x, v)),
    Processor("top_k", "top_k", 0, F.TOP_K, lambda x, v, prev: F._top_k(x, v)),
    Processor("top_p", "top_p", 1.0, F.TOP_P, lambda x, v, prev: F._top_p(x, v)),
    Processor("min_p", "min_p", 0.0, F.MIN_P, lambda x, v, prev: F._min_p(x, v)),
    Processor("typical", "typical_mass", 1.0, F.TYPICAL, lambda x, v, prev: F._typical(x, v)),
    Processor("epsilon", "epsilon", 0.0, F.EPSILON, lambda x, v, prev: F._epsilon(x, v)),
)})
HISTORY = tuple(p for p in PROCESSORS.values() if p.history)
FILTERS = tuple(name for name, p in PROCESSORS.items() if not p.history)  # the default filter_order
