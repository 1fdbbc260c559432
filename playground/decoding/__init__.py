"""The decoding engine: strategies over any StepModel, each recording a Trace.

    from playground.decoding import decode, score, DecodeConfig
    result = decode(model, "cat", DecodeConfig(strategy="beam", beam_width=4))

Modules: api (decode, decode_many, score) · protocol (the step protocol a model speaks, its StepOutput) ·
params (every parameter, declared once) · config (DecodeConfig) · spec (what a strategy is) · registry (one entry
per strategy) · strategies/ (greedy, sampling, beam, stochastic_beam, diverse_beam, exact, contrastive) · driver
(the one loop they run in) · common (what they share) · processors / filters / pipeline / samplers (per-step
processing) · recorder / columns / trace (the recorded data) · budget (the time limit) · validate (argument
checks). scripted.py holds ScriptedModel, a table-driven model for tests and docs (import it from its module).
"""

from playground.decoding.api import DecodeResult, ForcedScore, decode, decode_many, score
from playground.decoding.config import DecodeConfig
from playground.decoding.filters import (
    epsilon,
    min_p,
    no_repeat_ngram,
    repetition_penalty,
    temperature,
    top_k,
    top_p,
    typical,
)
from playground.decoding.pipeline import FilterSettings, Processed, entropy, kept_count, process
from playground.decoding.protocol import StepModel, StepOutput
from playground.decoding.registry import STRATEGIES
from playground.decoding.samplers import gumbel_noise, sample_gumbel, sample_multinomial
from playground.decoding.trace import Hypothesis, Node, Step, Trace

__all__ = [
    "DecodeConfig", "DecodeResult", "FilterSettings", "ForcedScore", "Hypothesis", "Node", "Processed",
    "STRATEGIES", "Step", "StepModel", "StepOutput", "Trace", "decode", "decode_many", "entropy", "epsilon",
    "gumbel_noise", "kept_count", "min_p", "no_repeat_ngram", "process",
    "repetition_penalty", "sample_gumbel", "sample_multinomial", "score", "temperature", "top_k", "top_p",
    "typical",
]
