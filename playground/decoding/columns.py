"""What a trace keeps of a step's rows: every statistic over the whole vocabulary, then the rows themselves, cut
to their top columns when the vocabulary is large (recorder.py's docstring says why and what it bounds).

    summarise(steps, top_n, must)    the recorded rows of some steps, stacked -> every Step array but attention
    must_keep(steps, num_nodes)      the (row, token) pairs the rows must keep: each row's chosen token and its
                                     candidates' tokens
    distributions(logits)            log-softmax, softmax and entropy of (K, V) rows, one exp per value
    top_columns(priority, width)     the ``width`` largest entries of each row

What it costs. A step of a Hugging Face model holds up to 5 x 58,000 values per distribution, and each pass over
them counts (the exponential most: it costs about eight subtractions), so every pass that the trace does not need
is left out: each distribution is exponentiated once (``distributions``: the log-probs, probabilities and
entropy come from one shifted copy; the entropy is a dot product of values already there), the kept-set size and
the chosen token's rank are sums of signs rather than boolean masks (a comparison that writes booleans costs as
much as an exp here), the rank is computed only for rows that chose a token, the columns are found among the
64-value chunks with the largest maxima (``top_columns``), and the mass outside them is summed after zeroing the
kept columns in place (no boolean mask, no copy). With our own small vocabularies (V <= SMALL_VOCABULARY) the cost
is the number of operations instead (a few microseconds each, whatever the size): every row of every distribution
is one stacked numpy array, so each operation runs once per summary, in numpy's ufuncs (about a microsecond a call,
where a torch operation costs a few).
"""

from __future__ import annotations

import numpy as np
import torch

from playground.decoding.common import CHUNK, top_by_chunks
from playground.decoding.trace import LOG_ZERO, STEP_ARRAYS

LOG2_E = 1.4426950408889634  # log2(e)
SMALL_VOCABULARY = 64  # summarised in numpy up to this many tokens (ours: 30-50), in torch above
ROW_TENSORS = ("logits", "temperature_logits", "filtered_logits", "members")  # (H, V) / (H, M, V) per step


def finite(x):
    """float32 with -inf (a probability of exactly 0) mapped to LOG_ZERO, so a trace is valid JSON (a torch.Tensor,
    or a numpy array: clipped to the float32 range, NaN to 0, as torch.nan_to_num; np.nan_to_num's Python costs
    tens of microseconds)."""
    if isinstance(x, np.ndarray):
        x = np.minimum(np.maximum(x, LOG_ZERO), -LOG_ZERO, dtype=np.float32)  # (NaN stays NaN)
        x[x != x] = 0.0
        return x
    x = x.detach().to(torch.float32)
    return torch.nan_to_num(x, nan=0.0, neginf=LOG_ZERO, posinf=-LOG_ZERO)


