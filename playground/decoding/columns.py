"""What a trace keeps of a step's rows: every statistic over the whole vocabulary, then the rows themselves, cut
to their top columns when the vocabulary is large (recorder.py's docstring says why and what it bounds).

    summarise(steps, top_n, must)  the recorded rows of some steps, stacked -> every Step array but attention
    must_keep(steps, num_nodes)    the tokens each row must keep: its chosen token and its candidates' tokens
    cut_columns(dense, top_n, must) the (N, V) rows cut to W columns, with the mass each distribution leaves out
"""

from __future__ import annotations

import numpy as np
import torch

from playground.decoding.pipeline import entropy
from playground.decoding.trace import LOG_ZERO, STEP_ARRAYS

ROW_TENSORS = ("logits", "temperature_logits", "filtered_logits", "members")  # (H, V) / (H, M, V) per step


def finite(x: torch.Tensor) -> torch.Tensor:
    """float32 with -inf (a probability of exactly 0) mapped to LOG_ZERO, so a trace is valid JSON."""
    x = x.detach().to(torch.float32)
    return torch.nan_to_num(x, nan=0.0, neginf=LOG_ZERO, posinf=-LOG_ZERO)


def must_keep(steps: list[dict], num_nodes: int) -> torch.Tensor:
    """(N, V) True at the tokens the rows of ``steps`` must keep as columns: each row's chosen token and the tokens
    of the candidates expanded from it, so that every path through the trace has its token at every step. Rows
    of one step that share a parent node (samples at the root) share its children; matched by sorted keys
    (step, node) in a few batched operations rather than per step."""
    sizes = [int(s["node_ids"].numel()) for s in steps]
    must = torch.zeros(sum(sizes), steps[0]["logits"].shape[-1], dtype=torch.bool)
    chosen = torch.cat([torch.full((h,), -1) if s["chosen"] is None else s["chosen"].reshape(-1).long()
                        for s, h in zip(steps, sizes, strict=True)])  # (N,)
    rows = (chosen >= 0).nonzero()[:, 0]
    must[rows, chosen[rows]] = True
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
        must[order[starts + torch.arange(int(counts.sum()))], torch.repeat_interleave(tokens, counts)] = True
    return must

@torch.inference_mode()
def summarise(steps: list[dict], top_n: int, must: torch.Tensor | None = None) -> dict[str, np.ndarray]:
    """The rows of ``steps`` (each: logits, temperature_logits, filtered_logits (H, V), members (H, M, V) or None for
    one model, chosen
    (H,) or None) stacked, -> every STEP_ARRAYS entry but attention, (N, ...) numpy arrays. Statistics use the
    whole vocabulary; then, when V > top_n, the rows are cut to their columns (``must``: (N, V) tokens to keep).
    Where every step's filtered logits are its temperature logits (argmax searches: nothing filters), the two
    distributions are computed once: with a 58,000-token vocabulary each pass over the rows counts."""
    logits, temperature_logits = (torch.cat([s[k] for s in steps]).to(torch.float32)
                                  for k in ("logits", "temperature_logits"))  # (N, V)
    members = logits.new_zeros(logits.shape[0], 0, logits.shape[1]) if steps[0]["members"] is None else \
        torch.cat([s["members"] for s in steps]).to(torch.float32)  # (N, M, V); M = 0: one model
    shared = all(s["filtered_logits"] is s["temperature_logits"] for s in steps)
    filtered_logits = temperature_logits if shared else torch.cat([s["filtered_logits"] for s in steps]).float()
    log_probs = torch.log_softmax(logits, dim=-1)  # (N, V)
    probs_temperature = torch.softmax(temperature_logits, dim=-1)
    probs_filtered = probs_temperature if shared else torch.softmax(filtered_logits, dim=-1)  # 0 where removed
    entropy_temperature = entropy(temperature_logits) + 0.0  # + 0.0: no -0.0 in the JSON
    # beam-type steps choose no token per row: chosen -1, rank -1, probability 0
    chosen = torch.cat([torch.full((s["logits"].shape[0],), -1) if s["chosen"] is None
                        else s["chosen"].reshape(-1).long() for s in steps])  # (N,)
    has, at = chosen >= 0, chosen.clamp(min=0)[:, None]  # (N,), (N, 1)
    stats = dict(
        kept=(probs_filtered > 0).sum(dim=1), entropy=entropy_of(log_probs) + 0.0,
        entropy_temperature=entropy_temperature,
        entropy_filtered=entropy_temperature if shared else entropy(filtered_logits) + 0.0,
        chosen=chosen, chosen_rank=torch.where(has, (log_probs > log_probs.gather(1, at)).sum(dim=1), -1),
        chosen_prob=torch.where(has, probs_filtered.gather(1, at)[:, 0], 0.0))  # ties share a rank
    dense = dict(logits=logits, log_probs=log_probs, probs_temperature=probs_temperature,
                 probs_filtered=probs_filtered, member_log_probs=members)
    arrays = {**stats, **cut_columns(dense, top_n, must)}
    return {k: (v if k in ("kept", "chosen", "chosen_rank", "columns") else finite(v)).numpy().astype(
        STEP_ARRAYS[k], copy=False) for k, v in arrays.items()}


