"""The trace: everything a decoding run did, as plain data (the contract between engine and UI).

Every strategy fills the same four dataclasses:

    Node        one node of the search tree; ``trace.nodes[i].id == i``; node 0 is the root (<s>, step -1)
    Step        one decoding step: the H live hypotheses expanded at step t, and (H, V) / (H, S) arrays
    Hypothesis  a final output, with its raw log-probability and its normalised (ranking) score
    Trace       all of the above, plus the config, the source and the target vocabulary

A model with a large vocabulary (more than the recorder's ``top_n`` = 50 symbols) has its rows cut to W
columns: then the (H, V) arrays are (H, W), ``Step.columns`` (H, W) says which token each column is and
``Step.outside`` the probability mass left out; ``Step.column(row, token)`` finds a token's column either way
and ``Step.dense(name, row)`` gives a (V,) row with the left-out entries at 0 (LOG_ZERO for logits and
log-probs). Traces of small vocabularies (and traces written before the cut existed) keep every token.

Arrays are numpy float32 (counts and token ids int64). A trace holds no tensors and no model objects,
so ``copy.deepcopy`` and ``to_dict()`` (JSON-safe: lists, floats, ints, strs) both work, and
``Trace.from_dict(trace.to_dict()) == trace``. Values are always finite: the recorder maps a model's
``-inf`` (a token it gives probability exactly 0) to ``LOG_ZERO``, the most negative float32, so that
``to_dict()`` is valid JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

LOG_ZERO = float(np.finfo(np.float32).min)  # stands in for log(0) = -inf; exp(LOG_ZERO) == 0
STATUSES = ("kept", "pruned", "finished")


@dataclass
class Node:
    id: int
    parent: int  # -1 for the root
    token: int  # target-vocab id
    step: int  # output position t at which the token was produced; root = -1
    log_prob: float  # log p_model(token | prefix, source) at T=1
    cum_log_prob: float  # sum of log_prob along the path (raw model, T=1)
    score: float  # ranking score (beam: length-penalised; stochastic beam: perturbed; else cum_log_prob)
    status: str  # "kept" | "pruned" | "finished"


# Array fields of a Step and their numpy dtypes; rows are the H expanded nodes.
STEP_ARRAYS = {
    "logits": np.float32,  # (H, V) raw model logits
    "log_probs": np.float32,  # (H, V) log_softmax(logits), the model's T=1 distribution
    "probs_temperature": np.float32,  # (H, V) softmax(logits after temperature only)
    "probs_filtered": np.float32,  # (H, V) after the whole filter pipeline, renormalised, 0 where removed
    "kept": np.int64,  # (H,) number of tokens with probs_filtered > 0
    "entropy": np.float32,  # (H,) nats, of log_probs
    "entropy_temperature": np.float32,  # (H,)
    "entropy_filtered": np.float32,  # (H,)
    "attention": np.float32,  # (H, L, K, S) attention over source positions of every layer L and head K
    "chosen": np.int64,  # (H,) token chosen from each row; -1 for beam-type steps
    "chosen_rank": np.int64,  # (H,) rank of chosen under log_probs (0 = most probable); -1 if none
    "chosen_prob": np.float32,  # (H,) probs_filtered[chosen]; 0.0 if none
    "member_log_probs": np.float32,  # (H, M, V) each ensemble member's log-probs (M = 0: not an ensemble)
    "columns": np.int64,  # (H, W) token id of each column when rows were cut (recorder.py), else (H, 0)
    "outside": np.float32,  # (H, 3) mass outside the columns of log_probs (T=1), probs_temperature, probs_filtered
    "member_outside": np.float32,  # (H, M) each member's mass outside the columns
}
CUT_ARRAYS = ("logits", "log_probs", "probs_temperature", "probs_filtered")  # (H, V), or (H, W) when cut


@dataclass(eq=False)
class Step:
    t: int
    node_ids: list[int]  # the H parent nodes expanded at this step (rows of the arrays)
    logits: np.ndarray
    log_probs: np.ndarray
    probs_temperature: np.ndarray
    probs_filtered: np.ndarray
    kept: np.ndarray
    entropy: np.ndarray
    entropy_temperature: np.ndarray
    entropy_filtered: np.ndarray
    attention: np.ndarray
    chosen: np.ndarray
    chosen_rank: np.ndarray
    chosen_prob: np.ndarray
    member_log_probs: np.ndarray
    columns: np.ndarray
    outside: np.ndarray
    member_outside: np.ndarray
    candidates: list[int] = field(default_factory=list)  # node ids of every candidate considered

    @property
    def cut(self) -> bool:
        """Whether the rows hold only some tokens (``columns``) rather than the whole vocabulary."""
        return self.columns.shape[1] > 0

    def column(self, row: int, token: int) -> int | None:
        """The column of ``token`` in row ``row`` of the (H, V) / (H, W) arrays, None if it was left out."""
        if not self.cut:
            return int(token) if 0 <= token < self.logits.shape[1] else None
        hit = np.flatnonzero(self.columns[row] == token)
        return int(hit[0]) if hit.size else None

    def dense(self, name: str, row: int, vocab_size: int) -> np.ndarray:
        """Row ``row`` of array ``name`` (one of CUT_ARRAYS) over the whole vocabulary, (V,): left-out tokens
        get 0 (probabilities) or LOG_ZERO (logits, log-probs). Exact for the kept tokens only."""
        values = getattr(self, name)[row]
        if not self.cut:
            return values
        out = np.full(vocab_size, 0.0 if name.startswith("probs") else LOG_ZERO, dtype=np.float32)
        out[self.columns[row]] = values
        return out

    def __eq__(self, other: object) -> bool:  # arrays compare element-wise, so spell equality out
        if not isinstance(other, Step):
            return NotImplemented
        return (
            self.t == other.t
            and self.node_ids == other.node_ids
            and self.candidates == other.candidates
            and all(np.array_equal(getattr(self, k), getattr(other, k)) for k in STEP_ARRAYS)
        )

    def to_dict(self) -> dict:
        d = {"t": self.t, "node_ids": list(self.node_ids), "candidates": list(self.candidates)}
        d.update({k: getattr(self, k).tolist() for k in STEP_ARRAYS})
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Step:
        """Also reads traces written before attention had layers and heads, before ensembles (no members) and
        before large vocabularies were cut (no columns)."""
        arrays = {k: np.asarray(d[k], dtype=dtype) for k, dtype in STEP_ARRAYS.items() if k in d and k not in (
            "member_log_probs", "columns", "outside", "member_outside")}
        h = len(d["node_ids"])
        for k in CUT_ARRAYS:
            arrays[k] = arrays[k].reshape(h, -1) if h else arrays[k].reshape(0, 0)  # always 2-D
        attention = arrays["attention"]
        if attention.ndim != 4:  # an empty step, or a trace written when attention was (H, S)
            attention = attention.reshape(h, 1, 1, -1) if h else attention.reshape(0, 1, 1, 0)
        arrays["attention"] = attention
        width = arrays["logits"].shape[1]
        members = _rows(d.get("member_log_probs"), h, np.float32)  # (H, M * W)
        arrays["member_log_probs"] = members.reshape(h, -1, width) if members.size else np.zeros((h, 0, width),
                                                                                                 np.float32)
        arrays["columns"] = _rows(d.get("columns"), h, np.int64)
        arrays["outside"] = _rows(d.get("outside"), h, np.float32) if d.get("outside") else np.zeros((h, 3),
                                                                                                     np.float32)
        m = arrays["member_log_probs"].shape[1]
        arrays["member_outside"] = _rows(d.get("member_outside"), h, np.float32) if m and d.get(
            "member_outside") else np.zeros((h, m), np.float32)
        return cls(t=int(d["t"]), node_ids=[int(i) for i in d["node_ids"]],
                   candidates=[int(i) for i in d["candidates"]], **arrays)


def _rows(values, h: int, dtype) -> np.ndarray:
    """A JSON list of h rows as an (h, n) array; missing or empty: (h, 0)."""
    array = np.asarray(values if values is not None else [], dtype=dtype)
    return array.reshape(h, -1) if h and array.size else np.zeros((h, 0), dtype)


@dataclass
class Hypothesis:
    tokens: list[str]  # output symbols, without <s> and </s>
    token_ids: list[int]  # their ids (also without </s>)
    log_prob: float  # raw model log-probability of the sequence, incl. </s> if finished
    score: float  # normalised score (the ranking key)
    node: int  # last node id in the trace tree (the </s> node when finished)
    finished: bool  # ended with </s> (False if cut by max_length)


@dataclass
class Branch:
    """A decoding continued from a forced token, drawn into the tree it branched from (analysis/branch.py).

    The branch's nodes hang from ``parent``, a node of the original tree, its forced token first; its outputs
    are ``Trace.hypotheses[first:]`` (best first), after the original's."""

    prefix: list[str]  # the forced symbols: the path to ``parent``, then the branch token
    parent: int  # the original node the branch leaves from
    node: int  # the branch's first node (the forced edge is parent -> node); the branch's nodes start here
    first: int  # index of the branch's first hypothesis in Trace.hypotheses
    shown: int  # how many of the branch's hypotheses are shown (its num_return)
    steps_from: int  # index of the branch's first step in Trace.steps


