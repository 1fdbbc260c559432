"""The Learn tab's presets: eleven decoding phenomena, each shown live on a real word with a shipped model.

A ``Lesson`` is data (word, model, explanation, formula, Explore settings); ``demonstrate(lesson, model)``
runs the engine and returns a ``Demo``: the numbers that show the phenomenon, chart panels, and ``holds``,
whether it really occurred. Tests assert ``holds`` for every preset with the shipped checkpoints.

Words were picked off the test split (dev words, or everyday words that are not test words). After a
retrain, re-pick them with the finder, which tries words of a split until the phenomenon holds:

    python -m playground.analysis.lessons --find beam_beats_greedy --split dev --limit 5
    python -m playground.analysis.lessons --check        # every preset, with the shipped checkpoints
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType

import torch

from playground.analysis import lesson_demos, mbr_lesson, model_lessons
from playground.analysis.lesson_demos import Demo, Panel, Series  # noqa: F401  (re-exported)
from playground.decoding import DecodeConfig, decode_many
from playground.models.checkpoint import SHIPPED

# the shipped checkpoints a lesson may name (directories of checkpoints/); the prefix is the task
MODELS = ("g2p-bahdanau", "p2g-luong", "g2p-transformer", "g2p-ensemble")
DEMOS = MappingProxyType({**lesson_demos.DEMOS, **mbr_lesson.DEMOS, **model_lessons.DEMOS})


def lesson_task(model_name: str) -> str:
    """'g2p' or 'p2g', from a MODELS name."""
    return model_name.split("-")[0]


@dataclass(frozen=True, kw_only=True)
class Lesson:
    key: str
    title: str
    word: str  # the dictionary word the input comes from
    text: str  # the model's input: the spelling (G2P) or its ARPAbet (P2G)
    model: str  # the shipped checkpoint it runs on: one of MODELS
    explanation: str  # two or three sentences
    formula: str  # LaTeX, shown between $$ … $$ (short: it must fit a third of the page)
    source: str  # where the formula comes from
    settings: dict  # Explore controls (UiParams fields) that reproduce the demonstration

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {tuple(MODELS)}, got {self.model!r}")
        if self.key not in DEMOS:
            raise ValueError(f"no demonstration for lesson key {self.key!r}; known: {sorted(DEMOS)}")
        if not self.text.strip() or not self.explanation or not self.formula:
            raise ValueError(f"lesson {self.key!r} needs an input text, an explanation and a formula")


LESSONS = (
    Lesson(key="temperature_zero", title="Temperature → 0 is greedy", word="helmet", text="helmet",
           model="g2p-bahdanau",
           explanation="Dividing the logits by a temperature T before the softmax sharpens the distribution as T "
           "shrinks; in the limit all the mass sits on the most probable symbol. Sampling at T = 0 therefore "
           "takes the argmax at every step: every sample is the greedy output.",
           formula=r"p_T(y_t=i)=\frac{e^{z_i/T}}{\sum_j e^{z_j/T}}\ \xrightarrow{T\to 0}\ "
                   r"\mathbb{1}[i=\arg\max_j z_j]",
           source="The softmax with temperature (Ackley, Hinton & Sejnowski 1985; Hinton et al. 2015).",
           settings=dict(strategy="sample", temperature=0.0, num_return=8, seed=0)),
    Lesson(key="temperature_high", title="High temperature flattens", word="origami", text="origami",
           model="g2p-bahdanau",
           explanation="A temperature above 1 shrinks the gaps between logits, so unlikely symbols gain "
           "probability and the entropy rises. Samples then wander further from the most probable output "
           "and differ more from one another.",
           formula=r"p_T(y_t=i)=\frac{e^{z_i/T}}{\sum_j e^{z_j/T}},\quad T>1\Rightarrow H(p_T)>H(p_1)",
           source="The softmax with temperature (Ackley, Hinton & Sejnowski 1985; Hinton et al. 2015).",
           settings=dict(strategy="sample", temperature=2.0, num_return=16, seed=0)),
    Lesson(key="top_p_adaptive", title="Top-p adapts to uncertainty", word="regime", text="regime",
           model="g2p-bahdanau",
           explanation="Nucleus (top-p) sampling keeps the smallest set of symbols whose probability adds up to "
           "p. Where the model is confident that set is one symbol; where it hesitates between several "
           "vowels it keeps them all, so the cut adapts where a fixed top-k cannot.",
           formula=r"V^{(p)}=\min\{V'\subseteq V:\ \textstyle\sum_{i\in V'}p(i)\ge p\}",
           source="Holtzman et al. 2020, The Curious Case of Neural Text Degeneration (ICLR).",
           settings=dict(strategy="sample", top_p=0.9, temperature=1.0, num_return=1, seed=0)),
    Lesson(key="beam_beats_greedy", title="Beam beats greedy", word="acetone", text="acetone", model="g2p-bahdanau",
           explanation="Greedy decoding commits to the best symbol at each step and never looks back. Beam "
           "search keeps the k best prefixes, so a first step that looked slightly worse can lead to a whole "
           "output that is more probable.",
           formula=r"\log p(y\mid x)=\sum_t \log p(y_t\mid y_{<t},x),\quad "
                   r"\hat y_{\text{beam}}=\arg\max_{y\in\text{beam}_k}\log p(y\mid x)",
           source="Beam search as in Sutskever et al. 2014 and Hugging Face / fairseq (top 2k candidates per step).",
           settings=dict(strategy="beam", beam_width=5, num_return=5, length_penalty_formula="none")),
    Lesson(key="length_penalty", title="The length penalty changes the winner", word="belabor", text="belabor",
           model="g2p-bahdanau",
           explanation="Every extra symbol multiplies in another probability below 1, so raw log p favours short "
           "outputs. Dividing by a length penalty rewards longer ones; with a large enough α a longer "
           "hypothesis overtakes the raw winner.",
           formula=r"s(y)=\frac{\log p(y\mid x)}{|y|^{\alpha}}\quad\text{or}\quad"
                   r"\frac{\log p(y\mid x)}{((5+|y|)/6)^{\alpha}}",
           source="Wu et al. 2016, Google's Neural Machine Translation System, eq. 14 (the GNMT form).",
           settings=dict(strategy="beam", beam_width=5, num_return=5, length_penalty_formula="length",
                         length_penalty=2.0)),
    Lesson(key="exact_search_error", title="Exact search reveals a search error", word="jeremia", text="jeremia",
           model="g2p-bahdanau",
           explanation="Exact search finds the model's most probable output by depth-first branch and bound. "
           "When beam search's best is less probable, beam search made a search error. If the mode itself is "
           "not the dictionary's answer, the model is wrong too: a search error can even hide a model error.",
           formula=r"\hat y=\arg\max_y \log p(y\mid x);\quad\text{search error}\iff "
                   r"\log p(\hat y_{\text{beam}}\mid x)<\log p(\hat y\mid x)",
           source="Stahlberg & Byrne 2019, On NMT Search Errors and Model Errors: Cat Got Your Tongue? (EMNLP).",
           settings=dict(strategy="exact", beam_width=2)),
    Lesson(key="mbr_consensus", title="MBR picks the consensus", word="folklore", text="folklore",
           model="g2p-bahdanau",
           explanation="Beam search returns the single most probable output. Minimum Bayes risk decoding "
           "instead picks the candidate that agrees most with all the others, each weighted by its probability: "
           "when the probability is spread over outputs that share most of their symbols, their consensus can beat "
           "the most probable one.",
           formula=r"\hat y_{\text{MBR}}=\arg\max_{h}\sum_{j}w_j\,u(h,y_j),\quad "
                   r"u(h,y)=1-\frac{\text{lev}(h,y)}{\max(|h|,|y|)}",
           source="Kumar & Byrne 2004, Minimum Bayes-Risk Decoding for Statistical Machine Translation (NAACL); "
                  "Eikema & Aziz 2020, Is MAP Decoding All You Need? (COLING).",
           settings=dict(strategy="beam", beam_width=8, num_return=8, length_penalty_formula="none")),
    Lesson(key="stochastic_beam", title="Stochastic beam: k distinct samples", word="cavity",
           text="K AE V AH T IY", model="p2g-luong",
           explanation="Plain sampling draws with replacement, so a confident model repeats itself. Stochastic "
           "beam search perturbs every prefix's log-probability with Gumbel noise and keeps the top k: the k "
           "finished sequences are a sample without replacement, all distinct.",
           formula=r"G_y\sim\text{Gumbel}(\log p(y\mid x)):\ \ \text{the top-}k\ G_y"
                   r"\ \text{are a sample without replacement}",
           source="Kool, van Hoof & Welling 2019, Stochastic Beams and Where to Find Them (ICML).",
           settings=dict(strategy="stochastic_beam", beam_width=5, num_return=5, temperature=1.0, seed=0)),
    Lesson(key="gumbel_max", title="Gumbel-max = sampling", word="crochet", text="crochet", model="g2p-bahdanau",
           explanation="Adding independent Gumbel(0, 1) noise to the logits and taking the argmax picks symbol i "
           "with probability softmax(z)_i, exactly like a multinomial draw. Here both samplers draw 400 "
           "outputs each and their frequencies agree (a chi-square test of homogeneity).",
           formula=r"\arg\max_i\,(z_i+G_i)\ \sim\ \text{softmax}(z),\quad G_i=-\log(-\log U_i)",
           source="Gumbel 1954; Maddison, Tarlow & Minka 2014, A* Sampling (NeurIPS).",
           settings=dict(strategy="sample", temperature=1.0, num_return=16, seed=0)),
    Lesson(key="heads_differ", title="Attention heads look at different letters", word="acquit",
           text="acquit", model="g2p-transformer",
           explanation="A Transformer's decoder attends to the input with several heads at once, each with its own "
           "projections of queries and keys. Heads of one layer often look at different letters at the same "
           "step (one at the letter being spoken, another at its neighbours), and some are far more focused "
           "than others.",
           formula=r"\text{head}_h=\text{softmax}\Big(\frac{QW^Q_h\,(KW^K_h)^\top}{\sqrt{d_k}}\Big)VW^V_h",
           source="Vaswani et al. 2017, Attention Is All You Need (NeurIPS), section 3.2.2.",
           settings=dict(strategy="greedy")),
    Lesson(key="ensemble_fixes", title="An ensemble outvotes a member's mistake", word="balky",
           text="balky", model="g2p-ensemble",
           explanation="An ensemble averages its members' next-symbol distributions at every step and decodes "
           "from the average. Where one member is confidently wrong and another is right, the average can "
           "follow the right one, so the ensemble's output is correct although a member's alone is not.",
           formula=r"p_{\text{ens}}(y_t\mid y_{<t},x)=\frac{1}{M}\sum_{m=1}^{M}p_m(y_t\mid y_{<t},x)",
           source="Dietterich 2000, Ensemble Methods in Machine Learning; Sutskever et al. 2014 (an ensemble "
                  "of LSTMs for translation).",
           settings=dict(strategy="greedy")),
)
BY_KEY = MappingProxyType({lesson.key: lesson for lesson in LESSONS})


def demonstrate(lesson: Lesson, model) -> Demo:
    """Run the engine on the lesson's input and measure the phenomenon (``Demo.holds``)."""
    return DEMOS[lesson.key](model, lesson.text)


