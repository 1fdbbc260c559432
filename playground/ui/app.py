"""The app as ``python app.py`` and ``playground serve`` run it: load the checkpoints once, build the page, launch.

    from playground.ui.app import build
    demo = build()  # every checkpoints/*/config.json of the repository (a Hugging Face Space runs app.py)
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from playground.models.checkpoint import SHIPPED
from playground.ui.common.runtime import configure_threads
from playground.ui.store import ModelStore
from playground.ui.wiring import DECODE_CONCURRENCY, build_demo, launch_kwargs


def build(checkpoints: Path = SHIPPED) -> gr.Blocks:
    """The page over every checkpoint directory in ``checkpoints`` (CheckpointError when there is none), torch
    set to one intra-op thread per concurrent decode (runtime.configure_threads)."""
    store = ModelStore.discover(checkpoints)
    configure_threads(DECODE_CONCURRENCY)
    return build_demo(store)


def main(host: str | None = None, port: int | None = None, checkpoints: Path = SHIPPED) -> None:
    """Serve until interrupted. ``host`` / ``port`` None: Gradio's own defaults (GRADIO_SERVER_NAME and
    GRADIO_SERVER_PORT, else 127.0.0.1:7860)."""
    build(checkpoints).launch(server_name=host, server_port=port, **launch_kwargs())
