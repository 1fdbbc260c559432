"""The ``playground`` command that ``pip install`` puts on the PATH (pyproject.toml's console script).

    playground decode --model checkpoints/g2p-bahdanau --strategy beam colonel   # = python -m playground.cli
    playground serve [--host H] [--port P] [--checkpoints DIR]                   # = python app.py

``decode`` hands everything after it to the command line decoder (playground/cli.py) untouched, so its options
and help are that module's. ``serve`` runs the app; an installed package has no checkpoints of its own (they ship
in the repository's checkpoints/ folder), so outside a clone it needs ``--checkpoints``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playground.models.checkpoint import SHIPPED, CheckpointError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playground", description="Decoding Playground: decode, or serve the app.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{decode,serve}")
    commands.add_parser("decode", add_help=False,
                        help="decode inputs with a checkpoint (python -m playground.cli; 'playground decode --help')")
    serve = commands.add_parser("serve", help="serve the playground page (what python app.py does)",
                                description="Serve the playground page over every checkpoint in a folder.")
    serve.add_argument("--host", metavar="H", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    serve.add_argument("--port", type=int, metavar="P", help="port (default: $GRADIO_SERVER_PORT or 7860)")
    serve.add_argument("--checkpoints", type=Path, default=SHIPPED, metavar="DIR",
                       help="a folder of checkpoint directories, each with a config.json (default: the "
                            "repository's checkpoints/, %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status: the decoder's for ``decode``; 2 for bad options or no model to serve."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["decode"]:  # before argparse: the decoder parses its own options, --help included
        from playground import cli

        return cli.main(argv[1:])
    args = build_parser().parse_args(argv)
    from playground.ui import app  # gradio: only when serving

    try:
        app.main(host=args.host, port=args.port, checkpoints=args.checkpoints)
    except CheckpointError as e:
        print(f"playground serve: {e}.\nGive a folder of checkpoints with --checkpoints DIR (a clone of the "
              "repository has them in checkpoints/).", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
