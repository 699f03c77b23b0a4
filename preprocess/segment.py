"""Classical line finding on a binarised page: horizontal projection profile, then a vertical
profile inside each band to split columns. No learned detector: it is fast, has no weights, and
covers documents, screenshots and receipts, which are the service's main inputs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineBand:
    """A text line box in page pixels: [x0, x1) x [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0


def _runs(mask: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """Runs [start, end) of True in a 1-D mask, joining runs separated by fewer than ``min_gap``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    diff = np.diff(padded)
    starts = np.flatnonzero(diff == 1)
    ends = np.flatnonzero(diff == -1)
    runs: list[tuple[int, int]] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if runs and s - runs[-1][1] < min_gap:
            runs[-1] = (runs[-1][0], e)
        else:
            runs.append((s, e))
    return runs


def _merge_thin_bands(rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Attach bands much thinner than the median (dots, accents, underlines) to the nearest band."""
    if len(rows) < 2:
        return rows
    median_h = float(np.median([e - s for s, e in rows]))
    merged = list(rows)
    changed = True
    while changed and len(merged) > 1:
        changed = False
        for i, (s, e) in enumerate(merged):
            if e - s >= 0.35 * median_h:
                continue
            gap_up = s - merged[i - 1][1] if i > 0 else None
            gap_down = merged[i + 1][0] - e if i + 1 < len(merged) else None
            candidates = [(g, j) for g, j in ((gap_up, i - 1), (gap_down, i + 1)) if g is not None]
            gap, j = min(candidates)
            if gap > 0.5 * median_h:
                continue
            lo, hi = sorted((i, j))
            merged[lo:hi + 1] = [(merged[lo][0], merged[hi][1])]
            changed = True
            break
    return merged


def find_line_bands(binary: np.ndarray, *, min_height_px: int = 6, min_gap_px: int = 1,
                    ink_fraction: float = 0.002) -> list[LineBand]:
    """Find text lines in a (H, W) uint8 binary page (0 = ink, 255 = paper), in reading order.

    Rows whose ink count exceeds ``ink_fraction`` of the width form bands; bands separated by
    fewer than ``min_gap_px`` blank rows are joined; thin bands (i-dots, underlines) are merged
    into their neighbour. Inside each band, horizontal gaps wider than 1.5x the band height split
    the band into separate boxes (columns, table cells), ordered left to right.
    """
    ink = binary < 128  # (H, W) bool
    h, w = ink.shape
    row_counts = ink.sum(axis=1)
    row_mask = row_counts > max(1, int(ink_fraction * w))
    rows = _merge_thin_bands(_runs(row_mask, min_gap_px))
    bands: list[LineBand] = []
    for y0, y1 in rows:
        if y1 - y0 < min_height_px:
            continue
        col_mask = ink[y0:y1].any(axis=0)
        band_h = y1 - y0
        for x0, x1 in _runs(col_mask, max(2, int(1.5 * band_h))):
            if x1 - x0 < max(2, band_h // 4):
                continue
            pad_y = max(1, band_h // 8)
            pad_x = max(2, band_h // 4)
            bands.append(LineBand(max(0, x0 - pad_x), max(0, y0 - pad_y),
                                  min(w, x1 + pad_x), min(h, y1 + pad_y)))
    return bands
