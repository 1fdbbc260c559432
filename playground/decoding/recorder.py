"""Recorder: the only way strategies write a Trace.

Strategies hand over tensors as they go (references only: no copies, no numpy, no per-element Python
work), and ``finish`` converts everything once at the end. With ``record_steps=False`` (config
``record_trace=False``) the per-step (H, V) arrays are skipped entirely; nodes are still kept, because
hypotheses point at them and they cost a few scalars each.

Two bounds live here because every strategy passes through. The steps record at most ``MAX_STEP_ROWS``
rows each and ``MAX_TRACE_ROWS`` in all (a 1000-sample draw of 64 steps would otherwise make a 150 MB
trace; a width-16 beam of 64 steps still records all its 1024 rows); nodes and hypotheses are always
complete. And ``out_of_time`` is the one time-budget check the strategies make (budget.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from playground.decoding.budget import Deadline
from playground.decoding.pipeline import entropy
from playground.decoding.trace import LOG_ZERO, STEP_ARRAYS, Hypothesis, Node, Step, Trace

# step rows recorded: ~4.7 KB of JSON each (G2P), so <= ~5 MB in all; 1024 = a width-16 beam over 64 steps
MAX_STEP_ROWS, MAX_TRACE_ROWS = 64, 1024
# attention weights recorded (rows x layers x heads x source positions): 8 MB of float32. A 3-layer, 4-head
# Transformer over a 48-symbol input records 576 per row, so its 1024 rows fit; a 6-layer, 8-head model over
# 128 source tokens fits 341 rows
MAX_ATTENTION_VALUES = 2 * 1024 * 1024


def _finite(x: torch.Tensor) -> torch.Tensor:
    """float32 with -inf (a probability of exactly 0) mapped to LOG_ZERO, so a trace is valid JSON."""
    x = x.detach().to(torch.float32)
    return torch.nan_to_num(x, nan=0.0, neginf=LOG_ZERO, posinf=-LOG_ZERO)


class Recorder:
    def __init__(self, *, strategy: str, config: dict, source: list[str], target_symbols: list[str],
                 record_steps: bool = True, deadline: Deadline | None = None, members: list[str] | None = None):
        self.record_steps = record_steps
        self.deadline = deadline  # None: no time limit (teacher forcing, whose length is fixed)
        self._time_noted = self._rows_noted = False
        self.recorded_rows = 0  # step rows recorded so far (MAX_TRACE_ROWS)
        self._trace = Trace(strategy=strategy, config=config, source=list(source),
                            target_symbols=list(target_symbols), members=list(members or []))
        self._chunks: list[tuple] = []  # (parents, tokens, step, log_probs, cum_log_probs, scores, statuses)
        self._status: dict[int, str] = {}  # later status changes, by node id
        self._steps: list[dict] = []  # per recorded step: its rows' tensors (kept as references until finish)
        self.num_nodes = 0
        self.truncated = False
        self.messages: list[str] = []

    # nodes ------------------------------------------------------------------------------------
    def root(self, bos_id: int) -> int:
        zero = torch.zeros(1)
        return int(self.add_nodes(parents=torch.tensor([-1]), tokens=torch.tensor([bos_id]), step=-1,
                                  log_probs=zero, cum_log_probs=zero, scores=zero, status="kept")[0])

    def add_nodes(self, *, parents: torch.Tensor, tokens: torch.Tensor, step: int, log_probs: torch.Tensor,
                  cum_log_probs: torch.Tensor, scores: torch.Tensor,
                  status: str | Sequence[str]) -> torch.Tensor:
        """Append N nodes (all 1-D tensors of length N); returns their ids, LongTensor (N,)."""
        n = int(tokens.numel())
        statuses = [status] * n if isinstance(status, str) else list(status)
        assert len(statuses) == n, "one status per node"
        ids = torch.arange(self.num_nodes, self.num_nodes + n)
        self.num_nodes += n
        self._chunks.append((parents.detach(), tokens.detach(), step, log_probs.detach(),
                             cum_log_probs.detach(), scores.detach(), statuses))
        return ids

    def set_status(self, node_ids, status: str) -> None:
        for i in torch.as_tensor(node_ids).reshape(-1).tolist():
            self._status[i] = status

    # steps ------------------------------------------------------------------------------------
    def add_step(self, *, t: int, node_ids: torch.Tensor, logits: torch.Tensor, temperature_logits: torch.Tensor,
                 filtered_logits: torch.Tensor, attention: torch.Tensor, chosen: torch.Tensor | None = None,
                 candidates: torch.Tensor | None = None, members: torch.Tensor | None = None) -> None:
        """One expansion of H nodes: logits / temperature_logits / filtered_logits (H, V), attention (H, L, K, S),
        chosen (H,) token per row or None for beam-type steps, candidates (C,) node ids considered, and for an
        ensemble its members' log-probs (H, M, V)."""
        if not self.record_steps:
            return
        attention = attention[..., : len(self._trace.source)]  # a batch pads its sources: keep this input's
        rows, limit = int(node_ids.numel()), self.row_limit(attention)
        keep = min(rows, MAX_STEP_ROWS, limit - self.recorded_rows)
        if keep < rows:  # keep the first rows; every node (and candidate) is still recorded
            if not self._rows_noted:
                self._rows_noted = True
                self.note(f"The trace records at most {MAX_STEP_ROWS} rows per step and {limit} in all: "
                          f"from step {t + 1} on, some rows were decoded but their distributions are not shown.")
            if keep <= 0:
                return
        if members is None:  # one model: no member distributions, (H, 0, V)
            members = logits.new_zeros(logits.shape[0], 0, logits.shape[1])
        rows = dict(node_ids=node_ids, logits=logits, temperature_logits=temperature_logits,
                    filtered_logits=filtered_logits, attention=attention, chosen=chosen, members=members)
        self.recorded_rows += keep
        self._steps.append(dict(t=t, candidates=None if candidates is None else candidates.detach(),
                                **{k: None if v is None else v[:keep].detach() for k, v in rows.items()}))

    @staticmethod
    def row_limit(attention: torch.Tensor) -> int:
        """Step rows a trace records in all: MAX_TRACE_ROWS, fewer when a row's attention (L, K, S) is large."""
        per_row = max(1, attention[0].numel()) if attention.shape[0] else 1
        return min(MAX_TRACE_ROWS, MAX_ATTENTION_VALUES // per_row)

    # budgets ----------------------------------------------------------------------------------
    def out_of_time(self, where: str) -> bool:
        """True once the time budget is spent; the first time, notes it (truncated). ``where`` completes
        "Stopped ..." (e.g. "after step 3"). Strategies call this between steps, never before the first."""
        if self.deadline is None or not self.deadline.expired():
            return False
        if not self._time_noted:
            self._time_noted = True
            self.note(f"Stopped {where}: the time budget (time_budget_s={self.deadline.seconds:g}) ran out, so "
                      "the results are the best found so far.", truncated=True)
        return True

    # the end ----------------------------------------------------------------------------------
    def note(self, message: str, *, truncated: bool = False) -> None:
        """A line for ``trace.message``; ``truncated=True`` when a budget or max_length cut the search."""
        self.messages.append(message)
        self.truncated |= truncated

    def finish(self, hypotheses: list[Hypothesis]) -> Trace:
        trace = self._trace
        trace.nodes = self._build_nodes()
        trace.steps = self._build_steps()
        trace.hypotheses = list(hypotheses)
        trace.truncated, trace.message = self.truncated, " ".join(self.messages)
        self._chunks, self._steps = [], []
        return trace

    def _build_nodes(self) -> list[Node]:
        if not self._chunks:
            return []
        parents = torch.cat([c[0].reshape(-1) for c in self._chunks]).tolist()
        tokens = torch.cat([c[1].reshape(-1) for c in self._chunks]).tolist()
        steps = [c[2] for c in self._chunks for _ in range(int(c[1].numel()))]
        log_probs, cums, scores = (_finite(torch.cat([c[k].reshape(-1) for c in self._chunks])).tolist()
                                   for k in (3, 4, 5))
        statuses = [s for c in self._chunks for s in c[6]]
        for i, s in self._status.items():
            statuses[i] = s
        return [Node(id=i, parent=int(parents[i]), token=int(tokens[i]), step=steps[i], log_prob=log_probs[i],
                     cum_log_prob=cums[i], score=scores[i], status=statuses[i]) for i in range(len(tokens))]

    @torch.no_grad()
    def _build_steps(self) -> list[Step]:
        """Every recorded step at once: the (H, V) rows of all steps are stacked into one (N, V) batch, so
        each softmax / entropy / conversion runs once per trace instead of once per step (rows are
        independent, so the values are those of a per-step computation); each Step holds views of it."""
        if not self._steps:
            return []
        steps = self._steps
        sizes = [int(s["node_ids"].numel()) for s in steps]
        logits, temperature_logits, filtered_logits = (torch.cat([s[k] for s in steps]).to(torch.float32) for k in (
            "logits", "temperature_logits", "filtered_logits"))  # (N, V)
        log_probs = torch.log_softmax(logits, dim=-1)  # (N, V)
        probs_filtered = torch.softmax(filtered_logits, dim=-1)  # (N, V), 0 where removed
        # beam-type steps choose no token per row: chosen -1, rank -1, probability 0
        chosen = torch.cat([torch.full((h,), -1) if s["chosen"] is None else s["chosen"].reshape(h).long()
                            for s, h in zip(steps, sizes, strict=True)])  # (N,)
        has = chosen >= 0
        at = chosen.clamp(min=0)[:, None]  # (N, 1)
        chosen_rank = torch.where(has, (log_probs > log_probs.gather(1, at)).sum(dim=1), -1)  # ties share a rank
        chosen_prob = torch.where(has, probs_filtered.gather(1, at)[:, 0], 0.0)
        arrays = dict(  # + 0.0: no -0.0 in the JSON
            logits=_finite(logits), log_probs=_finite(log_probs),
            probs_temperature=_finite(torch.softmax(temperature_logits, dim=-1)),
            probs_filtered=_finite(probs_filtered), kept=(probs_filtered > 0).sum(dim=1),
            entropy=_finite(entropy(logits) + 0.0), entropy_temperature=_finite(entropy(temperature_logits) + 0.0),
            entropy_filtered=_finite(entropy(filtered_logits) + 0.0),
            attention=_finite(torch.cat([s["attention"] for s in steps])),
            chosen=chosen, chosen_rank=chosen_rank, chosen_prob=_finite(chosen_prob),
            member_log_probs=_finite(torch.cat([s["members"] for s in steps])))
        split = {k: np.split(v.numpy().astype(STEP_ARRAYS[k], copy=False), np.cumsum(sizes)[:-1])
                 for k, v in arrays.items()}
        t, node_ids, candidates = ([s[k] for s in steps] for k in ("t", "node_ids", "candidates"))
        return [Step(t=int(t[i]), node_ids=node_ids[i].reshape(-1).tolist(),
                     candidates=[] if candidates[i] is None else candidates[i].reshape(-1).tolist(),
                     **{k: v[i] for k, v in split.items()}) for i in range(len(sizes))]
