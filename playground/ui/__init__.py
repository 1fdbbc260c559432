"""The Gradio playground: the only package that imports gradio. ``build_demo(ModelStore.discover())``."""

from playground.ui.store import ModelStore
from playground.ui.wiring import DECODE_CONCURRENCY, build_demo, launch_kwargs

__all__ = ["DECODE_CONCURRENCY", "ModelStore", "build_demo", "launch_kwargs"]
