"""Text-recognition metrics, identical for every system we compare (ours, RapidOCR, Tesseract).

Both sides are normalised the same way before scoring: NFKC (full-width ASCII -> half-width,
CJK punctuation -> its ASCII twin), runs of whitespace collapsed to one space, stripped.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_CJK_TO_ASCII = str.maketrans({"，": ",", "。": ".", "；": ";", "：": ":", "？": "?", "！": "!",
                               "（": "(", "）": ")", "“": '"', "”": '"', "‘": "'", "’": "'",
                               "【": "[", "】": "]", "～": "~", "—": "-", "－": "-", "·": "·"})


def normalize_for_scoring(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(_CJK_TO_ASCII).split())


@dataclass(frozen=True)
class Score:
    """Aggregate over lines: character error rate, exact-line accuracy, space errors."""

    lines: int
    chars: int
    edits: int
    exact: int
    space_edits: int
    ref_spaces: int

    @property
    def cer(self) -> float:
        return self.edits / max(1, self.chars)

    @property
    def line_accuracy(self) -> float:
        return self.exact / max(1, self.lines)

    @property
    def space_error_rate(self) -> float:
        """Edits on space characters (missed, extra or substituted) per reference space."""
        return self.space_edits / max(1, self.ref_spaces)

    def to_dict(self) -> dict[str, float | int]:
        return {"lines": self.lines, "chars": self.chars, "cer": round(self.cer, 4),
                "line_accuracy": round(self.line_accuracy, 4),
                "space_error_rate": round(self.space_error_rate, 4), "ref_spaces": self.ref_spaces}


def _space_edits(pred: str, ref: str) -> int:
    count = 0
    for op in Levenshtein.editops(pred, ref):
        if op.tag == "insert" and ref[op.dest_pos] == " ":
            count += 1
        elif op.tag == "delete" and pred[op.src_pos] == " ":
            count += 1
        elif op.tag == "replace" and (pred[op.src_pos] == " " or ref[op.dest_pos] == " "):
            count += 1
    return count


def score(pairs: Iterable[tuple[str, str]]) -> Score:
    """Score (prediction, reference) pairs after normalising both."""
    lines = chars = edits = exact = space_edits = ref_spaces = 0
    for pred, ref in pairs:
        p, r = normalize_for_scoring(pred), normalize_for_scoring(ref)
        lines += 1
        chars += len(r)
        d = Levenshtein.distance(p, r)
        edits += d
        exact += int(d == 0)
        if d:
            space_edits += _space_edits(p, r)
        ref_spaces += r.count(" ")
    return Score(lines, chars, edits, exact, space_edits, ref_spaces)
