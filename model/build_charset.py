"""Build model/charset.txt: the recognizer's label set.

Recipe (deterministic, offline): ASCII printable 0x20-0x7E (space first), all 6,763 GB2312
hanzi (rows 0xB0-0xF7 of the GB2312 code table, decoded with Python's gb2312 codec), full-width
CJK punctuation, and the symbols of receipts, tables and documents. Full-width ASCII forms
(U+FF01-U+FF5E) are not separate classes: text is normalised to their half-width twins, except
the CJK punctuation listed here, which looks different (wider advance, different position).
Usage: python -m model.build_charset [--out model/charset.txt]
"""
from __future__ import annotations

import argparse
from pathlib import Path

CJK_PUNCTUATION = "，。、；：？！“”‘’（）《》〈〉「」『』【】〔〕…—～·・￥"
SYMBOLS = ("¥€£¢°℃℉%‰‱×÷±≤≥≠≈∞√∑∏∈∩∪∠⊥∥№§¶©®™†‡•→←↑↓↔⇒"
           "①②③④⑤⑥⑦⑧⑨⑩ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ○●□■△▲◇◆★☆※〇αβγδεθλμπσΩω²³¹½¼¾")


def gb2312_hanzi() -> list[str]:
    """The 6,763 hanzi of GB2312 (levels 1 and 2), in code order."""
    chars: list[str] = []
    for row in range(0xB0, 0xF8):
        for col in range(0xA1, 0xFF):
            try:
                ch = bytes([row, col]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            chars.append(ch)
    return chars


def build_charset() -> list[str]:
    """All label characters, space first, each once."""
    ordered = [chr(c) for c in range(0x20, 0x7F)] + list(CJK_PUNCTUATION) + list(SYMBOLS) + gb2312_hanzi()
    seen: set[str] = set()
    unique = []
    for ch in ordered:
        if ch not in seen:
            seen.add(ch)
            unique.append(ch)
    return unique


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("charset.txt"))
    args = parser.parse_args(argv)
    chars = build_charset()
    args.out.write_text("\n".join(chars) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
