"""Recorder: the only way strategies write a Trace.

Strategies hand over tensors as they go (references only: no copies, no numpy, no per-element Python
work), and ``finish`` converts everything once at the end. With ``record_steps=False`` (config
``record_trace=False``) the per-step (H, V) arrays are skipped entirely; nodes are still kept, because
hypotheses point at them and they cost a few scalars each.

Large vocabularies. A row of a step keeps every token's value only while V <= ``top_n`` (TRACE_TOP_N = 50
unless the Recorder is given another): the playground's own models (V < 50) keep everything, exactly as
ever. Above that (a Hub model's 58,000 pieces), each row is cut as it is recorded to W columns: the tokens
that the row chose or turned into candidates, then the most probable under any recorded distribution
(the largest of T=1, after temperature, after filtering, each ensemble member), W = max(top_n, most such
tokens in a row) (a row expands into at most 2·beam_width = 32 candidates). ``Step.columns`` holds the W
token ids. Everything else is computed on the whole vocabulary before the cut: entropies, kept-set size, the
chosen token's rank and probability, and ``Step.outside``, the probability mass left outside the W columns
of each distribution (``member_outside`` for an ensemble's members).

Bounds per decode, whatever the vocabulary. The steps record at most ``MAX_STEP_ROWS`` rows each and
``MAX_TRACE_ROWS`` in all (a 1000-sample draw of 64 steps would otherwise make a 150 MB trace; a width-16
beam of 64 steps still records all its 1024 rows); nodes and hypotheses are always complete. A recorded
row holds at most 5·W + 3 + M·(W + 1) + 8 numbers of distributions and statistics (W = V when V <= top_n; M
ensemble members) plus its attention, L·K·S weights, at most ``MAX_ATTENTION_VALUES`` in all. With
W = 50 and one model that is about 1.4 KB a row (float32 values, int64 token ids), 1.4 MB for 1024 rows, plus
at most 8 MB of attention; as JSON (``Trace.to_dict``, at most ``JSON_BYTES_PER_NUMBER`` = 25 bytes a number) at most
~6.5 KB a row, 6.7 MB for 1024 rows, plus 25 bytes per attention weight (tests/test_recorder.py decodes a
V = 50,000 model against these bounds). Keeping the whole (H, V) rows of such a model would cost 4·V bytes
per row and distribution: 230 MB per distribution for 1024 rows. While a decode runs, the rows of such a model
are held (as references to the strategy's tensors) only until they add up to PENDING_VALUES (512 KB a
distribution: a step or a few); then they are summarised together, so the memory stays bounded and the summary's
passes run over values still in the CPU's cache (summarising 16 beam steps of 5 x 50,000 values at once took
about 1.5x the CPU time of summarising them a step at a time).

And ``out_of_time`` is the one time-budget check the strategies make (budget.py).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch

from playground.decoding.budget import Deadline
from playground.decoding.columns import ROW_TENSORS, finite, must_keep, summarise
from playground.decoding.trace import Hypothesis, Node, Step, Trace

# step rows recorded: ~4.7 KB of JSON each (G2P), so <= ~5 MB in all; 1024 = a width-16 beam over 64 steps
MAX_STEP_ROWS, MAX_TRACE_ROWS = 64, 1024
# attention weights recorded (rows x layers x heads x source positions): 8 MB of float32. A 3-layer, 4-head
# Transformer over a 48-symbol input records 576 per row, so its 1024 rows fit; a 6-layer, 8-head model over
# 128 source tokens fits 341 rows
MAX_ATTENTION_VALUES = 2 * 1024 * 1024
TRACE_TOP_N = 50  # columns a row keeps when the vocabulary is larger (module docstring)
JSON_BYTES_PER_NUMBER = 25  # the longest float32 as JSON, "-3.4028234663852886e+38", and its separator
PENDING_VALUES = 128 * 1024  # (H, V) values held before a large vocabulary's rows are summarised: 512 KB each


INTEGERS = torch.arange(-1, 1 << 16)  # node ids (and the root's parent -1, its token) are views of it: no arange


def int_range(first: int, count: int) -> torch.Tensor:
    """(count,) long: first, first + 1, ... (a view of INTEGERS while it reaches, never written to)."""
    if -1 <= first and first + count <= INTEGERS.shape[0] - 1:
        return INTEGERS[first + 1:first + count + 1]
    return torch.arange(first, first + count)


def flat(x: torch.Tensor) -> torch.Tensor:
    """``x`` as a 1-D tensor (itself when it is one: a reshape per chunk and step adds up)."""
    return x if x.dim() == 1 else x.reshape(-1)


def same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two tensors are views of the same memory with the same layout (so they hold the same values)."""
    return a.data_ptr() == b.data_ptr() and a.shape == b.shape and a.stride() == b.stride()


