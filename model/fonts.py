"""Font inventory for synthetic lines, from Debian font packages (never committed).

Families are split into training and held-out sets; held-out families are never rendered for
training and are used only to measure generalisation to unseen typefaces.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

# ``OCR_FONT_ROOT`` points at another tree with the same relative paths, e.g. the subset fonts
# that ``model.bundle`` packs for a training machine without Debian's font packages.
FONT_ROOT = Path(os.environ.get("OCR_FONT_ROOT", "/usr/share/fonts"))


@dataclass(frozen=True)
class FontSpec:
    """One face: file, face index inside a .ttc, family name, and whether it covers GB2312 hanzi."""

    path: str
    index: int
    family: str
    cjk: bool


# (relative path, ttc index, family, cjk)
_CANDIDATES: tuple[tuple[str, int, str, bool], ...] = (
    ("opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC", True),
    ("opentype/noto/NotoSansCJK-Bold.ttc", 2, "Noto Sans CJK SC", True),
    ("opentype/noto/NotoSansCJK-Regular.ttc", 7, "Noto Sans Mono CJK SC", True),
    ("opentype/noto/NotoSerifCJK-Regular.ttc", 2, "Noto Serif CJK SC", True),
    ("opentype/noto/NotoSerifCJK-Bold.ttc", 2, "Noto Serif CJK SC", True),
    ("truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei", True),
    ("truetype/arphic/ukai.ttc", 0, "AR PL UKai", True),
    ("truetype/arphic/uming.ttc", 0, "AR PL UMing", True),
    ("truetype/droid/DroidSansFallbackFull.ttf", 0, "Droid Sans Fallback", True),
    ("truetype/wqy/wqy-zenhei.ttc", 0, "WenQuanYi Zen Hei", True),
    ("truetype/wqy/wqy-zenhei.ttc", 2, "WenQuanYi Zen Hei", True),
    ("truetype/dejavu/DejaVuSans.ttf", 0, "DejaVu Sans", False),
    ("truetype/dejavu/DejaVuSans-Bold.ttf", 0, "DejaVu Sans", False),
    ("truetype/dejavu/DejaVuSansCondensed.ttf", 0, "DejaVu Sans", False),
    ("truetype/dejavu/DejaVuSerif.ttf", 0, "DejaVu Serif", False),
    ("truetype/dejavu/DejaVuSerif-Bold.ttf", 0, "DejaVu Serif", False),
    ("truetype/dejavu/DejaVuSansMono.ttf", 0, "DejaVu Sans Mono", False),
    ("truetype/freefont/FreeSans.ttf", 0, "FreeSans", False),
    ("truetype/freefont/FreeSerif.ttf", 0, "FreeSerif", False),
    ("truetype/freefont/FreeSerifItalic.ttf", 0, "FreeSerif", False),
    ("truetype/freefont/FreeMono.ttf", 0, "FreeMono", False),
    ("truetype/crosextra/Carlito-Regular.ttf", 0, "Carlito", False),
    ("truetype/crosextra/Carlito-Bold.ttf", 0, "Carlito", False),
    ("truetype/crosextra/Caladea-Regular.ttf", 0, "Caladea", False),
    ("truetype/crosextra/Caladea-Italic.ttf", 0, "Caladea", False),
    ("opentype/urw-base35/NimbusRoman-Regular.otf", 0, "Nimbus Roman", False),
    ("opentype/urw-base35/NimbusRoman-Italic.otf", 0, "Nimbus Roman", False),
    ("opentype/urw-base35/NimbusRoman-Bold.otf", 0, "Nimbus Roman", False),
    ("opentype/urw-base35/NimbusSans-Regular.otf", 0, "Nimbus Sans", False),
    ("opentype/urw-base35/NimbusSansNarrow-Regular.otf", 0, "Nimbus Sans", False),
    ("opentype/urw-base35/NimbusMonoPS-Regular.otf", 0, "Nimbus Mono PS", False),
    ("opentype/urw-base35/C059-Roman.otf", 0, "C059", False),
    ("opentype/urw-base35/P052-Roman.otf", 0, "P052", False),
    ("opentype/urw-base35/URWBookman-Light.otf", 0, "URW Bookman", False),
    ("opentype/urw-base35/URWGothic-Book.otf", 0, "URW Gothic", False),
    ("truetype/noto/NotoSans-Regular.ttf", 0, "Noto Sans", False),
    ("truetype/noto/NotoSerif-Regular.ttf", 0, "Noto Serif", False),
    ("truetype/noto/NotoSansMono-Regular.ttf", 0, "Noto Sans Mono", False),
    ("truetype/liberation2/LiberationSans-Regular.ttf", 0, "Liberation Sans", False),
    ("truetype/liberation2/LiberationSans-Bold.ttf", 0, "Liberation Sans", False),
    ("truetype/liberation2/LiberationSerif-Regular.ttf", 0, "Liberation Serif", False),
    ("truetype/liberation2/LiberationSerif-Italic.ttf", 0, "Liberation Serif", False),
    ("truetype/liberation2/LiberationMono-Regular.ttf", 0, "Liberation Mono", False),
)

# Never used for training: one CJK family and the whole Liberation family.
HELD_OUT_FAMILIES: frozenset[str] = frozenset(
    {"WenQuanYi Zen Hei", "Liberation Sans", "Liberation Serif", "Liberation Mono"}
)


def available_fonts(root: Path = FONT_ROOT) -> list[FontSpec]:
    """Every candidate face present on this machine."""
    return [FontSpec(str(root / rel), idx, fam, cjk) for rel, idx, fam, cjk in _CANDIDATES
            if (root / rel).exists()]


def split_fonts(fonts: list[FontSpec]) -> tuple[list[FontSpec], list[FontSpec]]:
    """(training faces, held-out faces)."""
    train = [f for f in fonts if f.family not in HELD_OUT_FAMILIES]
    held = [f for f in fonts if f.family in HELD_OUT_FAMILIES]
    return train, held


def load_font(spec: FontSpec, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(spec.path, size_px, index=spec.index)
