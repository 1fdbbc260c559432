"""Models: vocabularies, the RNN and Transformer encoder-decoders, ensembles, checkpoint I/O, model cards.

Every model speaks the decoding engine's step protocol (playground/decoding/protocol.py); load one with
``playground.load_model(path)`` (checkpoint.py). Kept free of imports so that ``playground.models.vocab``
costs nothing to import.
"""
