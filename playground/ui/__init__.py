"""The Gradio playground: the only package that imports gradio. ``build_demo(ModelStore.discover())``.

The names below load on first use (PEP 562), not when the package is imported: the Explore charts
(explore/charts.py and the view modules it lists) are pure plotly, and playground/views.py offers them to
notebooks without pulling gradio in.
"""

from importlib import import_module
from types import MappingProxyType

_HOMES = MappingProxyType({"DECODE_CONCURRENCY": "playground.ui.wiring", "build_demo": "playground.ui.wiring",
                           "launch_kwargs": "playground.ui.wiring", "ModelStore": "playground.ui.store"})

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