def must_keep(steps: list[dict], num_nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows (P,), tokens (P,)): the tokens the rows of ``steps`` must keep as columns, as pairs (a pair may repeat):
    each row's chosen token and the tokens of the candidates expanded from it, so that every path through the
    trace has its token at every step. Rows of one step that share a parent node (samples at the root) share its
    children; matched by sorted keys (step, node) in a few batched operations rather than per step."""
    sizes = [int(s["node_ids"].numel()) for s in steps]
    chosen = torch.cat([torch.full((h,), -1) if s["chosen"] is None else s["chosen"].reshape(-1).long()
                        for s, h in zip(steps, sizes, strict=True)])  # (N,)
    rows = (chosen >= 0).nonzero()[:, 0]
    pair_rows, pair_tokens = [rows], [chosen[rows]]
    row_keys = torch.cat([i * num_nodes + s["node_ids"].reshape(-1).long() for i, s in enumerate(steps)])  # (N,)
    found = [(i, s["children"]) for i, s in enumerate(steps) if s.get("children") is not None]
    if found:
        keys = torch.cat([i * num_nodes + parents.long() for i, (parents, _) in found])  # (C,)
        tokens = torch.cat([children.long() for _, (_, children) in found])  # (C,)
        order = torch.argsort(row_keys, stable=True)
        sorted_keys = row_keys[order]
        lo, hi = torch.searchsorted(sorted_keys, keys), torch.searchsorted(sorted_keys, keys, right=True)
        counts = hi - lo  # rows holding each candidate's parent
        starts = torch.repeat_interleave(lo - (torch.cumsum(counts, 0) - counts), counts)
        pair_rows.append(order[starts + torch.arange(int(counts.sum()))])
        pair_tokens.append(torch.repeat_interleave(tokens, counts))
    return torch.cat(pair_rows), torch.cat(pair_tokens)


class TorchOps:
    """The few operations of distributions and chosen_stats for torch tensors (a large vocabulary: in place where it
    can, every (K, V) temporary costs a pass) ..."""

    row_max = staticmethod(lambda x: x.amax(-1, keepdim=True))  # (K, V) -> (K, 1)
    row_sum = staticmethod(lambda x: x.sum(-1, keepdim=True))
    floor_ = staticmethod(lambda x, low: x.clamp_(min=low))  # in place
    exp2_ = staticmethod(torch.Tensor.exp2_)
    log, sign, where = torch.log, torch.sign, torch.where
    pick = staticmethod(lambda x, columns: x.gather(1, columns[:, None])[:, 0])  # (K, V), (K,) -> (K,)


class NumpyOps:
    """... and for numpy arrays (a small vocabulary, ours: numpy's ufuncs cost about a microsecond a call where a
    torch operation, or a numpy function's Python wrapper, costs a few)."""

    row_max = staticmethod(lambda x: np.maximum.reduce(x, axis=-1, keepdims=True))
    row_sum = staticmethod(lambda x: np.add.reduce(x, axis=-1, keepdims=True))
    floor_ = staticmethod(lambda x, low: np.maximum(x, low, out=x))
    exp2_ = staticmethod(lambda x: np.exp2(x, out=x))
    log, sign, where = np.log, np.sign, np.where
    pick = staticmethod(lambda x, columns: x[np.arange(x.shape[0]), columns])


def distributions(logits, logged: int | None = None) -> tuple:
    """(K, V) float32 logits (a torch.Tensor, or a numpy array), each row with a finite entry -> (log_softmax (K, V),
    softmax (K, V), entropy (K,) in nats), one exp per value: y = logits - max, e = exp(y) (as 2^(y log2 e): half
    the time of torch.exp here, within ~2e-6 of it, relative, for the least probable tokens and ~1e-7 for y > -5),
    S = sum e; log p = y - log S, p = e / S, and H = -sum p log p = log S - sum(e * y) / S (every term small:
    y <= 0, so no cancellation). A -inf entry (a removed token) gets LOG_ZERO as its log-prob (what the trace
    stores for -inf), probability 0 and adds 0 to the entropy (0 * LOG_ZERO, where 0 * -inf would be NaN).
    ``logged``: only the first rows' log-probs are wanted (the others keep y, a pass saved; 0: none, and the first
    value is then no log-prob at all)."""
    ops = NumpyOps if isinstance(logits, np.ndarray) else TorchOps
    shifted = logits - ops.row_max(logits)  # (K, V) <= 0: exp cannot overflow
    ops.floor_(shifted, LOG_ZERO)
    exps = ops.exp2_(shifted * LOG2_E)  # (K, V) in [0, 1], 1 at each row's max (LOG_ZERO * log2 e = -inf: 2^-inf = 0)
    total = ops.row_sum(exps)  # (K, 1) >= 1
    log_total = ops.log(total)
    if logged == 0:  # no log-probs wanted: e * y in y's place (one (K, V) temporary less)
        shifted *= exps
        dot = ops.row_sum(shifted)
    else:
        dot = ops.row_sum(exps * shifted)
        shifted[:logged] -= log_total[:logged]
    exps *= 1.0 / total
    return shifted, exps, (log_total - dot / total)[:, 0]  # entropy (K,) >= 0


def summarise(steps: list[dict], top_n: int,
              must: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict[str, np.ndarray]:
    """The rows of ``steps`` (each: logits, temperature_logits, filtered_logits (H, V), members (H, M, V) or None for
    one model, chosen (H,) or None) stacked, -> every STEP_ARRAYS entry but attention, (N, ...) numpy arrays.
    Statistics use the whole vocabulary; then, when V > top_n, the rows are cut to their columns (``must``: the
    (row, token) pairs to keep, must_keep). Where every step's filtered logits are its temperature logits (argmax
    searches: nothing filters), that distribution is computed once. A small vocabulary (V <= SMALL_VOCABULARY) is
    summarised in numpy (module docstring)."""
    shared = all(s["filtered_logits"] is s["temperature_logits"] for s in steps)
    kinds = ("logits", "temperature_logits") if shared else ("logits", "temperature_logits", "filtered_logits")
    n, vocab = sum(s["logits"].shape[0] for s in steps), steps[0]["logits"].shape[-1]
    chosen = torch.cat([torch.full((s["logits"].shape[0],), -1) if s["chosen"] is None
                        else s["chosen"] if s["chosen"].dim() == 1 else s["chosen"].reshape(-1)
                        for s in steps]).long()  # (N,) beam-type steps: -1
    members = None if steps[0]["members"] is None or not steps[0]["members"].shape[1] else torch.cat(
        [s["members"] for s in steps]).to(torch.float32)  # (N, M, V), M >= 1, or None
    xp = np if vocab <= SMALL_VOCABULARY else torch  # (by V alone: a row's values never depend on its batch)
    if xp is np:  # every row of every distribution in one array: each operation once
        chosen, logits = chosen.numpy(), torch.cat([s[k] for k in kinds for s in steps]).to(torch.float32).numpy()
        with np.errstate(over="ignore"):  # (numpy's LOG_ZERO * log2 e: -inf, as in torch, with a warning)
            log_probs, probs, entropies = distributions(logits, logged=n)  # (K N, V) (log-probs: T = 1), (K N,)
        parts = [(probs[i * n:(i + 1) * n], entropies[i * n:(i + 1) * n]) for i in range(len(kinds))]
    else:  # each distribution apart: no stacked copy of (N, V) rows
        logits = stacked(steps, "logits")
        log_probs, probs, entropy = distributions(logits, logged=None)
        parts = [(probs, entropy), *(distributions(stacked(steps, k), logged=0)[1:] for k in kinds[1:])]
    (probs_x, entropy), (probs_temperature, entropy_temperature) = parts[:2]  # (N, V), (N,) each
    probs_filtered, entropy_filtered = parts[-1]
    ops = NumpyOps if xp is np else TorchOps
    stats = dict(kept=ops.row_sum(ops.sign(probs_filtered))[:, 0], entropy=entropy,
                 entropy_temperature=entropy_temperature, entropy_filtered=entropy_filtered, chosen=chosen,
                 **chosen_stats(log_probs[:n], probs_filtered, chosen, any(s["chosen"] is not None for s in steps)))
    dense = dict(logits=logits[:n], log_probs=log_probs[:n], probs_temperature=probs_temperature,
                 probs_filtered=probs_filtered)  # (log-probs are finite already: distributions)
    if vocab > top_n:  # probs_x, T = 1, is not a trace array: cut_columns may overwrite it
        dense = {k: torch.from_numpy(v) if xp is np else v for k, v in {**dense, "probs": probs_x}.items()}
        arrays = cut_columns(dense, dense.pop("probs"), members, top_n, must)
    else:
        m = 0 if members is None else members.shape[1]
        arrays = dict(dense, logits=finite(dense["logits"]),
                      member_log_probs=np.zeros((n, 0, vocab), np.float32) if m == 0 else finite(members),
                      columns=np.zeros((n, 0), np.int64), outside=np.zeros((n, 3), np.float32),
                      member_outside=np.zeros((n, m), np.float32))
    return {k: (v if isinstance(v, np.ndarray) else v.numpy()).astype(STEP_ARRAYS[k], copy=False)
            for k, v in {**stats, **arrays}.items()}


def stacked(steps: list[dict], key: str) -> torch.Tensor:
    """The steps' ``key`` rows as one float32 (N, V) tensor (a step's own when there is one: no copy)."""
    rows = steps[0][key] if len(steps) == 1 else torch.cat([s[key] for s in steps])
    return rows.to(torch.float32)


def chosen_stats(log_probs, probs_filtered, chosen, any_chosen: bool) -> dict:
    """The chosen token's rank under ``log_probs`` (N, V) (ties share a rank: the tokens strictly above it) and its
    filtered probability, numpy arrays or torch tensors as given; -1 and 0 for rows that chose none (beam-type
    steps, which skip the pass entirely)."""
    ops, n = (NumpyOps, chosen.shape[0]) if isinstance(chosen, np.ndarray) else (TorchOps, chosen.shape[0])
    if not any_chosen:
        return dict(chosen_rank=np.full(n, -1), chosen_prob=np.zeros(n, np.float32))
    has, at = chosen >= 0, chosen * (chosen >= 0)  # (N,) each: a row without a choice reads column 0
    # count of log_probs > the chosen one's, as a sum of signs of (difference floored at 0): no boolean mask
    above = ops.row_sum(ops.sign(ops.floor_(log_probs - ops.pick(log_probs, at)[:, None], 0.0)))[:, 0]  # (N,)
    return dict(chosen_rank=ops.where(has, above, -1), chosen_prob=ops.where(has, ops.pick(probs_filtered, at), 0.0))


def cut_columns(dense: dict[str, torch.Tensor], probs: torch.Tensor, members: torch.Tensor | None, top_n: int,
                must: tuple[torch.Tensor, torch.Tensor] | None) -> dict[str, torch.Tensor]:
    """``dense`` rows (N, V) cut to W columns: the must-keep tokens, then the most probable under any
    distribution (``probs`` (N, V) the T = 1 probabilities; ``members`` (N, M, V) log-probs or None),
    W = max(top_n, most must-keep tokens in a row); with ``columns`` (N, W) token ids (most probable at T=1
    first), ``outside`` (N, 3) the mass of log_probs / probs_temperature / probs_filtered outside them and
    ``member_outside`` (N, M). The dense probabilities are overwritten (the caller is done with them)."""
    n, vocab = probs.shape
    shown = [probs, dense["probs_temperature"], dense["probs_filtered"]]  # (N, V) each
    member_probs = None if members is None else members.exp()  # (N, M, V)
    priority = torch.maximum(shown[0], shown[1])  # (N, V) the largest of every distribution
    if shown[2] is not shown[1]:
        torch.maximum(priority, shown[2], out=priority)
    if member_probs is not None:
        torch.maximum(priority, member_probs.amax(1), out=priority)
    width = top_n
    if must is not None and must[0].numel():
        priority.index_put_(must, torch.tensor(2.0))  # above any probability: kept first
        pairs = torch.unique(must[0] * vocab + must[1])  # (P',) distinct (row, token) keys
        width = max(top_n, int(torch.bincount(pairs // vocab).max()))
    columns = top_columns(priority, min(width, vocab))  # (N, W)
    columns = columns.gather(1, dense["log_probs"].gather(1, columns).argsort(dim=1, descending=True, stable=True))
    cut = {k: v.gather(1, columns) for k, v in dense.items()}
    cut["logits"] = finite(cut["logits"])
    # the mass left out: each distribution with its kept columns set to 0 (in place: a few writes, not a mask), summed
    # (exactly 0 when every token it gives mass sits in the columns)
    left = [p.scatter_(1, columns, 0.0).sum(-1) for p in shown[:2]]  # (N,) each
    left.append(left[1] if shown[2] is shown[1] else shown[2].scatter_(1, columns, 0.0).sum(-1))
    if member_probs is None:
        member_cut, member_outside = probs.new_zeros(n, 0, columns.shape[1]), probs.new_zeros(n, 0)
    else:
        at = columns[:, None].expand(-1, members.shape[1], -1)  # (N, M, W)
        member_cut, member_outside = finite(members.gather(2, at)), member_probs.scatter_(2, at, 0.0).sum(-1)
    return dict(cut, columns=columns, outside=torch.stack(left, dim=1),
                member_log_probs=member_cut, member_outside=member_outside)


def top_columns(priority: torch.Tensor, width: int) -> torch.Tensor:
    """(N, V) -> (N, width) the positions of a set of each row's ``width`` largest values (in no set order; of equal
    values, either): with a large vocabulary, common.top_by_chunks rather than a topk over every value."""
    if priority.shape[1] // CHUNK < 4 * width:  # (a few chunks: one topk costs less)
        return priority.topk(width, dim=1).indices
    return top_by_chunks(priority, width)[1]
