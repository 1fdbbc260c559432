"""Ancestral sampling: ``num_samples`` chains per input drawn as one batch from the filtered distribution.

Each input's rows draw from that input's own generator, seeded with ``config.seed``, so an input gets the same
samples in a batch as alone. Temperature 0 makes every row the greedy output (the argmax: common.argmax_only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from playground.decoding.recorder import Recorder
from playground.decoding.samplers import SAMPLERS
from playground.decoding.spec import SAMPLING_FIELDS, StrategySpec
from playground.decoding.strategies.greedy import chain
from playground.decoding.trace import Hypothesis

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig


def sample(model, state, config: DecodeConfig, recorders: list[Recorder]) -> list[list[Hypothesis]]:
    """Draw ``num_samples`` sequences of each input at once, with a seeded generator per input."""
    generators = [torch.Generator().manual_seed(config.seed) for _ in recorders]
    draw = SAMPLERS[config.sampler]
    return chain(model, state, config, recorders, rows=config.num_samples, samples=SPEC.samples,
                 choose=lambda logits, i: draw(logits, generators[i]))


SPEC = StrategySpec(
    name="sample", label="sampling", run=sample, samples=True, batched=True, returns="samples",
    reads=(*SAMPLING_FIELDS, "sampler", "num_samples", "num_return"),
    doc="ancestral sampling through any filter combination, num_samples rows drawn as one batch, seeded",
    presets={"nucleus p=0.9": {"top_p": 0.9}, "temperature 1.5": {"temperature": 1.5}, "top-k 5": {"top_k": 5}},
)
