"""Evaluation sets: real-dev lines and pages (read from disk) and held-out synthetic lines."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from model.charset import Charset
from model.synth import LineSynthesizer

LANGS: tuple[str, ...] = ("en", "zh", "mixed")


@dataclass(frozen=True)
class LineItem:
    """One labelled line: ``image  # (H, W, 3) uint8 RGB`` as the user would upload it."""

    item_id: str
    image: np.ndarray
    text: str
    lang: str
    ignore_chars: str = ""
    case_insensitive: bool = False


@dataclass(frozen=True)
class PageItem:
    """One multi-line image (``image  # (H, W, 3) uint8 RGB``) and its expected lines."""

    item_id: str
    image: np.ndarray
    lines: tuple[str, ...]
    kind: str


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def lang_of(text: str) -> str:
    """'en' for ASCII-only text, 'zh' when no ASCII letter or digit appears, else 'mixed'."""
    if text.isascii():
        return "en"
    return "mixed" if any(c.isascii() and c.isalnum() for c in text) else "zh"


def load_real_dev_lines(root: Path, limit: int | None = None) -> list[LineItem]:
    """Items of ``root/labels.jsonl`` in file order (the first ``limit`` of each lang if given)."""
    items: list[LineItem] = []
    taken: dict[str, int] = {}
    for raw in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        lang = row.get("lang") or lang_of(row["text"])
        if limit is not None and taken.get(lang, 0) >= limit:
            continue
        taken[lang] = taken.get(lang, 0) + 1
        items.append(LineItem(row["id"], load_rgb(root / row["file"]), row["text"], lang,
                              row.get("ignore_chars", ""), bool(row.get("case_insensitive", False))))
    return items


def spread(items: list[LineItem], n: int) -> list[LineItem]:
    """Up to ``n`` items taken round-robin over langs, evenly spaced within each lang (so a
    small latency probe still covers every language and source)."""
    groups = [g for g in ([it for it in items if it.lang == lang] for lang in LANGS) if g]
    quota = max(1, -(-n // max(1, len(groups))))
    ordered = []
    for g in groups:
        spaced = g[:: max(1, len(g) // quota)]
        ordered.append(spaced + [it for it in g if all(it is not s for s in spaced)])
    groups = ordered
    picked: list[LineItem] = []
    while len(picked) < n and any(groups):
        for g in groups:
            if g and len(picked) < n:
                picked.append(g.pop(0))
    return picked


def load_real_dev_pages(root: Path) -> list[PageItem]:
    path = root / "pages.jsonl"
    if not path.exists():
        return []
    pages = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            row = json.loads(raw)
            pages.append(PageItem(row["id"], load_rgb(root / row["file"]), tuple(row["lines"]), "real"))
    return pages


def synth_lines(charset: Charset, n: int, seed: int) -> list[LineItem]:
    """``n`` raw (unpreprocessed) lines rendered in held-out font families, reproducible."""
    synth = LineSynthesizer(charset, held_out=True, seed=seed)
    items = []
    for i in range(n):
        image, text = synth.sample_raw()
        items.append(LineItem(f"synth_{i:04d}", image, text, lang_of(text)))
    return items
