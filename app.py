"""Decoding Playground: `python app.py`, then open http://127.0.0.1:7860.

Loads the shipped checkpoints once (checkpoints/*/config.json), builds the page, launches it.
Everything else lives in playground/ui/.
"""

from playground.ui import DECODE_CONCURRENCY, ModelStore, build_demo, launch_kwargs
from playground.ui.common.runtime import configure_threads

configure_threads(DECODE_CONCURRENCY)
demo = build_demo(ModelStore.discover())

if __name__ == "__main__":
    demo.launch(**launch_kwargs())
