"""The engine's argument checks, one wording everywhere.

``check_range`` is the single range validator: DecodeConfig's fields (config.py) and the processors'
arguments (filters.py) are checked by it, so a bad value reads the same from the API, the CLI and the page:

    top_p must be a number in (0, 1], got 0
    top_k must be an integer in [0, 1000000], got 2.5

``whole`` is the single integer coercion: widgets deliver whole numbers as floats (4.0).
"""

from __future__ import annotations

import math
import numbers

import torch

NEG_INF = float("-inf")


def _bound(x) -> str:
    return "inf" if x == math.inf else str(x)


def check_range(label: str, value, low, high, *, integer: bool = False, low_open: bool = False,
                high_open: bool = False, note: str = ""):
    """``value`` as a plain int (``integer``) or float if it lies in the interval; else ValueError
    "{label} must be a number in [low, high]{note}, got {value!r}". NaN, infinities outside the interval,
    booleans and non-numbers are refused; numpy scalars are accepted and returned as Python numbers."""
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and not math.isnan(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"
        what = "an integer" if integer else "a number"
        raise ValueError(f"{label} must be {what} in {interval}{note}, got {value!r}")
    return int(value) if integer else float(value)


def whole(value):
    """A whole number given as a float (a slider's 4.0) as an int; anything else is returned as is, for the
    validator downstream to refuse with its field's name and range (one wording on every surface)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) \
            and float(value).is_integer():
        return int(value)
    return value


def check_logits(logits: torch.Tensor, what: str = "logits") -> None:
    """Raise ValueError unless ``logits`` is a floating (..., V) tensor, V >= 1, every entry finite or
    -inf, and every row holds at least one finite entry (a row we could not keep a token in)."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        got = logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"{what} must be a floating-point torch.Tensor, got {got}")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"{what} must have shape (..., V) with V >= 1, got {tuple(logits.shape)}")
    # one reduction on the hot path (every step): a row's max is NaN if the row holds a NaN (amax propagates
    # NaN), +inf if it holds +inf, -inf if every entry is -inf; finite maxima mean every row is fine (read as Python
    # numbers: cheaper than more tensor operations for the few rows of a step)
    maxima = logits.amax(-1) if logits.numel() else None  # (...) the rows' maxima
    if maxima is not None and all(map(math.isfinite, (maxima if maxima.dim() == 1 else maxima.reshape(-1)).tolist())):
        return
    if bool(torch.isnan(logits).any()) or bool(torch.isposinf(logits).any()):
        raise ValueError(f"{what} must not contain NaN or +inf")
    if not bool((logits > NEG_INF).any(-1).all()):
        raise ValueError(f"{what}: every row needs at least one finite logit (a row is all -inf)")


def check_prev_tokens(logits: torch.Tensor, prev_tokens: torch.Tensor, what: str) -> torch.Tensor:
    """Raise ValueError unless ``prev_tokens`` is an integer (..., T) tensor of ids in [0, V) with the
    leading dims of ``logits`` (..., V); return it as int64 (T may be 0)."""
    integer = isinstance(prev_tokens, torch.Tensor) and not prev_tokens.is_floating_point() \
        and not prev_tokens.is_complex() and prev_tokens.dtype != torch.bool
    if not integer:
        raise ValueError(f"{what}: prev_tokens must be an integer torch.Tensor (..., T)")
    if prev_tokens.shape[:-1] != logits.shape[:-1] or prev_tokens.ndim != logits.ndim:
        raise ValueError(f"{what}: prev_tokens {tuple(prev_tokens.shape)} must be (..., T) with the same "
                         f"leading dims as logits {tuple(logits.shape)}")
    if prev_tokens.numel() and (int(prev_tokens.min()) < 0 or int(prev_tokens.max()) >= logits.shape[-1]):
        raise ValueError(f"{what}: prev_tokens must be token ids in [0, {logits.shape[-1]})")
    return prev_tokens.long()
