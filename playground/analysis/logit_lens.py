"""What each layer predicted: the logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens") over a
decoded hypothesis.

A Transformer decoder's layers each add to one stream, and only the last layer's output goes through the final
norm and the output layer. The lens reads the stream after *every* layer through that same norm and output layer:
the next-token distribution the model would give if the layers above were not there. Along a hypothesis this
shows at which depth the token it took becomes the favourite. The last layer's row is the model's own step
distribution (tests/test_logit_lens.py checks it for every Transformer family).

    lens = lens_of(model, trace.source, token_ids)   # one teacher-forced pass over the hypothesis
    lens.steps[t].probs                              # (L, C): p of each column token, read from each layer

A model offers the lens by inheriting models/lens.py's ``LayerLens`` (each family's docstring says what its
"layer output" is); others get ``unavailable``'s sentence. What is kept is bounded: per step and layer its ``k``
most probable tokens, the token taken, and the chart's columns (at most MAX_COLUMNS tokens).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from playground.models.lens import LayerLens

TOP_K = 5  # tokens kept per layer and step (the chart's hover, the API's default)
MAX_K = 20  # the most the API gives per layer
FEW = 3  # each layer's most probable tokens that become the chart's columns
MAX_COLUMNS = 12  # columns of the chart at most (a deep model's layers can favour many different tokens)
KEEP_FLOATS = 32_000_000  # log-probabilities of all layers kept at once (128 MB), else the head runs twice
REASONS = {  # family -> why it has no lens, for the page and the API
    "rnn": "An RNN has no logit lens: its decoder is one recurrent cell, not a stack of layers that each write "
           "into the stream its output layer reads. Pick a Transformer to see what each layer predicted.",
    "ensemble": "An ensemble has no logit lens: it averages its members' distributions, and each member has "
                "layers of its own. Open its Transformer to see what each layer predicted.",
}


@dataclass(frozen=True, eq=False)
class LensStep:
    """The lens at one output step: what each of the L layers predicted there."""

    token: int  # the token the hypothesis took at this step
    columns: np.ndarray  # (C,) int32: each layer's FEW most probable tokens and the token taken, by the last layer's p
    probs: np.ndarray  # (L, C) float32: p(column) read from each layer
    top_ids: np.ndarray  # (L, k) int32: each layer's k most probable tokens, most probable first
    top_probs: np.ndarray  # (L, k) float32
    chosen_prob: np.ndarray  # (L,) float32: p(token) read from each layer
    chosen_rank: np.ndarray  # (L,) int32: its rank there (1 = that layer's favourite)
    entropy: np.ndarray  # (L,) float32, nats


@dataclass(frozen=True, eq=False)
class Lens:
    """The lens along one hypothesis: ``steps[t]`` for its output position t; ``reason`` says why there is none."""

    layers: int = 0
    reads: str = ""  # what a layer's row is, for this model (models/lens.py lens_reads)
    steps: tuple[LensStep, ...] = ()
    reason: str = ""  # "" when the model has a lens


def unavailable(model) -> str:
    """Why ``model`` has no logit lens ("" when it has one: it declares LayerLens)."""
    if isinstance(model, LayerLens):
        return ""
    return REASONS.get(model.family, "This model has no logit lens: it declares no stack of layers to read "
                                     "(playground/models/lens.py).")


@torch.inference_mode()
def lens_of(model, source: Sequence[str], tokens: Sequence[int], k: int = TOP_K) -> Lens:
    """The lens along the hypothesis ``tokens`` (target ids, </s> included when it finished) of the input
    ``source`` (its symbols, as the trace keeps them): one teacher-forced pass, every layer read at every step."""
    reason = unavailable(model)
    if reason:
        return Lens(reason=reason)
    if not tokens:
        return Lens(reads=model.lens_reads)
    src = torch.tensor([model.source_vocab.encode(list(source))], dtype=torch.long)
    ids = torch.tensor([list(tokens)], dtype=torch.long)
    states = model.lens_states(src, ids)[:, 0]  # (L, T, d)
    layers, steps = states.shape[0], len(tokens)
    keep = layers * steps * len(model.target_vocab) <= KEEP_FLOATS
    taken = ids[0].to(states.device)
    kept, reads = [], []
    for i in range(layers):
        log_probs = torch.log_softmax(model.lens_head(states[i]).float(), dim=-1)  # (T, V)
        reads.append(read_layer(log_probs, taken, max(k, FEW)))
        kept.append(log_probs if keep else None)
    columns = [chart_columns([r["top_ids"][t] for r in reads], [r["top_probs"][t] for r in reads], int(tokens[t]))
               for t in range(steps)]
    shown = [ordered(c, p) for c, p in zip(columns, column_probs(model, states, kept, columns), strict=True)]
    return Lens(layers=layers, reads=model.lens_reads, steps=tuple(
        LensStep(token=int(tokens[t]), columns=shown[t][0], probs=shown[t][1],
                 top_ids=np.stack([r["top_ids"][t, :k] for r in reads]).astype(np.int32),
                 top_probs=np.stack([r["top_probs"][t, :k] for r in reads]).astype(np.float32),
                 chosen_prob=np.array([r["chosen_prob"][t] for r in reads], dtype=np.float32),
                 chosen_rank=np.array([r["chosen_rank"][t] for r in reads], dtype=np.int32),
                 entropy=np.array([r["entropy"][t] for r in reads], dtype=np.float32))
        for t in range(steps)))


def read_layer(log_probs: torch.Tensor, taken: torch.Tensor, k: int) -> dict[str, np.ndarray]:
    """One layer's log-probabilities (T, V) -> its top-k tokens and their p (T, k), p and rank of the token taken
    at each step (T,), its entropy (T,)."""
    top = log_probs.topk(min(k, log_probs.shape[-1]), dim=-1)
    chosen = log_probs.gather(1, taken[:, None])  # (T, 1)
    probs = log_probs.exp()
    return {"top_ids": top.indices.cpu().numpy(), "top_probs": top.values.exp().cpu().numpy(),
            "chosen_prob": chosen[:, 0].exp().cpu().numpy(),
            "chosen_rank": ((log_probs > chosen).sum(-1) + 1).cpu().numpy(),
            "entropy": -(probs * log_probs.clamp(min=-1e30)).sum(-1).cpu().numpy()}


def chart_columns(top_ids: list[np.ndarray], top_probs: list[np.ndarray], token: int) -> list[int]:
    """The chart's columns at one step from each layer's most probable tokens (L arrays, best first): the union of
    every layer's FEW best and the token taken, at most MAX_COLUMNS (the token taken always, then by the highest p
    any layer gives them). ``ordered`` sorts them once their p in every layer is known."""
    best: dict[int, float] = {token: 0.0}
    for ids, ps in zip(top_ids, top_probs, strict=True):
        for i, p in zip(ids[:FEW].tolist(), ps[:FEW].tolist(), strict=True):
            best[i] = max(best.get(i, 0.0), p)
    return sorted(best, key=lambda i: (i != token, -best[i]))[:MAX_COLUMNS]


def ordered(columns: list[int], probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns (C,) and their p in each layer (L, C), the last layer's most probable first (ties: by the highest p
    any layer gives them)."""
    order = np.lexsort((-probs.max(0), -probs[-1]))
    return np.asarray(columns, dtype=np.int32)[order], probs[:, order]


