"""The one decoding loop: steps, processing, recording, finishing, cut-off at max_length and the time budget.

Every strategy but exact search (a depth-first search of its own, strategies/exact.py) runs here. As in fairseq's
``SequenceGenerator`` and TF-NLP's decoding ops, the loop owns the bookkeeping and a ``Search`` supplies only
the selection:

    for t in steps:                                  # max_length, or the time budget between two steps
        out = model.step(last tokens, state)         # every live row of every group in one call
        view = StepView(...)                         # logits processed once: temperature_logits, filtered_logits
        picks = search.select(view, groups)          # candidates: (row, token, status, score) per group
        record nodes and the step; finished candidates join their group's pool; kept ones are the next rows
    live rows left at the end are cut: unfinished hypotheses, and a note

A *group* is one search: an input's, or one of a diverse beam search's groups of an input; its rows are
contiguous in ``Live`` and groups keep their order. A search may also hand back the next step's output for the
rows it keeps (``Picks.ahead``: contrastive search steps its candidates to choose among them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import torch

from playground.decoding.common import (
    argmax_only,
    attention_of,
    filter_settings,
    forced_at,
    forced_search,
    make_hypothesis,
    model_step,
    never_generated,
    prefix_ids,
    process_step,
    search_log_probs,
)
from playground.decoding.protocol import StepOutput
from playground.decoding.recorder import Recorder

if TYPE_CHECKING:
    from playground.decoding.config import DecodeConfig

KEPT, FINISHED, PRUNED = 0, 1, 2
STATUS_NAMES = ("kept", "finished", "pruned")


@dataclass
class Live:
    """The live rows of every group (a group's rows contiguous, groups in order)."""

    group: torch.Tensor  # (R,) long: index into the groups
    nodes: torch.Tensor  # (R,) trace node of each row's last token
    tokens: torch.Tensor  # (R, t) generated so far
    cum_model: torch.Tensor  # (R,) float64 raw model log-prob (T = 1)
    cum_search: torch.Tensor  # (R,) float64 what the search adds up
    extra: dict[str, torch.Tensor] = field(default_factory=dict)  # (R, ...) a search's own per-row values

    @classmethod
    def roots(cls, groups: list[Group], rows_per_group: int = 1, **extra) -> Live:
        """``rows_per_group`` rows at each group's root (<s>), nothing generated yet."""
        n = len(groups) * rows_per_group
        zeros = torch.zeros(n, dtype=torch.float64)
        group, nodes = torch.arange(len(groups)), torch.tensor([g.root for g in groups])
        if rows_per_group > 1:
            group, nodes = group.repeat_interleave(rows_per_group), nodes.repeat_interleave(rows_per_group)
        return cls(group=group, nodes=nodes, tokens=torch.zeros((n, 0), dtype=torch.long), cum_model=zeros,
                   cum_search=zeros.clone(), extra=extra)

    def spans(self) -> list[tuple[int, slice]]:
        """(group, its rows) for each group with live rows, in order (computed once: rows never change)."""
        if "_spans" not in self.__dict__:
            values, counts = torch.unique_consecutive(self.group, return_counts=True)
            ends = torch.cumsum(counts, 0).tolist()
            self.__dict__["_spans"] = [(v, slice(e - c, e)) for v, c, e in zip(values.tolist(), counts.tolist(), ends,
                                                                              strict=True)]
        return self.__dict__["_spans"]


@dataclass(eq=False)
class Group:
    """One search over one input: its recorder, the pool its finished hypotheses join, its root node."""

    input: int
    recorder: Recorder
    pool: Any  # add(hypothesis) -> the hypothesis that fell out, or None (strategies/pools.py)
    root: int = 0
    live: bool = True


@dataclass
class Picks:
    """One step's selection: every candidate of every group (in group order), as (C,) tensors."""

    group: torch.Tensor  # (C,) long, ascending
    row: torch.Tensor | None  # (C,) the parent row; None when candidate i is row i's (``one_per_row``)
    token: torch.Tensor  # (C,)
    status: list[int]  # (C,) KEPT, FINISHED or PRUNED
    score: torch.Tensor | None = None  # (C,) float64 the node's score (a finished one's hypothesis score); None:
    # the cumulative model log-prob (chains)
    search: torch.Tensor | None = None  # (C,) float64 the search score a kept candidate carries on; None: as score
    chosen: torch.Tensor | None = None  # (R,) the token each row took (chains), None for beam-type steps
    one_per_row: bool = False  # candidate i is row i's one token (chains)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)  # (C, ...) per-candidate values for Live.extra
    ahead: StepOutput | None = None  # the next step's output for the kept candidates, in their order
    dropped: list = field(default_factory=list)  # finished hypotheses that lost their place: marked pruned


@dataclass(eq=False, slots=True)
class Scored:
    """The candidates as ``record`` wrote them: node ids, and their model log-probs and scores."""

    ids: torch.Tensor  # (C,) node ids
    cum: torch.Tensor  # (C,) float64 cumulative model log-prob
    score: torch.Tensor  # (C,) float64
    search: torch.Tensor  # (C,) float64


@dataclass(eq=False)
class StepView:
    """What a search sees at step t: the live rows, the model's output for them, the processed logits."""

    t: int
    live: Live
    out: StepOutput
    temperature_logits: torch.Tensor  # (R, V)
    filtered_logits: torch.Tensor  # (R, V)
    forced: int | None  # the token forced at this step (a prefix, teacher forcing), or None
    run: Run

    @cached_property
    def model_log_probs(self) -> torch.Tensor:
        """(R, V) log_softmax(logits): the model at T = 1."""
        return torch.log_softmax(self.out.logits, dim=-1)

    @cached_property
    def search_log_probs(self) -> torch.Tensor:
        """(R, V) float64 what a tree search adds up (common.search_log_probs); when a token is forced, only it
        survives, at what the model says it costs (so that scores stay comparable)."""
        if self.forced is None:
            return search_log_probs(self.out.logits, self.filtered_logits, self.run.settings, self.live.tokens,
                                    samples=self.run.samples, banned=None if self.run.argmax else self.run.banned)
        return forced_search(self.model_log_probs, self.forced)

    @cached_property
    def spans(self) -> list[tuple[int, slice]]:
        return self.live.spans()

    def peek(self, rows: torch.Tensor, tokens: torch.Tensor) -> StepOutput:
        """The model's next step for rows ``rows`` (R',) fed ``tokens`` (R',): a look ahead (contrastive)."""
        return model_step(self.run.model, tokens, self.run.model.reorder(self.out.state, rows))


@dataclass(eq=False)
class Run:
    """What stays fixed during a decode."""

    model: Any
    config: DecodeConfig
    samples: bool  # the strategy draws from the filtered distribution (spec.py)
    forced: list[int]  # forced token ids (the prefix, or a teacher-forced target)
    timed: bool = True  # False: teacher forcing, whose length is fixed, ignores the time budget

    @cached_property
    def settings(self):
        return filter_settings(self.config, samples=self.samples)

    @cached_property
    def argmax(self) -> bool:
        return argmax_only(self.config, samples=self.samples)

    @cached_property
    def banned(self) -> torch.Tensor:
        return never_generated(self.model)


class Search:
    """A strategy's part of the loop. ``select`` is required; the rest default to a chain's behaviour."""

    samples = False  # draws from the filtered distribution (its spec's ``samples``)

    def select(self, view: StepView, groups: list[Group]) -> Picks:
        raise NotImplementedError

    def done(self, group: Group, live: Live, rows: slice, length: int) -> bool:
        """Whether ``group`` (its live rows ``rows`` at ``length`` tokens) can stop before running out of rows."""
        return False

    def hypothesis_score(self, scored: Scored, c: int) -> torch.Tensor:
        """A finished candidate's hypothesis score: its node's score (what the search ranked it by)."""
        return scored.score[c]

    def live_note(self, live: Live) -> str:
        """What is left when the time budget stops the loop ("with 3 live beams left")."""
        return "with live beams left"

    def cut(self, model, group: Group, live: Live, rows: slice, length: int) -> None:
        """The loop ran out: ``group``'s live rows become unfinished hypotheses in its pool."""
        for r in range(rows.start, rows.stop):
            group.pool.add(make_hypothesis(model, live.tokens[r].tolist(), log_prob=live.cum_model[r],
                                           score=live.cum_model[r], node=live.nodes[r], finished=False),
                           float(live.cum_model[r]))

    def cut_note(self, config, count: int) -> str:
        """The note of an input whose ``count`` live rows reached max_length."""
        return f"{count} sequence(s) reached max_length={config.max_length} without </s>."


def decode_loop(model, state, config: DecodeConfig, search: Search, groups: list[Group], live: Live, *,
                forced: list[int] | None = None, timed: bool = True) -> None:
    """Run ``search`` over ``groups`` until every group is done or the loop runs out; ``state`` holds one row per
    live row, in order. ``forced`` token ids default to config.prefix (teacher forcing passes its target)."""
    run = Run(model=model, config=config, samples=search.samples,
              forced=prefix_ids(model, config) if forced is None else forced, timed=timed)
    recorders = list(dict.fromkeys(g.recorder for g in groups))
    steps = Steps(config, recorders, lambda: search.live_note(live), timed=timed)
    ahead: StepOutput | None = None
    settings, banned, argmax = run.settings, run.banned, run.argmax  # (read once: the loop is the hot path)
    for t in steps:
        out = ahead if ahead is not None else model_step(model, last_tokens(live, model), state)
        forced_now = forced_at(run.forced, t)
        processed = process_step(out.logits, settings, live.tokens, banned=banned, forced=forced_now, argmax=argmax)
        view = StepView(t, live, out, *processed, forced=forced_now, run=run)
        picks = search.select(view, groups)
        scored = record(view, picks, groups)
        finish(model, view, picks, scored, groups, search)
        live, keep, ahead = advance(view, picks, scored, groups, search)
        if not any(g.live for g in groups):
            return
        if ahead is None:
            state = out.state if keep is None or is_identity(keep, out.logits.shape[0]) else model.reorder(
                out.state, keep)
    cut_all(model, search, groups, live, steps, config)


def last_tokens(live: Live, model) -> torch.Tensor:
    """(R,) each row's last token, <s> before the first (advance notes a chain's, which it just appended)."""
    if "_last" in live.__dict__:
        return live.__dict__["_last"]
    if live.tokens.shape[1]:
        return live.tokens[:, -1]
    return torch.full((live.tokens.shape[0],), model.target_vocab.bos_id)


def is_identity(index: torch.Tensor, rows: int) -> bool:
    """Whether ``index`` keeps every row in order (nothing finished or dropped: no reorder needed)."""
    return index.numel() == rows and (rows < 2 or bool((index[1:] > index[:-1]).all()))


def record(view: StepView, picks: Picks, groups: list[Group]) -> Scored:
    """Each group's candidates as nodes of its trace and its rows as the step's rows."""
    live = view.live
    if picks.one_per_row:  # (chains: candidate i is row i's token, a gather instead of a row copy)
        log_prob = row_values(view.model_log_probs, picks.token)  # (C,) raw, T = 1
        parents, cum = live.nodes, live.cum_model + log_prob
    else:
        log_prob = model_log_probs_at(view, picks.row, picks.token)
        parents, cum = live.nodes[picks.row], live.cum_model[picks.row] + log_prob
    score = cum if picks.score is None else picks.score
    statuses = [STATUS_NAMES[c] for c in picks.status]
    spans = view.spans
    if len(spans) == 1:  # one group (batch 1): its candidates and rows are all of them, no slices
        ids = record_group(view, picks, groups[spans[0][0]].recorder, None, parents, log_prob, cum, score, statuses,
                           rows=None)
    else:
        bounds = [*torch.searchsorted(picks.group, torch.tensor([g for g, _ in spans])).tolist(), len(statuses)]
        ids = torch.cat([record_group(view, picks, groups[g].recorder, slice(lo, hi), parents, log_prob, cum, score,
                                      statuses[lo:hi], rows=rows)
                         for (g, rows), lo, hi in zip(spans, bounds[:-1], bounds[1:], strict=True)])
    return Scored(ids=ids, cum=cum, score=score, search=score if picks.search is None else picks.search)


def record_group(view: StepView, picks: Picks, recorder: Recorder, part: slice | None, parents: torch.Tensor,
                 log_prob: torch.Tensor, cum: torch.Tensor, score: torch.Tensor, statuses: list[str], *,
                 rows: slice | None) -> torch.Tensor:
    """One group's candidates ``part`` of the (C,) tensors as nodes, and its live rows ``rows`` as the step's rows
    (None: all of them, the tensors as they are); returns the nodes' ids."""
    take = (lambda x: x) if part is None else (lambda x: x[part])
    ids = recorder.add_nodes(parents=take(parents), tokens=take(picks.token), step=view.t, log_probs=take(log_prob),
                             cum_log_probs=take(cum), scores=take(score), status=statuses)
    if recorder.record_steps:  # (skip the row slices when nothing is recorded)
        out, pick = view.out, (lambda x: x) if rows is None else (lambda x: rows_of(x, rows))
        recorder.add_step(t=view.t, node_ids=pick(view.live.nodes), logits=pick(out.logits),
                          temperature_logits=pick(view.temperature_logits), filtered_logits=pick(view.filtered_logits),
                          attention=pick(attention_of(out)), candidates=ids,
                          chosen=None if picks.chosen is None else pick(picks.chosen),
                          members=None if out.member_log_probs is None else pick(out.member_log_probs))
    return ids


def model_log_probs_at(view: StepView, rows: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """(C,) float32 the model's log-probs at T = 1 of candidates (rows[c], tokens[c]). Where the search already
    added up the model's own log-probs (nothing processed, nothing forced, no sampling, every candidate possible,
    as in beam search: the same float32 values, widened) they are read there, instead of a second log_softmax over
    every row (a pass over 5 x 50,000 values a step for a Hugging Face model's beam)."""
    run = view.run
    if "search_log_probs" in view.__dict__ and view.forced is None and not run.samples and run.settings.idle:
        values = view.search_log_probs[rows, tokens]
        if bool(torch.isfinite(values).all()):  # (a removed token's is -inf there, finite in the model's)
            return values.float()
    return view.model_log_probs[rows, tokens]


def row_values(x: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
    """(R, V), (R,) -> (R,) ``x[r, columns[r]]``: with one row a flat take (one operation instead of three)."""
    return torch.take(x, columns) if x.shape[0] == 1 else x.gather(1, columns[:, None])[:, 0]


def rows_of(x: torch.Tensor, rows: slice) -> torch.Tensor:
    """``x[rows]``, or ``x`` itself when ``rows`` spans all of it (one group: no new view per tensor and step)."""
    return x if rows.start == 0 and rows.stop == x.shape[0] else x[rows]


def finish(model, view: StepView, picks: Picks, scored: Scored, groups: list[Group], search: Search) -> None:
    """Finished candidates become hypotheses in their group's pool; what falls out of a pool is pruned."""
    for g, hypothesis in picks.dropped:
        groups[g].recorder.set_status(hypothesis.node, "pruned")
    if FINISHED not in picks.status:
        return
    for c in (c for c, code in enumerate(picks.status) if code == FINISHED):
        row = c if picks.row is None else int(picks.row[c])
        group, score = groups[int(picks.group[c])], search.hypothesis_score(scored, c)
        dropped = group.pool.add(make_hypothesis(model, view.live.tokens[row].tolist(), log_prob=scored.cum[c],
                                                 score=score, node=scored.ids[c], finished=True), float(score))
        if dropped is not None:
            group.recorder.set_status(dropped.node, "pruned")


def advance(view: StepView, picks: Picks, scored: Scored, groups: list[Group], search: Search):
    """The kept candidates of groups still searching as the next live rows -> (live, their parent rows or None
    when they are the rows as they were, the search's output for them or None); (None, None, None) when no
    candidate was kept (every group is done then)."""
    live = view.live
    if picks.one_per_row and FINISHED not in picks.status and PRUNED not in picks.status:  # every row goes on
        tokens = torch.cat([live.tokens, picks.token[:, None]], dim=1)
        nxt = Live(group=live.group, nodes=scored.ids, tokens=tokens, cum_model=scored.cum, cum_search=scored.search,
                   extra=picks.extra)
        nxt.__dict__.update(_spans=live.spans(), _last=picks.token)  # (the same groups' same rows; their last tokens)
        return nxt, None, picks.ahead
    if KEPT not in picks.status:  # no row goes on (a greedy decode's last step): every group is done
        for group in groups:
            group.live = False
        return None, None, None
    kept = torch.tensor([c for c, code in enumerate(picks.status) if code == KEPT], dtype=torch.long)  # (K,)
    rows = kept if picks.row is None else picks.row[kept]
    tokens = torch.cat([live.tokens[rows], picks.token[kept, None]], dim=1)
    nxt = Live(group=picks.group[kept], nodes=scored.ids[kept], tokens=tokens, cum_model=scored.cum[kept],
               cum_search=scored.search[kept], extra={k: v[kept] for k, v in picks.extra.items()})
    still = stop_groups(nxt, groups, search, view.t + 1)
    if still is not None:  # a done group's rows stop here
        kept, rows, nxt = kept[still], rows[still], select_live(nxt, still)
    ahead = picks.ahead if picks.ahead is None or still is None else picks.ahead.rows(
        still.nonzero()[:, 0], view.run.model.reorder(picks.ahead.state, still.nonzero()[:, 0]))
    return nxt, rows, ahead


def stop_groups(live: Live, groups: list[Group], search: Search, length: int) -> torch.Tensor | None:
    """Mark the groups left without rows, or done by the search's own rule (beam search's), as no longer live;
    returns which of ``live``'s rows belong to groups still searching, or None when all do."""
    counts = torch.bincount(live.group, minlength=len(groups)).tolist()
    for g, group in enumerate(groups):
        group.live = group.live and counts[g] > 0
    for g, rows in live.spans() if live.group.numel() else []:
        if search.done(groups[g], live, rows, length):
            groups[g].live = False
    if all(groups[g].live for g in set(live.group.tolist())):
        return None
    return torch.tensor([groups[g].live for g in live.group.tolist()], dtype=torch.bool)


def select_live(live: Live, keep: torch.Tensor) -> Live:
    return Live(group=live.group[keep], nodes=live.nodes[keep], tokens=live.tokens[keep],
                cum_model=live.cum_model[keep], cum_search=live.cum_search[keep],
                extra={k: v[keep] for k, v in live.extra.items()})


def cut_all(model, search: Search, groups: list[Group], live: Live, steps: Steps, config) -> None:
    """The loop ran out (max_length, or the time budget after ``steps.length`` tokens): live rows are cut, and each
    input with some says how many (unless the time budget stopped the loop: that is noted already)."""
    counts: dict[Recorder, int] = {}
    for g, rows in live.spans() if live.group.numel() else []:
        if groups[g].live:
            search.cut(model, groups[g], live, rows, steps.length)
            counts[groups[g].recorder] = counts.get(groups[g].recorder, 0) + rows.stop - rows.start
    for recorder, count in counts.items():
        steps.note_max_length(recorder, search.cut_note(config, count))


class Steps:
    """The loop's steps: ``for t in Steps(config, recorders, live)``, t = 0 .. max_length - 1.

    Between two steps (never before the first: a decode always returns something) it asks whether the time
    budget ran out (the recorders of one batch share a deadline, budget.py); if so every recorder notes "Stopped
    after step t of at most max_length {live()}" and the loop ends as if it had reached max_length, ``length``
    tokens long. ``timed=False`` (teacher forcing, whose length is fixed) never stops early."""

    def __init__(self, config, recorders, live: Callable[[], str], *, timed: bool = True):
        self.max_length, self.recorders, self.live, self.timed = config.max_length, recorders, live, timed
        self.length, self.timed_out = 0, False

    def __iter__(self) -> Iterator[int]:
        deadline = self.recorders[0].deadline if self.timed else None  # (one batch shares one deadline)
        for t in range(self.max_length):
            if t and deadline is not None and deadline.expired():
                where = f"after step {t} of at most {self.max_length} {self.live()}"
                self.timed_out = any([recorder.out_of_time(where) for recorder in self.recorders])  # (all note it)
                if self.timed_out:
                    return
            self.length = t + 1
            yield t

    def note_max_length(self, recorder, message: str) -> None:
        """Note (truncated) in ``recorder`` that ``message``'s rows reached max_length, unless the time budget
        stopped the loop first."""
        if not self.timed_out:
            recorder.note(message, truncated=True)