@dataclass
class Trace:
    strategy: str
    config: dict  # DecodeConfig.to_dict()
    source: list[str]  # source symbols (tokenised input)
    target_symbols: list[str]  # target vocab, index -> symbol
    steps: list[Step] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    hypotheses: list[Hypothesis] = field(default_factory=list)
    truncated: bool = False  # a budget (nodes / max_length) cut the search short
    message: str = ""
    members: list[str] = field(default_factory=list)  # an ensemble's member names (member_log_probs' M order)
    context: bool = False  # attention is a decoder-only model's self-attention over its context (attention_path)
    branch: Branch | None = None  # a branch drawn into this tree (its nodes and hypotheses come last)

    # navigation -------------------------------------------------------------------------------
    def path(self, node_id: int) -> list[int]:
        """Node ids from the root to ``node_id`` (inclusive)."""
        ids = []
        while node_id != -1:
            ids.append(node_id)
            node_id = self.nodes[node_id].parent
        return ids[::-1]

    def step_row(self, node_id: int) -> tuple[int, int] | None:
        """``(i, row)`` with ``trace.steps[i].node_ids[row] == node_id``: where the node was expanded.

        ``i`` indexes ``trace.steps`` (not ``t``: diverse beam records one Step per group and t).
        None if the node was never expanded (pruned/finished leaves, or recording was off).
        """
        return self._row_index().get(node_id)

    @property
    def attention_heads(self) -> tuple[int, int]:
        """(layers, heads) of the recorded attention: (1, 1) for a model with one attention."""
        return tuple(self.steps[0].attention.shape[1:3]) if self.steps else (1, 1)

    def attention_path(self, node_id: int, layer: int = -1, head: int | None = None) -> np.ndarray:
        """(T, S) attention rows that produced each token on the path root..node (T = path length - 1), of
        decoder layer ``layer`` (default: the last) and head ``head`` (default None: the mean of its heads).

        Row j is the attention of the step that expanded the parent of the j-th token. A row is all zeros
        when that step was not recorded (recording off, or exact search's unrecorded explored nodes). For a
        decoder-only model (``context``) the columns are ``context_keys(node_id)``, the prompt then what was fed
        after it, and row j covers only the positions before it (the causal mask: zeros beyond).
        """
        path = self.path(node_id)[1:]
        rows = [self.step_row(self.nodes[nid].parent) for nid in path]
        width = len(self.context_keys(node_id)) if self.context else len(self.source)
        out = np.zeros((len(path), width), dtype=np.float32)
        for j, where in enumerate(rows):
            if where is not None:
                weights = self.steps[where[0]].attention[where[1], layer]  # (K, S) or (K, context so far)
                out[j, :weights.shape[-1]] = weights.mean(0) if head is None else weights[head]
        return out

    def context_keys(self, node_id: int) -> list[str]:
        """A decoder-only model's attention columns along the path to ``node_id``: the prompt's symbols, <s> when
        the model fed one after the prompt (the playground's own: its first step's context is one longer than the
        prompt), then the outputs fed before the last step."""
        path = self.path(node_id)[1:]
        first = self.step_row(self.nodes[path[0]].parent) if path else None
        start = first is not None and self.steps[first[0]].attention.shape[-1] > len(self.source)
        fed = [self.target_symbols[self.nodes[nid].token] for nid in path[:-1]]
        return [*self.source, *(["<s>"] if start else []), *fed]

    def _row_index(self) -> dict[int, tuple[int, int]]:
        """node id -> (step index, row); cached, rebuilt if ``steps`` was replaced or appended to."""
        cached = self.__dict__.get("_row_cache")
        if cached is None or cached[0] is not self.steps or cached[1] != len(self.steps):
            index = {nid: (i, r) for i, s in enumerate(self.steps) for r, nid in enumerate(s.node_ids)}
            cached = (self.steps, len(self.steps), index)
            self.__dict__["_row_cache"] = cached
        return cached[2]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(self))

    # serialisation -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "strategy": self.strategy,
            "config": _jsonable(self.config),
            "source": list(self.source),
            "target_symbols": list(self.target_symbols),
            "steps": [s.to_dict() for s in self.steps],
            "nodes": [vars(n).copy() for n in self.nodes],
            "hypotheses": [dict(vars(h), tokens=list(h.tokens), token_ids=list(h.token_ids))
                           for h in self.hypotheses],
            "truncated": self.truncated,
            "message": self.message,
            "members": list(self.members),
            "context": self.context,
            "branch": None if self.branch is None else vars(self.branch).copy(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Trace:
        return cls(
            strategy=d["strategy"],
            config=dict(d["config"]),
            source=list(d["source"]),
            target_symbols=list(d["target_symbols"]),
            steps=[Step.from_dict(s) for s in d["steps"]],
            nodes=[Node(**n) for n in d["nodes"]],
            hypotheses=[Hypothesis(**h) for h in d["hypotheses"]],
            truncated=bool(d["truncated"]),
            message=d["message"],
            members=list(d.get("members", [])),
            context=bool(d.get("context", False)),
            branch=Branch(**d["branch"]) if d.get("branch") else None,
        )


def _jsonable(value):
    """Tuples -> lists, recursively, so a config dict equals its JSON round trip."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
