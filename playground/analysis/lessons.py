"""The Learn tab's lessons: sixteen phenomena of decoding, grouped by topic, each shown live on a real word with a
shipped model and asked first as a question.

A ``Lesson`` (lesson_base.py) is data (word, model, explanation, formula, Explore settings);
``demonstrate(lesson, model)`` runs the engine and returns a ``Demo``: the numbers that show the phenomenon, chart
panels, and ``holds``, whether it really occurred; ``lesson_question(lesson, demo)`` the predict-first question
whose right answer those numbers decide. Tests assert ``holds`` for every lesson with the shipped checkpoints, and
recompute every right answer through the engine.

Words were picked off the test split (dev words, or everyday words that are not test words). After a
retrain, re-pick them with the finder (lesson_finder.py), which tries words of a split until the phenomenon holds:

    python -m playground.analysis.lessons --find beam_beats_greedy --split dev --limit 5
    python -m playground.analysis.lessons --check        # every lesson, with the shipped checkpoints
"""

from __future__ import annotations

import argparse
import math
from types import MappingProxyType

import torch

from playground.analysis.lesson_base import (  # noqa: F401  (re-exported: the lessons' one import)
    GROUPS,
    MODELS,
    Lesson,
    demonstrate,
    lesson_question,
    lesson_task,
)
from playground.analysis.lesson_demos import Demo, Panel, Series  # noqa: F401  (re-exported)
from playground.analysis.lesson_finder import find
from playground.models.checkpoint import SHIPPED

