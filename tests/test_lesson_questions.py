"""Each lesson's predict-first answer is what the shipped model does: for every lesson the test recomputes the
answer through the engine (decode, the models' own layers, the dictionary), without the lesson's demonstration
or question code, and checks the question's right choice against it."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from rapidfuzz.distance import Levenshtein

from playground.analysis.lessons import BY_KEY, LESSONS, MODELS, demonstrate, lesson_question
from playground.decoding import DecodeConfig, decode
from playground.models.checkpoint import SHIPPED

PRESENT = {name for name in MODELS if (SHIPPED / name / "config.json").is_file()}


@pytest.fixture(scope="module")
def models():
    from playground import load_model

    loaded: dict = {}
    return {name: load_model(SHIPPED / name, loaded=loaded) for name in PRESENT}


def dictionary(word: str) -> set[tuple[str, ...]]:
    from playground.training.data import load_lexicon

    return {tuple(p) for p in load_lexicon().get(word, [])}


def run(model, text, **config):
    return decode(model, text, DecodeConfig(**config))


def best(model, text, **config):
    return run(model, text, **config).hypotheses[0]


def distinct(model, text, n: int, **config) -> int:
    return len({tuple(h.tokens) for h in run(model, text, num_samples=n, num_return=n, seed=0, **config).hypotheses})


def higher(a: float, b: float, eps: float = 1e-3) -> int:
    return 0 if a > b + eps else (1 if a >= b - eps else 2)


# --- each lesson's answer, recomputed: (model, lesson) -> the index of the right choice ---------------------
def temperature_zero(model, lesson):
    greedy = best(model, lesson.text).tokens
    same = sum(h.tokens == greedy for h in run(model, lesson.text, strategy="sample", temperature=0.0, num_samples=8,
                                               num_return=8, seed=0).hypotheses)
    return 0 if same == 8 else (2 if same == 0 else 1)


def temperature_high(model, lesson):
    return higher(distinct(model, lesson.text, 16, strategy="sample", temperature=1.0),
                  distinct(model, lesson.text, 16, strategy="sample", temperature=2.0), 0)


def top_p_adaptive(model, lesson):
    trace = run(model, lesson.text, strategy="sample", top_p=0.9, seed=0).trace
    most = max(int((s.probs_filtered[0] > 0).sum()) for s in trace.steps)  # each step's kept set, counted
    return min(most, 3) - 1


def gumbel_max(model, lesson):
    counts = {s: Counter(tuple(h.tokens) for h in run(model, lesson.text, strategy="sample", sampler=s,
                                                       num_samples=400, num_return=400, seed=0,
                                                       record_trace=False).hypotheses)
              for s in ("multinomial", "gumbel")}
    top = [y for y, _ in (counts["multinomial"] + counts["gumbel"]).most_common(5)]
    table = np.array([[c[y] for y in top] + [400 - sum(c[y] for y in top)] for c in counts.values()], float)
    table = table[:, table.sum(0) > 0]
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    chi2 = ((table - expected) ** 2 / expected).sum()
    critical = {4: 18.467, 5: 20.515}[table.shape[1] - 1]  # chi-square quantile 0.999 for df 4 and 5
    return int(chi2 >= critical)


def stochastic_beam(model, lesson):
    plain = distinct(model, lesson.text, 5, strategy="sample") == 5
    sbs = len({tuple(h.tokens) for h in run(model, lesson.text, strategy="stochastic_beam", beam_width=5,
                                            num_return=5, seed=0).hypotheses}) == 5
    return {(True, True): 0, (False, True): 1, (True, False): 2, (False, False): 3}[plain, sbs]


def beam_beats_greedy(model, lesson):
    return higher(best(model, lesson.text, strategy="beam", beam_width=5, length_penalty_formula="none").log_prob,
                  best(model, lesson.text).log_prob)


def length_penalty(model, lesson):
    raw = best(model, lesson.text, strategy="beam", beam_width=5, length_penalty_formula="none")
    alpha2 = best(model, lesson.text, strategy="beam", beam_width=5, length_penalty=2.0)
    return higher(len(raw.tokens), len(alpha2.tokens), 0)


def exact_search_error(model, lesson):
    mode = best(model, lesson.text, strategy="exact", beam_width=2)
    beam = best(model, lesson.text, strategy="beam", beam_width=2, length_penalty_formula="none")
    error = beam.log_prob < mode.log_prob - 1e-4
    return 2 * error + (tuple(mode.tokens) not in dictionary(lesson.word))


def beam_curse(model, lesson):
    refs = dictionary(lesson.word)
    greedy = tuple(best(model, lesson.text).tokens) in refs
    beam = tuple(best(model, lesson.text, strategy="beam", beam_width=10, length_penalty_formula="none").tokens) in refs
    return {(True, True): 0, (True, False): 1, (False, True): 2, (False, False): 3}[greedy, beam]


def mbr_consensus(model, lesson):
    nbest = run(model, lesson.text, strategy="beam", beam_width=8, num_return=8, length_penalty_formula="none")
    outputs = [tuple(h.tokens) for h in nbest.hypotheses]
    log_p = np.array([h.log_prob for h in nbest.hypotheses])
    weights = np.exp(log_p - log_p.max()) / np.exp(log_p - log_p.max()).sum()
    utility = np.array([[1 - Levenshtein.distance(list(h), list(y)) / max(len(h), len(y), 1) for y in outputs]
                        for h in outputs])
    choice = outputs[int(np.argmax(utility @ weights))]
    beams_best = tuple(best(model, lesson.text, strategy="beam", beam_width=5, length_penalty_formula="none").tokens)
    return 0 if choice == beams_best else (1 if choice in dictionary(lesson.word) else 2)


def contrastive_penalty(model, lesson):
    greedy = best(model, lesson.text)
    ours = best(model, lesson.text, strategy="contrastive", top_k=4, penalty_alpha=0.6)
    return 1 if ours.tokens == greedy.tokens else (0 if ours.log_prob > greedy.log_prob else 2)


def forced_runner_up(model, lesson):
    """Force the most probable runner-up (not </s>) along greedy's output, through DecodeConfig.prefix."""
    result = run(model, lesson.text)
    tokens = result.hypotheses[0].tokens
    symbols = result.trace.target_symbols
    options = []
    for t, step in enumerate(result.trace.steps[:len(tokens)]):
        p = np.exp(step.log_probs[0].astype(np.float64))
        ranked = [i for i in np.argsort(-p, kind="stable") if symbols[i] not in (tokens[t], "</s>")]
        options.append((p[ranked[0]], t, symbols[ranked[0]]))
    _, t, symbol = max(options, key=lambda o: (o[0], -o[1]))
    branch = best(model, lesson.text, prefix=(*tokens[:t], symbol))
    return int(Levenshtein.distance(list(tokens), list(branch.tokens)) >= 2)