def entropy_of(log_probs: torch.Tensor) -> torch.Tensor:
    """pipeline.entropy from log-probabilities already computed (the same operations, so the same values): nats,
    0 * log 0 := 0."""
    return (-(log_probs.exp() * log_probs.clamp(min=torch.finfo(log_probs.dtype).min)).sum(-1)).clamp(min=0.0)


def cut_columns(dense: dict[str, torch.Tensor], top_n: int, must: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """``dense`` rows (N, V) (members (N, M, V)) -> the same cut to W columns when V > top_n, with ``columns``
    (N, W) token ids (most probable at T=1 first), ``outside`` (N, 3) the mass of log_probs / probs_temperature /
    probs_filtered outside them, ``member_outside`` (N, M); V <= top_n: everything, (N, 0) columns, zero mass."""
    (n, vocab), members = dense["logits"].shape, dense["member_log_probs"]
    if vocab <= top_n:
        return dict(dense, columns=torch.zeros(n, 0, dtype=torch.long), outside=torch.zeros(n, 3),
                    member_outside=torch.zeros(n, members.shape[1]))
    probs = [dense["log_probs"].exp(), dense["probs_temperature"], dense["probs_filtered"]]  # 3 x (N, V)
    member_probs = members.exp()  # (N, M, V)
    priority = torch.maximum(probs[0], probs[1])  # (N, V) the largest of every distribution
    if probs[2] is not probs[1]:
        torch.maximum(priority, probs[2], out=priority)
    if member_probs.shape[1]:
        torch.maximum(priority, member_probs.amax(1), out=priority)
    width = top_n
    if must is not None:
        priority.masked_fill_(must, 2.0)  # above any probability: kept first
        width = max(top_n, int(must.sum(1).max()))
    columns = priority.topk(min(width, vocab), dim=1).indices  # (N, W)
    columns = columns.gather(1, dense["log_probs"].gather(1, columns).argsort(dim=1, descending=True, stable=True))
    cut = {k: v.gather(1, columns) for k, v in dense.items() if k != "member_log_probs"}
    cut["member_log_probs"] = members.gather(2, columns[:, None].expand(-1, members.shape[1], -1))
    inside = torch.zeros(n, vocab, dtype=torch.bool).scatter_(1, columns, True)  # (N, V)
    outside = [p.masked_fill(inside, 0.0).sum(-1) for p in probs[:2]]  # float32 sums of what is left out
    outside.append(outside[1] if probs[2] is probs[1] else probs[2].masked_fill(inside, 0.0).sum(-1))
    return dict(cut, columns=columns, outside=torch.stack(outside, dim=1),
                member_outside=member_probs.masked_fill_(inside[:, None], 0.0).sum(-1))
