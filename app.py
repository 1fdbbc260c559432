"""Decoding Playground: `python app.py`, then open http://127.0.0.1:7860 (or `playground serve` once installed).

Loads the shipped checkpoints once (checkpoints/*/config.json), builds the page, launches it. ``demo`` stays a
module global: a Hugging Face Space looks for it. Everything else lives in playground/ui/ (app.py there).
"""

from playground.ui.app import build
from playground.ui.wiring import launch_kwargs

demo = build()

if __name__ == "__main__":
    demo.launch(**launch_kwargs())
