"""ScriptedModel: a StepModel whose next-token probabilities come from a hand-written table.

Like the ``symbols_to_logits_fn`` test model of TF-NLP's decoding API (and fairseq's scripted-probability
search tests), it makes every decoding algorithm hand-computable:

    model = ScriptedModel(target_symbols="abc", table={
        "":   {"a": 0.6, "b": 0.4},        # p(y1)
        "a":  {"c": 0.5, "</s>": 0.5},     # p(y2 | a)
        "b":  {"</s>": 1.0},               # p(y2 | b)
    })

A row is looked up by the generated prefix (without <s>); a prefix missing from ``table`` falls back
to ``steps[t]`` (one row per output position t, fairseq-style) and then to "</s> with probability 1".
Probabilities of exactly 0 become logits of -inf. The model ignores its source except for its length,
which shapes the attention: "uniform" (1/S everywhere) or "monotonic" (all weight on position
min(t, S-1)). Each step returns as its hidden state the vector of the token it was fed: ``hidden`` (symbol ->
vector; "<s>" for the start), by default the token's one-hot vector, so that similarities between positions are
hand-computable (contrastive search reads them: with one-hots, 1 for a token fed before, else 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.decoding.protocol import ModelInfo, StepOutput
from playground.models.vocab import EOS, SPECIALS, Vocab


@dataclass(frozen=True)
class ScriptedState:
    src_lens: tuple[int, ...]  # the length of each row's source (a batch pads them to the longest)
    prefixes: tuple[tuple[int, ...], ...]  # one generated prefix (target ids, no <s>) per row


class ScriptedModel(ModelInfo):
    def __init__(self, *, target_symbols, table=None, steps=None, source_symbols="abcdefghijklmnopqrstuvwxyz",
                 attention: str = "uniform", hidden: dict | None = None):
        if attention not in ("uniform", "monotonic"):
            raise ValueError(f"attention must be 'uniform' or 'monotonic', got {attention!r}")
        self.source_vocab = Vocab(symbols=SPECIALS + tuple(source_symbols), kind="chars")
        self.target_vocab = Vocab(symbols=SPECIALS + tuple(target_symbols), kind="chars")
        self.config: dict = {}
        # (V, d): the vector of each fed token
        self.hidden = torch.eye(len(self.target_vocab)) if hidden is None else self._vectors(hidden)
        self.outputs = frozenset({"attention", "hidden"})
        self.attention = attention
        self.table = {self._key(k): self._row(v) for k, v in (table or {}).items()}
        self.steps = [self._row(v) for v in (steps or [])]
        self.eos_row = self._row({EOS: 1.0})
        self.batch_sizes: list[int] = []  # rows per step() call, so tests can check that beams are batched

    # the StepModel protocol -------------------------------------------------------------------
    def encode(self, src_ids: torch.Tensor) -> ScriptedState:
        """src_ids (N, S), padded with 0 on the right."""
        assert src_ids.dim() == 2, "encode takes sources as a LongTensor (N, S)"
        return ScriptedState(src_lens=tuple((src_ids != 0).sum(1).tolist()), prefixes=((),) * src_ids.shape[0])

    def step(self, prev_tokens: torch.Tensor, state: ScriptedState) -> StepOutput:
        """prev_tokens (B,) -> logits (B, V), new state, attention (B, 1, 1, S), the fed tokens' vectors (B, d)."""
        bos = self.target_vocab.bos_id
        prefixes = tuple(p if int(tok) == bos else p + (int(tok),)
                         for p, tok in zip(state.prefixes, prev_tokens.tolist(), strict=True))
        probs = torch.stack([self.probs(p) for p in prefixes])  # (B, V)
        self.batch_sizes.append(len(prefixes))
        attention = self._attention(prefixes, state.src_lens)  # (B, S)
        return StepOutput(logits=torch.log(probs), state=ScriptedState(state.src_lens, prefixes),
                          attention=attention[:, None, None, :],
                          hidden=self.hidden[prev_tokens])

    def reorder(self, state: ScriptedState, index: torch.Tensor) -> ScriptedState:
        rows = index.tolist()
        return ScriptedState(tuple(state.src_lens[i] for i in rows), tuple(state.prefixes[i] for i in rows))

    # the table --------------------------------------------------------------------------------
    def probs(self, prefix: tuple[int, ...]) -> torch.Tensor:
        """p(next | prefix): (V,) float32 for a prefix of target ids (without <s>)."""
        if prefix in self.table:
            return self.table[prefix]
        if len(prefix) < len(self.steps):
            return self.steps[len(prefix)]
        return self.eos_row

    def sequence_log_prob(self, symbols) -> float:
        """Exact log p(symbols </s>) under the table (float64), for checking searches by hand."""
        ids = self.target_vocab.encode(list(symbols)) + [self.target_vocab.eos_id]
        return float(sum(np.log(float(self.probs(tuple(ids[:t]))[tok])) for t, tok in enumerate(ids)))

    def _attention(self, prefixes, src_lens: tuple[int, ...]) -> torch.Tensor:
        """(B, S): uniform over each row's real source positions, or all on position min(t, len - 1); 0 on
        padding."""
        out = torch.zeros(len(prefixes), max(src_lens))
        for row, (prefix, length) in enumerate(zip(prefixes, src_lens, strict=True)):
            if self.attention == "uniform":
                out[row, :length] = 1.0 / length
            else:
                out[row, min(len(prefix), length - 1)] = 1.0  # t = len(prefix)
        return out

    def _vectors(self, hidden: dict) -> torch.Tensor:
        """symbol -> vector as a (V, d) table; a symbol without one gets zeros."""
        dim = len(next(iter(hidden.values())))
        table = torch.zeros(len(self.target_vocab), dim)
        for symbol, vector in hidden.items():
            table[self.target_vocab.index[symbol]] = torch.tensor(vector, dtype=torch.float32)
        return table

    def _key(self, key) -> tuple[int, ...]:
        return tuple(self.target_vocab.encode(list(key)))

    def _row(self, row) -> torch.Tensor:
        vocab = self.target_vocab
        if isinstance(row, dict):
            dense = np.zeros(len(vocab))
            for symbol, p in row.items():
                dense[vocab.index[symbol]] = p
        else:
            dense = np.asarray(row, dtype=np.float64)
        if dense.shape != (len(vocab),) or (dense < 0).any() or abs(dense.sum() - 1) > 1e-4:
            raise ValueError(f"a scripted row must be {len(vocab)} probabilities summing to 1, got {row!r}")
        return torch.tensor(dense / dense.sum(), dtype=torch.float32)


