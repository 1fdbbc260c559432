"""Decoding Playground: a trained attention seq2seq model and a decoding engine that records every step."""

from playground.checkpoint import CheckpointError, load_model
from playground.vocab import InputError

__all__ = ["CheckpointError", "InputError", "load_model"]