# --- finder: re-pick words after a retrain -------------------------------------------------------------
def candidate_inputs(task: str, split: str, max_len: int) -> list[tuple[str, str]]:
    """(word, model input) pairs of a split, shortest words first, at most ``max_len`` letters."""
    from playground.training.data import load_lexicon, load_test_words, make_splits

    splits = make_splits(load_lexicon(), load_test_words())
    words = sorted((w for w in getattr(splits, split) if len(w) <= max_len), key=lambda w: (len(w) < 4, w))
    if task == "g2p":
        return [(w, w) for w in words]
    return [(w, " ".join(getattr(splits, split)[w][0])) for w in words]


def _beams_differ(model, texts: list[str], first: dict, second: dict, better: bool) -> list[bool]:
    """For each text: does beam search with ``second``'s settings end on another top output than with ``first``'s
    (``better``: on a strictly more probable one)? Both decoded for all texts at once (decode_many)."""
    a, b = (decode_many(model, texts, DecodeConfig(strategy="beam", num_return=1, record_trace=False, **knobs))
            for knobs in (first, second))
    return [(rb.hypotheses[0].log_prob > ra.hypotheses[0].log_prob + 1e-3) if better else
            rb.hypotheses[0].tokens != ra.hypotheses[0].tokens for ra, rb in zip(a, b, strict=True)]


