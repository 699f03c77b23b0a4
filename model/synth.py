"""Synthetic text-line engine: text from model.corpus, fonts from model.fonts, degradations of
real photos and scans, then the serving preprocessing (preprocess.prepare_line), so training
sees exactly what serving sees.

Throughput: ``python -m model.synth --bench`` prints lines/s on one core.
"""
from __future__ import annotations

import argparse
import functools
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model.charset import Charset
from model.corpus import TextSampler, is_plate, plate_number
from model.fonts import FontSpec, available_fonts, load_font, split_fonts
from preprocess import PreprocessConfig, prepare_line
from preprocess.enhance import to_grayscale


@functools.lru_cache(maxsize=512)
def _font(spec: FontSpec, size_px: int) -> ImageFont.FreeTypeFont:
    return load_font(spec, size_px)


@functools.lru_cache(maxsize=64)
def _notdef_mask(spec: FontSpec) -> bytes:
    return bytes(_font(spec, 24).getmask("\U0010fffd"))


@functools.lru_cache(maxsize=200_000)
def _has_glyph(spec: FontSpec, ch: str) -> bool:
    """False when the face would draw its .notdef box for ``ch``."""
    if ch == " ":
        return True
    mask = _font(spec, 24).getmask(ch)
    return mask.getbbox() is not None and bytes(mask) != _notdef_mask(spec)


def font_covers(spec: FontSpec, text: str) -> bool:
    return all(_has_glyph(spec, ch) for ch in set(text))


@dataclass
class LineStyle:
    """Colours of one rendered line (RGB)."""

    fg: tuple[int, int, int]
    bg: tuple[int, int, int]


def _pick_style(rng: random.Random) -> LineStyle:
    r = rng.random()
    if r < 0.55:  # dark ink on paper
        bg_l = rng.randint(170, 255)
        fg_l = rng.randint(0, max(0, bg_l - 90))
        return LineStyle((fg_l,) * 3, (bg_l,) * 3)
    if r < 0.80:  # coloured background or ink
        while True:
            fg = tuple(rng.randint(0, 255) for _ in range(3))
            bg = tuple(rng.randint(0, 255) for _ in range(3))
            lum = lambda c: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]  # noqa: E731
            if abs(lum(fg) - lum(bg)) > 70:
                return LineStyle(fg, bg)  # type: ignore[arg-type]
    if r < 0.92:  # light text on dark (signs, screens, plates)
        bg_l = rng.randint(0, 90)
        return LineStyle((rng.randint(bg_l + 90, 255),) * 3, (bg_l,) * 3)
    blue = (rng.randint(0, 40), rng.randint(40, 90), rng.randint(140, 220))  # licence-plate blue
    return LineStyle((rng.randint(215, 255),) * 3, blue)


def _draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str,
               font: ImageFont.FreeTypeFont, fill: tuple[int, int, int], tracking: float,
               stroke: int) -> float:
    """Draw ``text`` at ``xy`` (left, baseline-anchored 'ls'); returns the advance width."""
    if tracking == 0:
        draw.text(xy, text, font=font, fill=fill, anchor="ls", stroke_width=stroke, stroke_fill=fill)
        return font.getlength(text)
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=font, fill=fill, anchor="ls", stroke_width=stroke, stroke_fill=fill)
        x += font.getlength(ch) + (tracking if ch != " " else 0)
    return x - xy[0]


def _plate_style(rng: random.Random) -> LineStyle:
    """Chinese licence plates: white on blue, black on yellow, black on white-green."""
    r = rng.random()
    if r < 0.7:
        return LineStyle((rng.randint(200, 255),) * 3,
                         (rng.randint(0, 50), rng.randint(30, 100), rng.randint(120, 230)))
    if r < 0.85:
        return LineStyle((rng.randint(0, 50),) * 3, (rng.randint(200, 255), rng.randint(170, 220), 0))
    return LineStyle((rng.randint(0, 50),) * 3, (rng.randint(170, 230), rng.randint(220, 255), rng.randint(170, 230)))


