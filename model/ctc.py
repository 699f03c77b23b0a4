"""Greedy CTC decoding in numpy (no torch at serving time)."""
from __future__ import annotations

import numpy as np

from model.charset import BLANK_INDEX, Charset


def ctc_greedy_decode(best_index: np.ndarray, best_prob: np.ndarray, valid_steps: np.ndarray,
                      charset: Charset) -> list[tuple[str, float]]:
    """Collapse per-step argmax labels into text.

    ``best_index  # (N, T) int`` argmax class per time step, ``best_prob  # (N, T) float`` its
    softmax probability, ``valid_steps  # (N,)`` how many leading steps belong to the line (the
    rest is batch padding and is ignored). Repeats collapse unless a blank separates them.
    Confidence is the mean probability of the emitted characters' steps; an empty result has
    confidence 0.0.
    """
    results: list[tuple[str, float]] = []
    for row_idx, row_prob, steps in zip(best_index, best_prob, valid_steps):
        n = int(min(max(int(steps), 0), row_idx.shape[0]))
        idx = row_idx[:n]
        if n == 0:
            results.append(("", 0.0))
            continue
        keep = idx != BLANK_INDEX
        keep[1:] &= idx[1:] != idx[:-1]
        labels = idx[keep]
        if labels.size == 0:
            results.append(("", 0.0))
            continue
        text = charset.decode(labels.tolist())
        results.append((text, float(row_prob[:n][keep].mean())))
    return results