def column_probs(model, states: torch.Tensor, kept: list, columns: list[list[int]]) -> list[np.ndarray]:
    """p of each step's columns read from each layer: per step (L, C) float32. The layers' log-probabilities when
    they were kept, else the output layer again, one layer at a time."""
    out = [np.zeros((len(kept), len(c)), dtype=np.float32) for c in columns]
    for i, log_probs in enumerate(kept):
        if log_probs is None:
            log_probs = torch.log_softmax(model.lens_head(states[i]).float(), dim=-1)
        for t, cols in enumerate(columns):
            out[t][i] = log_probs[t, cols].exp().cpu().numpy()
    return out


def step_lens(model, source: Sequence[str], tokens: Sequence[int], step: int, k: int = TOP_K) -> tuple[Lens, int]:
    """The lens at output position ``step`` (0-based) only: the hypothesis's tokens up to it, one pass. -> the
    Lens of those steps and the step clamped to the hypothesis."""
    step = min(max(int(step), 0), max(len(tokens) - 1, 0))
    return lens_of(model, source, list(tokens)[:step + 1], k), step


class LensSource:
    """The lens of one decode's hypotheses, each computed when first asked for (one teacher-forced pass) and kept
    for the last KEEP asked: what a page's session carries (ui/explore/handlers.py). The model is held weakly (a
    page's session outlives a Hub model the store lets go); equal model and source, equal sources."""

    KEEP = 4

    def __init__(self, model, source: Sequence[str]):
        self.reason = unavailable(model)
        self.source = tuple(source)
        self._model = None if self.reason else weakref.ref(model)
        self._memo: OrderedDict[tuple[int, ...], Lens] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, tokens: Sequence[int]) -> Lens:
        """The lens along the hypothesis ``tokens`` (target ids, </s> included when it finished)."""
        if self.reason:
            return Lens(reason=self.reason)
        key = tuple(int(t) for t in tokens)
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        model = self._model()
        if model is None:
            return Lens(reason="The model was unloaded since this decoding: decode again to see its layers.")
        lens = lens_of(model, self.source, key)
        with self._lock:
            self._memo[key] = lens
            while len(self._memo) > self.KEEP:
                self._memo.popitem(last=False)
        return lens

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LensSource):
            return NotImplemented
        model = self._model() if self._model is not None else None
        theirs = other._model() if other._model is not None else None
        return (self.reason, self.source, model) == (other.reason, other.source, theirs)

    __hash__ = None