class Recorder:
    def __init__(self, *, strategy: str, config: dict, source: list[str], target_symbols: list[str],
                 record_steps: bool = True, deadline: Deadline | None = None, members: list[str] | None = None,
                 top_n: int | None = None, context: bool = False, padded: int = 0):
        """``context``: the attention is a decoder-only model's self-attention over its context (protocol.py), whose
        columns are the batch's ``padded`` source positions, then what was fed after them; a row keeps its own
        source's and those."""
        self.context, self.padded = context, padded
        self.record_steps, self.top_n = record_steps, TRACE_TOP_N if top_n is None else top_n
        self._last_nodes: tuple = (0, None, None)  # the latest add_nodes: (first id, parents, tokens)
        self.deadline = deadline  # None: no time limit (teacher forcing, whose length is fixed)
        self._time_noted = self._rows_noted = False
        self.recorded_rows = 0  # step rows recorded so far (MAX_TRACE_ROWS)
        self._trace = Trace(strategy=strategy, config=config, source=list(source),
                            target_symbols=list(target_symbols), members=list(members or []), context=context)
        self._source_length = len(self._trace.source)
        self._chunks: list[tuple] = []  # (parents, tokens, step, log_probs, cum_log_probs, scores, statuses, count)
        self._status: dict[int, str] = {}  # later status changes, by node id
        self._steps: list[dict] = []  # per recorded step: its rows' tensors (kept as references until summarised)
        self._pending = 0  # (H, V) values of a large vocabulary held as references (PENDING_VALUES)
        self.num_nodes = 0
        self.truncated = False
        self.messages: list[str] = []

    # nodes ------------------------------------------------------------------------------------
    def root(self, bos_id: int) -> int:
        zero = torch.zeros(1)
        return int(self.add_nodes(parents=int_range(-1, 1), tokens=int_range(bos_id, 1), step=-1,
                                  log_probs=zero, cum_log_probs=zero, scores=zero, status="kept")[0])

    def add_nodes(self, *, parents: torch.Tensor, tokens: torch.Tensor, step: int, log_probs: torch.Tensor,
                  cum_log_probs: torch.Tensor, scores: torch.Tensor,
                  status: str | Sequence[str]) -> torch.Tensor:
        """Append N nodes (all 1-D tensors of length N); returns their ids, LongTensor (N,)."""
        n, first = tokens.numel(), self.num_nodes
        statuses = [status] * n if isinstance(status, str) else list(status)
        assert len(statuses) == n, "one status per node"
        self._last_nodes = (first, parents, tokens)  # (references: _children reads them if needed)
        self.num_nodes = first + n
        # (no .detach(): the engine runs under torch.inference_mode, api.py, so nothing here carries autograd)
        self._chunks.append((parents, tokens, step, log_probs, cum_log_probs, scores, statuses, n))
        return int_range(first, n)

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
        source = self._source_length
        if self.context and self.padded > source:  # a batch pads its prompts: this row's, then what followed
            attention = torch.cat([attention[..., :source], attention[..., self.padded:]], dim=-1)
        elif not self.context and attention.shape[-1] != source:  # a batch pads its sources: keep this input's
            attention = attention[..., :source]
        rows_count, limit = node_ids.numel(), self.row_limit(attention)
        keep = min(rows_count, MAX_STEP_ROWS, limit - self.recorded_rows)
        if keep < rows_count:  # keep the first rows; every node (and candidate) is still recorded
            if not self._rows_noted:
                self._rows_noted = True
                self.note(f"The trace records at most {MAX_STEP_ROWS} rows per step and {limit} in all: "
                          f"from step {t + 1} on, some rows were decoded but their distributions are not shown.")
            if keep <= 0:
                return
        if filtered_logits is not temperature_logits and same_values(filtered_logits, temperature_logits):
            filtered_logits = temperature_logits  # nothing filtered: one distribution (columns.py)
        step = dict(t=t, candidates=candidates, node_ids=node_ids, logits=logits, temperature_logits=temperature_logits,
                    filtered_logits=filtered_logits, attention=attention, chosen=chosen, members=members)
        if keep < rows_count:
            step.update({k: None if step[k] is None else step[k][:keep] for k in (*ROW_TENSORS, "node_ids", "attention",
                                                                                   "chosen")})
            if filtered_logits is temperature_logits:
                step["filtered_logits"] = step["temperature_logits"]
        self.recorded_rows += keep
        if logits.shape[-1] > self.top_n:  # a large vocabulary: its rows will be cut (module docstring)
            step["children"] = self._children(candidates)
            self._pending += keep * logits.shape[-1]
        self._steps.append(step)
        if self._pending > PENDING_VALUES:
            self._summarise_pending()

    def _children(self, candidates: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(parent node ids, tokens) of the step's candidates: the nodes of the latest add_nodes (references)."""
        first, parents, tokens = self._last_nodes
        if candidates is None or not candidates.numel() or parents is None:
            return None
        at = candidates.reshape(-1).long() - first
        parents, tokens = parents.reshape(-1), tokens.reshape(-1)
        if at.numel() == parents.numel() and int(at[0]) == 0:  # every strategy: the candidates are that chunk
            return parents, tokens
        if int(at.min()) < 0 or int(at.max()) >= parents.numel():
            return None
        return parents[at], tokens[at]

    def _summarise_pending(self) -> None:
        """Summarise every step whose rows are still whole (summarise, all at once) and let go of their (H, V)
        tensors: at the end of a decode, or sooner when a large vocabulary's rows pass PENDING_VALUES."""
        raw = [s for s in self._steps if "arrays" not in s]
        if not raw:
            return
        sizes = [int(s["node_ids"].numel()) for s in raw]
        must = must_keep(raw, self.num_nodes) if "children" in raw[0] else None
        arrays = summarise(raw, self.top_n, must)
        bounds = list(itertools.accumulate(sizes, initial=0))
        for i, s in enumerate(raw):
            for key in (*ROW_TENSORS, "chosen", "children"):
                s.pop(key, None)
            s["arrays"] = {k: v[bounds[i]:bounds[i + 1]] for k, v in arrays.items()}
        self._pending = 0

    @staticmethod
    def row_limit(attention: torch.Tensor) -> int:
        """Step rows a trace records in all: MAX_TRACE_ROWS, fewer when a row's attention (L, K, S) is large."""
        per_row = max(1, math.prod(attention.shape[1:]))  # (shape arithmetic: no tensor operation per step)
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
        ids = self._ids()
        trace.nodes = self._build_nodes(ids[:2 * self.num_nodes])
        trace.steps = self._build_steps(ids[2 * self.num_nodes:])
        trace.hypotheses = list(hypotheses)
        trace.truncated, trace.message = self.truncated, " ".join(self.messages)
        self._chunks, self._steps = [], []
        return trace

    def _ids(self) -> list[int]:
        """Every integer the trace keeps, as one list (one concatenation and one conversion, not one per chunk or
        step and kind): the nodes' parents and tokens, then each recorded step's node ids and candidates."""
        parts = [flat(c[k]) for k in (0, 1) for c in self._chunks]
        parts += [flat(s[k]) for k in ("node_ids", "candidates") for s in self._steps if s[k] is not None]
        return torch.cat(parts).tolist() if parts else []

    def _build_nodes(self, ids: list[int]) -> list[Node]:
        """Every node at once, from ``ids`` (parents, then tokens) and one conversion of their values."""
        chunks = self._chunks
        if not chunks:
            return []
        count = self.num_nodes
        # log-probs, cumulative log-probs, scores: float32 / float64 promoted, then float32 as the trace keeps them
        values = finite(torch.cat([flat(c[k]) for k in (3, 4, 5) for c in chunks])).tolist()
        steps = [c[2] for c in chunks for _ in range(c[7])]
        statuses = [s for c in chunks for s in c[6]]
        for i, s in self._status.items():
            statuses[i] = s
        return [Node(i, *fields) for i, fields in enumerate(zip(ids[:count], ids[count:], steps, values[:count],
                                                                values[count:2 * count], values[2 * count:],
                                                                statuses, strict=True))]

    @torch.inference_mode()
    def _build_steps(self, ids: list[int]) -> list[Step]:
        """Every recorded step at once: the (H, V) rows of all steps still whole are stacked into one (N, V) batch,
        so each softmax / entropy / conversion runs once per trace instead of once per step (rows are independent,
        so the values are those of a per-step computation); each Step holds views of it. (A large vocabulary's
        rows may have been summarised sooner, in batches of PENDING_VALUES: add_step.) ``ids``: the steps' node
        ids, then their candidates (_ids)."""
        if not self._steps:
            return []
        self._summarise_pending()
        steps = self._steps
        widths = [s["attention"].shape[-1] for s in steps]  # (a context grows by one position a step)
        wide = max(widths)
        attention = finite(torch.cat([s["attention"] if w == wide else torch.nn.functional.pad(
            s["attention"], (0, wide - w)) for s, w in zip(steps, widths, strict=True)])).numpy()
        rows = list(itertools.accumulate((s["node_ids"].numel() for s in steps), initial=0))
        node_ids, candidates = ids[:rows[-1]], ids[rows[-1]:]
        ends = list(itertools.accumulate((0 if s["candidates"] is None else s["candidates"].numel() for s in steps),
                                         initial=0))
        return [Step(t=int(s["t"]), node_ids=node_ids[rows[i]:rows[i + 1]], candidates=candidates[ends[i]:ends[i + 1]],
                     attention=attention[rows[i]:rows[i + 1], ..., :widths[i]], **s["arrays"])
                for i, s in enumerate(steps)]

