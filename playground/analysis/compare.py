"""Compare: 2-4 decoding strategies on the same input and seed, computed in one call.

    comparison = compare(model, "colonel", [preset_config("greedy"), preset_config("beam 5")])
    comparison.columns[1].outputs[0].tokens   # beam search's best output
    comparison.alignment.differs              # per aligned position: do the columns' top outputs differ?

Each column keeps what its compact views need (outputs with log p and score, the top output's attention
and the probability of every symbol it took) plus its whole trace for the JSON download. The top outputs
are aligned token by token (edit distance, centre-star around the first column), so that "where do the
strategies disagree" is a row of booleans rather than something to eyeball.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

from rapidfuzz.distance import Levenshtein

from playground.decoding.api import decode
from playground.decoding.config import PARAMS, DecodeConfig
from playground.decoding.params import is_filter
from playground.decoding.registry import PRESETS, STRATEGIES
from playground.decoding.trace import Trace

MIN_COLUMNS, MAX_COLUMNS = 2, 4
MAX_SHOWN = 3  # outputs per column: the best few are what a side-by-side can show
# a column's controls and their defaults: the strategy and every parameter a preset sets (the registry's), in the
# parameter table's order
KNOBS = MappingProxyType({"strategy": PARAMS["strategy"].default, **{
    name: p.default for name, p in PARAMS.items() if any(name in preset for preset in PRESETS.values())
    and name != "strategy"}})


def preset_knobs(name: str) -> dict:
    """Every column knob (KNOBS) for preset ``name``: the preset's values over the defaults."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return {**KNOBS, **PRESETS[name]}


def column_config(*, seed: int = 0, max_length: int = 32, **knobs) -> DecodeConfig:
    """A column's DecodeConfig from its knobs: beams return their best MAX_SHOWN, sampling draws one
    sequence (what "nucleus decoding" gives), and every column shares ``seed`` and ``max_length``.
    Raises ValueError naming a knob that is out of range (DecodeConfig's messages)."""
    unknown = sorted(set(knobs) - set(KNOBS))
    if unknown:
        raise ValueError(f"unknown column knob(s) {unknown}; valid: {sorted(KNOBS)}")
    values = {**KNOBS, **knobs}
    width, spec = values["beam_width"], STRATEGIES.get(values["strategy"])
    num_return = min(MAX_SHOWN, width) if spec and spec.returns == "best" and isinstance(width, int) else 1
    if spec and "num_groups" not in spec.reads:
        values["num_groups"] = 1  # only diverse beam reads it, and it must divide the width
    return DecodeConfig(**values, num_return=num_return, seed=seed, max_length=max_length)


def preset_config(name: str, *, seed: int = 0, max_length: int = 32) -> DecodeConfig:
    return column_config(seed=seed, max_length=max_length, **preset_knobs(name))


@dataclass(frozen=True, kw_only=True)
class Output:
    tokens: tuple[str, ...]  # without </s>
    log_prob: float  # raw model log p(y|x), T=1
    score: float  # what the search ranked by (length-normalised, perturbed, or log p itself)
    finished: bool  # ended with </s> (False: cut at max_length)


@dataclass(frozen=True, kw_only=True)
class Column:
    """One strategy's result. ``steps`` / ``attention`` / ``p_model`` / ``p_filtered`` follow the top
    output symbol by symbol (</s> included when it finished)."""

    label: str
    config: DecodeConfig
    outputs: tuple[Output, ...]  # best first, at most MAX_SHOWN
    steps: tuple[str, ...]  # (L,) the symbols of the top output, </s> included when finished
    attention: tuple[tuple[float, ...], ...]  # (L, S) where the decoder looked for each symbol
    p_model: tuple[float, ...]  # (L,) p(symbol | prefix, x) at T=1
    p_filtered: tuple[float | None, ...]  # (L,) after temperature/filters; None unless sampling (recorded)
    trace: Trace = field(repr=False)

    def __post_init__(self):
        if not self.outputs:
            raise ValueError(f"column {self.label!r}: the search returned no output")
        if not len(self.steps) == len(self.attention) == len(self.p_model) == len(self.p_filtered):
            raise ValueError(f"column {self.label!r}: per-step fields must all have one entry per symbol")
        if any(not 0.0 <= p <= 1.0 for p in self.p_model):
            raise ValueError(f"column {self.label!r}: probabilities must lie in [0, 1]")

    @property
    def top(self) -> Output:
        return self.outputs[0]

    def to_dict(self) -> dict:
        return dict(label=self.label, config=self.config.to_dict(),
                    outputs=[dict(vars(o), tokens=list(o.tokens)) for o in self.outputs],
                    p_model=list(self.p_model), p_filtered=list(self.p_filtered), trace=self.trace.to_dict())


