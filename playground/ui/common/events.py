"""What every tab's events share: the decode concurrency group, and how errors reach people.

Every tab (Explore, Compare, Sample, What-if, Learn) runs model work in the one "decode" concurrency
group, so a busy Compare tab cannot starve the Explore tab's sliders of cores (see wiring.py for why
the group is sized to the CPU count).
"""

from __future__ import annotations

import functools
import inspect
import logging
from types import MappingProxyType

import gradio as gr

from playground.models.checkpoint import CheckpointError, brief
from playground.models.vocab import InputError
from playground.ui.common.runtime import DECODE_CONCURRENCY, MemoryTrim
from playground.ui.common.style import esc

log = logging.getLogger(__name__)
DECODE_GROUP = MappingProxyType(dict(concurrency_id="decode", concurrency_limit=DECODE_CONCURRENCY))
USER_ERRORS = (InputError, CheckpointError, ValueError)  # their messages are written for people
TRIM = MemoryTrim()  # one per process: keeps the server's RSS flat (runtime.py says why)


def guarded(fn):
    """Wrap an event handler: a user error becomes a gr.Error modal with its (HTML-escaped) message, anything
    else is logged with its traceback and shown as a generic failure; freed memory is trimmed afterwards."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as e:  # (cut: a message may quote what a request sent)
            raise gr.Error(esc(brief(str(e), 500, quote=False)), print_exception=False) from None
        except Exception:
            log.exception("%s failed", fn.__name__)
            raise gr.Error("Something failed unexpectedly; the server log has the details.") from None
        finally:
            TRIM()

    return wrapper


def named(*names: str, defaults: dict | None = None, types: dict | None = None):
    """Give a handler ``fn(*values)`` the signature ``(name_1, name_2, ...)``: Gradio reads parameter names,
    defaults and type hints (``types``, else the default's type) from it for the API page and gradio_client's
    keyword arguments, while the names themselves come from one table (the controls, DecodeConfig's fields)."""
    defaults, types = defaults or {}, types or {}

    def parameter(name: str) -> inspect.Parameter:
        extra = {"default": defaults[name], "annotation": type(defaults[name])} if name in defaults else {}
        if name in types:
            extra["annotation"] = types[name]
        return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, **extra)

    def wrap(fn):
        params = [parameter(n) for n in names]
        fn.__signature__ = inspect.Signature(params, return_annotation=inspect.signature(fn).return_annotation)
        # (gradio reads type hints through typing.get_type_hints, i.e. __annotations__, not the signature)
        fn.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not p.empty} | {
            k: v for k, v in fn.__annotations__.items() if k == "return"}
        return fn

    return wrap
