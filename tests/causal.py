"""Tiny Hugging Face decoder-only models for the tests, built offline from each family's config class with random
weights and a word-level tokenizer (nothing is downloaded): tests/test_models_hf_causal*.py."""

from __future__ import annotations

import torch
from helpers import HF_WORDS

# family -> its config's own size names (the library's names differ per family) and anything it needs
SIZES = dict(vocab_size=len(HF_WORDS) + 4, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
             intermediate_size=32, max_position_embeddings=128, initializer_range=0.5)
FAMILIES = {
    "gpt2": dict(n_embd=16, n_layer=2, n_head=2, n_positions=128, initializer_range=0.5, resid_pdrop=0.0,
                 embd_pdrop=0.0, attn_pdrop=0.0),
    "gpt_neox": dict(SIZES, hidden_dropout=0.0, attention_dropout=0.0),
    "llama": dict(SIZES, num_key_value_heads=1),
    "mistral": dict(SIZES, num_key_value_heads=1, sliding_window=None),
    "qwen2": dict(SIZES, num_key_value_heads=1),
    "qwen3": dict(SIZES, num_key_value_heads=1, head_dim=8),
    "phi3": dict(SIZES, num_key_value_heads=1),
    "gemma2": dict(SIZES, num_key_value_heads=1, head_dim=8, sliding_window=96),
    "gemma3_text": dict(SIZES, num_key_value_heads=1, head_dim=8, sliding_window=96),
}
GPT2_SPECIALS = {"bos": "<|endoftext|>", "eos": "<|endoftext|>", "unk": "<|endoftext|>"}  # one token, no padding
LLAMA_SPECIALS = {"unk": "<unk>", "bos": "<s>", "eos": "</s>", "pad": "<pad>"}  # a prompt starts with <s>


def causal_tokenizer(family: str):
    """A word-level tokenizer over HF_WORDS with GPT-2's special token (added to nothing) or Llama-style ones (<s>
    before a prompt, a padding token of its own), as PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = GPT2_SPECIALS if family == "gpt2" else LLAMA_SPECIALS
    vocab = {token: i for i, token in enumerate([*dict.fromkeys(specials.values()), *HF_WORDS])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=specials["unk"]))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    if family != "gpt2":
        backend.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", vocab["<s>"])])
    return PreTrainedTokenizerFast(tokenizer_object=backend, **{f"{k}_token": v for k, v in specials.items()})


def causal_hf(family: str, *, seed: int = 0, eos_bias: float = 3.0):
    """A tiny random transformers model of ``family`` and its tokenizer; </s>'s logit raised by about ``eos_bias``
    along the model's mean final hidden state, so that hypotheses end at different lengths."""
    import transformers

    tokenizer = causal_tokenizer(family)
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id)
    config = transformers.AutoConfig.for_model(family, **{**FAMILIES[family], "vocab_size": len(tokenizer), **ids})
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager").eval()
    raise_eos(model, tokenizer.eos_token_id, eos_bias)
    return model, tokenizer


@torch.no_grad()
def raise_eos(model, eos: int, bias: float) -> None:
    """Move </s>'s output row along the mean final hidden state on random text: its logit there rises by ~bias."""
    ids = torch.randint(3, model.config.vocab_size, (4, 6))
    hidden = model(input_ids=ids, output_hidden_states=True).hidden_states[-1]
    mean = hidden.mean((0, 1))  # (d,)
    model.get_output_embeddings().weight[eos] += bias * mean / mean.square().sum()


def causal_model(family: str, **kw):
    """The same, behind the playground's adapter (models/hf_causal.py)."""
    from playground.models.hf_causal import HFCausalLM

    model, tokenizer = causal_hf(family, **kw)
    return HFCausalLM(model, tokenizer, name=f"tiny-{family}")


CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
                 "{% if add_generation_prompt %} the{% endif %}")  # a user turn, then the assistant's opened: "the"


def causal_checkpoint(directory, family: str, *, chat: str | None = None, seed: int = 0, **save):
    """The same model saved in ``directory`` as a Hub repository holds it (safetensors, config.json, tokenizer files;
    ``save``: save_pretrained's options, e.g. max_shard_size), with ``chat`` as its tokenizer's chat template;
    returns (directory, the adapter over the in-memory model)."""
    from playground.models.hf_causal import HFCausalLM

    model, tokenizer = causal_hf(family, seed=seed)
    if chat:
        tokenizer.chat_template = chat
    model.save_pretrained(directory, **save)
    tokenizer.save_pretrained(directory)
    return directory, HFCausalLM(model, tokenizer, name=f"tiny-{family}")
