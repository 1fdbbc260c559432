"""Decoding Playground: a trained attention seq2seq model and a decoding engine that records every step.

    from playground import load_model, decode, DecodeConfig
    model = load_model("checkpoints/g2p-bahdanau")
    result = decode(model, "colonel", DecodeConfig(strategy="beam", beam_width=5))
"""

from playground.decoding import DecodeConfig, decode, score
from playground.models.checkpoint import CheckpointError
from playground.models.loading import load_model
from playground.models.vocab import InputError

__all__ = ["CheckpointError", "DecodeConfig", "InputError", "decode", "load_model", "score"]
