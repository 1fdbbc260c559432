"""The Hugging Face models of engine_vs_hf.py's table 2, built from configs with random weights (seeded; nothing is
downloaded), each with a word-level tokenizer over "w0", "w1", ...:

    tiny BART              the tests' sizes (2 + 2 layers, d_model 16, 84 symbols)
    opus-mt-sized Marian   6 + 6 layers, d_model 512, 8 heads, feed-forward 2048, 58,101 symbols (74M parameters)
    BART 50k               1 + 1 layers, d_model 256, 4 heads, feed-forward 1024, 50,000 symbols (27M parameters)
    GPT-2 50k              decoder-only: 4 layers, d_model 256, 4 heads, 50,000 symbols, tied output embeddings
                           (issue 22, item 5), fed a 12-token prompt

The two 50k models always write 24 tokens: BART's own ``final_logits_bias`` at </s> is -1e4; GPT-2's </s> row of
its (tied) embeddings is zero, so its logit is 0 where the other 49,999 are spread around 0 and the top few
hundred are always above it (the benchmark checks that every output of those rows has 24 tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

LARGE_VOCAB_STEPS = 24
CAUSAL_PROMPT = 12  # tokens of a decoder-only model's prompt


@dataclass(frozen=True)
class Bench:
    """One row's model: the transformers model, its tokenizer, its output length (None: --hf-steps, at most),
    whether it is decoder-only, and the prompt length (None: 8-16 words)."""

    model: object
    tokenizer: object
    steps: int | None = None
    causal: bool = False
    words: int | None = None


def word_tokenizer(size: int, specials: dict, template: str):
    """A word-level tokenizer (tokenizers' WordLevel, whitespace pre-tokenizer) of ``size`` ids: the specials in
    id order, then "w0", "w1", ...; ``template`` wraps a source (e.g. "$A </s>")."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    names = [*specials.values(), *(f"w{i}" for i in range(size - len(specials)))]
    vocab = {name: i for i, name in enumerate(names)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=specials["unk"]))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(t, vocab[t]) for t in specials.values() if t in template])
    return PreTrainedTokenizerFast(tokenizer_object=backend, **{f"{k}_token": v for k, v in specials.items()})


def hf_models(only: str = "") -> dict[str, Bench]:
    """name -> Bench (module docstring), eager attention (the one that returns weights), eval mode; only the names
    containing ``only``."""
    import torch
    import transformers as tf

    quiet = dict(dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, forced_bos_token_id=None,
                 forced_eos_token_id=None)
    bart = dict(bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, **quiet)
    bart_specials = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>"}
    configs = {  # name -> (class, config, specials, template, Bench's other fields)
        "tiny BART": (tf.BartForConditionalGeneration, lambda: tf.BartConfig(
            vocab_size=84, d_model=16, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=80,
            init_std=0.3, **bart), bart_specials, "<s> $A </s>", {}),
        "opus-mt-sized Marian": (tf.MarianMTModel, lambda: tf.MarianConfig(
            vocab_size=58_101, d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
            decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048, max_position_embeddings=512,
            eos_token_id=0, pad_token_id=58_100, decoder_start_token_id=58_100, **quiet),
            {"eos": "</s>", "unk": "<unk>"}, "$A </s>", {}),
        "BART 50k": (tf.BartForConditionalGeneration, lambda: tf.BartConfig(
            vocab_size=50_000, d_model=256, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
            decoder_attention_heads=4, encoder_ffn_dim=1024, decoder_ffn_dim=1024, max_position_embeddings=128,
            **bart), bart_specials, "<s> $A </s>", dict(steps=LARGE_VOCAB_STEPS)),
        "GPT-2 50k": (tf.GPT2LMHeadModel, lambda: tf.GPT2Config(
            vocab_size=50_000, n_embd=256, n_layer=4, n_head=4, n_positions=128, resid_pdrop=0.0, embd_pdrop=0.0,
            attn_pdrop=0.0, bos_token_id=0, eos_token_id=0), {"eos": "<|endoftext|>", "unk": "<unk>"}, "$A",
            dict(steps=LARGE_VOCAB_STEPS, causal=True, words=CAUSAL_PROMPT))}
    out = {}
    for name, (cls, make, specials, template, fields) in configs.items():
        if only not in name:
            continue
        config = make()
        config._attn_implementation = "eager"
        torch.manual_seed(0)
        marian = "pad" not in specials and not fields.get("causal")
        tokenizer = word_tokenizer(config.vocab_size - marian, specials, template)
        if marian:  # Marian: <pad> is the last id (the decoder's start token)
            tokenizer.add_special_tokens({"pad_token": "<pad>"})
        model = cls(config).eval()
        with torch.no_grad():  # the 50k rows never end (module docstring)
            if fields.get("causal"):
                model.get_output_embeddings().weight[config.eos_token_id] = 0.0
            elif fields.get("steps"):
                model.final_logits_bias[0, config.eos_token_id] = -1e4
        out[name] = Bench(model, tokenizer, **fields)
    return out