def heads_differ(model, lesson):
    trace = run(model, lesson.text).trace
    layers, heads = trace.attention_heads
    node = trace.hypotheses[0].node
    shares = []
    for layer in range(layers):
        peaks = np.stack([trace.attention_path(node, layer, h).argmax(-1) for h in range(heads)])  # (H, T)
        shares.append(np.mean([len(set(peaks[:, t])) > 1 for t in range(peaks.shape[1])]))
    return int(max(shares) >= 0.5)


def ensemble_fixes(model, lesson):
    refs = dictionary(lesson.word)
    return int(tuple(best(model, lesson.text).tokens) not in refs)


@torch.inference_mode()
def logit_lens_late(model, lesson):
    """Each layer's stream through the final LayerNorm and the output projection, by hand (the model's own
    modules), at every position of greedy's output (</s> included)."""
    h = best(model, lesson.text)
    ids = [*h.token_ids, model.target_vocab.eos_id]
    src = torch.tensor([model.source_vocab.encode(model.source_vocab.tokenize(lesson.text))])
    states = model.lens_states(src, torch.tensor([ids]))[:, 0]  # (L, T, d)
    favourite = torch.stack([model.lens_head(s).argmax(-1) for s in states])  # (L, T)
    decided = []
    for t, token in enumerate(ids):
        layer = len(states)
        while layer > 0 and int(favourite[layer - 1, t]) == token:
            layer -= 1
        decided.append(layer + 1)
    return max(decided) - 1  # the question asks about the step decided latest; choices: layer 1 .. L


def decoder_only_reads(model, lesson):
    """The layer whose attention (mean of its heads, mean over greedy's output steps) puts the least on the
    spelling: the first len(source) columns of each step's row."""
    trace = run(model, lesson.text).trace
    node, width = trace.hypotheses[0].node, len(trace.source)
    shares = [trace.attention_path(node, layer)[:, :width].sum(1).mean() for layer in range(trace.attention_heads[0])]
    return int(np.argmin(shares))


def decoder_only_vs_encdec(model, lesson, partner):
    """Which of the two beam-5 outputs (the encoder-decoder's, the decoder-only model's) is a dictionary answer:
    both, only the first, only the second, neither."""
    refs = dictionary(lesson.word)
    right = [tuple(best(m, lesson.text, strategy="beam", beam_width=5).tokens) in refs for m in (partner, model)]
    return {(True, True): 0, (True, False): 1, (False, True): 2, (False, False): 3}[tuple(right)]


ANSWERS = {f.__name__: f for f in (temperature_zero, temperature_high, top_p_adaptive, gumbel_max, stochastic_beam,
                                   beam_beats_greedy, length_penalty, exact_search_error, beam_curse, mbr_consensus,
                                   contrastive_penalty, heads_differ, ensemble_fixes, logit_lens_late,
                                   decoder_only_reads, decoder_only_vs_encdec)}
ANSWERS.update(branch_recovers=forced_runner_up, branch_derails=forced_runner_up)


def test_every_lesson_has_an_independent_answer():
    assert set(ANSWERS) == set(BY_KEY)


@pytest.mark.parametrize("key", [lesson.key for lesson in LESSONS])
def test_the_right_answer_is_what_the_shipped_model_does(models, key):
    lesson = BY_KEY[key]
    if lesson.model not in models:
        pytest.skip(f"the shipped {lesson.model} checkpoint is absent")
    model = models[lesson.model]
    question = lesson_question(lesson, demonstrate(lesson, model, models.get(lesson.partner)))
    assert question is not None and 2 <= len(question.choices) <= 4
    partner = (models[lesson.partner],) if lesson.partner else ()
    assert question.answer == question.choices[ANSWERS[key](model, lesson, *partner)], question.why
