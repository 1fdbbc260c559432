"""One module per decoding strategy, each with its ``SPEC`` (spec.py); registry.py lists them."""
