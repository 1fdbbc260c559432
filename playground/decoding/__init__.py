"""The decoding engine: strategies over any StepModel, each recording a Trace.

    from playground.decoding import decode, score, DecodeConfig
    result = decode(model, "cat", DecodeConfig(strategy="beam", beam_width=4))

Modules: config (DecodeConfig) · trace (the recorded data) · recorder · budget (the time limit) ·
filters / samplers / pipeline (per-step processing) · sampling (greedy, sample) · beam · stochastic_beam ·
diverse_beam · exact · registry (name -> strategy) · api (decode, score) · scripted (a table-driven test model).
"""

from playground.decoding.api import DecodeResult, ForcedScore, decode, score
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
from playground.decoding.scripted import ScriptedModel, random_scripted_model
from playground.decoding.trace import Hypothesis, Node, Step, Trace

__all__ = [
    "DecodeConfig", "DecodeResult", "FilterSettings", "ForcedScore", "Hypothesis", "Node", "Processed",
    "STRATEGIES", "ScriptedModel", "Step", "StepModel", "Trace", "decode", "entropy", "epsilon",
    "gumbel_noise", "kept_count", "min_p", "no_repeat_ngram", "process", "random_scripted_model",
    "repetition_penalty", "sample_gumbel", "sample_multinomial", "score", "temperature", "top_k", "top_p",
    "typical",
]
