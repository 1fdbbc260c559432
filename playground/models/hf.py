"""Hugging Face encoder-decoders as step models: BART, mBART, Marian (opus-mt), T5, mT5, Pegasus, M2M-100 / NLLB.

``HFSeq2Seq(model, tokenizer)`` wraps a ``transformers`` seq2seq model (loading.py's ``load_hf`` reads one from
a directory: config.json with a supported ``model_type``, model.safetensors, a tokenizer) in the engine's step
protocol (playground/decoding/protocol.py), with the library's own modules and cache:

    encode(src_ids (N, S))   runs the encoder once, then the decoder once on the start token with an empty
                             ``EncoderDecoderCache``: the library fills every layer's cross-attention keys and
                             values (kept in the state) and that call is also step 0, so it is kept for it
    step(prev (B,), state)   one position of the library's decoder stack with ``past_key_values`` built from
                             the state's tensors (a cache layer per decoder layer, no copy), then the model's
                             output head -> float32 logits (B, V) and the cross-attention of every layer and
                             head (B, L, H, S), on the CPU
    reorder(state, index)    index-selects the cached keys and values (a shared source stays one view)

The state is never modified: each step builds a fresh cache around the state's tensors, and the library's
``DynamicLayer.update`` concatenates into new tensors. Weights run in float32 with the "eager" attention, the
one that returns attention weights (transformers docs, "Attention interface"). Nothing runs remote code
(``trust_remote_code`` is never set) and only safetensors weights are read.

Special tokens are the model's (config / generation_config): decoding starts from ``decoder_start_token_id``
(</s> for BART, mBART-50, M2M-100, NLLB; <pad> for T5, Marian, Pegasus), stops at ``eos_token_id``, and
never emits <pad> (the engine bans ``pad_id`` and ``bos_id``: hf_vocab.py says why ``bos_id`` is <pad> when
the start token is </s>). A multilingual model names its target languages in ``target_languages``,
(label, token) pairs: force one with ``DecodeConfig(prefix=(token,))``, as ``generate``'s
``forced_bos_token_id`` does. Their model generation defaults (beam size, length penalty, bad words) are not
used: the playground's DecodeConfig decides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

import torch

from playground.decoding.protocol import ModelInfo, StepOutput
from playground.models.checkpoint import CheckpointError
from playground.models.hf_vocab import TokenizerVocab, language_tokens
from playground.models.lens import LayerLens, fed_tokens
from playground.models.rows import select_rows, step_distinct

# config.json "model_type" -> the family's name; every one an encoder-decoder with an EncoderDecoderCache
SUPPORTED = MappingProxyType({"bart": "BART", "mbart": "mBART", "marian": "Marian (opus-mt)", "t5": "T5",
                              "mt5": "mT5", "pegasus": "Pegasus", "m2m_100": "M2M-100 / NLLB"})
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "source.spm", "spiece.model",
                   "sentencepiece.bpe.model", "sentencepiece.model", "vocab.txt")


@dataclass
class HFState:
    """What the decoder needs per row. Per decoder layer: cross-attention keys/values (B, H, S, d_k), computed
    once by ``encode``, and the self-attention keys/values (B, H, t, d_k) of the t positions decoded so far."""

    memory: torch.Tensor  # (B, S, d) encoder output (the library's cross-attention takes it, then reads the cache)
    mask: torch.Tensor | None  # (B, S) 1 at real source tokens; None when no row is padded (nothing to mask)
    cross_k: tuple[torch.Tensor, ...]
    cross_v: tuple[torch.Tensor, ...]
    self_k: tuple[torch.Tensor, ...]
    self_v: tuple[torch.Tensor, ...]
    origin: torch.Tensor  # (B,) long: equal origins, equal states (rows.step_distinct)
    first: tuple | None = None  # step 0 as encode computed it: its StepOutput (no state), self_k, self_v

    def index_select(self, index: torch.Tensor) -> HFState:
        def shared(xs):  # one source's rows stay one view
            return tuple(select_rows(x, index) for x in xs)

        def rows(xs):
            return tuple(x.index_select(0, index) for x in xs)

        first = None if self.first is None else (self.first[0].rows(index), rows(self.first[1]), rows(self.first[2]))
        mask = None if self.mask is None else select_rows(self.mask, index)
        return HFState(memory=select_rows(self.memory, index), mask=mask,
                       cross_k=shared(self.cross_k), cross_v=shared(self.cross_v), self_k=rows(self.self_k),
                       self_v=rows(self.self_v), origin=self.origin.index_select(0, index), first=first)


def special_ids(model) -> tuple[int, int, int, int]:
    """(start, pad, eos, bos_id for the engine), from generation_config first (transformers 5 keeps them there),
    then the config; a list of EOS ids counts its first."""
    def get(name):
        value = getattr(model.generation_config, name, None)
        value = getattr(model.config, name, None) if value is None else value
        return value[0] if isinstance(value, (list, tuple)) else value

    pad, eos = get("pad_token_id"), get("eos_token_id")
    start = get("decoder_start_token_id")
    start = pad if start is None else start
    if pad is None or eos is None:
        raise CheckpointError(f"{model.config.model_type}: the config names no pad_token_id or eos_token_id")
    return int(start), int(pad), int(eos), int(pad if start == eos else start)


class HFSeq2Seq(ModelInfo, LayerLens):
    """A transformers encoder-decoder behind the step protocol (module docstring)."""

    family = "hf"
    outputs = frozenset({"attention", "hidden"})

    def __init__(self, model, tokenizer, *, name: str):
        if model.config._attn_implementation != "eager":  # only "eager" returns the attention weights
            model.set_attn_implementation("eager")
        self.model, self.tokenizer = model.eval(), tokenizer
        self._device = model.device  # (the model's property walks its parameters: read it once)
        self.start_id, pad, eos, bos = special_ids(model)
        out_rows, in_rows = model.get_output_embeddings().out_features, model.get_input_embeddings().num_embeddings
        self.source_vocab = TokenizerVocab(tokenizer, size=in_rows, side="source", pad_id=pad, bos_id=bos,
                                           eos_id=eos)
        self.target_vocab = TokenizerVocab(tokenizer, size=out_rows, side="target", pad_id=pad, bos_id=bos,
                                           eos_id=eos)
        self.target_languages = tuple((t, t) for t in language_tokens(tokenizer) if t in self.target_vocab.index)
        model_type = model.config.model_type
        self.config = {"name": f"{name} · {SUPPORTED[model_type]}", "task": "hf", "model_type": model_type}

    @property
    def device(self) -> torch.device:
        return self._device

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    # --- the step protocol ---------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, src_ids: torch.Tensor) -> HFState:
        """src_ids (N, S), padded with the pad id -> the state before step 0 (which is computed here too)."""
        src_ids = src_ids.to(self.device)
        mask = (src_ids != self.source_vocab.pad_id).long()  # (N, S)
        memory = self.model.get_encoder()(input_ids=src_ids, attention_mask=mask).last_hidden_state  # (N, S, d)
        mask = None if bool(mask.all()) else mask  # (adding a mask of zeros changes nothing: skip building it)
        start = torch.full((src_ids.shape[0], 1), self.start_id, device=self.device)
        out, cache = self._decoder(start, memory, mask, self._cache((), (), (), ()))
        cross = cache.cross_attention_cache.layers
        self_k, self_v = self._self_attention(cache)
        return HFState(memory=memory, mask=mask, cross_k=tuple(c.keys for c in cross),
                       cross_v=tuple(c.values for c in cross), self_k=tuple(k[:, :, :0] for k in self_k),
                       self_v=tuple(v[:, :, :0] for v in self_v),
                       origin=torch.arange(src_ids.shape[0], device=self.device),
                       first=(out, self_k, self_v))

    @torch.no_grad()
    def step(self, prev_tokens: torch.Tensor, state: HFState) -> StepOutput:
        """prev_tokens (B,) -> logits (B, V), new state, cross-attention (B, L, H, S) and the decoder's last hidden
        state (B, d), float32 on the CPU."""
        return step_distinct(self._step, prev_tokens.to(self.device), state, len(self.target_vocab)).cpu()

    def _step(self, prev_tokens: torch.Tensor, state: HFState) -> StepOutput:
        if state.first is not None:  # position 0 (the engine feeds bos_id): encode already ran the start token
            out, self_k, self_v = state.first
            return replace(out, state=replace(state, self_k=self_k, self_v=self_v, first=None))
        cache = self._cache(state.self_k, state.self_v, state.cross_k, state.cross_v)
        out, cache = self._decoder(prev_tokens[:, None], state.memory, state.mask, cache)
        self_k, self_v = self._self_attention(cache)
        return replace(out, state=replace(state, self_k=self_k, self_v=self_v))

    def reorder(self, state: HFState, index: torch.Tensor) -> HFState:
        return state.index_select(index.to(self.device))

    # --- the library's side ----------------------------------------------------------------------------
    def _decoder(self, tokens: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None, cache):
        """One decoder position for every row: tokens (B, 1) -> a StepOutput without its state (logits (B, V), the
        cross-attention of every layer and head (B, L, H, S), the last hidden state (B, d)) and the updated
        cache. The library's decoder stack, then the output head
        as each family's ``forward`` applies it (``logits``): calling the decoder alone skips the seq2seq
        wrapper's work for the encoder that already ran (the tests compare both with the whole forward)."""
        out = self.model.get_decoder()(input_ids=tokens, encoder_hidden_states=memory, encoder_attention_mask=mask,
                                       past_key_values=cache, use_cache=True, output_attentions=True, return_dict=True)
        attention = torch.stack([a[:, :, -1] for a in out.cross_attentions], dim=1)  # L x (B, H, 1, S) -> (B, L, H, S)
        hidden = out.last_hidden_state[:, -1]  # (B, d)
        return StepOutput(logits=self.logits(hidden), state=None, attention=attention, hidden=hidden), \
            out.past_key_values

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """The decoder's last hidden state (B, d) -> logits (B, V): T5 (tied embeddings) scales it by d^-1/2
        (``scale_decoder_outputs``), BART, mBART, Marian and Pegasus add ``final_logits_bias``."""
        if getattr(self.model.config, "scale_decoder_outputs", False):
            hidden = hidden * self.model.config.d_model ** -0.5
        logits = self.model.get_output_embeddings()(hidden)
        bias = getattr(self.model, "final_logits_bias", None)
        return logits if bias is None else logits + bias[0]

    @staticmethod
    def _self_attention(cache) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
        layers = cache.self_attention_cache.layers
        return tuple(layer.keys for layer in layers), tuple(layer.values for layer in layers)

    @staticmethod
    def _cache(self_k, self_v, cross_k, cross_v):
        """An EncoderDecoderCache around existing tensors (no copy): DynamicCache(data) would concatenate each
        into a new tensor, a full copy of the cache every step. Cross layers that hold keys count as computed."""
        from transformers.cache_utils import DynamicCache, DynamicLayer, EncoderDecoderCache

        def cache(keys, values):
            made = DynamicCache()
            for k, v in zip(keys, values, strict=True):
                layer = DynamicLayer()
                layer.lazy_initialization(k, v)
                layer.keys, layer.values = k, v
                made.layers.append(layer)
            return made

        return EncoderDecoderCache(cache(self_k, self_v), cache(cross_k, cross_v))

    # --- the logit lens (models/lens.py) ---------------------------------------------------------------
    lens_reads = "decoder layer i's output, through the decoder's final norm (if any) and the output head"
    LENS_NORMS = MappingProxyType({"mbart": "layer_norm", "pegasus": "layer_norm", "m2m_100": "layer_norm",
                                   "t5": "final_layer_norm", "mt5": "final_layer_norm"})  # bart, marian: none

    @torch.no_grad()
    def lens_states(self, src_ids: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Decoder layer i's output is what the library's decoder layer i returns (the decoder's hidden_states[i],
        i = 1..L), read through ``lens_norm``: the decoder's final norm where the family has one (pre-LN mBART,
        Pegasus, M2M-100 / NLLB, T5, mT5); BART and Marian are post-LN (every layer ends in its own LayerNorm, the
        decoder adds none), so their layers' outputs are read as they are. The last layer's is the decoder's
        last_hidden_state, what ``step`` hands the output head. One teacher-forced pass from the start token:
        (L, B, T, d)."""
        src_ids, tokens = src_ids.to(self.device), tokens.to(self.device)
        mask = (src_ids != self.source_vocab.pad_id).long()  # (1, S)
        memory = self.model.get_encoder()(input_ids=src_ids, attention_mask=mask).last_hidden_state  # (1, S, d)
        rows = tokens.shape[0]
        out = self.model.get_decoder()(input_ids=fed_tokens(tokens, self.start_id),
                                       encoder_hidden_states=memory.expand(rows, -1, -1),
                                       encoder_attention_mask=mask.expand(rows, -1), use_cache=False,
                                       output_hidden_states=True, return_dict=True)
        norm = self.lens_norm()
        return torch.stack([*(norm(h) for h in out.hidden_states[1:-1]), out.last_hidden_state])

    def lens_norm(self):
        """The decoder's final norm module, or the identity for a family without one (BART, Marian)."""
        name = self.LENS_NORMS.get(self.model.config.model_type)
        return getattr(self.model.get_decoder(), name) if name else (lambda x: x)

    def lens_head(self, states: torch.Tensor) -> torch.Tensor:
        """The output head as ``step`` applies it (``logits``: T5's d^-1/2 scaling, the final_logits_bias)."""
        return self.logits(states)