def render_line(text: str, spec: FontSpec, rng: random.Random,
                filler: TextSampler | None = None, skip: frozenset[str] = frozenset()) -> np.ndarray:
    """Render ``text`` in face ``spec`` with random style and degradations -> (H, W, 3) uint8.

    Margins come in two kinds: loose (the font's line box plus random space, as a page cut by
    hand) and tight (the ink's bounding box plus at most a few pixels, as line detectors and
    scanned-line datasets crop). Without tight crops, a lowercase s/o/c filling a tight crop reads
    as a capital, and a full stop touching the right edge is dropped. Plates: ``render_plate``.
    """
    size = rng.randint(18, 52)
    font = _font(spec, size)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    style = _pick_style(rng)
    tight = rng.random() < 0.4
    spaced = rng.random() < 0.12 and not tight  # letter spacing: loose crops only
    tracking = size * rng.uniform(0.05, 0.5) if spaced else 0.0
    stroke = 1 if rng.random() < 0.08 and size > 28 else 0
    text_w = font.getlength(text) + tracking * max(0, len(text) - 1) + 2 * stroke
    if tight:  # place the ink box, not the font's line box
        left, top, right, bottom = font.getbbox(text, anchor="ls", stroke_width=stroke)
        pad = max(1, int(size * 0.18))
        m_top, m_bot = rng.randint(0, pad), rng.randint(0, pad)
        m_left, m_right = rng.randint(0, pad), rng.randint(0, pad)
        width = int(right - left) + m_left + m_right + 1
        height = int(bottom - top) + m_top + m_bot + 1
        origin = (m_left - left, m_top - top)
    else:
        m_top = int(line_h * rng.uniform(0.0, 0.35))
        m_bot = int(line_h * rng.uniform(0.0, 0.35))
        m_left = int(size * rng.uniform(0.05, 0.9))
        m_right = int(size * rng.uniform(0.05, 0.9))
        width = int(text_w) + m_left + m_right + 2
        height = line_h + m_top + m_bot
        origin = (m_left, m_top + ascent)
    img = Image.new("RGB", (width, height), style.bg)
    draw = ImageDraw.Draw(img)
    baseline = origin[1]
    _draw_text(draw, origin, text, font, style.fg, tracking, stroke)
    if filler is not None and rng.random() < 0.12:  # cut-off neighbouring lines
        other = filler.sample(max_chars=40)
        if font_covers(spec, other):
            gap = rng.uniform(0.15, 0.5) * line_h
            if rng.random() < 0.5:
                _draw_text(draw, (origin[0], baseline - line_h - gap), other, font, style.fg, 0, 0)
            else:
                _draw_text(draw, (origin[0], baseline + line_h + gap), other, font, style.fg, 0, 0)
    r = rng.random()
    if r < 0.08:  # underline
        y = min(height - 1, baseline + max(1, descent // 2))
        draw.line([(m_left, y), (m_left + text_w, y)], fill=style.fg, width=max(1, size // 18))
    elif r < 0.16:  # table cell borders
        lw = max(1, size // 20)
        if rng.random() < 0.6:
            draw.line([(0, 0), (width, 0)], fill=style.fg, width=lw)
            draw.line([(0, height - 1), (width, height - 1)], fill=style.fg, width=lw)
        if rng.random() < 0.6:
            x0 = max(0, m_left - rng.randint(2, max(3, m_left)))
            draw.line([(x0, 0), (x0, height)], fill=style.fg, width=lw)
    out = _degrade(np.asarray(img), rng, skip)
    if rng.random() < 0.15:  # condensed or extended type
        out = cv2.resize(out, (max(4, int(width * rng.uniform(0.7, 1.3))), height), interpolation=cv2.INTER_AREA)
    return out


# GA 36-2018 small-car plate, in mm: 440 x 140, seven glyph boxes of 45 x 90 (hanzi and letters
# alike: the plate face is tall and narrow), 12-mm gaps, a 34-mm gap after the second glyph that
# holds the 10-mm separator dot, 15.5-mm side and 25-mm top margins.
_PLATE_H_MM = 140.0  # the width follows from the glyph boxes: 440 mm for seven
_PLATE_GLYPH_MM = (45.0, 90.0)
_PLATE_GAP_MM, _PLATE_SEP_MM, _PLATE_SIDE_MM, _PLATE_TOP_MM = 12.0, 34.0, 15.5, 25.0


def _glyph_mask(ch: str, font: ImageFont.FreeTypeFont, stroke: int) -> np.ndarray | None:
    """Ink of one character cropped to its bounding box -> (h, w) uint8 coverage, or None."""
    left, top, right, bottom = font.getbbox(ch, anchor="ls", stroke_width=stroke)
    if right <= left or bottom <= top:
        return None
    im = Image.new("L", (int(right - left) + 2, int(bottom - top) + 2), 0)
    ImageDraw.Draw(im).text((1 - left, 1 - top), ch, font=font, fill=255, anchor="ls",
                            stroke_width=stroke, stroke_fill=255)
    box = im.getbbox()
    return np.asarray(im.crop(box)) if box else None


def _standard_plate(text: str, spec: FontSpec, style: LineStyle, rng: random.Random) -> Image.Image:
    """The plate face laid out as GA 36 prescribes (see the constants above) at a random scale.

    Each glyph is scaled to the 90-mm glyph height and squeezed to at most 45 mm wide, centred in
    its box, which is what makes real plate lettering tall and narrow (a square hanzi ends up
    half as wide as high); a 1 stays narrow. The dot is drawn only when the label has it.
    """
    chars = [ch for ch in text if ch not in "· "]
    mm = rng.uniform(0.3, 0.6)  # pixels per millimetre: a 130-265 px wide face before shrinking
    gw, gh = _PLATE_GLYPH_MM[0] * mm, _PLATE_GLYPH_MM[1] * mm
    body_mm = len(chars) * _PLATE_GLYPH_MM[0] + (len(chars) - 2) * _PLATE_GAP_MM + _PLATE_SEP_MM
    pw = int(round((body_mm + 2 * _PLATE_SIDE_MM) * mm))
    ph = int(round(_PLATE_H_MM * mm))
    font = _font(spec, max(8, int(gh * 1.3)))
    stroke = rng.choice([0, 0, 1, 2])
    ink = np.zeros((ph, pw), np.float32)
    x, y = _PLATE_SIDE_MM * mm, _PLATE_TOP_MM * mm
    for i, ch in enumerate(chars):
        glyph = _glyph_mask(ch, font, stroke)
        if glyph is not None:
            w = min(gw, glyph.shape[1] * gh / glyph.shape[0])
            size = (max(1, int(round(w))), max(1, int(round(gh))))
            scaled = cv2.resize(glyph, size, interpolation=cv2.INTER_AREA).astype(np.float32)
            gx, gy = int(round(x + (gw - size[0]) / 2)), int(round(y))
            region = ink[gy:gy + size[1], gx:gx + size[0]]
            np.maximum(region, scaled[:region.shape[0], :region.shape[1]], out=region)
        x += gw + (_PLATE_SEP_MM if i == 1 else _PLATE_GAP_MM) * mm
        if i == 1 and "·" in text:
            r = max(1, int(round(5 * mm)))
            cv2.circle(ink, (int(round(x - _PLATE_SEP_MM * mm / 2)), int(round(ph / 2))), r, 255.0, -1,
                       lineType=cv2.LINE_AA)
    alpha = (ink / 255.0)[..., None]
    face = np.asarray(style.bg, np.float32) * (1 - alpha) + np.asarray(style.fg, np.float32) * alpha
    return Image.fromarray(face.astype(np.uint8))


def _free_plate(text: str, spec: FontSpec, style: LineStyle, rng: random.Random) -> Image.Image:
    """A plate face in the font's own proportions with loose letter spacing (older or odd plates)."""
    size = rng.randint(28, 48)
    font = _font(spec, size)
    tracking = size * rng.uniform(0.05, 0.3)
    left, top, _, bottom = font.getbbox(text, anchor="ls")
    ink_w = font.getlength(text) + tracking * (len(text) - 1)
    mx, my = int(size * rng.uniform(0.1, 0.35)), int(size * rng.uniform(0.1, 0.35))
    plate = Image.new("RGB", (int(ink_w) + 2 * mx, int(bottom - top) + 2 * my), style.bg)
    _draw_text(ImageDraw.Draw(plate), (mx - left, my - top), text, font, style.fg, tracking, 0)
    return plate


def render_plate(text: str, spec: FontSpec, rng: random.Random, skip: frozenset[str] = frozenset()) -> np.ndarray:
    """A licence plate as plate detectors crop it -> (H, W, 3) uint8, about 94x24 like real crops.

    Real crops differ from a tight text line in ways the model must see in training: the glyphs
    fill only 55-80 % of the crop height (the plate's margin and rim lie around them, often with a
    strip of car body), letters are evenly spaced, tall and narrow, and the plate is tilted and
    slanted by the camera angle. Most faces follow the GA 36 layout (``_standard_plate``), the
    rest keep the font's proportions (``_free_plate``). The crop is resized to a fixed size the
    way plate readers do (94x24 for LPRNet), which can stretch it sideways.
    """
    style = _plate_style(rng)
    standard = rng.random() < 0.7
    plate = _standard_plate(text, spec, style, rng) if standard else _free_plate(text, spec, style, rng)
    pw, ph = plate.size
    unit = ph / 4  # size scale of the rim and of the strips of car body around the plate
    draw = ImageDraw.Draw(plate)
    if rng.random() < 0.7:  # the rim, inset from the plate's edge
        inset = rng.randint(1, max(1, int(unit * 0.3)))
        draw.rounded_rectangle([(inset, inset), (pw - 1 - inset, ph - 1 - inset)], radius=int(unit / 2),
                               outline=style.fg, width=max(1, int(unit / 5)))
    body = tuple(rng.randint(0, 255) for _ in range(3)) if rng.random() < 0.5 else (rng.randint(0, 60),) * 3
    x0, x1, y0, y1 = (int(unit * rng.uniform(0.0, 0.6)) for _ in range(4))
    canvas = np.empty((ph + y0 + y1, pw + x0 + x1, 3), np.uint8)
    canvas[:] = body
    canvas[y0:y0 + ph, x0:x0 + pw] = np.asarray(plate)
    h, w = canvas.shape[:2]
    shear = rng.uniform(-0.4, 0.4) if rng.random() < 0.5 else 0.0
    canvas = camera_tilt(canvas, rng.uniform(-10, 10), shear, fill=body)
    out = _degrade(canvas, rng, skip)
    small_h = rng.randint(18, 32)
    squeeze = rng.uniform(0.85, 1.3) if standard else rng.uniform(0.6, 0.95)
    small_w = max(8, int(w * small_h / h * squeeze))  # the untilted aspect: a fixed-size crop
    return cv2.resize(out, (small_w, small_h), interpolation=cv2.INTER_AREA)


def camera_tilt(img: np.ndarray, angle_deg: float, shear: float, *, fill: tuple[int, ...]) -> np.ndarray:
    """Rotate (degrees, counter-clockwise) and slant (x += shear * y) an (H, W, C) image into
    the axis-aligned box that holds all of it, as a detector's box holds a tilted plate: nothing
    is cut off, the corners are filled with ``fill``.
    """
    h, w = img.shape[:2]
    mat = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    mat = np.array([[1.0, shear, 0.0], [0.0, 1.0, 0.0]]) @ np.vstack([mat, [0.0, 0.0, 1.0]])
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], dtype=np.float64) @ mat.T
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    mat[:, 2] -= (x0, y0)
    size = (int(math.ceil(x1 - x0)), int(math.ceil(y1 - y0)))
    return cv2.warpAffine(img, mat, size, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def max_rotation_deg(width: int, height: int, *, limit_deg: float = 2.5, drift: float = 0.3) -> float:
    """Largest rotation for a (height, width) line crop: ``limit_deg``, less for long lines, so the
    line's ends move by at most ``drift`` of the crop height.

    Rotating inside the crop's own frame, a 2.5 degree turn of a 1,000-px line moved its ends by
    44 px, out of a 40-px frame, and BORDER_REPLICATE smeared the top and bottom rows into
    vertical streaks: such lines were unreadable (two of the three worst of 300 held-out lines),
    and no line finder crops a line that way (ours deskews the page first).
    """
    return min(limit_deg, math.degrees(math.atan(drift * height / max(1, width))))


# The camera/scan artefacts of ``_degrade``, in the order they are applied. Each can be switched
# off by name (``skip``) for ablations: model.evaluate --ablate reports what each one costs.
DEGRADATIONS = ("texture", "lighting", "rotation", "perspective", "blur", "lowres", "noise", "jpeg")


def _degrade(img: np.ndarray, rng: random.Random, skip: frozenset[str] = frozenset()) -> np.ndarray:
    """Apply camera/scan artefacts to an (H, W, 3) uint8 image.

    A step named in ``skip`` still makes its random draws but leaves the image alone, so the text,
    font and every other draw of the line stay those of the full run: an ablation compares the very
    same lines with and without that step.
    """
    h, w = img.shape[:2]
    out = img.astype(np.float32)
    if rng.random() < 0.35:  # paper texture / stains
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, 1, (max(2, h // 4), max(2, w // 4)))
        tex = cv2.resize(noise.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        amplitude = rng.uniform(4, 25)
        if "texture" not in skip:
            out += tex[..., None] * amplitude
    if rng.random() < 0.35:  # uneven lighting
        xs = np.linspace(0, 1, w, dtype=np.float32)
        ys = np.linspace(0, 1, h, dtype=np.float32)
        grad = rng.uniform(-1, 1) * xs[None, :] + rng.uniform(-1, 1) * ys[:, None]
        gain = rng.uniform(0.1, 0.45)
        if "lighting" not in skip:
            out *= (1.0 + gain * (grad - grad.mean()))[..., None]
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:  # slight rotation, bounded by the aspect ratio (see max_rotation_deg)
        limit = max_rotation_deg(w, h)
        angle = rng.uniform(-limit, limit)
        if "rotation" not in skip:
            mat = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            out = cv2.warpAffine(out, mat, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.2:  # perspective
        d = 0.06 * h
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = src + np.float32([[rng.uniform(-d, d), rng.uniform(-d, d)] for _ in range(4)])
        if "perspective" not in skip:
            out = cv2.warpPerspective(out, cv2.getPerspectiveTransform(src, dst), (w, h),
                                      borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.4:
        sigma = rng.uniform(0.3, 1.3)
        if "blur" not in skip:
            out = cv2.GaussianBlur(out, (0, 0), sigma)
    if rng.random() < 0.25:  # low resolution, then upscaled
        small_h = rng.randint(11, 24)
        if small_h < h:
            small_w = max(2, int(w * small_h / h))
            up = rng.choice([cv2.INTER_LINEAR, cv2.INTER_CUBIC])
            if "lowres" not in skip:
                out = cv2.resize(cv2.resize(out, (small_w, small_h), interpolation=cv2.INTER_AREA), (w, h),
                                 interpolation=up)
    if rng.random() < 0.35:
        sigma = rng.uniform(2, 18)
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, out.shape)
        if "noise" not in skip:
            out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        quality = rng.randint(15, 85)
        if "jpeg" not in skip:
            ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok:
                out = cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)
    return out


class LineSynthesizer:
    """Endless source of (line  # (32, W) uint8, label) pairs, reproducible from ``seed``."""

    def __init__(self, charset: Charset, *, held_out: bool = False, seed: int = 0,
                 cfg: PreprocessConfig | None = None, long_line_share: float = 0.06,
                 max_chars: int = 48, skip_degradations: frozenset[str] = frozenset()) -> None:
        unknown = set(skip_degradations) - set(DEGRADATIONS)
        if unknown:
            raise ValueError(f"unknown degradations {sorted(unknown)}; known: {', '.join(DEGRADATIONS)}")
        self.skip = frozenset(skip_degradations)
        train_fonts, held_fonts = split_fonts(available_fonts())
        self.fonts = held_fonts if held_out else train_fonts
        if not any(f.cjk for f in self.fonts) or not any(not f.cjk for f in self.fonts):
            raise RuntimeError("fonts missing: install fonts-noto-cjk fonts-wqy-* fonts-arphic-* "
                               "fonts-dejavu fonts-liberation2 (see Makefile 'fonts')")
        self.cjk_fonts = [f for f in self.fonts if f.cjk]
        self.rng = random.Random(seed)
        self.sampler = TextSampler(charset, seed=seed)
        self.cfg = cfg or PreprocessConfig()
        self.long_line_share = long_line_share
        self.max_chars = max_chars

    def _pick_font(self, text: str) -> FontSpec | None:
        pool = self.fonts if text.isascii() else self.cjk_fonts
        for _ in range(6):
            spec = self.rng.choice(pool)
            if font_covers(spec, text):
                return spec
        return None

    def sample_raw(self) -> tuple[np.ndarray, str]:
        """(image  # (H, W, 3) uint8 before preprocessing, label)."""
        while True:
            if self.rng.random() < self.long_line_share:
                text = self.sampler.sample_long_english()
            else:
                text = self.sampler.sample(self.max_chars)
            spec = self._pick_font(text)
            if spec is not None:
                if is_plate(text) and self.rng.random() < 0.8:
                    return render_plate(text, spec, self.rng, self.skip), plate_number(text)
                return render_line(text, spec, self.rng, self.sampler, self.skip), text

    def sample(self) -> tuple[np.ndarray, str]:
        """(line  # (32, W) uint8 after the serving preprocessing, label)."""
        img, text = self.sample_raw()
        return prepare_line(to_grayscale(img), self.cfg), text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render synthetic lines or measure throughput.")
    parser.add_argument("--bench", action="store_true", help="print lines/s on one core")
    parser.add_argument("--out", type=Path, help="write N sample PNGs (raw and preprocessed) here")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--held-out", action="store_true")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    synth = LineSynthesizer(Charset.load(Path(__file__).with_name("charset.txt")), held_out=args.held_out)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for i in range(args.n):
            raw, text = synth.sample_raw()
            Image.fromarray(raw).save(args.out / f"{i:04d}_raw.png")
            Image.fromarray(prepare_line(to_grayscale(raw), synth.cfg)).save(args.out / f"{i:04d}_in.png")
            (args.out / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    if args.bench:
        synth.sample()
        t0 = time.perf_counter()
        for _ in range(args.n):
            synth.sample()
        dt = time.perf_counter() - t0
        print(f"{args.n / dt:.1f} lines/s on one core ({1000 * dt / args.n:.2f} ms/line)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
