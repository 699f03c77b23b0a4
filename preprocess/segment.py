"""Classical text-line finding on a binarised page: connected components, deskew, recursive XY-cut.

No learned detector: it is fast, has no weights, and covers documents, screenshots and receipts,
which are the service's main inputs. The steps, all in numpy/OpenCV:

1. ``clean_ink``: connected components of the ink. Page-sized blobs (photos, frames) and long
   thin rules (underlines, table and column rules) are dropped; marks smaller than 0.4 units
   (periods, i-dots, specks) take no part in the layout and only widen the box of a line they
   touch. The typical component height (``_typical_height``) is the page's *unit* (about a Latin
   letter's height, most of a CJK character's), and every later threshold is measured in units,
   so the same code works for 20-px and 200-px text.
2. ``estimate_skew_deg``: the rotation in [-5, 5] degrees that maximises the sum of squares of the
   horizontal projection profile (sharpest line peaks); coarse 0.25-degree steps, then 0.05.
3. The cleaned ink is rotated by that angle (``Skew``), and a recursive XY-cut splits it:
   a region whose every row holds ink is one text row; a row is split at gaps of >= 1.6 units
   (words stay together, table cells and receipt columns do not); a multi-row region is first cut
   at a full-height gutter when both sides look like text columns (several rows, >= 8 units
   wide), then at unusually wide row gaps (paragraphs, a title above columns), then row by row.
   The order of the cuts is the reading order: columns left to right, rows top to bottom,
   pieces of a row left to right.
4. A region the XY-cut cannot split although it is several lines tall is text among clutter
   (a street sign in a photo of a building): there, character-shaped components are linked to
   same-sized neighbours on the same row (``_link_components``), and the chains become lines.

Boxes come back in two frames: ``PageLines.lines`` in the deskewed frame (crop these with
``Skew.crop`` to get a level line) and ``find_line_bands`` in original page pixels, where each box
is the axis-aligned bounding box of the deskewed line rectangle mapped back onto the page, so on a
skewed page a long line's box is taller than the line and overlaps its neighbours' boxes.

Work is bounded: one connected-component pass, a fixed number of projections for the skew, an
XY-cut that stops as soon as it has found ``max_lines + 1`` lines, and a linking fallback that
gives up on regions of more than MAX_LINK_COMPONENTS components.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

SKEW_COARSE_STEP_DEG = 0.25
SKEW_FINE_STEP_DEG = 0.05
MIN_SKEW_DEG = 0.2  # below this the page is used as is (a rotation would only blur it)
SKEW_MAX_POINTS = 20_000
PIECE_GAP_UNITS = 1.6  # a gap this wide splits a row into separate boxes
ROW_PIECE_GAP_FRACTION = 0.7  # ... and at least this fraction of the row's height
GUTTER_UNITS = 1.2  # the narrowest column gutter, when the region has >= 4 rows
COLUMN_MIN_WIDTH_UNITS = 8.0  # narrower blocks (prices, labels) are read row by row
TEXT_INK, MARK_INK = 1, 2  # pixel classes of clean_ink
TALL_ROW_UNITS = 2.2  # a row this tall may be two lines bridged by a speck
CLUTTER_UNITS = 3.0  # an unsplittable region this tall is text among clutter (a photo)
MAX_LINK_COMPONENTS = 5000  # beyond this a clutter region is noise, not text


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


@dataclass(frozen=True)
class Skew:
    """The rotation by ``angle_deg`` (OpenCV sign: counter-clockwise on screen) that levels the text
    of a ``page_w`` x ``page_h`` page, onto a canvas enlarged to hold the whole rotated page."""

    angle_deg: float
    page_w: int
    page_h: int

    @property
    def canvas_size(self) -> tuple[int, int]:
        """(width, height) of the deskewed frame."""
        if self.angle_deg == 0.0:
            return self.page_w, self.page_h
        a = math.radians(self.angle_deg)
        c, s = abs(math.cos(a)), abs(math.sin(a))
        return (int(math.ceil(self.page_w * c + self.page_h * s)),
                int(math.ceil(self.page_w * s + self.page_h * c)))

    def matrix(self) -> np.ndarray:
        """(2, 3) float64 affine map from page pixels to deskewed pixels."""
        cw, ch = self.canvas_size
        m = cv2.getRotationMatrix2D((self.page_w / 2, self.page_h / 2), self.angle_deg, 1.0)
        m[0, 2] += cw / 2 - self.page_w / 2
        m[1, 2] += ch / 2 - self.page_h / 2
        return m

    def rotate(self, image: np.ndarray, *, fill: int) -> np.ndarray:
        """Page image (H, W) uint8 -> deskewed image on the canvas (nearest neighbour)."""
        if self.angle_deg == 0.0:
            return image.copy()
        return cv2.warpAffine(image, self.matrix(), self.canvas_size, flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=fill)

    def to_page(self, band: LineBand) -> LineBand:
        """Axis-aligned bounding box, in page pixels, of a deskewed box mapped back (clipped)."""
        if self.angle_deg == 0.0:
            return band
        inverse = cv2.invertAffineTransform(self.matrix())
        corners = np.array([[band.x0, band.y0, 1], [band.x1, band.y0, 1],
                            [band.x0, band.y1, 1], [band.x1, band.y1, 1]], dtype=np.float64)
        pts = corners @ inverse.T  # (4, 2)
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        return LineBand(max(0, int(x0)), max(0, int(y0)),
                        min(self.page_w, int(x1)), min(self.page_h, int(y1)))

    def crop(self, gray: np.ndarray, band: LineBand, *, scale: float = 1.0) -> np.ndarray:
        """Cut a deskewed ``band`` out of ``gray``, a page ``scale`` times the size this Skew was
        measured on -> (h, w) uint8 level line (a plain slice when there is no rotation)."""
        x0, y0 = int(band.x0 * scale), int(band.y0 * scale)
        x1, y1 = int(math.ceil(band.x1 * scale)), int(math.ceil(band.y1 * scale))
        if self.angle_deg == 0.0:
            h, w = gray.shape[:2]
            return gray[max(0, y0):min(h, y1), max(0, x0):min(w, x1)].copy()
        m = self.matrix()
        a_inv = np.linalg.inv(m[:, :2])
        to_page = np.hstack([a_inv, (a_inv @ (np.array([x0, y0], float) - m[:, 2] * scale))[:, None]])
        return cv2.warpAffine(gray, to_page, (max(1, x1 - x0), max(1, y1 - y0)),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class PageLines:
    """Lines of a page in reading order, as boxes in the deskewed frame of ``skew``."""

    skew: Skew
    lines: tuple[LineBand, ...]
    unit_px: float

    def page_bands(self) -> list[LineBand]:
        """The same lines as axis-aligned boxes in original page pixels."""
        return [self.skew.to_page(b) for b in self.lines]


def _typical_height(stats: np.ndarray) -> float:
    """Typical letter height of components (rows of cv2 stats): the height-weighted median (the
    height at which half the rows covered by components belong to taller ones) over components at
    least 0.3 of the 90th-percentile height. Specks, dot leaders and i-dots are many but short, so
    they neither count nor drag it down; one large picture weighs only its height."""
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    heights = np.sort(heights[heights >= 0.3 * np.percentile(heights, 90)]).astype(np.float64)
    cumulative = np.cumsum(heights)
    return float(heights[np.searchsorted(cumulative, cumulative[-1] / 2)])


def clean_ink(binary: np.ndarray) -> tuple[np.ndarray, float]:
    """(H, W) uint8 binary (0 ink) -> (ink, unit_px).

    ``ink  # (H, W) uint8``: TEXT_INK for text-sized components, MARK_INK for small marks
    (periods, i-dots, specks: they only widen a line's box), 0 for paper and for dropped blobs
    and rules. ``unit_px``: typical height of the text components (see _typical_height); 0.0 when
    none.
    """
    ink = (binary < 128).astype(np.uint8)
    page_h, page_w = ink.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w = stats[1:, cv2.CC_STAT_WIDTH]
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    area = stats[1:, cv2.CC_STAT_AREA]
    sized = (np.maximum(w, h) >= 3) & (area >= 4)
    # Page-sized blobs (photos, frames, the dark half of a two-tone page) are not text.
    sized &= ~((w > 0.6 * page_w) & (h > 0.6 * page_h) & (n > 8))
    if not sized.any():
        return np.zeros_like(ink), 0.0
    unit = _typical_height(stats[1:][sized])
    small = np.maximum(w, h) < 0.4 * unit
    keep = sized & ~small
    keep &= ~((h > 8 * unit) & (h > 0.3 * page_h))  # pictures, logos, vertical bars
    keep &= ~((w >= 10 * h) & (h <= 0.6 * unit) & (w > 3 * unit))  # horizontal rules, underlines
    keep &= ~((h >= 10 * w) & (w <= 0.6 * unit) & (h > 4 * unit))  # vertical rules
    if not keep.any():
        return np.zeros_like(ink), 0.0
    unit = _typical_height(stats[1:][keep])
    lut = np.concatenate([[0], np.where(keep, TEXT_INK, np.where(small, MARK_INK, 0))]).astype(np.uint8)
    return lut[labels], unit


def estimate_skew_deg(ink: np.ndarray, *, max_angle_deg: float = 5.0) -> float:
    """Rotation in [-max_angle_deg, max_angle_deg] (OpenCV sign) that levels the text lines of an
    (H, W) ink mask; 0.0 when the profile does not improve clearly or the angle is negligible."""
    ys, xs = np.nonzero(ink)
    if xs.size < 50:
        return 0.0
    step = max(1, xs.size // SKEW_MAX_POINTS)
    # Integer centre: with half-integer coordinates rint's round-half-to-even would pair rows into
    # even bins at 0 degrees and double the score there.
    x = (xs[::step] - ink.shape[1] // 2).astype(np.float64)
    y = (ys[::step] - ink.shape[0] // 2).astype(np.float64)

    def sharpness(angle_deg: float) -> float:
        a = math.radians(angle_deg)
        rows = np.rint(y * math.cos(a) - x * math.sin(a)).astype(np.int64)
        counts = np.bincount(rows - rows.min()).astype(np.float64)
        return float(np.dot(counts, counts))

    coarse = np.arange(-max_angle_deg, max_angle_deg + 1e-9, SKEW_COARSE_STEP_DEG)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - SKEW_COARSE_STEP_DEG, best + SKEW_COARSE_STEP_DEG + 1e-9, SKEW_FINE_STEP_DEG)
    best = float(max(fine, key=sharpness))
    if abs(best) < MIN_SKEW_DEG or sharpness(best) < 1.05 * sharpness(0.0):
        return 0.0
    return round(best, 2)


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


def _merge_thin_runs(rows: list[tuple[int, int]], unit: float) -> list[tuple[int, int]]:
    """Attach rows much thinner than a text row (i-dots, accents, a stray stroke) to the nearest
    row when it is close; far-away thin rows stay and are dropped later as too short."""
    if len(rows) < 2:
        return rows
    merged = list(rows)
    ref_h = max(unit, float(np.median([e - s for s, e in rows])))
    i = 0
    while i < len(merged) and len(merged) > 1:
        s, e = merged[i]
        if e - s >= 0.45 * ref_h:
            i += 1
            continue
        gap_up = s - merged[i - 1][1] if i > 0 else math.inf
        gap_down = merged[i + 1][0] - e if i + 1 < len(merged) else math.inf
        gap, j = min((gap_up, i - 1), (gap_down, i + 1))
        if gap > 0.3 * ref_h:
            i += 1
            continue
        lo, hi = sorted((i, j))
        merged[lo:hi + 1] = [(merged[lo][0], merged[hi][1])]
        i = lo
    return merged


Region = tuple[int, int, int, int]  # x0, y0, x1, y1 in the deskewed frame


def _trim(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> Region | None:
    """Shrink a region to the bounding box of its ink; None when it holds none."""
    sub = ink[y0:y1, x0:x1]
    rows = np.flatnonzero(sub.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(sub[rows[0]:rows[-1] + 1].any(axis=0))
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def _rows_of(ink: np.ndarray, region: Region, unit: float, min_gap_px: int) -> list[tuple[int, int]]:
    """Text rows [start, end) of a region, relative to its top: runs of rows holding ink. A run
    taller than TALL_ROW_UNITS (two lines joined by a speck or a touching descender) is split
    again at near-blank rows (at most 2 % of its busiest row's ink)."""
    x0, y0, x1, y1 = region
    counts = ink[y0:y1, x0:x1].sum(axis=1)
    rows: list[tuple[int, int]] = []
    for s, e in _runs(counts > 0, min_gap_px):
        if e - s > TALL_ROW_UNITS * unit:
            run = counts[s:e]
            rows.extend((s + a, s + b) for a, b in _runs(run > 0.02 * run.max(), min_gap_px))
        else:
            rows.append((s, e))
    return _merge_thin_runs(rows, unit)


def _is_column(ink: np.ndarray, region: Region, unit: float, min_gap_px: int) -> bool:
    """True for a block of running text: at least two rows, at least COLUMN_MIN_WIDTH_UNITS wide."""
    x0, _, x1, _ = region
    return x1 - x0 >= COLUMN_MIN_WIDTH_UNITS * unit and len(_rows_of(ink, region, unit, min_gap_px)) >= 2


def _split(ink: np.ndarray, region: Region, unit: float, min_gap_px: int) -> list[Region] | None:
    """One XY-cut step: the sub-regions of ``region`` in reading order, or None for a text line."""
    x0, y0, x1, y1 = region
    sub = ink[y0:y1, x0:x1]
    rows = _rows_of(ink, region, unit, min_gap_px)
    cols = sub.any(axis=0)
    if len(rows) == 1:
        gap = max(2, int(round(max(PIECE_GAP_UNITS * unit, ROW_PIECE_GAP_FRACTION * (y1 - y0)))))
        pieces = _runs(cols, gap)
        if len(pieces) == 1:
            return None
        return [(x0 + s, y0, x0 + e, y1) for s, e in pieces]
    gutter = max(2, int(round(GUTTER_UNITS * unit if len(rows) >= 4 else 2 * PIECE_GAP_UNITS * unit)))
    blocks = [(x0 + s, y0, x0 + e, y1) for s, e in _runs(cols, gutter)]
    if len(blocks) > 1:
        trimmed = [t for t in (_trim(ink, *b) for b in blocks) if t is not None]
        if all(_is_column(ink, t, unit, min_gap_px) for t in trimmed):
            return trimmed
    gaps = [b[0] - a[1] for a, b in zip(rows, rows[1:])]
    median_gap = float(np.median(gaps))
    wide = max(1.6 * median_gap, median_gap + unit)
    cuts = [i + 1 for i, g in enumerate(gaps) if g >= wide]
    if len(gaps) >= 2 and cuts:
        edges = [0, *cuts, len(rows)]
        return [(x0, y0 + rows[a][0], x1, y0 + rows[b - 1][1]) for a, b in zip(edges, edges[1:])]
    return [(x0, y0 + s, x1, y0 + e) for s, e in rows]


def _is_text_line(region: Region, unit: float, min_height_px: int) -> bool:
    """A final region is a line when it is tall enough and not a lone small blob: at least
    0.7 units tall (a capital, a digit, a CJK character) or 1.5 units wide (a short word)."""
    w, h = region[2] - region[0], region[3] - region[1]
    return h >= max(min_height_px, 0.5 * unit) and w >= 2 and (h >= 0.7 * unit or w >= 1.5 * unit)


def _component_stats(mask: np.ndarray) -> np.ndarray:
    """(N, 5) int32 stats (x, y, w, h, area) of the 8-connected components of a 0/1 mask."""
    return cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)[2][1:]


def _is_clutter(stats: np.ndarray, region: Region) -> bool:
    """True for a region the XY-cut could not split that is too tall to be one line, measured in
    the unit of its own components (so a line of large title text is not clutter)."""
    height = region[3] - region[1]
    return stats.shape[0] == 0 or height > CLUTTER_UNITS * _typical_height(stats)


class _UnionFind:
    """Disjoint sets over 0..n-1 with path halving."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def _link_components(stats: np.ndarray, region: Region, min_height_px: int) -> list[Region]:
    """Lines of a region the XY-cut cannot split (text among the clutter of a photo): components
    of character shape (not bars, not outlines) are linked to neighbours of similar height on the
    same row (vertical overlap >= half the smaller height, height ratio <= 2, gap <= the taller
    height). A chain's letters (members at least half its tallest) make a line when there are
    three or more, or two whose tops and bottoms agree (a random pair of blobs rarely does).
    Lines come in reading order."""
    x0, y0, x1, y1 = region
    bx, by, bw, bh = (stats[:, k].astype(np.int64) for k in range(4))
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(1, bw * bh)
    glyph = (bh >= min_height_px) & (bw <= 3 * bh) & (bh <= 6 * bw) & (bh <= 0.5 * (y1 - y0)) & (fill > 0.12)
    idx = np.flatnonzero(glyph)
    if idx.size < 2 or idx.size > MAX_LINK_COMPONENTS:
        return []
    idx = idx[np.argsort(bx[idx], kind="stable")]
    left, right, top, bottom, height = bx[idx], bx[idx] + bw[idx], by[idx], by[idx] + bh[idx], bh[idx]
    groups = _UnionFind(idx.size)
    tight = np.zeros(idx.size, bool)  # linked to a neighbour of nearly the same top and bottom
    ends = np.searchsorted(left, right + height, side="right")
    for i in range(idx.size):
        j = np.arange(i + 1, ends[i])
        overlap = np.minimum(bottom[i], bottom[j]) - np.maximum(top[i], top[j])
        lo, hi = np.minimum(height[i], height[j]), np.maximum(height[i], height[j])
        linked = j[(overlap >= 0.5 * lo) & (hi <= 2 * lo) & (left[j] - right[i] <= hi)]
        for k in linked.tolist():
            groups.union(i, k)
        close = linked[np.abs(top[linked] - top[i]) + np.abs(bottom[linked] - bottom[i]) <= 0.3 * height[i]]
        if close.size:
            tight[i] = True
            tight[close] = True
    members: dict[int, list[int]] = {}
    for i in range(idx.size):
        members.setdefault(groups.find(i), []).append(i)
    boxes = []
    for chain in members.values():
        core = np.array(chain)
        core = core[height[core] >= 0.5 * height[core].max()]  # a chain's letters, not its specks
        if core.size >= 3 or (core.size == 2 and tight[core].all()):
            boxes.append((int(left[core].min()), int(top[core].min()),
                          int(right[core].max()), int(bottom[core].max())))
    return [(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d in _reading_order(boxes)]


def _reading_order(boxes: list[Region]) -> list[Region]:
    """Rows top to bottom (a box joins a row when it shares half its height with the row's first
    box); within a row, left to right, where boxes stacked in one column of the row (a small
    label above a number beside a tall title) go top to bottom."""
    rows: list[list[Region]] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        if rows:
            first = rows[-1][0]
            overlap = min(first[3], box[3]) - max(first[1], box[1])
            if overlap >= 0.5 * min(first[3] - first[1], box[3] - box[1]):
                rows[-1].append(box)
                continue
        rows.append([box])
    ordered: list[Region] = []
    for row in rows:
        columns: list[list[Region]] = []
        for box in sorted(row):
            if columns and box[0] < max(b[2] for b in columns[-1]):
                columns[-1].append(box)
            else:
                columns.append([box])
        ordered.extend(b for col in columns for b in sorted(col, key=lambda b: (b[1], b[0])))
    return ordered


def _xy_cut(ink: np.ndarray, marks: np.ndarray, unit: float, *, min_height_px: int, min_gap_px: int,
            limit: int) -> list[Region]:
    """Text-line regions of an ink mask in reading order; stops after ``limit`` lines. In clutter
    the unit means little, so the linking fallback sees the small marks as well."""
    whole = _trim(ink, 0, 0, ink.shape[1], ink.shape[0])
    stack = [whole] if whole is not None else []
    lines: list[Region] = []
    while stack and len(lines) < limit:
        region = stack.pop()
        children = _split(ink, region, unit, min_gap_px)
        if children is None:
            x0, y0, x1, y1 = region
            if y1 - y0 > CLUTTER_UNITS * unit and _is_clutter(_component_stats(ink[y0:y1, x0:x1]), region):
                everything = _component_stats(ink[y0:y1, x0:x1] | marks[y0:y1, x0:x1])
                lines.extend(_link_components(everything, region, min_height_px)[:limit - len(lines)])
                continue
            if _is_text_line(region, unit, min_height_px):
                lines.append(region)
            continue
        trimmed = [t for t in (_trim(ink, *c) for c in children) if t is not None]
        stack.extend(reversed(trimmed))
    return lines


def _widen_to_marks(region: Region, marks: np.ndarray, unit: float) -> Region:
    """Extend a line left and right over small marks within 0.8 units (and 0.6 of its height)
    of it, in its rows (a final period, a leading quote)."""
    x0, y0, x1, y1 = region
    reach = max(1, int(min(0.8 * unit, 0.6 * (y1 - y0))))
    right = np.flatnonzero(marks[y0:y1, x1:x1 + reach].any(axis=0))
    left = np.flatnonzero(marks[y0:y1, max(0, x0 - reach):x0].any(axis=0))
    return (max(0, x0 - reach) + int(left[0]) if left.size else x0, y0,
            x1 + int(right[-1]) + 1 if right.size else x1, y1)


def _pad(region: Region, width: int, height: int) -> LineBand:
    """Margins like those of the training lines: 15 % of the line height above and below, 30 %
    left and right, clipped to the frame."""
    x0, y0, x1, y1 = region
    h = y1 - y0
    pad_y, pad_x = max(1, round(0.15 * h)), max(2, round(0.3 * h))
    return LineBand(max(0, x0 - pad_x), max(0, y0 - pad_y), min(width, x1 + pad_x), min(height, y1 + pad_y))


def segment_page(binary: np.ndarray, *, min_height_px: int = 6, min_gap_px: int = 1,
                 max_lines: int | None = None, deskew: bool = True,
                 max_skew_deg: float = 5.0) -> PageLines:
    """Find the text lines of an (H, W) uint8 binary page (0 = ink, 255 = paper).

    Returns them in reading order in the deskewed frame (see the module docstring); at most
    ``max_lines + 1`` lines, so a caller can tell "too many" without paying for all of them.
    """
    page_h, page_w = binary.shape
    ink, unit = clean_ink(binary)
    if unit == 0.0:
        return PageLines(Skew(0.0, page_w, page_h), (), 0.0)
    angle = estimate_skew_deg(ink, max_angle_deg=max_skew_deg) if deskew else 0.0
    skew = Skew(angle, page_w, page_h)
    level = skew.rotate(ink, fill=0)
    text = (level == TEXT_INK).view(np.uint8)
    marks = level == MARK_INK
    limit = max_lines + 1 if max_lines is not None else text.shape[0] * text.shape[1]
    regions = _xy_cut(text, marks, unit, min_height_px=min_height_px, min_gap_px=min_gap_px, limit=limit)
    canvas_w, canvas_h = skew.canvas_size
    return PageLines(skew, tuple(_pad(_widen_to_marks(r, marks, unit), canvas_w, canvas_h)
                                 for r in regions), unit)


def find_line_bands(binary: np.ndarray, *, min_height_px: int = 6, min_gap_px: int = 1,
                    max_lines: int | None = None, deskew: bool = True) -> list[LineBand]:
    """Text line boxes of an (H, W) uint8 binary page (0 = ink, 255 = paper), in reading order,
    as axis-aligned boxes in page pixels (on a skewed page: the bounding box of each levelled line
    mapped back). At most ``max_lines + 1`` boxes."""
    return segment_page(binary, min_height_px=min_height_px, min_gap_px=min_gap_px,
                        max_lines=max_lines, deskew=deskew).page_bands()
