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
