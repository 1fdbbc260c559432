"""The decoding engine: strategies over any StepModel, each recording a Trace.

    from playground.decoding import decode, score, DecodeConfig
    result = decode(model, "cat", DecodeConfig(strategy="beam", beam_width=4))

Modules: config (DecodeConfig) · trace (the recorded data) · recorder · budget (the time limit) ·
filters / samplers / pipeline (per-step processing) · chains (greedy, sampling, teacher forcing) · beam ·
stochastic_beam · diverse_beam · exact · registry (name -> strategy) · api (decode, score). scripted.py holds
ScriptedModel, a table-driven model for tests and docs (import it from its module).
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
from playground.decoding.protocol import StepModel
from playground.decoding.registry import STRATEGIES
from playground.decoding.samplers import gumbel_noise, sample_gumbel, sample_multinomial
from playground.decoding.trace import Hypothesis, Node, Step, Trace

__all__ = [
    "DecodeConfig", "DecodeResult", "FilterSettings", "ForcedScore", "Hypothesis", "Node", "Processed",
    "STRATEGIES", "Step", "StepModel", "Trace", "decode", "decode_many", "entropy", "epsilon",
    "gumbel_noise", "kept_count", "min_p", "no_repeat_ngram", "process",
    "repetition_penalty", "sample_gumbel", "sample_multinomial", "score", "temperature", "top_k", "top_p",
    "typical",
]
