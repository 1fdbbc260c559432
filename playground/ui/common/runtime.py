"""Where decoding runs: CUDA when present; ZeroGPU's ``spaces.GPU`` only when the package exists; and how many
decodes run at once.

On a ZeroGPU Space a GPU is attached per call of a decorated function; anywhere else that part of the decorator
is the identity, so the same code runs on a laptop, a CPU Space and CI. ``gpu`` also takes one of the process's
DECODE_SLOTS for the call (min(4, CPU count)): the Gradio events of every tab and the Explore tab's server
function (service.py, outside Gradio's queue) share them, so that is the one limit on concurrent decodes. Also how
the server keeps its memory flat under load (``MemoryTrim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import threading
import time
from collections.abc import Callable

DECODE_CONCURRENCY = max(1, min(4, os.cpu_count() or 1))  # decodes at once, in the whole process
DECODE_SLOTS = threading.BoundedSemaphore(DECODE_CONCURRENCY)
SLOT_WAIT_S = 30.0  # how long a call waits for a free slot before it says the server is busy
BUSY = "the server is busy decoding for others; try again in a moment"


class BusyError(RuntimeError):
    """Every decode slot stayed taken for SLOT_WAIT_S seconds."""


def gpu(fn):
    """``fn`` run in one of DECODE_SLOTS (waiting at most SLOT_WAIT_S: then a gr.Error saying the server is busy),
    under ZeroGPU's ``spaces.GPU`` where that package exists."""
    try:
        import spaces  # only installed on Hugging Face Spaces
    except ImportError:
        run = fn
    else:
        run = spaces.GPU(duration=20)(fn)  # a decode takes well under a second; 20 s is the budget per call

    @functools.wraps(fn)
    def in_a_slot(*args, **kwargs):
        if not DECODE_SLOTS.acquire(timeout=SLOT_WAIT_S):
            import gradio as gr

            raise gr.Error(BUSY, print_exception=False)
        try:
            return run(*args, **kwargs)
        finally:
            DECODE_SLOTS.release()

    return in_a_slot


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
