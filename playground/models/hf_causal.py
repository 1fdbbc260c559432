"""Hugging Face decoder-only language models as step models: GPT-2, GPT-NeoX (Pythia), Llama (SmolLM2, TinyLlama),
Mistral, Qwen2, Qwen3, Phi-3, Gemma 2/3, through the library's own modules and cache.

The input is a prompt, tokenised exactly as ``generate()`` receives it (the tokenizer's own special tokens: Llama's
<s>, none for GPT-2). The step protocol (playground/decoding/protocol.py):

    encode(src_ids (N, P))   the prefill: the whole prompt in one call, left-padded as generate() pads a batch
                             (so every row's last prompt token sits at the last position and only that position's
                             logits are computed); its output is step 0's (the first generated token is predicted
                             from the prompt's last position: no start token), kept in the state
    step(prev (B,), state)   one position with ``past_key_values`` built from the state's tensors -> logits (B, V),
                             the self-attention of every layer and head over the context (B, L, H, K) and the last
                             hidden state (B, d)
    reorder(state, index)    index-selects the cached keys and values

The attention a step returns covers the prompt, then the tokens generated so far: K = P + t at step t (the
prompt's last position attends over the prompt). It is laid out as the engine expects of a padded batch
(recorder.py): a row's real prompt tokens first, then its padding, then what was fed after the prompt, whatever
the padding side the model ran with. Weights run in float32 with the "eager" attention (the one that returns the
weights). Nothing runs remote code and only safetensors weights are read (loading.py).

Special tokens: generation stops at the (first) ``eos_token_id`` of the generation config; nothing else is banned
except a padding token the tokenizer has of its own (GPT-2 pads with </s>-like <|endoftext|>, which must stay
possible), as generate() does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

import torch

from playground.decoding.protocol import ModelInfo, StepOutput
from playground.models.chat import chat_prompt, has_chat_template
from playground.models.checkpoint import CheckpointError
from playground.models.hf_vocab import TokenizerVocab
from playground.models.lens import LayerLens
from playground.models.rows import select_rows, step_distinct

# config.json "model_type" -> the family's name; every one an AutoModelForCausalLM with a DynamicCache
SUPPORTED = MappingProxyType({
    "gpt2": "GPT-2", "gpt_neox": "GPT-NeoX (Pythia)", "llama": "Llama (SmolLM2, TinyLlama)", "mistral": "Mistral",
    "qwen2": "Qwen2", "qwen3": "Qwen3", "phi3": "Phi-3", "gemma2": "Gemma 2", "gemma3_text": "Gemma 3"})


@dataclass
class CausalState:
    """Per layer, the cached keys/values (B, H, n, d_k) of the n positions so far (the left-padded prompt's P,
    then one per step), the mask of real positions (B, n), each row's next position id (B,), the column order
    that lays a row's attention out prompt-first (B, P), and ``origin`` (rows.step_distinct). ``cache`` is the
    library's cache object last built around these very tensors: the next step reuses it while its layers still
    hold them (a state stepped again, or reordered, gets a new one), as generate() keeps one cache."""

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]
    mask: torch.Tensor  # (B, n) long: 1 at real positions (the prompt's padding is 0)
    position: torch.Tensor  # (B,) long: the position id of the next token fed
    order: torch.Tensor  # (B, P) long: prompt column j of the engine's layout is model column order[j]
    origin: torch.Tensor  # (B,) long
    first: StepOutput | None = None  # step 0, computed by the prefill (its state unset)
    cache: object = None  # a DynamicCache whose layers hold keys and values (or another state's: then unused)

    def index_select(self, index: torch.Tensor) -> CausalState:
        rows = lambda xs: tuple(x.index_select(0, index) for x in xs)  # noqa: E731
        return CausalState(keys=rows(self.keys), values=rows(self.values), mask=self.mask.index_select(0, index),
                           position=self.position.index_select(0, index), order=select_rows(self.order, index),
                           origin=self.origin.index_select(0, index),
                           first=None if self.first is None else self.first.rows(index))


def special_ids(model, tokenizer) -> tuple[int, int, int, frozenset[int]]:
    """(pad, eos, start, ids never generated): EOS from the generation config first (its first, when it lists
    several), then the config; padding the tokenizer's own pad token, else EOS (generate()'s choice); the start
    id the engine's root holds (never fed: the prefill predicts the first token)."""
    def get(name):
        value = getattr(model.generation_config, name, None)
        value = getattr(model.config, name, None) if value is None else value
        return value[0] if isinstance(value, (list, tuple)) else value

    eos = get("eos_token_id")
    if eos is None:
        raise CheckpointError(f"{model.config.model_type}: the config names no eos_token_id")
    own_pad = tokenizer.pad_token_id
    pad = eos if own_pad is None else own_pad
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else eos
    return int(pad), int(eos), int(start), frozenset({int(pad)} if pad not in (eos, start) else set())


