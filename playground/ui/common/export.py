"""Downloads: any view's data as a JSON file (gr.DownloadButton takes a path).

Files go to one temporary folder per process, named by content hash, so the same view downloaded
twice is one file and two sessions never overwrite each other's.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path

_DIR = Path(tempfile.mkdtemp(prefix="playground-export-"))
MAX_STEM = 60


def write_json(payload: dict, stem: str) -> str:
    """Write ``payload`` (JSON-native data, e.g. ``trace.to_dict()``) and return the file's path."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:MAX_STEM] or "view"
    path = _DIR / f"{safe}-{digest}.json"
    if not path.exists():
        path.write_text(text, encoding="utf-8")
    return str(path)
