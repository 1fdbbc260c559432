"""Where a group's finished hypotheses go (driver.Group.pool): ``add(hypothesis, key)`` returns the hypothesis
that fell out (possibly the one given), or None; ``ranked()`` gives them best first. ``key`` is the float64
score the hypothesis was ranked by (its ``score`` is that, rounded to float32 like the trace's nodes)."""

from __future__ import annotations

from playground.decoding.common import rank_hypotheses
from playground.decoding.trace import Hypothesis


class Collected:
    """Every hypothesis is kept (chains: each row ends once)."""

    def __init__(self):
        self.items: list[Hypothesis] = []

    def add(self, hypothesis: Hypothesis, key: float = 0.0) -> None:
        self.items.append(hypothesis)

    def ranked(self) -> list[Hypothesis]:
        return rank_hypotheses(self.items)


class FinishedPool:
    """The n-best list (HF ``BeamHypotheses``): at most ``size`` hypotheses, best first by score."""

    def __init__(self, size: int):
        self.size, self.items = size, []

    def add(self, hypothesis: Hypothesis, key: float = 0.0) -> Hypothesis | None:
        if len(self.items) < self.size or hypothesis.score > self.items[-1].score:
            self.items = rank_hypotheses(self.items + [hypothesis])
            return self.items.pop() if len(self.items) > self.size else None
        return hypothesis

    @property
    def full(self) -> bool:
        return len(self.items) >= self.size

    @property
    def worst(self) -> float:
        return self.items[-1].score

    def ranked(self) -> list[Hypothesis]:
        return list(self.items)


class Slots:
    """Finished samples holding a slot of a stochastic beam (strategies/stochastic_beam.py), by their float64 key:
    each step decides again which keep theirs (``keep``)."""

    def __init__(self):
        self.items: list[tuple[float, Hypothesis]] = []

    def add(self, hypothesis: Hypothesis, key: float = 0.0) -> None:
        self.items.append((float(key), hypothesis))

    def keys(self) -> list[float]:
        return [key for key, _ in self.items]

    def keep(self, mask: list[bool]) -> list[Hypothesis]:
        """Keep the items where ``mask`` is True; returns the others (they lost their slot)."""
        dropped = [h for (_, h), k in zip(self.items, mask, strict=True) if not k]
        self.items = [item for item, k in zip(self.items, mask, strict=True) if k]
        return dropped

    def ranked(self) -> list[Hypothesis]:
        return [h for _, h in sorted(self.items, key=lambda item: -item[0])]
