"""A chat model's prompt: the user's text as one user turn through the tokenizer's own chat template.

The page offers it as "Format as chat" (off by default): the template's text is written into the prompt box, so
what the model reads (its role markers, newlines and special tokens) is on the page and in the share link, and
every later decode, Compare column or API call sees plain text. transformers renders the template in a sandboxed
Jinja environment (no Python, no file access); its output is bounded like any typed prompt.
"""

from __future__ import annotations

from playground.models.hf_vocab import MAX_TEXT_CHARS, clean_text, tokenizer_failures
from playground.models.vocab import InputError


def has_chat_template(tokenizer) -> bool:
    return isinstance(getattr(tokenizer, "chat_template", None), (str, dict)) and bool(tokenizer.chat_template)


def chat_prompt(tokenizer, text) -> str:
    """``text`` as one user turn, then the template's generation prompt (the assistant's turn opened), as text;
    InputError if the tokenizer has no chat template, or for text a prompt box refuses."""
    if not has_chat_template(tokenizer):
        raise InputError("this model's tokenizer has no chat template: its prompt is the text as typed")
    clean_text(text, keep_whitespace=True)  # the same refusals as a typed prompt (empty, too long, hidden characters)
    with tokenizer_failures():
        out = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                            add_generation_prompt=True)
    if not isinstance(out, str) or not out.strip():
        raise InputError("the model's chat template wrote no text for this input")
    if len(out) > MAX_TEXT_CHARS:
        raise InputError(f"the chat template makes {len(out)} characters of this input; the maximum is "
                         f"{MAX_TEXT_CHARS}")
    return out
