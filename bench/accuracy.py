"""Accuracy of every system on the same items, scored by bench.scoring (model.metrics.score).

Line sets are reported for all items and per lang (en / zh / mixed); pages get a bag-of-lines F1
and the CER of the concatenated text. Predictions are kept per item for the raw dump.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

from bench.data import LANGS, LineItem, PageItem
from bench.peers import Reader
from bench.scoring import LinePair, score_lines, score_page

log = logging.getLogger(__name__)


def score_by_lang(items: Sequence[LineItem], preds: Sequence[str]) -> dict[str, dict[str, float | int]]:
    pairs = [(it.lang, LinePair(p, it.text, it.ignore_chars, it.case_insensitive)) for it, p in zip(items, preds, strict=True)]
    out = {"all": score_lines([p for _, p in pairs])}
    for lang in LANGS:
        subset = [p for lg, p in pairs if lg == lang]
        if subset:
            out[lang] = score_lines(subset)
    return out


def line_accuracy(readers: Mapping[str, Reader], items: Sequence[LineItem]) -> tuple[dict[str, object], dict[str, list[str]]]:
    """Scores per system (and the wall time of reading the whole set), and the predictions."""
    scores: dict[str, object] = {}
    preds: dict[str, list[str]] = {}
    for name, reader in readers.items():
        t0 = time.perf_counter()
        texts = reader.read_lines([it.image for it in items])
        wall_s = time.perf_counter() - t0
        preds[name] = texts
        scores[name] = {**score_by_lang(items, texts), "wall_s": round(wall_s, 2),
                        "ms_per_line": round(1000 * wall_s / max(1, len(items)), 2)}
        log.info("accuracy %s: CER %.3f on %d lines", name, scores[name]["all"]["cer"], len(items))
    return scores, preds


def page_accuracy(readers: Mapping[str, Reader], pages: Sequence[PageItem]) -> tuple[dict[str, object], dict[str, dict[str, list[str]]]]:
    """Per page and system: PageScore; plus the mean F1 / CER over pages per system."""
    per_page: dict[str, object] = {}
    preds: dict[str, dict[str, list[str]]] = {}
    sums: dict[str, list[dict[str, float | int]]] = {name: [] for name in readers}
    for page in pages:
        row: dict[str, object] = {"kind": page.kind, "ref_lines": len(page.lines)}
        preds[page.item_id] = {}
        for name, reader in readers.items():
            lines = reader.read_page(page.image)
            preds[page.item_id][name] = lines
            ps = score_page(lines, page.lines).to_dict()
            row[name] = ps
            sums[name].append(ps)
        per_page[page.item_id] = row
    mean = {name: {"f1": round(sum(s["f1"] for s in v) / len(v), 4),
                   "cer": round(sum(s["cer"] for s in v) / len(v), 4),
                   "cer_nospace": round(sum(s["cer_nospace"] for s in v) / len(v), 4)}
            for name, v in sums.items() if v}
    return {"pages": per_page, "mean": mean}, preds
