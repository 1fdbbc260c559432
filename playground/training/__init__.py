"""Training and evaluation on CMUdict: data splits, ``python -m playground.training.train``,
``...average`` (checkpoint averaging), ``...evaluate`` (WER/PER), metrics."""
