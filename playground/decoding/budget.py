"""The wall-clock budget of one decode: the single check every strategy's loop makes.

Node, length and sample counts bound the work of a decode, but not its time: the same exact search costs
10x more on a busy shared CPU, and a 1000-sample draw of 64 steps through the real model takes seconds.
So ``decode`` starts a ``Deadline`` of ``config.time_budget_s`` and the driver loop (driver.py ``Steps``)
asks ``recorder.out_of_time(...)`` between two steps (never before the first: a decode always returns
at least one hypothesis; exact search asks before each expansion). Past the deadline the strategy stops as
it would at max_length, keeping what it has, and the trace says so (``truncated``, ``message``).
``cut_by_budget`` tells such a cut (time or exact search's node budget) from an output that merely reached
the max_length the user chose.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

# every budget note names its budget this way (recorder.out_of_time, strategies/exact.py); max_length notes do not
BUDGET_NAMES = ("time_budget_s=", "node_budget=")


class Deadline:
    """``seconds`` from now on ``clock`` (monotonic: wall-clock jumps do not count)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self._clock = float(seconds), clock
        self._start = clock()

    def expired(self) -> bool:
        return self.elapsed() >= self.seconds

    def elapsed(self) -> float:
        return self._clock() - self._start


def cut_by_budget(trace) -> bool:
    """True when the time or node budget, not max_length, cut the search short."""
    return trace.truncated and any(name in trace.message for name in BUDGET_NAMES)


# --- memory: rows x vocabulary ---------------------------------------------------------------------------------
# Every step of a decode holds a few (rows, V) float tensors at once (logits, log-probabilities, the processed and
# filtered distributions, a sort for top-p): about 44 bytes per row and token at the peak (43.5 measured by
# benchmarks/load.py for sampling over 256,003 tokens). So the rows a decode steps together times the vocabulary
# bounds its memory: 2^23 logits (8.4 M, about 370 MB) by default, PLAYGROUND_DECODE_MAX_LOGITS to change it.
# 1000 samples of a 45-symbol G2P model are 45,000; beam 16 over NLLB's 256,206 tokens 4.1 M; 1000 samples over it
# 256 M, refused (32 fit; the Sample tab draws 1000 in batches of 32).
MAX_LOGITS_ENV = "PLAYGROUND_DECODE_MAX_LOGITS"
DEFAULT_MAX_LOGITS = 2**23
BYTES_PER_LOGIT = 44


def env_count(name: str, default: int, unit: str) -> int:
    """A positive whole number of ``unit`` from the environment variable ``name``, else ``default``; ValueError
    naming the variable for anything else (the server's bounds: here, ui/store.py, ui/explore/service.py)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of {unit}, got {value[:40]!r}")
    return int(value)


def max_logits() -> int:
    """The memory budget of one decode step in logits (rows x vocabulary): PLAYGROUND_DECODE_MAX_LOGITS, else 2^23."""
    return env_count(MAX_LOGITS_ENV, DEFAULT_MAX_LOGITS, "logits")


def decode_rows(config, vocab_size: int) -> tuple[int, str]:
    """(rows one input's decode steps at once, the field that sets them): the strategy's ``spec.rows``, else
    num_samples for the strategies that return samples, beam_width for the searches, else 1."""
    spec = config.spec
    field = spec.rows if spec.rows is not None else (
        "num_samples" if spec.returns == "samples" else "beam_width" if "beam_width" in spec.reads else "")
    if not field:
        return 1, ""
    rows = getattr(config, field)
    return (min(rows, vocab_size) if field == "top_k" else rows), field  # (the top k of V tokens: at most V)


def check_memory(config, vocab_size: int) -> None:
    """ValueError, saying what fits, when rows x vocabulary exceeds the memory budget (``max_logits``)."""
    rows, field = decode_rows(config, vocab_size)
    budget = max_logits()
    if rows * vocab_size <= budget:
        return
    fits = max(budget // vocab_size, 0)
    advice = (f"use {field} <= {fits} with this model" if fits and field else
              "this model's vocabulary alone is over the budget")
    raise ValueError(f"{config.spec.label} would hold {rows:,} rows x {vocab_size:,} tokens = {rows * vocab_size:,} "
                     f"logits a step, over the memory budget of {budget:,} (about "
                     f"{budget * BYTES_PER_LOGIT / 1e6:,.0f} MB; {MAX_LOGITS_ENV} sets it): {advice}")