LESSONS = (  # grouped by topic (GROUPS), in the tab's order
    Lesson(key="temperature_zero", group="sampling", name="Temperature 0",
           blurb="Eight samples at T = 0 against the greedy output.",
           title="Temperature → 0 is greedy", word="helmet", text="helmet",
           model="g2p-bahdanau",
           explanation="Dividing the logits by a temperature T before the softmax sharpens the distribution as T "
           "shrinks; in the limit all the mass sits on the most probable symbol. Sampling at T = 0 therefore "
           "takes the argmax at every step: every sample is the greedy output.",
           formula=r"p_T(y_t=i)=\frac{e^{z_i/T}}{\sum_j e^{z_j/T}}\ \xrightarrow{T\to 0}\ "
                   r"\mathbb{1}[i=\arg\max_j z_j]",
           source="The softmax with temperature (Ackley, Hinton & Sejnowski 1985; Hinton et al. 2015).",
           settings=dict(strategy="sample", temperature=0.0, num_return=8, seed=0)),
    Lesson(key="temperature_high", group="sampling", name="High temperature",
           blurb="Sixteen samples at T = 1 and at T = 2: entropy and variety.",
           title="High temperature flattens", word="origami", text="origami",
           model="g2p-bahdanau",
           explanation="A temperature above 1 shrinks the gaps between logits, so unlikely symbols gain "
           "probability and the entropy rises. Samples then wander further from the most probable output "
           "and differ more from one another.",
           formula=r"p_T(y_t=i)=\frac{e^{z_i/T}}{\sum_j e^{z_j/T}},\quad T>1\Rightarrow H(p_T)>H(p_1)",
           source="The softmax with temperature (Ackley, Hinton & Sejnowski 1985; Hinton et al. 2015).",
           settings=dict(strategy="sample", temperature=2.0, num_return=16, seed=0)),
    Lesson(key="top_p_adaptive", group="sampling", name="Top-p",
           blurb="Nucleus sampling with p = 0.9: how many symbols each step keeps.",
           title="Top-p adapts to uncertainty", word="regime", text="regime",
           model="g2p-bahdanau",
           explanation="Nucleus (top-p) sampling keeps the smallest set of symbols whose probability adds up to "
           "p. Where the model is confident that set is one symbol; where it hesitates between several "
           "vowels it keeps them all, so the cut adapts where a fixed top-k cannot.",
           formula=r"V^{(p)}=\min\{V'\subseteq V:\ \textstyle\sum_{i\in V'}p(i)\ge p\}",
           source="Holtzman et al. 2020, The Curious Case of Neural Text Degeneration (ICLR).",
           settings=dict(strategy="sample", top_p=0.9, temperature=1.0, num_return=1, seed=0)),
    Lesson(key="gumbel_max", group="sampling", name="Gumbel-max",
           blurb="400 draws by multinomial sampling and 400 by the Gumbel-max trick.",
           title="Gumbel-max = sampling", word="crochet", text="crochet", model="g2p-bahdanau",
           explanation="Adding independent Gumbel(0, 1) noise to the logits and taking the argmax picks symbol i "
           "with probability softmax(z)_i, exactly like a multinomial draw. Here both samplers draw 400 "
           "outputs each and their frequencies agree (a chi-square test of homogeneity).",
           formula=r"\arg\max_i\,(z_i+G_i)\ \sim\ \text{softmax}(z),\quad G_i=-\log(-\log U_i)",
           source="Gumbel 1954; Maddison, Tarlow & Minka 2014, A* Sampling (NeurIPS).",
           settings=dict(strategy="sample", temperature=1.0, num_return=16, seed=0)),
    Lesson(key="stochastic_beam", group="sampling", name="Stochastic beam",
           blurb="Five plain samples against stochastic beam search with k = 5.",
           title="Stochastic beam: k distinct samples", word="cavity",
           text="K AE V AH T IY", model="p2g-luong",
           explanation="Plain sampling draws with replacement, so a confident model repeats itself. Stochastic "
           "beam search perturbs every prefix's log-probability with Gumbel noise and keeps the top k: the k "
           "finished sequences are a sample without replacement, all distinct.",
           formula=r"G_y\sim\text{Gumbel}(\log p(y\mid x)):\ \ \text{the top-}k\ G_y"
                   r"\ \text{are a sample without replacement}",
           source="Kool, van Hoof & Welling 2019, Stochastic Beams and Where to Find Them (ICML).",
           settings=dict(strategy="stochastic_beam", beam_width=5, num_return=5, temperature=1.0, seed=0)),
    Lesson(key="beam_beats_greedy", group="search", name="Greedy vs beam",
           blurb="Greedy decoding against beam search of width 5.",
           title="Beam beats greedy", word="acetone", text="acetone", model="g2p-bahdanau",
           explanation="Greedy decoding commits to the best symbol at each step and never looks back. Beam "
           "search keeps the k best prefixes, so a first step that looked slightly worse can lead to a whole "
           "output that is more probable.",
           formula=r"\log p(y\mid x)=\sum_t \log p(y_t\mid y_{<t},x),\quad "
                   r"\hat y_{\text{beam}}=\arg\max_{y\in\text{beam}_k}\log p(y\mid x)",
           source="Beam search as in Sutskever et al. 2014 and Hugging Face / fairseq (top 2k candidates per step).",
           settings=dict(strategy="beam", beam_width=5, num_return=5, length_penalty_formula="none")),
    Lesson(key="length_penalty", group="search", name="Length penalty",
           blurb="Beam search's winner with and without a length penalty (α = 2).",
           title="The length penalty changes the winner", word="belabor", text="belabor",
           model="g2p-bahdanau",
           explanation="Every extra symbol multiplies in another probability below 1, so raw log p favours short "
           "outputs. Dividing by a length penalty rewards longer ones; with a large enough α a longer "
           "hypothesis overtakes the raw winner.",
           formula=r"s(y)=\frac{\log p(y\mid x)}{|y|^{\alpha}}\quad\text{or}\quad"
                   r"\frac{\log p(y\mid x)}{((5+|y|)/6)^{\alpha}}",
           source="Wu et al. 2016, Google's Neural Machine Translation System, eq. 14 (the GNMT form).",
           settings=dict(strategy="beam", beam_width=5, num_return=5, length_penalty_formula="length",
                         length_penalty=2.0)),
    Lesson(key="exact_search_error", group="search", name="Exact search",
           blurb="Beam search of width 2 against exact search, and the dictionary.",
           title="Exact search reveals a search error", word="jeremia", text="jeremia",
           model="g2p-bahdanau",
           explanation="Exact search finds the model's most probable output by depth-first branch and bound. "
           "When beam search's best is less probable, beam search made a search error. If the mode itself is "
           "not the dictionary's answer, the model is wrong too: a search error can even hide a model error.",
           formula=r"\hat y=\arg\max_y \log p(y\mid x);\quad\text{search error}\iff "
                   r"\log p(\hat y_{\text{beam}}\mid x)<\log p(\hat y\mid x)",
           source="Stahlberg & Byrne 2019, On NMT Search Errors and Model Errors: Cat Got Your Tongue? (EMNLP).",
           settings=dict(strategy="exact", beam_width=2)),
    Lesson(key="beam_curse", group="search", name="Wider beam",
           blurb="Greedy decoding against beam search of width 10: which is the dictionary's?",
           title="More probable is not more correct", word="concourse", text="concourse", model="g2p-bahdanau",
           explanation="A wider beam keeps more prefixes, so its best output is usually at least as probable as "
           "greedy's, and often more. But the model's probability is not the dictionary: where the model prefers a "
           "wrong pronunciation, a better search finds that mistake more surely. This is one reason why wider beams "
           "can make translations worse.",
           formula=r"\log p(\hat y_{k=10}\mid x)>\log p(\hat y_{\text{greedy}}\mid x)\ \not\Rightarrow\ "
                   r"\hat y_{k=10}\ \text{is right}",
           source="Koehn & Knowles 2017, Six Challenges for Neural Machine Translation (WNMT), beam search; "
                  "Stahlberg & Byrne 2019 (EMNLP).",
           settings=dict(strategy="beam", beam_width=10, num_return=3, length_penalty_formula="none")),
    Lesson(key="mbr_consensus", group="search", name="MBR",
           blurb="Minimum Bayes risk over beam search's 8 best against its best.",
           title="MBR picks the consensus", word="folklore", text="folklore",
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
    Lesson(key="contrastive_penalty", group="search", name="Contrastive search",
           blurb="Contrastive search (k = 4, α = 0.6) against greedy decoding.",
           title="The degeneration penalty overrules the favourite", word="cutie", text="cutie",
           model="g2p-bahdanau",
           explanation="Contrastive search takes, of the k most probable symbols, the one that best trades the "
           "model's confidence against its similarity to what came before: the largest cosine between the "
           "decoder's hidden state with that symbol and those of the earlier positions. Built to stop language "
           "models from repeating themselves, it can also overrule a favourite whose state resembles the context; "
           "in pronunciation there is little repetition to avoid, so the change can make an output worse as well "
           "as better.",
           formula=r"y_t=\arg\max_{v\in V^{(k)}}\big[(1-\alpha)\,p(v\mid y_{<t},x)-\alpha\max_{j<t}"
                   r"\cos(h_v,h_j)\big]",
           source="Su et al. 2022, A Contrastive Framework for Neural Text Generation (NeurIPS), eq. 5.",
           settings=dict(strategy="contrastive", top_k=4, penalty_alpha=0.6)),
    Lesson(key="ensemble_fixes", group="models", name="Ensemble",
           blurb="Two models alone, then their average, on one word.",
           title="An ensemble outvotes a member's mistake", word="balky",
           text="balky", model="g2p-ensemble",
           explanation="An ensemble averages its members' next-symbol distributions at every step and decodes "
           "from the average. Where one member is confidently wrong and another is right, the average can "
           "follow the right one, so the ensemble's output is correct although a member's alone is not.",
           formula=r"p_{\text{ens}}(y_t\mid y_{<t},x)=\frac{1}{M}\sum_{m=1}^{M}p_m(y_t\mid y_{<t},x)",
           source="Dietterich 2000, Ensemble Methods in Machine Learning; Sutskever et al. 2014 (an ensemble "
                  "of LSTMs for translation).",
           settings=dict(strategy="greedy")),
    Lesson(key="branch_recovers", group="models", name="Force a symbol · alcove",
           blurb="Force the runner-up symbol at the model's closest call; greedy decoding goes on.",
           title="The model recovers from a forced symbol", word="alcove", text="alcove", model="g2p-bahdanau",
           explanation="Forcing a symbol changes what the decoder conditions on from then on: its own output so "
           "far, and where its attention has got to in the input. Here the model takes the forced symbol in its "
           "stride and carries on as before: the change stays local.",
           formula=r"y_t:=v,\qquad y_s=\arg\max_w p(w\mid y_{<s},x)\quad(s>t)",
           source="Branching as in analysis/branch.py; exposure bias: Bengio et al. 2015, Scheduled Sampling "
                  "(NeurIPS); Ranzato et al. 2016 (ICLR).",
           settings=dict(strategy="greedy")),
    Lesson(key="branch_derails", group="models", name="Force a symbol · banged",
           blurb="Force the runner-up symbol at the model's closest call; greedy decoding goes on.",
           title="A forced symbol rewrites the rest", word="banged", text="banged", model="g2p-bahdanau",
           explanation="A decoder trained with teacher forcing only ever saw right prefixes; when it runs, it "
           "conditions on its own output, mistakes included (exposure bias). Here the forced symbol sends the "
           "model down another reading of the word: one change at one step rewrites what follows.",
           formula=r"y_t:=v,\qquad y_s=\arg\max_w p(w\mid y_{<s},x)\quad(s>t)",
           source="Bengio et al. 2015, Scheduled Sampling (NeurIPS); Ranzato et al. 2016, Sequence Level Training "
                  "with Recurrent Neural Networks (ICLR).",
           settings=dict(strategy="greedy")),
    Lesson(key="decoder_only_vs_encdec", group="models", name="Decoder-only vs encoder-decoder",
           blurb="The same word through an encoder-decoder and a decoder-only model trained on the same words.",
           title="Two architectures, two readings, each sure of its own", word="aliases", text="aliases",
           model="g2p-decoder-only", partner="g2p-transformer",
           explanation="An encoder-decoder reads the spelling with a separate encoder and looks at it through "
           "cross-attention; a decoder-only model gets the spelling as the start of its own sequence and reads it "
           "with the same causal self-attention it uses for what it wrote. Trained on the same words they still "
           "disagree on some, and each model scores its own answer above the other's: neither can tell which "
           "reading is right.",
           formula=r"p(y\mid x)=\prod_t p(y_t\mid y_{<t},x)\quad\text{enc-dec: }x\to\text{encoder};\ "
                   r"\text{dec-only: }[x;\langle s\rangle;y_{<t}]\to\text{one stack}",
           source="Vaswani et al. 2017, Attention Is All You Need; Liu et al. 2018, Generating Wikipedia by "
                  "Summarizing Long Sequences (ICLR): a decoder-only Transformer for sequence-to-sequence tasks.",
           settings=dict(strategy="beam", beam_width=5)),
    Lesson(key="heads_differ", group="inside", name="Attention heads",
           blurb="Where each head of a Transformer decoder layer looks.",
           title="Attention heads look at different letters", word="acquit",
           text="acquit", model="g2p-transformer",
           explanation="A Transformer's decoder attends to the input with several heads at once, each with its own "
           "projections of queries and keys. Heads of one layer often look at different letters at the same "
           "step (one at the letter being spoken, another at its neighbours), and some are far more focused "
           "than others.",
           formula=r"\text{head}_h=\text{softmax}\Big(\frac{QW^Q_h\,(KW^K_h)^\top}{\sqrt{d_k}}\Big)VW^V_h",
           source="Vaswani et al. 2017, Attention Is All You Need (NeurIPS), section 3.2.2.",
           settings=dict(strategy="greedy")),
    Lesson(key="decoder_only_reads", group="inside", name="Decoder-only attention",
           blurb="Where each layer of a decoder-only model looks while it writes: the spelling or its own output.",
           title="Some layers read the spelling, one reads what it wrote", word="abusers", text="abusers",
           model="g2p-decoder-only",
           explanation="A decoder-only model has no encoder: the spelling, a separator and the phonemes it writes "
           "form one sequence, and each layer's causal self-attention chooses at every step how much to look "
           "back at the spelling and how much at its own output. The layers divide the work: most read the "
           "spelling, one looks largely at the phonemes already written.",
           formula=r"a_{t,j}=\mathrm{softmax}_{j\le t}\Big(\frac{q_t\cdot k_j}{\sqrt{d_k}}\Big),\quad"
                   r"\text{share}_\ell=\frac1T\sum_t\sum_{j\in x}a^{(\ell)}_{t,j}",
           source="Radford et al. 2019, Language Models are Unsupervised Multitask Learners (GPT-2); Vaswani et al. "
                  "2017, section 3.2.3 (masked self-attention).",
           settings=dict(strategy="greedy")),
    Lesson(key="logit_lens_late", group="inside", name="Logit lens",
           blurb="What each decoder layer of a Transformer would predict, read through its output layer.",
           title="The last layer makes the hard call", word="alfred", text="alfred", model="g2p-transformer",
           explanation="Each decoder layer of a Transformer adds to one stream of vectors, and only the last "
           "layer's output goes through the output layer. The logit lens sends the stream after every layer "
           "through that same norm and output layer: what the model would predict without the layers above. Most "
           "symbols are settled by the first layer; a hard one only by the last.",
           formula=r"p_\ell(y_t)=\mathrm{softmax}\big(W_{\text{out}}\,\mathrm{LN}(h^{(\ell)}_t)\big),"
                   r"\quad\ell=1,\dots,L",
           source="nostalgebraist 2020, interpreting GPT: the logit lens (LessWrong).",
           settings=dict(strategy="greedy")),
)
BY_KEY = MappingProxyType({lesson.key: lesson for lesson in LESSONS})


def grouped() -> tuple[tuple[tuple[str, str, str], tuple[Lesson, ...]], ...]:
    """((group key, label, description), its lessons) for every group, in GROUPS' order."""
    return tuple((group, tuple(lesson for lesson in LESSONS if lesson.group == group[0])) for group in GROUPS)


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
    parser.add_argument("--check", action="store_true", help="demonstrate every lesson and say if it holds")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.find:
        for word, text, demo in find(BY_KEY[args.find], args.split, args.limit, args.max_len, args.start):
            print(f"{word}\t{text}\t{_fmt(demo.numbers)}", flush=True)
        return 0
    from playground import load_model

    loaded: dict = {}  # the ensemble shares its members with the models they are
    models = {name: load_model(SHIPPED / name, loaded=loaded) for name in MODELS}
    failed = 0
    for lesson in LESSONS:
        demo = demonstrate(lesson, models[lesson.model], models.get(lesson.partner))
        question = lesson_question(lesson, demo)
        failed += not demo.holds
        answer = f"answer: {question.answer}" if question else "no question"
        print(f"{'holds' if demo.holds else 'FAILS'}\t{lesson.key}\t{lesson.word}\t{answer}\t{_fmt(demo.numbers)}"
              f"\n\t{demo.summary}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