# key -> a batched test a word must pass before its full demonstration is run (the finder's shortcut)
PRESCREENS = MappingProxyType({
    # beam 5 beats greedy (= beam 1): exactly the demonstration's condition
    "beam_beats_greedy": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=1, length_penalty_formula="none"),
        dict(beam_width=5, length_penalty_formula="none"), better=True),
    "length_penalty": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=5, length_penalty_formula="none"), dict(beam_width=5, length_penalty=2.0),
        better=False),
    # a search error of width 2 needs a more probable output, which a wider beam often finds
    "exact_search_error": lambda model, texts: _beams_differ(
        model, texts, dict(beam_width=2, length_penalty_formula="none"),
        dict(beam_width=16, length_penalty_formula="none"), better=True),
    "mbr_consensus": mbr_lesson.mbr_differs,  # MBR over the 8-best list leaves its most probable output
})


def find(key: str, split: str = "dev", limit: int = 5, max_len: int = 7, start: int = 0, chunk: int = 256):
    """Yield (word, text, demo) for words of ``split`` where lesson ``key``'s phenomenon holds. Lessons with a
    PRESCREENS test try only the words of each ``chunk`` that pass it (decoded together), in order."""
    from playground import load_model

    lesson = BY_KEY[key]
    model = load_model(SHIPPED / lesson.model)
    candidates = candidate_inputs(lesson_task(lesson.model), split, max_len)[start:]
    found = 0
    for first in range(0, len(candidates), chunk):
        batch = candidates[first:first + chunk]
        if key in PRESCREENS:
            batch = [c for c, ok in zip(batch, PRESCREENS[key](model, [text for _, text in batch]), strict=True) if ok]
        for word, text in batch:
            try:
                demo = demonstrate(dataclasses.replace(lesson, word=word, text=text), model)
            except ValueError:
                continue
            if demo.holds:
                yield word, text, demo
                found += 1
                if found >= limit:
                    return


def _fmt(numbers: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) and math.isfinite(v) else f"{k}={v}"
                     for k, v in numbers.items())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--find", choices=sorted(BY_KEY), help="search words where this lesson holds")
    parser.add_argument("--split", default="dev", choices=("dev", "train"), help="never the test split")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--max-len", type=int, default=7, help="longest word tried (exact search is slow)")
    parser.add_argument("--start", type=int, default=0, help="skip this many candidate words")
    parser.add_argument("--check", action="store_true", help="demonstrate every preset and say if it holds")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.find:
        for word, text, demo in find(args.find, args.split, args.limit, args.max_len, args.start):
            print(f"{word}\t{text}\t{_fmt(demo.numbers)}", flush=True)
        return 0
    from playground import load_model

    loaded: dict = {}  # the ensemble shares its members with the models they are
    models = {name: load_model(SHIPPED / name, loaded=loaded) for name in MODELS}
    failed = 0
    for lesson in LESSONS:
        demo = demonstrate(lesson, models[lesson.model])
        failed += not demo.holds
        print(f"{'holds' if demo.holds else 'FAILS'}\t{lesson.key}\t{lesson.word}\t{_fmt(demo.numbers)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