class HFCausalLM(ModelInfo, LayerLens):
    """A transformers causal language model behind the step protocol (module docstring)."""

    family = "hf-causal"
    outputs = frozenset({"self_attention", "hidden"})

    def __init__(self, model, tokenizer, *, name: str):
        if model.config._attn_implementation != "eager":  # only "eager" returns the attention weights
            model.set_attn_implementation("eager")
        self.model, self.tokenizer = model.eval(), tokenizer
        self._device = model.device
        pad, eos, start, never = special_ids(model, tokenizer)
        out_rows, in_rows = model.get_output_embeddings().out_features, model.get_input_embeddings().num_embeddings
        self.source_vocab = TokenizerVocab(tokenizer, size=in_rows, side="source", pad_id=pad, bos_id=start,
                                           eos_id=eos, prompt=True)
        self.target_vocab = TokenizerVocab(tokenizer, size=out_rows, side="target", pad_id=pad, bos_id=start,
                                           eos_id=eos, never=never)
        model_type = model.config.model_type
        self.config = {"name": f"{name} · {SUPPORTED.get(model_type, model_type)}", "task": "hf",
                       "model_type": model_type, "decoder_only": True, "chat": has_chat_template(tokenizer)}

    @property
    def device(self) -> torch.device:
        return self._device

    def chat_prompt(self, text: str) -> str:
        """``text`` as one user turn through the tokenizer's chat template (models/chat.py); InputError without one."""
        return chat_prompt(self.tokenizer, text)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    # --- the step protocol ---------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, src_ids: torch.Tensor) -> CausalState:
        """src_ids (N, P), right-padded with the pad id -> the state after the prefill (step 0 computed)."""
        src_ids = src_ids.to(self.device)
        real = src_ids != self.source_vocab.pad_id  # (N, P)
        lengths, width = real.sum(1), src_ids.shape[1]
        shift = width - lengths  # (N,) left padding of each row
        cols = torch.arange(width, device=self.device)
        order = (cols[None] + shift[:, None]) % width  # prompt-first column j -> the left-padded column
        left = src_ids.gather(1, (cols[None] - shift[:, None]) % width)  # (N, P) the same ids, left-padded
        mask = (cols[None] >= shift[:, None]).long()  # (N, P)
        out, cache = self._forward(left, mask, (mask.cumsum(1) - 1).clamp(min=0), None, order)
        keys, values = self._tensors(cache)
        state = CausalState(keys=keys, values=values, mask=mask, position=lengths, order=order,
                            origin=torch.arange(src_ids.shape[0], device=self.device), cache=cache)
        return replace(state, first=out)

    @torch.no_grad()
    def step(self, prev_tokens: torch.Tensor, state: CausalState) -> StepOutput:
        """prev_tokens (B,) -> logits (B, V), new state, self-attention (B, L, H, P + t), hidden (B, d); float32
        on the CPU. Step 0 (the engine feeds its start id) is the prefill's."""
        return step_distinct(self._step, prev_tokens.to(self.device), state, len(self.target_vocab)).cpu()

    def _step(self, prev_tokens: torch.Tensor, state: CausalState) -> StepOutput:
        if state.first is not None:
            return replace(state.first, state=replace(state, first=None))
        mask = torch.cat([state.mask, state.mask.new_ones(state.mask.shape[0], 1)], dim=1)  # (B, n + 1)
        cache = state.cache
        if cache is None or cache.layers[0].keys is not state.keys[0]:  # (its layers moved on, or none yet)
            cache = self._cache(state.keys, state.values)
        out, cache = self._forward(prev_tokens[:, None], mask, state.position[:, None], cache, state.order)
        keys, values = self._tensors(cache)
        return replace(out, state=replace(state, keys=keys, values=values, mask=mask, position=state.position + 1,
                                          cache=cache))

    def reorder(self, state: CausalState, index: torch.Tensor) -> CausalState:
        return state.index_select(index.to(self.device))

    # --- the library's side ----------------------------------------------------------------------------
    def _forward(self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache, order: torch.Tensor):
        """The model on ids (B, T) after ``cache``'s positions -> a StepOutput of the last position (no state) and
        the updated cache. The library's own forward (its output head, soft-capping included), logits of the last
        position only."""
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache,
                         use_cache=True, output_attentions=True, output_hidden_states=True, logits_to_keep=1,
                         return_dict=True)
        attention = torch.stack([a[:, :, -1] for a in out.attentions], dim=1)  # L x (B, H, T, K) -> (B, L, H, K)
        prompt = order.shape[1]
        prompt_first = attention[..., :prompt].gather(-1, order[:, None, None, :].expand(*attention.shape[:3], -1))
        attention = torch.cat([prompt_first, attention[..., prompt:]], dim=-1)
        hidden = out.hidden_states[-1][:, -1]  # (B, d): the final norm's output, what the head reads
        return StepOutput(logits=out.logits[:, -1], state=None, self_attention=attention, hidden=hidden), \
            out.past_key_values

    def _cache(self, keys, values):
        """A DynamicCache of the model's own layer kinds around existing tensors (no copy: the state stays as it
        was; each layer's update concatenates into new tensors)."""
        from transformers.cache_utils import DynamicCache

        cache = DynamicCache(config=self.model.config)
        for layer, k, v in zip(cache.layers, keys, values, strict=True):
            layer.lazy_initialization(k, v)
            layer.keys, layer.values = k, v
            if hasattr(layer, "cumulative_length"):  # a sliding-window layer counts what it has seen
                layer.cumulative_length = k.shape[-2]
        return cache

    @staticmethod
    def _tensors(cache) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
        return tuple(layer.keys for layer in cache.layers), tuple(layer.values for layer in cache.layers)

    # --- the logit lens (models/lens.py) ---------------------------------------------------------------
    lens_reads = "the residual stream after layer i, through the model's final norm and its output head"
    LENS_NORMS = {"gpt2": "ln_f", "gpt_neox": "final_layer_norm"}  # the others' is "norm"

    @torch.no_grad()
    def lens_states(self, src_ids: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Layer i's output is what the library's decoder layer i returns (the model's hidden_states[i], i = 1..L):
        every family here is pre-norm, so it is the residual stream after block i, read through ``lens_norm``, the
        model's final norm. The last layer's is hidden_states[-1], the final norm's output, what the head reads.
        One teacher-forced pass over the prompt and the tokens but the last (the prompt's last position predicts
        the first token, as the prefill does): (L, B, T, d)."""
        src_ids, tokens = src_ids.to(self.device), tokens.to(self.device)
        rows, prompt = tokens.shape[0], src_ids.shape[1]
        ids = torch.cat([src_ids.expand(rows, -1), tokens[:, :-1]], dim=1)  # (B, P + T - 1)
        out = self.model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False,
                         output_hidden_states=True, logits_to_keep=1, return_dict=True)
        norm = self.lens_norm()
        states = [*(norm(h) for h in out.hidden_states[1:-1]), out.hidden_states[-1]]
        return torch.stack([h[:, prompt - 1:] for h in states])

    def lens_norm(self):
        """The model's final norm module (GPT-2's ln_f, GPT-NeoX's final_layer_norm, the others' norm)."""
        return getattr(self.model.base_model, self.LENS_NORMS.get(self.model.config.model_type, "norm"))

    def lens_head(self, states: torch.Tensor) -> torch.Tensor:
        """The output head as the model's forward applies it: its output embeddings, then Gemma 2/3's soft-capping
        (final_logit_softcapping: cap * tanh(logits / cap))."""
        logits = self.model.get_output_embeddings()(states)
        cap = getattr(self.model.config, "final_logit_softcapping", None)
        return logits if cap is None else torch.tanh(logits / cap) * cap
