"""The wall-clock budget of one decode: the single check every strategy's loop makes.

Node, length and sample counts bound the work of a decode, but not its time: the same exact search costs
10x more on a busy shared CPU, and a 1000-sample draw of 64 steps through the real model takes seconds.
So ``decode`` starts a ``Deadline`` of ``config.time_budget_s`` and every strategy loops over ``Steps``,
which asks ``recorder.out_of_time(...)`` between two steps (never before the first: a decode always returns
at least one hypothesis; exact search asks before each expansion). Past the deadline the strategy stops as
it would at max_length, keeping what it has, and the trace says so (``truncated``, ``message``).
``cut_by_budget`` tells such a cut (time or exact search's node budget) from an output that merely reached
the max_length the user chose.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

# every budget note names its budget this way (recorder.out_of_time, exact.py); max_length notes do not
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


class Steps:
    """The loop every strategy runs: ``for t in Steps(config, recorders, live)``, t = 0 .. max_length - 1.

    Between two steps (never before the first: a decode always returns something) it asks whether the time
    budget ran out (the recorders of one batch share a deadline); if so every recorder notes "Stopped after step
    t of at most max_length {live()}" and the loop ends as if it had reached max_length. Either way the loop's
    ``else`` clause runs, so a strategy finishes its live rows there, cut at ``length`` tokens, and calls
    ``note_max_length`` (which says nothing after a time-out: that is already noted). ``timed=False`` (teacher
    forcing, whose length is fixed) never stops early."""

    def __init__(self, config, recorders, live: Callable[[], str], *, timed: bool = True):
        self.max_length, self.recorders, self.live, self.timed = config.max_length, recorders, live, timed
        self.length, self.timed_out = 0, False

    def __iter__(self) -> Iterator[int]:
        for t in range(self.max_length):
            if t and self.timed and self._out_of_time(f"after step {t} of at most {self.max_length} {self.live()}"):
                self.timed_out = True
                return
            self.length = t + 1
            yield t

    def _out_of_time(self, where: str) -> bool:
        return any([recorder.out_of_time(where) for recorder in self.recorders])  # (every one notes it)

    def note_max_length(self, recorder, message: str) -> None:
        """Note (truncated) in ``recorder`` that ``message``'s rows reached max_length, unless the time budget
        stopped the loop first."""
        if not self.timed_out:
            recorder.note(message, truncated=True)
