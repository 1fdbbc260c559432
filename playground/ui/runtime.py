"""Where decoding runs: CUDA when present; ZeroGPU's ``spaces.GPU`` only when the package exists.

On a ZeroGPU Space a GPU is attached per call of a decorated function; anywhere else the decorator
is the identity, so the same code runs on a laptop, a CPU Space and CI.
"""

from __future__ import annotations

import os


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
