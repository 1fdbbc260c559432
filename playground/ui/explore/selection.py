"""The selected hypothesis of a trace, computed once per render and read by every view.

Every view follows the *selected* hypothesis (the best one unless the user picks another), so that under beam
search the step distribution, attention and uncertainty all describe the same output. ``Selection.of(trace,
hyp)`` clamps the index, walks the tree once and finds, for every output position, the recorded step row that
produced its token; the figure functions take the selection instead of redoing that walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from playground.decoding.trace import Hypothesis, Trace

BRANCH_MARK = "↳"  # a branch's outputs, in the pickers and the results


@dataclass(frozen=True)
class PathStep:
    t: int  # output position (0-based): the slider value
    node: int  # the node holding the token produced at t
    token: int  # target-vocab id of that token
    step: int | None  # index into trace.steps of the expansion that produced it (None: not recorded)
    row: int  # row of that step's (H, V) arrays


@dataclass(frozen=True, eq=False)
class Selection:
    trace: Trace
    index: int  # into ``shown``, clamped
    shown: tuple[Hypothesis, ...]  # the hypotheses the user asked for (the best num_return)
    path: tuple[PathStep, ...]  # the selected hypothesis token by token, </s> included when finished
    layer: int  # the decoder layer whose cross-attention the heatmap shows (0-based, clamped)
    head: int | None  # its head (0-based), or None: the mean of its heads
    lens: object = None  # the logit lens along the path (analysis/logit_lens.py Lens; ui/explore/lens.py)

    @classmethod
    def of(cls, trace: Trace, hyp: int = 0, layer: int | None = None, head: int | None = None) -> Selection:
        """``layer`` None is the last layer; ``head`` None (or out of range) is the mean of the heads."""
        shown = tuple(shown_hypotheses(trace))
        index = min(max(int(hyp), 0), max(len(shown) - 1, 0))
        layers, heads = trace.attention_heads
        layer = layers - 1 if layer is None else min(max(int(layer), 0), layers - 1)
        head = head if head is not None and 0 <= head < heads else None
        path = tuple(walk(trace, shown[index])) if shown else ()
        return cls(trace=trace, index=index, shown=shown, path=path, layer=layer, head=head)

    def is_branch(self, i: int) -> bool:
        """Whether shown output ``i`` is a branch's."""
        return self.branch_from is not None and i >= self.branch_from

    @property
    def branch_from(self) -> int | None:
        """Index in ``shown`` of a branch's first output (they come after the original's), None without one."""
        return len(self.shown) - self.trace.branch.shown if self.trace.branch is not None else None

    @property
    def hypothesis(self) -> Hypothesis | None:
        return self.shown[self.index] if self.shown else None

    @property
    def steps(self) -> int:
        """Output positions of the selected hypothesis (the step slider goes 1..steps)."""
        return len(self.path)

    def clamp(self, t: int) -> int:
        """A step index within the path (0 when the path is empty)."""
        return min(max(int(t), 0), max(self.steps - 1, 0))

    @cached_property
    def attention(self) -> np.ndarray:
        """(T, S) where the decoder looked for each token of the path, in the selected layer and head (or the
        mean of its heads): trace.attention_path, computed once for the heatmap and its step marks."""
        return self.trace.attention_path(self.hypothesis.node, self.layer, self.head)

    def attention_label(self) -> str:
        """'layer 3 of 3, mean of 4 heads' / 'layer 1 of 3, head 2 of 4'; '' for a single attention."""
        layers, heads = self.trace.attention_heads
        if layers * heads == 1:
            return ""
        which = f"mean of {heads} heads" if self.head is None else f"head {self.head + 1} of {heads}"
        return f"layer {self.layer + 1} of {layers}, {which}"

    def row_probs(self, ps: PathStep) -> dict | None:
        """The (V,) distributions of the row that produced ``ps.token``, or None if it was not recorded. A large
        vocabulary's trace keeps only some tokens of a row (``ids``, recorder.py): the others read 0 here, and
        ``outside`` holds each distribution's mass left out (0 when the row is whole)."""
        if ps.step is None:
            return None
        s, r, vocab = self.trace.steps[ps.step], ps.row, len(self.trace.target_symbols)
        members = np.zeros((s.member_log_probs.shape[1], vocab), dtype=np.float32)  # (M, V); M = 0 for one model
        ids = s.columns[r] if s.cut else np.arange(min(vocab, s.logits.shape[1]))
        members[:, ids] = np.exp(s.member_log_probs[r][:, :len(ids)])
        return {
            "ids": ids,  # the tokens the row holds
            "p1": np.exp(s.dense("log_probs", r, vocab)).astype(np.float32),  # model at T=1
            "temperature": s.dense("probs_temperature", r, vocab),
            "filtered": s.dense("probs_filtered", r, vocab),
            "outside": {"p1": float(s.outside[r, 0]), "temperature": float(s.outside[r, 1]),
                        "filtered": float(s.outside[r, 2])},
            "entropy": float(s.entropy[r]),
            "entropy_temperature": float(s.entropy_temperature[r]),
            "entropy_filtered": float(s.entropy_filtered[r]),
            "kept": int(s.kept[r]),
            "members": members,
            "members_outside": s.member_outside[r],  # (M,)
        }


def shown_hypotheses(trace: Trace) -> list[Hypothesis]:
    """The hypotheses the user asked for: the best ``num_return`` of the trace's pool (a beam keeps more), then a
    branch's best (analysis/branch.py)."""
    n = int(trace.config.get("num_return", len(trace.hypotheses)) or 1)
    b = trace.branch
    if b is None:
        return trace.hypotheses[:n]
    return [*trace.hypotheses[:min(n, b.first)], *trace.hypotheses[b.first:b.first + b.shown]]


def walk(trace: Trace, hypothesis: Hypothesis) -> list[PathStep]:
    """The tokens of ``hypothesis`` (</s> included when finished), one PathStep each."""
    path = trace.path(hypothesis.node)  # root .. last node
    out = []
    for t, (parent, node) in enumerate(zip(path[:-1], path[1:], strict=True)):
        where = trace.step_row(parent)
        out.append(PathStep(t=t, node=node, token=trace.nodes[node].token,
                            step=None if where is None else where[0], row=0 if where is None else where[1]))
    return out
