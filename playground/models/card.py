"""The model card (a Hub-style README.md) written beside every checkpoint, from its config alone."""

from __future__ import annotations


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _metrics_table(metrics: dict) -> str:
    rows = ["| split | search | WER | PER | ms / word |", "|---|---|---|---|---|"]
    for split in ("dev", "test"):
        m = metrics.get(split, {})
        for search in ("greedy", "beam5"):
            if f"{search}_wer" in m:
                ms = m.get(f"{search}_ms_per_word")
                rows.append(f"| {split} | {search} | {_pct(m[f'{search}_wer'])} | {_pct(m.get(f'{search}_per'))} | "
                            f"{'–' if ms is None else f'{ms:.1f}'} |")
    return "\n".join(rows)


TASK_TITLES = {"g2p": "grapheme-to-phoneme (spelling -> ARPAbet)", "p2g": "phoneme-to-grapheme (ARPAbet -> spelling)"}
CORRECT_IF = {
    "g2p": "A pronunciation is correct if it equals any of the word's alternates.",
    "p2g": "An output is correct if it is the held-out word or another dictionary word with exactly that "
           "pronunciation (a homophone).",
}


def task_of(model) -> str:
    """'g2p', 'p2g' or 'hf' (models/hf.py sets it): from the checkpoint's config, else from the vocabularies'
    kinds (a vocabulary of words reads phonemes)."""
    if model.config.get("task") in ("g2p", "p2g", "hf"):
        return model.config["task"]
    return "p2g" if model.source_vocab.kind == "words" else "g2p"


def model_card(config: dict, model) -> str:
    """The card of ``model`` (its ``arch`` describes itself) as ``config`` (config.json) records it."""
    arch, num_parameters = model.arch, model.num_parameters()
    task = config["task"]
    metrics = config.get("metrics", {})
    training = config.get("training", {})
    data = config.get("data", {})
    ensemble = model.family == "ensemble"
    stored = ("its members' checkpoints beside it, each loaded from its own directory" if ensemble else
              "safetensors weights, config.json with both vocabularies")
    eval_cmd = (metrics.get("test", {}).get("command")
                or "python -m playground.training.evaluate --model DIR --split test")
    dev_cmd = metrics.get("dev", {}).get("command")
    dev_source = f"dev numbers with `{dev_cmd}`" if dev_cmd else "dev numbers during training"
    return f"""---
license: bsd-2-clause
library_name: pytorch
tags: [grapheme-to-phoneme, seq2seq, attention, cmudict, decoding-playground]
datasets: [cmudict]
---

# {config['name']}

{config['description']}, trained for the Decoding Playground.
Task: **{TASK_TITLES[task]}**.

## Model
{arch.describe()}; {num_parameters:,} parameters{_stored_as(config, ensemble)}.
Load it with `playground.load_model(DIR)` ({stored}).

## Data and licence
{data.get('source', '')}. {data.get('normalisation', '')}.
Split: {data.get('split', '')}.
The dictionary's licence is BSD-style ("use ... completely unrestricted").

## Metrics
WER: share of items whose output equals none of the acceptable references; PER: edit distance
to the closest reference over its length.
{CORRECT_IF[task]}

{_metrics_table(metrics)}

Test numbers were measured once with `{eval_cmd}`; {dev_source}.

## {"Made with" if ensemble else "Training"}
{_training(training, ensemble)}
"""


def _stored_as(config: dict, ensemble: bool) -> str:
    if ensemble:
        return ""
    return f", stored as\n{config.get('weights_dtype', 'float32')} (the model runs in float32)"


def _training(training: dict, ensemble: bool) -> str:
    if ensemble:  # made, not trained
        return f"`{training.get('command', '')}`"
    minutes = training.get("train_seconds", 0) / 60
    return (f"`{training.get('command', '')}`\non {training.get('device', '?')} ({training.get('torch_threads', '?')} "
            f"threads): best dev WER at epoch\n{training.get('best_epoch', '?')} of {training.get('epochs_run', '?')}, "
            f"{minutes:.0f} minutes of training.\n{training.get('notes', '')}\n{_averaged(training.get('averaged'))}\n"
            f"{_history_table(training.get('history', []))}")


def _averaged(averaged: dict | None) -> str:
    if not averaged:
        return ""
    sources = ", ".join(f"`{s}`" for s in averaged["sources"])
    return (f"\nThe weights are the element-wise average of {len(averaged['sources'])} checkpoints of this run "
            f"({sources}), made with `{averaged['command']}` and chosen on dev.\n")


def _history_table(history: list[dict]) -> str:
    rows = ["| epoch | learning rate | train loss | dev WER (greedy) | dev PER | minutes |",
            "|---|---|---|---|---|---|"]
    rows += [f"| {h['epoch']} | {h['lr']:.2e} | {h['train_loss']:.4f} | {_pct(h['dev_wer'])} | {_pct(h['dev_per'])} | "
             f"{h['seconds'] / 60:.1f} |" for h in history]
    return "\n".join(rows) if history else ""