def random_scripted_model(seed: int, *, num_symbols: int = 3, depth: int = 3, zero_prob: float = 0.0,
                          attention: str = "uniform") -> ScriptedModel:
    """A random table over ``num_symbols`` content symbols for every prefix up to ``depth`` (then </s>).

    Rows are Dirichlet(1) draws (so ties have probability 0); with ``zero_prob`` > 0 some content symbols
    get probability exactly 0 (logit -inf), to exercise the engine's handling of impossible tokens.
    <pad> and <s> always get 0, as in a trained model that never predicts them.
    """
    rng = np.random.default_rng(seed)
    symbols = "abcdefghijklmnopqrstuvwxyz"[:num_symbols]
    table, frontier = {}, [""]
    for _ in range(depth):
        nxt = []
        for prefix in frontier:
            weights = rng.dirichlet(np.ones(num_symbols + 1))  # content symbols + </s>
            weights[:-1] *= rng.random(num_symbols) >= zero_prob
            table[prefix] = {s: w for s, w in zip(symbols + "$", weights / weights.sum(), strict=True)}
            nxt += [prefix + s for s in symbols]
        frontier = nxt
    table = {k: {(EOS if s == "$" else s): p for s, p in row.items()} for k, row in table.items()}
    return ScriptedModel(target_symbols=symbols, table=table, attention=attention)
