"""Checkpoint averaging: the element-wise mean of the weights of several checkpoints of one model.

    python -m playground.training.average --out runs/g2p-avg \\
        checkpoints/g2p-bahdanau runs/g2p/train_state/model.safetensors

Averaging checkpoints from the end of one training run (Polyak & Juditsky 1992; for NMT, Vaswani et al.
2017 average the last 5-20 checkpoints) lands nearer the middle of the region the optimiser was circling
and usually generalises a little better than any one of them. Only weights of one run (same architecture,
same vocabularies) make sense to average; which ones to average is chosen on the dev split.

The output is an ordinary checkpoint: the config.json of the first input that is a checkpoint directory
(architecture, vocabularies, data, training record) plus ``training.averaged`` naming every source and
the command, and a regenerated model card. Weights are read and written with safetensors only;
``--weights-dtype float16`` stores them at half the size (config.json says so; the model runs in float32).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from playground.models.card import model_card
from playground.models.checkpoint import (
    CARD_NAME,
    CONFIG_NAME,
    WEIGHTS_DTYPES,
    WEIGHTS_NAME,
    CheckpointError,
    build_model,
    read_config,
)


def weights_path(source) -> Path:
    """A checkpoint directory (its model.safetensors) or a .safetensors file."""
    path = Path(source)
    path = path / WEIGHTS_NAME if path.is_dir() else path
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (give a checkpoint directory or a .safetensors file)")
    return path


def average_weights(sources) -> dict[str, torch.Tensor]:
    """The float32 mean of every tensor over ``sources``; they must hold exactly the same names and shapes."""
    if len(sources) < 2:
        raise ValueError(f"averaging needs at least 2 checkpoints, got {len(sources)}")
    total, first = None, None
    for source in sources:
        path = weights_path(source)
        try:
            tensors = load_file(str(path))
        except (SafetensorError, OSError) as e:
            raise CheckpointError(f"{path}: unreadable or corrupt safetensors file ({e})") from None
        if total is None:
            first, total = path, {k: v.to(torch.float64) for k, v in tensors.items()}  # sum in float64
            continue
        if set(tensors) != set(total):
            diff = sorted(set(tensors) ^ set(total))[:5]
            raise CheckpointError(f"{path}: its tensors differ from {first}'s (e.g. {diff}); not the same model")
        for name, value in tensors.items():
            if value.shape != total[name].shape:
                raise CheckpointError(f"{path}: {name} has shape {tuple(value.shape)}, {first} has "
                                      f"{tuple(total[name].shape)}; not the same model")
            total[name] += value.to(torch.float64)
    return {k: (v / len(sources)).to(torch.float32).contiguous() for k, v in total.items()}


def average_checkpoints(sources, out, *, config_from=None, command: str = "", weights_dtype: str = "float32") -> Path:
    """Average ``sources`` into the checkpoint directory ``out`` (which may be one of the sources). The
    config comes from ``config_from`` (a checkpoint directory) or else the first source that is one.
    ``weights_dtype`` (a WEIGHTS_DTYPES name) is how the averaged weights are stored."""
    if weights_dtype not in WEIGHTS_DTYPES:
        raise ValueError(f"weights_dtype must be one of {sorted(WEIGHTS_DTYPES)}, not {weights_dtype!r}")
    candidates = [config_from] if config_from is not None else sources
    config_dir = next((Path(s) for s in candidates if (Path(s) / CONFIG_NAME).is_file()), None)
    if config_dir is None:
        raise CheckpointError("no checkpoint directory with a config.json to describe the average (give one as a "
                              "source or as --config-from)")
    config = read_config(config_dir)
    weights = average_weights(sources)  # everything is read before anything is written
    model = build_model(config, with_vocabs=False)
    model.load_state_dict(weights, strict=True)  # the config's architecture must fit the weights
    config.setdefault("training", {})["averaged"] = {"sources": [str(s) for s in sources], "command": command}
    config["weights_dtype"] = weights_dtype
    config.get("metrics", {}).pop("dev", None)  # the sources' numbers: measure the average again
    config.get("metrics", {}).pop("test", None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.to(WEIGHTS_DTYPES[weights_dtype]) for k, v in weights.items()}, str(out / WEIGHTS_NAME))
    (out / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    (out / CARD_NAME).write_text(model_card(config, model))
    return out


def main(argv=None) -> Path:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sources", nargs="+", help="checkpoint directories or .safetensors files of one model")
    p.add_argument("--out", required=True, help="the averaged checkpoint's directory")
    p.add_argument("--config-from", default=None,
                   help="checkpoint directory whose config.json describes the average (default: the first source "
                        "that is a checkpoint directory)")
    p.add_argument("--weights-dtype", choices=sorted(WEIGHTS_DTYPES), default="float32",
                   help="how to store the weights: float16 halves the file (the model still runs in float32)")
    args = p.parse_args(argv)
    command = "python -m playground.training.average " + shlex.join(sys.argv[1:] if argv is None else argv)
    try:
        out = average_checkpoints(args.sources, args.out, config_from=args.config_from, command=command,
                                  weights_dtype=args.weights_dtype)
    except (CheckpointError, ValueError) as e:
        p.error(str(e))
    print(f"averaged {len(args.sources)} checkpoints into {out}")
    return out


if __name__ == "__main__":
    main()
