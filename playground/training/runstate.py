"""A training run's state on disk, without pickle: weights and Adam moments as safetensors, the rest JSON.

    OUT/train_state/model.safetensors       the last epoch's weights (``--resume`` continues from here)
    OUT/train_state/optimizer.safetensors   Adam's moments and step counts
    OUT/train_state/state.json              epoch, best epoch and dev WER, per-epoch history, seconds
    OUT/train_state/epoch-N.safetensors     every epoch's weights, with ``--keep-epochs`` (for averaging)

A fresh clone holds only the committed checkpoint, so ``warm_start`` rebuilds the state from its config.json
instead (same weights, history and schedule; fresh optimizer moments).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from playground.models.card import model_card
from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, build_model, load_local, read_config


def new_state() -> dict:
    return {"epoch": 0, "best_wer": None, "best_epoch": 0, "history": [], "train_seconds": 0.0}


def save_state(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(run_dir / "model.safetensors"))
    moments = {}
    for i, s in enumerate(optimizer.state_dict()["state"].values()):
        moments.update({f"{i}.exp_avg": s["exp_avg"], f"{i}.exp_avg_sq": s["exp_avg_sq"], f"{i}.step": s["step"]})
    save_file({k: v.contiguous() for k, v in moments.items()}, str(run_dir / "optimizer.safetensors"))
    (run_dir / "state.json").write_text(json.dumps(state, indent=2))


def load_state(run_dir: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    model.load_state_dict(load_file(str(run_dir / "model.safetensors")), strict=True)
    moments = load_file(str(run_dir / "optimizer.safetensors"))
    opt = optimizer.state_dict()
    opt["state"] = {i: {"step": moments[f"{i}.step"], "exp_avg": moments[f"{i}.exp_avg"],
                        "exp_avg_sq": moments[f"{i}.exp_avg_sq"]} for i in range(len(opt["param_groups"][0]["params"]))}
    optimizer.load_state_dict(opt)
    return json.loads((run_dir / "state.json").read_text())


def warm_start(out: Path, model: torch.nn.Module) -> dict:
    """Weights and training record of the checkpoint in ``out``; its vocabularies must match ``model``'s."""
    saved = load_local(out)
    if saved.source_vocab != model.source_vocab or saved.target_vocab != model.target_vocab:
        raise ValueError(f"{out}: the checkpoint's vocabularies differ from this task's")
    model.load_state_dict(saved.state_dict(), strict=True)
    training = saved.config["training"]
    history = [h for h in training["history"] if h["epoch"] <= training["best_epoch"]]
    best = min(history, key=lambda h: h["dev_wer"])
    return {"epoch": training["best_epoch"], "best_wer": best["dev_wer"], "best_epoch": training["best_epoch"],
            "history": history, "train_seconds": sum(h["seconds"] for h in history)}


def record_training(out: Path, state: dict) -> None:
    """Once training ends, write the whole run (every epoch, total time) into the best checkpoint's
    config.json and model card; the weights stay those of the best epoch."""
    config = read_config(out)
    config["training"].update(epochs_run=len(state["history"]), history=state["history"],
                              train_seconds=round(state["train_seconds"]))
    (out / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    (out / CARD_NAME).write_text(model_card(config, build_model(config)))
