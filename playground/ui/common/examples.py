"""Curated inputs that show interesting decoder behaviour, one list per task (and per Hugging Face model type:
a decoder-only language model gets prompts).

Each example is (input, a short tag saying why it is interesting). P2G inputs are ARPAbet strings
without stress digits, like the shipped models' vocabulary. ``examples_for`` keeps only the inputs a
given model can read, so a model with a different vocabulary never shows a broken example.
"""

from __future__ import annotations

from types import MappingProxyType

from playground.models.hf_causal import SUPPORTED as CAUSAL
from playground.models.vocab import InputError

G2P = (  # (word, what makes it interesting)
    ("colonel", "irregular"),  # /kɚnəl/: an R that is not spelled
    ("read", "heteronym"),  # present /ɹid/ or past /ɹɛd/
    ("lead", "heteronym"),  # the verb or the metal
    ("live", "heteronym"),  # /lɪv/ or /laɪv/
    ("yacht", "irregular"),  # silent CH
    ("worcester", "irregular"),  # three letters go silent
    ("quinoa", "loanword"),  # Quechua via Spanish
    ("gnocchi", "loanword"),  # Italian: silent G, CH = /k/
    ("siobhan", "name"),  # Irish: /ʃɪvɔn/
    ("nguyen", "name"),  # Vietnamese
    ("brillig", "invented"),  # Lewis Carroll
    ("blorptastic", "invented"),  # no dictionary to lean on
)

P2G = (  # (ARPAbet, what makes it interesting)
    ("K ER N AH L", "colonel/kernel"),
    ("R AY T", "right/write/rite"),
    ("N OW", "no/know"),
    ("F L AW ER", "flower/flour"),
    ("Y AA T", "yacht"),
    ("N AY T", "night/knight"),
    ("F OW N IY M", "phoneme"),
    ("K Y UW", "queue/cue"),
    ("SH AH F AH L", "shuffle"),
    ("B L AO R F T", "invented"),
)

TRANSLATE = (  # English sources for translation models (Marian opus-mt-en-*, M2M-100, NLLB, mBART-50 en->xx)
    ("The weather is nice today.", "short sentence"),
    ("I saw her duck.", "ambiguous"),
    ("The bank was closed, so we sat on the bank of the river.", "word sense"),
    ("Time flies like an arrow; fruit flies like a banana.", "garden path"),
    ("He said he would call me back tomorrow at nine.", "tense and time"),
    ("Colorless green ideas sleep furiously.", "nonsense"),
)
SUMMARISE = (  # BART / Pegasus summarisation models
    ("The city council met on Tuesday to discuss the new bus routes. After three hours of debate, members "
     "voted to add two lines to the northern districts and to extend evening service until midnight.", "news"),
    ("Researchers trained a small neural network to convert spellings to pronunciations. It made most of its "
     "errors on vowels, loanwords and names, where English spelling says little about the sound.", "abstract"),
)
T5 = (  # T5's tasks are named in the input itself (Raffel et al. 2020, appendix D)
    ("translate English to German: The house is wonderful.", "translation"),
    ("translate English to French: I saw her duck.", "ambiguous"),
    ("summarize: The city council met on Tuesday to discuss the new bus routes and voted to extend evening "
     "service until midnight.", "summary"),
)
PROMPTS = (  # prompts for decoder-only language models (GPT-2, Llama, Qwen, ...): each shows something of decoding
    ("The capital of France is", "one right answer"),
    ("Once upon a time, there was a", "many good continuations"),
    ("I like cats. I like dogs. I like", "a pattern to copy"),
    ("1, 2, 3, 4, 5,", "counting"),
    ("The best thing about living in a small town is", "open-ended"),
    ("I went to the store and I went to the store and", "repetition: try contrastive search"),
    ("def fibonacci(n):", "code"),
)
EXAMPLES = MappingProxyType({"g2p": G2P, "p2g": P2G, "hf": TRANSLATE})
HF_EXAMPLES = MappingProxyType({"t5": T5, "mt5": T5, "bart": SUMMARISE, "pegasus": SUMMARISE,  # by model_type
                                **{model_type: PROMPTS for model_type in CAUSAL}})


def examples_for(task: str, source_vocab, model_type: str = "") -> list[tuple[str, str]]:
    """The examples of ``task`` (a Hugging Face model's by its ``model_type``) whose input ``source_vocab`` can
    tokenise (all of them, normally)."""
    keep = []
    for text, why in HF_EXAMPLES.get(model_type, EXAMPLES.get(task, ())) if task == "hf" else EXAMPLES.get(task, ()):
        try:
            source_vocab.tokenize(text)
        except InputError:
            continue
        keep.append((text, why))
    return keep


def default_input(task: str, source_vocab, model_type: str = "") -> str:
    """The input rendered when the page (or a newly picked model) opens."""
    examples = examples_for(task, source_vocab, model_type)
    if examples:
        return examples[0][0]
    # a model with an unfamiliar vocabulary: its first few content symbols still make a valid input
    symbols = source_vocab.content_symbols[:4]
    return source_vocab.detokenize(symbols)
