"""What the benchmark scripts share: the model, the word list, timing and tables.

Every script runs from anywhere as ``python benchmarks/NAME.py``, prints one table and exits 0; timings are
per-thread wall clock (``time.perf_counter``) with ``torch.set_num_threads(--threads)``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: `python benchmarks/engine_vs_hf.py`

# a fixed list of 30 G2P inputs of 3-13 letters: the page's examples plus ordinary words
WORDS = ("colonel", "quinoa", "yacht", "worcester", "gnocchi", "brillig", "blorptastic", "siobhan", "nguyen",
         "read", "lead", "live", "cat", "phone", "through", "knight", "psychology", "rhythm", "choir",
         "island", "queue", "bouquet", "thumb", "photograph", "unbelievable", "chaos", "mischievous",
         "entrepreneur", "sword", "anemone")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "g2p-bahdanau"))
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1: one decode per core)")
    p.add_argument("--repeats", type=int, default=3, help="passes over the word list")
    return p


def setup(args):
    """Set the thread count and load the checkpoint; returns the model (eval mode, CPU)."""
    import torch

    from playground import load_model

    torch.set_num_threads(args.threads)
    return load_model(args.checkpoint, device="cpu")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table, columns padded (paste it into benchmarks/README.md as is)."""
    cells = [header] + rows
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


def machine(threads: int) -> str:
    import os

    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, load {load:.2f}; python {platform.python_version()}, "
            f"torch {torch.__version__}, {threads} thread(s)")
