"""What the model families share: their configs' size checks, and row bookkeeping for their decoder states.

The engine grows, copies and reorders decoding rows (beams, samples) through ``model.reorder``. Two
savings apply to every family, so they live here once:

- one source shared by every row stays one tensor: a stride-0 view of B rows instead of B copies
  (``select_rows``);
- rows that are copies of one row (same ``origin``) and take the same token compute the same step, so
  each distinct (origin, token) pair is computed once and copied to its rows (``step_distinct``): 1000
  samples of one word share a handful of prefixes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import torch

from playground.decoding.protocol import StepOutput
from playground.decoding.validate import check_range


def check_sizes(config, names: tuple[str, ...]) -> None:
    """Every field in ``names`` a whole number >= 1, and ``config.dropout`` in [0, 1); else ValueError."""
    for name in names:
        check_range(name, getattr(config, name), 1, math.inf, integer=True, high_open=True)
    check_range("dropout", config.dropout, 0, 1, high_open=True)


def select_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[index]`` along dim 0; a tensor of one row (or already a stride-0 view) stays a view."""
    if x.shape[0] == 1 or x.stride(0) == 0:
        return x[:1].expand(index.numel(), *x.shape[1:])
    return x.index_select(0, index)


def step_distinct(step: Callable[[torch.Tensor, Any], StepOutput], prev_tokens: torch.Tensor, state: Any,
                  vocab_size: int) -> StepOutput:
    """Run ``step(prev_tokens, state) -> StepOutput`` once per distinct (origin, token).

    ``state`` has ``origin`` (B,) long and ``index_select(index)``; equal origins mean equal states. The
    returned state's ``origin`` marks which rows are copies of one another after this step."""
    if prev_tokens.numel() == 1:  # one row (greedy on one input, the page's case): nothing to share
        out = step(prev_tokens, state)
        return replace(out, state=replace(out.state, origin=prev_tokens.new_zeros(1)))
    key = state.origin * vocab_size + prev_tokens  # (B,)
    distinct, inverse = torch.unique(key, return_inverse=True)  # (U,), (B,) row -> its distinct pair
    if distinct.numel() == key.numel():  # every row differs (greedy, beams): step them as they are
        out = step(prev_tokens, state)
    else:  # e.g. samples sharing a prefix: step one row per pair, then copy it to its rows
        rep = torch.empty_like(distinct).scatter_(0, inverse, torch.arange(key.numel(), device=key.device))
        out = step(prev_tokens[rep], state.index_select(rep))  # (U, ...)
        out = out.rows(inverse, out.state.index_select(inverse))
    return replace(out, state=replace(out.state, origin=inverse))
