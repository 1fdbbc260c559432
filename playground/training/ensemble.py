"""Make an ensemble checkpoint: a directory whose config.json names member checkpoints beside it.

    python -m playground.training.ensemble --out checkpoints/g2p-ensemble --name "G2P · ensemble" \\
        --combine probs checkpoints/g2p-bahdanau checkpoints/g2p-transformer

No weights are copied: ``load_model`` loads the members from their own directories (models/loading.py), which
must sit beside the ensemble's (one folder, so a clone or a Space carries them together). The members must
read and write the same symbols; ``--combine`` (probs: mix the distributions, log_probs: a product of experts)
is chosen on dev with ``python -m playground.training.evaluate --model OUT --split dev``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from playground.models.card import model_card
from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, FORMAT_VERSION, CheckpointError
from playground.models.ensemble import COMBINE
from playground.models.loading import load_model


def make_ensemble(members: list[Path], out: Path, *, name: str, combine: str, command: str = "") -> Path:
    """Write ``out``/config.json and its model card; the members must be checkpoint directories in ``out``'s
    parent folder. Raises CheckpointError (with the reason) when they cannot form an ensemble."""
    out = Path(out)
    strangers = [str(m) for m in members if Path(m).resolve().parent != out.resolve().parent]
    if strangers:
        raise CheckpointError(f"members must sit beside {out} (in {out.resolve().parent}): {strangers}")
    first = load_model(members[0])
    how = "their probabilities averaged" if combine == "probs" else "a product of their distributions"
    config = {
        "format_version": FORMAT_VERSION, "name": name, "task": first.config.get("task", "g2p"),
        "description": f"{len(members)} models, {how}",
        "model": {"family": "ensemble", "members": [Path(m).name for m in members], "combine": combine},
        "data": first.config.get("data", {}), "training": {"command": command}, "metrics": {},
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    try:
        model = load_model(out)  # refuses members that read or write other symbols
    except CheckpointError:
        (out / CONFIG_NAME).unlink()
        raise
    (out / CARD_NAME).write_text(model_card(config, model))
    return out


def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("members", nargs="+", type=Path, help="member checkpoint directories (beside --out)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--name", default=None, help="display name (default: the directory name)")
    p.add_argument("--combine", choices=COMBINE, default="probs")
    args = p.parse_args(argv)
    if len(args.members) < 2:
        p.error("an ensemble needs at least 2 members")
    command = "python -m playground.training.ensemble " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        out = make_ensemble(args.members, args.out, name=args.name or args.out.name, combine=args.combine,
                            command=command)
    except CheckpointError as e:
        p.error(str(e))
    print(f"ensemble of {len(args.members)} written to {out}")
    return out


if __name__ == "__main__":
    main()
