"""Scores shared by every system: per-line CER (via model.metrics.score) and page scores.

Pure functions only (no I/O, no models) so the report's numbers can be unit-tested.
The real-dev conventions (real-dev/SOURCES.md) are applied to both sides before scoring:
``ignore_chars`` are dropped and ``case_insensitive`` items are lowercased; CER is reported
with single spaces kept and with all whitespace removed (comparable with peers that do not
emit word spaces, e.g. Tesseract's chi_sim between hanzi).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from model.metrics import Score, normalize_for_scoring, score


@dataclass(frozen=True)
class LinePair:
    """One prediction and its reference, with the item's scoring conventions."""

    pred: str
    ref: str
    ignore_chars: str = ""
    case_insensitive: bool = False

    def prepared(self) -> tuple[str, str]:
        pred, ref = self.pred, self.ref
        for ch in self.ignore_chars:
            pred, ref = pred.replace(ch, ""), ref.replace(ch, "")
        if self.case_insensitive:
            pred, ref = pred.lower(), ref.lower()
        return pred, ref


def _strip_spaces(text: str) -> str:
    return "".join(normalize_for_scoring(text).split())


def score_lines(pairs: Sequence[LinePair]) -> dict[str, float | int]:
    """CER and exact-line accuracy, with spaces kept and with whitespace removed."""
    prepared = [p.prepared() for p in pairs]
    spaced: Score = score(prepared)
    nospace: Score = score((_strip_spaces(p), _strip_spaces(r)) for p, r in prepared)
    return {"lines": spaced.lines, "chars": spaced.chars, "cer": round(spaced.cer, 4),
            "line_accuracy": round(spaced.line_accuracy, 4),
            "cer_nospace": round(nospace.cer, 4), "line_accuracy_nospace": round(nospace.line_accuracy, 4)}


@dataclass(frozen=True)
class PageScore:
    """Bag-of-lines precision/recall/F1 (exact normalised lines, order ignored) and the CER of
    the whole page's text (lines concatenated in reading order, spaces kept and removed)."""

    precision: float
    recall: float
    f1: float
    cer: float
    cer_nospace: float
    pred_lines: int
    ref_lines: int

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "cer": round(self.cer, 4),
                "cer_nospace": round(self.cer_nospace, 4), "pred_lines": self.pred_lines,
                "ref_lines": self.ref_lines}


def bag_of_lines_f1(pred_lines: Sequence[str], ref_lines: Sequence[str]) -> tuple[float, float, float]:
    """(precision, recall, F1) of the multiset of normalised non-empty lines."""
    pred = Counter(n for n in (normalize_for_scoring(t) for t in pred_lines) if n)
    ref = Counter(n for n in (normalize_for_scoring(t) for t in ref_lines) if n)
    hits = sum((pred & ref).values())
    precision = hits / sum(pred.values()) if pred else 0.0
    recall = hits / sum(ref.values()) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_page(pred_lines: Sequence[str], ref_lines: Sequence[str]) -> PageScore:
    precision, recall, f1 = bag_of_lines_f1(pred_lines, ref_lines)
    pred_text, ref_text = " ".join(pred_lines), " ".join(ref_lines)
    cer = score([(pred_text, ref_text)]).cer
    cer_nospace = score([(_strip_spaces(pred_text), _strip_spaces(ref_text))]).cer
    return PageScore(precision, recall, f1, cer, cer_nospace,
                     sum(1 for t in pred_lines if normalize_for_scoring(t)),
                     sum(1 for t in ref_lines if normalize_for_scoring(t)))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated q-th percentile (0..100) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize_ms(values: Sequence[float]) -> dict[str, float | int]:
    """n, mean, p50, p95, p99, max of timings in ms."""
    return {"n": len(values), "mean_ms": round(sum(values) / len(values), 3),
            "p50_ms": round(percentile(values, 50), 3), "p95_ms": round(percentile(values, 95), 3),
            "p99_ms": round(percentile(values, 99), 3), "max_ms": round(max(values), 3)}


def fit_line(xs: Iterable[float], ys: Iterable[float]) -> dict[str, float]:
    """Least-squares y = slope * x + intercept and R^2 (to show cost grows linearly)."""
    x, y = list(xs), list(ys)
    n = len(x)
    if n < 2 or len(y) != n:
        raise ValueError("need at least two (x, y) points")
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = sum((b - my) ** 2 for b in y)
    ss_res = sum((b - (slope * a + intercept)) ** 2 for a, b in zip(x, y))
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    return {"slope": round(slope, 4), "intercept": round(intercept, 3), "r2": round(r2, 4)}
