"""The label convention, defined once: index 0 is the CTC blank, index i>0 is charset line i-1.

charset.txt holds one character per line, in order; the space character is the line holding a
single " " (read with split("\\n"), never strip()).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BLANK_INDEX = 0
SPACE = " "

# Full-width CJK punctuation kept as its own class (see build_charset.py); everything else NFKC.
_KEEP_FULLWIDTH = frozenset("，。、；：？！“”‘’（）《》〈〉「」『』【】〔〕…—～·・￥")


def normalize_text(text: str) -> str:
    """Canonical label form: NFKC except kept CJK punctuation, collapsed runs of spaces, stripped."""
    out = []
    for ch in text:
        out.append(ch if ch in _KEEP_FULLWIDTH else unicodedata.normalize("NFKC", ch))
    return " ".join("".join(out).replace("\u3000", " ").split())


@dataclass(frozen=True)
class Charset:
    """Characters of the recognizer's output layer (blank excluded)."""

    chars: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("charset has duplicate characters")
        if any(len(c) != 1 for c in self.chars):
            raise ValueError("every charset entry must be a single character")
        object.__setattr__(self, "_index", {c: i + 1 for i, c in enumerate(self.chars)})

    @classmethod
    def load(cls, path: str | Path) -> Charset:
        return cls.from_text(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_text(cls, text: str) -> Charset:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines = lines[:-1]
        return cls(tuple(lines))

    def to_text(self) -> str:
        return "\n".join(self.chars) + "\n"

    @property
    def blank_index(self) -> int:
        return BLANK_INDEX

    @property
    def space_index(self) -> int:
        return self._index[SPACE]

    @property
    def num_classes(self) -> int:
        """Output width of the model: characters plus the blank."""
        return len(self.chars) + 1

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    def encode(self, text: str) -> list[int]:
        """Label indices of ``text``; raises KeyError naming a character outside the charset."""
        try:
            return [self._index[c] for c in text]
        except KeyError as exc:
            raise KeyError(f"character {exc.args[0]!r} is not in the charset") from None

    def covers(self, text: str) -> bool:
        return all(c in self._index for c in text)

    def decode(self, indices: Iterable[int]) -> str:
        """Characters of already-collapsed label indices (blanks skipped)."""
        return "".join(self.chars[i - 1] for i in indices if i != BLANK_INDEX)

    def lookup(self, indices: Sequence[int]) -> list[str]:
        return [self.chars[i - 1] for i in indices]