@dataclass(frozen=True, kw_only=True)
class Alignment:
    """The columns' top outputs aligned: ``rows[c][j]`` is column c's symbol at aligned position j, or
    None for a gap; ``differs[j]`` is True where the columns do not all show the same symbol."""

    rows: tuple[tuple[str | None, ...], ...]
    differs: tuple[bool, ...]

    def __post_init__(self):
        if any(len(r) != len(self.differs) for r in self.rows):
            raise ValueError("every aligned row must have one entry per aligned position")

    @property
    def agree(self) -> bool:
        return not any(self.differs)

    def marks(self, row: int) -> list[bool]:
        """For each symbol of row ``row``'s own sequence (gaps skipped): does it sit where columns differ?"""
        return [d for symbol, d in zip(self.rows[row], self.differs, strict=True) if symbol is not None]


@dataclass(frozen=True, kw_only=True)
class Comparison:
    source: tuple[str, ...]
    columns: tuple[Column, ...]
    alignment: Alignment

    def __post_init__(self):
        if not MIN_COLUMNS <= len(self.columns) <= MAX_COLUMNS:
            raise ValueError(f"compare takes {MIN_COLUMNS} to {MAX_COLUMNS} columns, got {len(self.columns)}")
        if len(self.alignment.rows) != len(self.columns):
            raise ValueError("the alignment needs one row per column")

    def to_dict(self) -> dict:
        """JSON-native: every column's outputs, per-step strips and whole trace, plus the alignment."""
        return dict(source=list(self.source), columns=[c.to_dict() for c in self.columns],
                    alignment=dict(rows=[list(r) for r in self.alignment.rows],
                                   differs=list(self.alignment.differs)))


def compare(model, text: str, configs, labels=None) -> Comparison:
    """Decode ``text`` once per config (2-4 of them), best outputs and top-output internals per column.
    ``model`` is one model for every column, or a list of one model per column (an RNN beside a Transformer,
    an ensemble beside one of its members): they must read ``text`` alike.

    Raises InputError / ValueError with a message for people (bad input, bad config, wrong count)."""
    configs = list(configs)
    models = list(model) if isinstance(model, (list, tuple)) else [model] * len(configs)
    if len(models) != len(configs):
        raise ValueError(f"compare: {len(models)} models for {len(configs)} configs")
    if not MIN_COLUMNS <= len(configs) <= MAX_COLUMNS:
        raise ValueError(f"compare takes {MIN_COLUMNS} to {MAX_COLUMNS} strategies, got {len(configs)}")
    if any(not isinstance(c, DecodeConfig) for c in configs):
        raise TypeError("compare: every config must be a DecodeConfig")
    labels = list(labels) if labels is not None else [describe(c) for c in configs]
    if len(labels) != len(configs):
        raise ValueError(f"compare: {len(labels)} labels for {len(configs)} configs")
    mixed = len({id(m) for m in models}) > 1
    columns = tuple(_column(label, config, _decode(m, text, config, c if mixed else None))
                    for c, (m, label, config) in enumerate(zip(models, labels, configs, strict=True)))
    source = tuple(columns[0].trace.source)
    return Comparison(source=source, columns=columns, alignment=align([c.top.tokens for c in columns]))


def _decode(model, text: str, config: DecodeConfig, column: int | None):
    """The column's trace; with models that differ per column, an error says whose model it is."""
    try:
        return decode(model, text, config).trace
    except ValueError as e:  # (InputError too)
        if column is None:
            raise
        raise type(e)(f"column {column + 1}: {e}") from None


def describe(config: DecodeConfig) -> str:
    """A short label: 'beam search 5 · α=1', 'sampling · T=1.5 · top-p 0.9', ...: the strategy (with its width when
    it returns an n-best list), then each parameter it reads that has a short name, filters only when on."""
    spec = config.spec
    parts = [spec.label + (f" {config.beam_width}" if spec.returns == "best" else "")]
    for name in spec.reads:
        value, param = getattr(config, name), PARAMS[name]
        if param.short and not (is_filter(name) and value == param.default):
            parts.append(f"{param.short}{value:g}")
    return " · ".join(parts)


