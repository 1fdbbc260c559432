"""A Hugging Face tokenizer behind the playground's vocabulary interface (vocab.py's ``Vocab``).

The engine talks to every vocabulary the same way (``tokenize`` -> symbols, ``encode`` -> ids, ``decode`` ->
symbols, ``detokenize`` -> text, the special ids, ``symbols`` indexed by id). Here the symbols are the
tokenizer's own pieces, as ``convert_ids_to_tokens`` writes them: SentencePiece's "▁" stays as the visible mark
of a word start, and a byte-level BPE's "Ġ" (GPT-2's stand-in for a space) is shown as "▁" too, so that every
family marks word starts alike. ``detokenize`` is the tokenizer's own ``decode``, the text a person reads.

Ids the model scores but the tokenizer never writes (T5's 32,128 logits over 32,100 pieces, Marian's pad row)
get a placeholder symbol, "<unused 32101>", so that ``symbols`` always has one entry per logit.

Special ids follow the model's config (hf.py decides them): ``bos_id`` is the token the decoder starts from,
which the engine never generates (common.never_generated); where a family starts from </s> itself (BART,
mBART-50, M2M-100, NLLB), starting from </s> must not ban </s>, so ``bos_id`` is then the pad id and the
adapter feeds the real start token at position 0.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager

from playground.models.vocab import InputError, name_symbols

MAX_TOKENS = 256  # longest input, in tokens, that a Hub model is given (the page shows every one of them)
MAX_TEXT_CHARS = 4000  # characters looked at before tokenising anything
WORD_START, BYTE_SPACE = "▁", "Ġ"
PROMPT_LAYOUT = "\n\t"  # the control characters a prompt may hold (clean_text)


class TokenizerVocab:
    """One side (``"source"`` or ``"target"``) of a tokenizer, with ``size`` ids (the model's embedding or logit
    rows). Source text is tokenised with the special tokens the model was trained with (BART's <s> ... </s>,
    T5's trailing </s>, NLLB's language code), target text without any (``score`` appends </s> itself)."""

    kind = "pieces"
    lowercase = False

    def __init__(self, tokenizer, *, size: int, side: str, pad_id: int, bos_id: int, eos_id: int,
                 max_tokens: int = MAX_TOKENS, never: frozenset[int] | None = None, prompt: bool = False):
        """``never``: the ids no strategy may output (default <pad> and the start token; a decoder-only model
        bans only a padding token of its own, as generate() does, hf_causal.py). ``prompt``: the source is a
        decoder-only model's prompt, kept as typed (clean_text's ``keep_whitespace``)."""
        if side not in ("source", "target"):
            raise ValueError(f"side must be 'source' or 'target', got {side!r}")
        self.tokenizer, self.side, self.max_tokens, self.prompt = tokenizer, side, max_tokens, prompt
        self._pad, self._bos, self._eos = int(pad_id), int(bos_id), int(eos_id)
        self.symbols = tuple(piece_symbols(tokenizer, size))
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.special_ids = frozenset(i for i in tokenizer.all_special_ids if 0 <= i < size) | {self._pad, self._eos}
        self.never_generated = frozenset({self._pad, self._bos} if never is None else never)
        # a source never holds padding (the engine's); a target can hold what can be generated but </s> (its end)
        self._never = {self._pad} if side == "source" else {*self.never_generated, self._eos}

    # ids ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.symbols)

    @property
    def pad_id(self) -> int:
        return self._pad

    @property
    def bos_id(self) -> int:
        return self._bos

    @property
    def eos_id(self) -> int:
        return self._eos

    @property
    def content_symbols(self) -> tuple[str, ...]:
        return tuple(s for i, s in enumerate(self.symbols) if i not in self.special_ids)

    def encode(self, symbols) -> list[int]:
        """Symbols -> ids. A target never holds what is never generated (an encoder-decoder's <pad> and start
        token) or </s> (the engine adds </s> itself); a source never holds <pad> (padding is the engine's)."""
        ids = [self.index.get(s) for s in symbols]
        bad = sorted({s for s, i in zip(symbols, ids, strict=True) if i is None or i in self._never})
        if bad:
            raise InputError(f"unknown or reserved token(s) {name_symbols(bad)}; allowed: {self.describe()}")
        return ids

    def decode(self, ids) -> list[str]:
        return [self.symbols[int(i)] for i in ids]

    # text -----------------------------------------------------------------------------------
    def describe(self) -> str:
        return (f"text the model's tokenizer can write (at most {self.max_tokens} tokens), or its pieces such as "
                f"{' '.join(self.content_symbols[:3])}")

    def tokenize(self, text: str) -> list[str]:
        """Text -> the tokenizer's pieces; InputError for empty, hidden-character, too long or unknown input."""
        text = clean_text(text, keep_whitespace=self.prompt)
        ids = self._ids(text)
        if len(ids) > self.max_tokens:
            raise InputError(f"input has {len(ids)} tokens; the maximum is {self.max_tokens}")
        unk = self.tokenizer.unk_token_id
        if unk is not None and unk in ids:
            unknown = [w for w in text.split() if unk in self._ids(w)]
            raise InputError(f"the tokenizer cannot write {name_symbols(unknown or [text])} (it would become "
                             f"{self.tokenizer.unk_token}); type {self.describe()}")
        return self.decode(ids)

    def _ids(self, text: str) -> list[int]:
        with tokenizer_failures():
            if self.side == "source":
                ids = list(self.tokenizer(text, add_special_tokens=True)["input_ids"])
                # a prompt that writes the start token itself (a chat template's output does) gets it once, as
                # apply_chat_template(tokenize=True) gives it
                return ids[1:] if len(ids) > 1 and ids[0] == ids[1] == self.tokenizer.bos_token_id else ids
            return list(self.tokenizer(text_target=text, add_special_tokens=False)["input_ids"])

    def detokenize(self, symbols) -> str:
        """The text the tokenizer writes for these pieces (special tokens left out)."""
        ids = [self.index[s] for s in symbols if s in self.index]
        with tokenizer_failures():
            return self.tokenizer.decode(ids, skip_special_tokens=True).strip()


@contextmanager
def tokenizer_failures():
    """Whatever a tokenizer raises becomes an InputError: a tokenizer's own files can make it fail on some text
    (a pre-tokenizer regex that hits Oniguruma's retry limit makes the Rust library panic: pyo3's PanicException,
    a BaseException that no ``except Exception`` catches). Interrupts and exits pass through."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit, InputError):
        raise
    except BaseException as e:  # noqa: BLE001 - see the docstring
        detail = " ".join(str(e).split())[:160]
        raise InputError(f"the model's tokenizer failed on this input ({type(e).__name__}: {detail})") from None


def clean_text(text, *, keep_whitespace: bool = False) -> str:
    """Whitespace runs (newlines included) become one space; refuses non-strings, empty text, text over
    MAX_TEXT_CHARS characters and invisible control characters, each with a message for people.

    ``keep_whitespace`` (a decoder-only model's prompt): the text is kept as typed, its newlines, tabs and a
    trailing space included (a language model continues exactly what it reads: "is" and "is " differ), only
    Windows line ends become newlines."""
    if not isinstance(text, str):
        raise InputError(f"input must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"input has {len(text)} characters; the maximum is {MAX_TEXT_CHARS}")
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n") if keep_whitespace else " ".join(text.split())
    if not text.strip():
        raise InputError("input is empty; type some text")
    layout = PROMPT_LAYOUT if keep_whitespace else ""
    hidden = sorted({c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in layout})
    if hidden:
        raise InputError(f"input contains control or unassigned character(s) {name_symbols(hidden)}")
    return text


def piece_symbols(tokenizer, size: int) -> list[str]:
    """One unique display symbol per id in range(size): the tokenizer's piece, "Ġ" shown as "▁" for byte-level
    BPE vocabularies, "<unused i>" for ids the tokenizer has no piece for; a repeated piece gets " (id)"."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(min(size, len(tokenizer)))))
    pieces = [p if isinstance(p, str) else None for p in pieces] + [None] * (size - len(pieces))
    byte_level = any(p and p.startswith(BYTE_SPACE) for p in pieces) and not any(p and WORD_START in p for p in pieces)
    out, seen = [], set()
    for i, p in enumerate(pieces):
        symbol = f"<unused {i}>" if p is None else re.sub(f"^{BYTE_SPACE}", WORD_START, p) if byte_level else p
        if symbol in seen:
            symbol = f"{symbol} ({i})"
        seen.add(symbol)
        out.append(symbol)
    return out


def language_tokens(tokenizer) -> list[str]:
    """The target-language tokens of a multilingual tokenizer, in its order: NLLB's "deu_Latn", M2M-100's
    "__de__", mBART-50's "de_DE" (each family's documented form); [] for the others."""
    codes = re.compile(r"^(?:[a-z]{3}_[A-Z][a-z]{3}|__[a-z]{2,3}__|[a-z]{2}_[A-Z]{2})$")
    names = [*(getattr(tokenizer, "lang_token_to_id", None) or {}), *tokenizer.all_special_tokens]
    return list(dict.fromkeys(t for t in names if isinstance(t, str) and codes.match(t)))
