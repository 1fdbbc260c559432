"""``python -m playground.decode``: decode words with a trained checkpoint (see playground/cli_decode.py)."""

from playground.cli_decode import main

if __name__ == "__main__":
    raise SystemExit(main())
