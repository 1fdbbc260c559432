"""Where decoding runs: CUDA when present; ZeroGPU's ``spaces.GPU`` only when the package exists.

On a ZeroGPU Space a GPU is attached per call of a decorated function; anywhere else the decorator
is the identity, so the same code runs on a laptop, a CPU Space and CI. Also how the server keeps its
memory flat under load (``MemoryTrim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Callable


def gpu(fn):
    try:
        import spaces  # only installed on Hugging Face Spaces
    except ImportError:
        return fn
    return spaces.GPU(duration=20)(fn)  # a decode takes well under a second; 20 s is the budget per call


def configure_threads(concurrency: int) -> None:
    """One intra-op thread per concurrent decode: tiny RNN steps gain nothing from more, and
    oversubscribed threads make concurrent sessions slower."""
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, concurrency)))


class MemoryTrim:
    """Hands freed heap memory back to the OS, at most once every ``interval_s`` (glibc; a no-op elsewhere).

    Why: a response (a trace as JSON) is built from many short-lived objects on whichever worker thread
    gradio picks, and glibc keeps the freed pages of each thread's arena. Measured on the shipped models:
    live Python memory stayed flat (tracemalloc: +0.2 MB over 400 requests) while the server's RSS grew
    ~50 MB over 2000 requests; ``malloc_trim(0)`` gave back ~70 MB at once, in 5-20 ms.
    """

    def __init__(self, interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.interval_s, self._clock = interval_s, clock
        self._next = 0.0
        self._lock = threading.Lock()
        self._trim = _malloc_trim()

    def __call__(self) -> bool:
        """Trim if the interval has passed; True when it did."""
        if self._trim is None:
            return False
        with self._lock:
            now = self._clock()
            if now < self._next:
                return False
            self._next = now + self.interval_s
        self._trim(0)
        return True


def _malloc_trim():
    """glibc's malloc_trim, or None (macOS, musl, Windows)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
