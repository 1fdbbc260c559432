"""A view as a short string: input, model, target language and every control, to paste back or put in a link.

    s = view_string(ShareView(model="g2p-bahdanau", text="colonel", params=UiParams(strategy="beam")))
    # -> "eyJ2IjoxLCJtIjoiZzJwLWJhaGRhbmF1Ii..."  (URL-safe base64 of compact JSON)
    parse_view(s) == ShareView(...)   # validated: a bad string raises ValueError with a reason

The page reads ``?view=<string>`` on load, so ``http://host/?view=...`` reopens the same decoding (the
engine is deterministic for a given seed). Only fields that differ from the defaults are stored, which
keeps links short and lets later versions add controls without breaking old links.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field
from types import MappingProxyType

from playground.models.checkpoint import brief
from playground.ui.common.controls import CONTROL_NAMES, UiParams

VERSION = 1
MAX_CHARS = 2000  # a view is ~100-300 characters; anything longer is not one of ours
MAX_TEXT = 200  # the input box's own limit
MAX_LANGUAGE = 64  # a target-language token (e.g. "eng_Latn", "__de__", "de_DE"), or any output symbol
MAX_BRANCH = 64  # a branch's forced symbols (max_length's bound)
_DEFAULTS = MappingProxyType(asdict(UiParams()))


@dataclass(frozen=True, kw_only=True)
class ShareView:
    model: str
    text: str
    params: UiParams = field(default_factory=UiParams)
    language: str = ""  # a multilingual model's target language ("": the model chooses)
    branch: tuple[str, ...] = ()  # a branch's forced symbols (analysis/branch.py; (): none)

    def __post_init__(self) -> None:
        for name in ("model", "text", "language"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"view {name} must be a string, got {brief(getattr(self, name))}")
        if len(self.text) > MAX_TEXT:
            raise ValueError(f"view text has {len(self.text)} characters; at most {MAX_TEXT}")
        if len(self.language) > MAX_LANGUAGE:
            raise ValueError(f"view language has {len(self.language)} characters; at most {MAX_LANGUAGE}")
        if not isinstance(self.params, UiParams):
            raise ValueError("view params must be UiParams")
        if not isinstance(self.branch, tuple) or len(self.branch) > MAX_BRANCH or not all(
                isinstance(s, str) and len(s) <= MAX_LANGUAGE for s in self.branch):
            raise ValueError(f"a view's branch is at most {MAX_BRANCH} output symbols")
        self.params.to_config()  # the same ValueError, naming the field, as the page would show


def share_string(**fields) -> str:
    """``view_string(ShareView(**fields))``, or, for a view a string cannot carry (an input longer than MAX_TEXT
    characters, which a Hugging Face model's text box allows), a note saying so: the view itself still works."""
    try:
        return view_string(ShareView(**fields))
    except ValueError as e:
        return f"(this view cannot be shared as a string: {e})"


def view_string(view: ShareView) -> str:
    params = {k: v for k, v in asdict(view.params).items() if k in CONTROL_NAMES and v != _DEFAULTS[k]}
    payload = {"v": VERSION, "m": view.model, "t": view.text, "p": params}
    if view.language:  # (only a multilingual model's view has one)
        payload["l"] = view.language
    if view.branch:
        payload["b"] = list(view.branch)
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_view(s: str) -> ShareView:
    """The inverse of ``view_string``; raises ValueError saying what is wrong with ``s``."""
    if not isinstance(s, str) or not s.strip():
        raise ValueError("the view string is empty")
    s = s.strip()
    if len(s) > MAX_CHARS:
        raise ValueError(f"the view string has {len(s)} characters; a view is at most {MAX_CHARS}")
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError):
        raise ValueError("this is not a view string (copy it whole from the Share box)") from None
    version = payload.get("v") if isinstance(payload, dict) else None
    if version != VERSION:
        raise ValueError(f"unsupported view string (version {brief(version)}; this playground reads version "
                         f"{VERSION})")
    params = payload.get("p", {})
    if not isinstance(params, dict):
        raise ValueError("the view string's parameters are not a mapping")
    unknown = sorted(set(params) - set(CONTROL_NAMES))
    if unknown:
        raise ValueError(f"the view string has unknown parameter(s) {brief(unknown, 200)}")
    branch = payload.get("b", [])
    if not isinstance(branch, list):
        raise ValueError("the view string's branch is not a list of symbols")
    return ShareView(model=payload.get("m"), text=payload.get("t"), params=UiParams(**params),
                     language=payload.get("l", ""), branch=tuple(branch))
