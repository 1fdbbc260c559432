"""Lessons computed once and reused: a small least-recently-used memo keyed by (lesson key, model name), filled on
first use or in the background, so that opening a lesson a second time (or after the warm-up) costs a dict lookup.

    memo = LessonMemo(compute, size=32)       # compute(key, model_name) -> anything (the Learn tab: a whole view)
    memo.get("beam_beats_greedy", "g2p-bahdanau")   # computed the first time, then reused
    memo.warm([(key, model_name), ...])       # a background thread fills the rest, one at a time

A value is computed once even when several requests (or the warm-up) ask for it at the same moment: the others
wait for it (one lock per key). Memory is bounded by ``size`` entries; a lesson's view is a few small panels, a
figure and a few sentences (tens of kB). A failed computation is not kept: the next request tries again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

log = logging.getLogger(__name__)
SIZE = 48  # entries kept: every lesson on its model and on a substitute of the other task, with room to spare


class LessonMemo:
    def __init__(self, compute: Callable[..., object], size: int = SIZE):
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size!r}")
        self._compute, self.size = compute, size
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()  # guards _values and _locks
        self._warming: threading.Thread | None = None

    def cached(self, *key) -> bool:
        with self._lock:
            return key in self._values

    def get(self, *key):
        """The value for ``key`` (the arguments of ``compute``), computed on first use."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; who waited here finds it done
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
            value = self._compute(*key)
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.size:
                    old, _ = self._values.popitem(last=False)
                    self._locks.pop(old, None)
            return value

    def warm(self, keys: Iterable[tuple]) -> threading.Thread | None:
        """Compute ``keys`` in order in one background thread (none when there is nothing to do or one is already
        running); a key whose computation fails is logged and skipped."""
        todo = [tuple(k) for k in keys]  # (before taking the lock: ``keys`` may ask ``cached``)
        with self._lock:
            if not todo or (self._warming is not None and self._warming.is_alive()):
                return None
            # not a daemon: torch must not be running when the interpreter tears down (it aborts the process);
            # _fill stops after the lesson at hand once the main thread has ended
            self._warming = threading.Thread(target=self._fill, args=(todo,), name="lesson-warm-up")
            self._warming.start()
            return self._warming

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the warm-up thread, if one runs; True once none does."""
        thread = self._warming
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _fill(self, keys: list[tuple]) -> None:
        for key in keys:
            if not threading.main_thread().is_alive():  # the program is exiting
                return
            try:
                self.get(*key)
            except Exception:  # (a lesson that fails here fails again, with its message, when someone opens it)
                log.exception("warming lesson %s failed", key)