def _column(label: str, config: DecodeConfig, trace: Trace) -> Column:
    outputs = tuple(Output(tokens=tuple(h.tokens), log_prob=h.log_prob, score=h.score, finished=h.finished)
                    for h in trace.hypotheses[:MAX_SHOWN])
    steps, p_model, p_filtered = [], [], []
    if trace.hypotheses:
        path = trace.path(trace.hypotheses[0].node)[1:]  # the top output's nodes, root excluded
        for node_id in path:
            node = trace.nodes[node_id]
            steps.append(trace.target_symbols[node.token])
            p_model.append(min(max(math.exp(node.log_prob), 0.0), 1.0))
            where = trace.step_row(node.parent)
            p_filtered.append(None if where is None or not config.spec.samples else
                              _filtered_prob(trace.steps[where[0]], where[1], node.token))
        attention = tuple(tuple(float(a) for a in row) for row in trace.attention_path(trace.hypotheses[0].node))
    else:
        attention = ()
    return Column(label=label, config=config, outputs=outputs, steps=tuple(steps), attention=attention,
                  p_model=tuple(p_model), p_filtered=tuple(p_filtered), trace=trace)


def _filtered_prob(step, row: int, token: int) -> float:
    """p(token) after filtering in a recorded row; a cut row (a large vocabulary) keeps every chosen token."""
    column = step.column(row, token)
    return 0.0 if column is None else float(step.probs_filtered[row, column])


def align(sequences) -> Alignment:
    """Centre-star alignment of token sequences around the first one: each is aligned to it by edit
    distance (unit costs, see _pairwise), and the insertions are merged so that every row has the same
    length. Positions where not every row shows the same symbol differ.

    Substitutions are preferred over gap pairs: a changed symbol reads as one substitution, never as a
    deletion next to an insertion (that would cost 2, not 1, so a minimal alignment never has one)."""
    sequences = [tuple(s) for s in sequences]
    if not sequences:
        raise ValueError("align needs at least one sequence")
    centre = sequences[0]
    n = len(centre)
    pairs = [_pairwise(centre, s) for s in sequences[1:]]
    # inserts[k][i]: the symbols sequence k+1 puts before centre position i (i == n: at the end)
    widths = [max([len(ins[i]) for ins, _ in pairs], default=0) for i in range(n + 1)]
    rows = []
    for k in range(len(sequences)):
        row: list[str | None] = []
        for i in range(n + 1):
            extra = list(pairs[k - 1][0][i]) if k else []
            row += extra + [None] * (widths[i] - len(extra))
            if i < n:
                row.append(centre[i] if k == 0 else pairs[k - 1][1][i])
        rows.append(tuple(row))
    differs = tuple(len({r[j] for r in rows}) > 1 for j in range(len(rows[0])))
    return Alignment(rows=tuple(rows), differs=differs)


def _pairwise(centre: tuple, other: tuple) -> tuple[list[list[str]], list[str | None]]:
    """Edit-distance alignment of ``other`` to ``centre``: (insertions before each centre position and
    at the end, n + 1 lists; the symbol aligned to each centre position or None).

    rapidfuzz computes a minimal unit-cost alignment (bit-parallel, in C++) and describes it as opcodes,
    blocks that cover both sequences in order; we only regroup them around the centre's positions. Where
    several alignments are equally short, rapidfuzz's choice is kept: "l u s y" vs "l u 0 s" keeps the s
    matched (0 inserted, y deleted) rather than reading s->0, y->s."""
    inserts: list[list[str]] = [[] for _ in range(len(centre) + 1)]  # (n + 1,) lists of other's symbols
    matched: list[str | None] = [None] * len(centre)  # (n,) other's symbol facing each centre symbol
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(centre, other):
        if tag == "insert":  # other[j1:j2] sits before centre[i1] (i1 == n: after the end); i1 == i2
            inserts[i1] += other[j1:j2]
        elif tag in ("equal", "replace"):  # centre[i1:i2] faces other[j1:j2], one to one
            matched[i1:i2] = other[j1:j2]
        # "delete": centre[i1:i2] faces nothing, so matched stays None there
    return inserts, matched


__all__ = ["PRESETS", "Alignment", "Column", "Comparison", "Output", "align", "column_config",
           "compare", "describe", "preset_config", "preset_knobs"]
