"""Pack what ``model.train`` needs on a machine with no fonts and no package index (a lent GPU).

Such a machine gets the repository plus at most 64 MiB of ignored files, and has torch, numpy,
OpenCV and Pillow but not jieba, wordfreq or rapidfuzz, nor Debian's fonts (the CJK faces alone
are 150 MB). The bundle (``.gpu/`` by default) holds:

- ``fonts/``: every face in ``model.fonts`` subset to the charset with fontTools, at the same
  relative paths and ``.ttc`` face indices (unused faces of a collection shrink to the space),
  so ``OCR_FONT_ROOT=.gpu/fonts`` renders the same glyphs (hinting and the .notdef outline are
  kept: ``synth.font_covers`` compares against .notdef). Measured: the same text drawn at 30 px
  differs by under one pixel's worth of grey in four TrueType faces and not at all in the rest;
  the embedded bitmaps the subsetter drops (AR PL UMing's, 11-16 px) are below synth's 18 px;
- ``corpus.npz``: the word lists and their sampling weights (``model.corpus.save_word_lists``),
  read through ``OCR_CORPUS_SNAPSHOT``;
- ``whl/``: rapidfuzz for the machine's Python (held-out CER in the training log).

``model/train_on_device.sh`` unpacks it there and trains. Build it with::

    python -m model.bundle --out .gpu --python-version 3.12
"""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTCollection, TTFont

from model.charset import Charset
from model.corpus import save_word_lists
from model.fonts import FONT_ROOT, available_fonts

MODEL_DIR = Path(__file__).resolve().parent
RAPIDFUZZ = "rapidfuzz==3.14.6"  # the version in model/requirements-train.txt
_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def _subset(font: TTFont, text: str) -> TTFont:
    opts = Options()
    opts.notdef_outline = True  # synth._has_glyph compares a glyph's mask with the .notdef box
    opts.hinting = True
    opts.name_IDs = ["*"]
    sub = Subsetter(opts)
    sub.populate(text=text)
    sub.subset(font)
    return font


def subset_fonts(out: Path, text: str) -> list[Path]:
    """Write each font file that ``available_fonts`` lists, subset to ``text``, under ``out``."""
    faces: dict[str, set[int]] = {}
    for spec in available_fonts():
        faces.setdefault(spec.path, set()).add(spec.index)
    written = []
    for path, used in sorted(faces.items()):
        dest = out / Path(path).relative_to(FONT_ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.lower().endswith(".ttc"):
            coll = TTCollection(path)
            coll.fonts = [_subset(f, text if i in used else " ") for i, f in enumerate(coll.fonts)]
            coll.save(dest)
        else:
            _subset(TTFont(path), text).save(dest)
        written.append(dest)
    return written


def download_wheels(out: Path, python_version: str) -> None:
    """rapidfuzz as a manylinux x86-64 wheel for ``python_version`` (pip fetches it from PyPI)."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--python-version", python_version, "--implementation", "cp",
                    *(a for tag in _PLATFORMS for a in ("--platform", tag)), "-d", str(out), RAPIDFUZZ], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(".gpu"))
    parser.add_argument("--python-version", default="3.12", help="the training machine's Python")
    args = parser.parse_args(argv)
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" for every face
    charset = Charset.load(MODEL_DIR / "charset.txt")
    files = subset_fonts(args.out / "fonts", "".join(charset.chars) + " ")
    save_word_lists(charset, args.out / "corpus.npz")
    download_wheels(args.out / "whl", args.python_version)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{len(files)} font files, corpus, wheels: {total / 2**20:.1f} MiB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
