"""Multi-line test images rendered with Pillow at bench time, with known text.

Fonts are the held-out families of model.fonts (never used for training); text comes from
model.corpus.TextSampler with a fixed seed. Every line is drawn as one left-aligned run, so a
detector that finds whole lines and a projection-profile segmenter see the same truth.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench.data import PageItem
from model.charset import Charset
from model.corpus import TextSampler
from model.fonts import FontSpec, available_fonts, load_font, split_fonts
from model.synth import font_covers


@dataclass(frozen=True)
class HeldOutFonts:
    cjk: FontSpec
    sans: FontSpec
    serif: FontSpec
    mono: FontSpec

    @classmethod
    def find(cls) -> HeldOutFonts:
        held = split_fonts(available_fonts())[1]
        by_family = {f.family: f for f in held}
        cjk = next((f for f in held if f.cjk), None)
        names = ("Liberation Sans", "Liberation Serif", "Liberation Mono")
        if cjk is None or any(n not in by_family for n in names):
            raise RuntimeError("held-out fonts missing: install fonts-wqy-zenhei fonts-liberation2")
        return cls(cjk, by_family[names[0]], by_family[names[1]], by_family[names[2]])

    def pick(self, text: str, latin: FontSpec) -> FontSpec:
        """``latin`` for ASCII text it covers, else the CJK face (which also covers Latin)."""
        return latin if text.isascii() and font_covers(latin, text) else self.cjk


class PageRenderer:
    """Renders document-, screenshot- and receipt-like pages and scaling probes."""

    def __init__(self, charset: Charset, seed: int = 424242) -> None:
        self.charset = charset
        self.sampler = TextSampler(charset, seed=seed)
        self.rng = random.Random(seed)
        self.fonts = HeldOutFonts.find()

    # --- text ---------------------------------------------------------------------------
    def _fit(self, text: str, font: ImageFont.FreeTypeFont, max_width_px: int) -> str:
        while text and font.getlength(text) > max_width_px:
            text = text[:-1].rstrip()
        return text.strip()

    def _line_text(self, kinds: tuple[str, ...], font_spec: FontSpec, size_px: int, max_width_px: int) -> tuple[str, FontSpec]:
        while True:
            text = " ".join(getattr(self.sampler, self.rng.choice(kinds))().split())
            spec = self.fonts.pick(text, font_spec)
            if not font_covers(spec, text):
                continue
            text = self._fit(text, load_font(spec, size_px), max_width_px)
            if len(text) >= 2:
                return text, spec

    def _draw_lines(self, draw: ImageDraw.ImageDraw, rows: list[tuple[str, FontSpec, int, tuple[int, int, int]]],
                    x: int, y: int, spacing: float) -> int:
        for text, spec, size_px, fill in rows:
            draw.text((x, y), text, font=load_font(spec, size_px), fill=fill)
            y += int(size_px * spacing)
        return y

    # --- pages --------------------------------------------------------------------------
    def document(self, n_lines: int, *, width_px: int = 1100, size_px: int = 26,
                 kinds: tuple[str, ...] = ("zh_sentence", "zh_sentence", "en_sentence", "mixed", "numeric"),
                 item_id: str | None = None) -> PageItem:
        """A printed page: dark text on near-white paper, one column, ``n_lines`` lines."""
        margin, spacing = 60, 1.7
        rows = []
        for _ in range(n_lines):
            text, spec = self._line_text(kinds, self.fonts.serif, size_px, width_px - 2 * margin)
            rows.append((text, spec, size_px, (20, 20, 20)))
        height = 2 * margin + int(n_lines * size_px * spacing)
        img = Image.new("RGB", (width_px, height), (250, 249, 245))
        self._draw_lines(ImageDraw.Draw(img), rows, margin, margin, spacing)
        return PageItem(item_id or f"document_{n_lines}", np.asarray(img), tuple(r[0] for r in rows), "document")

    def screenshot(self, n_lines: int = 14) -> PageItem:
        """An app screenshot: dark title bar with light text, white panel, grey and blue rows."""
        width, size_px, spacing = 960, 18, 2.0
        title, title_spec = self._line_text(("zh_sentence", "en_sentence"), self.fonts.sans, 22, width - 80)
        rows = []
        for i in range(n_lines):
            text, spec = self._line_text(("zh_sentence", "en_sentence", "mixed", "numeric"), self.fonts.sans,
                                         size_px, width - 120)
            rows.append((text, spec, size_px, (30, 90, 200) if i % 5 == 4 else (60, 60, 60)))
        height = 70 + 40 + int(n_lines * size_px * spacing) + 40
        img = Image.new("RGB", (width, height), (236, 238, 241))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, width, 56), fill=(38, 42, 51))
        draw.text((40, 14), title, font=load_font(title_spec, 22), fill=(235, 235, 235))
        draw.rectangle((30, 80, width - 30, height - 20), fill=(255, 255, 255))
        self._draw_lines(draw, rows, 60, 100, spacing)
        return PageItem("screenshot", np.asarray(img), (title, *(r[0] for r in rows)), "screenshot")

    def receipt(self) -> PageItem:
        """A till receipt photo: narrow, mono/CJK text, off-white paper, light noise and blur."""
        rng = self.rng
        width, size_px, spacing = 440, 20, 1.6
        shop = "".join(self.sampler._zh_words(2))[:10] + "超市"
        lines = [shop, f"{rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                       f"{rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}", f"No.{rng.randint(1, 99999):05d}"]
        total = 0.0
        for _ in range(rng.randint(6, 10)):
            name = "".join(self.sampler._zh_words(1))[:6]
            qty, price = rng.randint(1, 5), rng.uniform(1, 99)
            total += qty * price
            lines.append(f"{name} x{qty} {qty * price:.2f}")
        lines += [f"合计 {total:.2f}", f"现金 {(int(total / 10) + 1) * 10:.2f}", "谢谢惠顾 Thank you"]
        lines = [t for t in lines if font_covers(self.fonts.cjk, t)]
        rows = [(t, self.fonts.pick(t, self.fonts.mono), size_px, (35, 35, 40)) for t in lines]
        height = 60 + int(len(rows) * size_px * spacing) + 40
        img = Image.new("RGB", (width, height), (242, 238, 228))
        self._draw_lines(ImageDraw.Draw(img), rows, 30, 40, spacing)
        arr = np.asarray(img).astype(np.float32)
        arr += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, arr.shape)
        arr = cv2.GaussianBlur(np.clip(arr, 0, 255).astype(np.uint8), (3, 3), 0.6)
        return PageItem("receipt", arr, tuple(lines), "receipt")

    # --- scaling probes -----------------------------------------------------------------
    def line_of_chars(self, n_chars: int, *, size_px: int = 32) -> PageItem:
        """One line of exactly ``n_chars`` hanzi (so width grows linearly with the count)."""
        text = ""
        while len(text) < n_chars:
            text += "".join(c for c in self.sampler.zh_sentence() if "\u4e00" <= c <= "\u9fff")
        text = text[:n_chars]
        font = load_font(self.fonts.cjk, size_px)
        width = int(font.getlength(text)) + 2 * size_px // 2
        img = Image.new("RGB", (width, int(size_px * 1.6)), (250, 250, 250))
        ImageDraw.Draw(img).text((size_px // 2, size_px // 4), text, font=font, fill=(20, 20, 20))
        return PageItem(f"line_{n_chars}_chars", np.asarray(img), (text,), "line")

    def uniform_page(self, n_lines: int, *, chars_per_line: int = 24, size_px: int = 26) -> PageItem:
        """``n_lines`` lines of exactly ``chars_per_line`` hanzi: cost per line is comparable."""
        texts = [self.line_of_chars(chars_per_line).lines[0] for _ in range(n_lines)]
        font = load_font(self.fonts.cjk, size_px)
        margin, spacing = 50, 1.7
        width = int(max(font.getlength(t) for t in texts)) + 2 * margin
        img = Image.new("RGB", (width, 2 * margin + int(n_lines * size_px * spacing)), (250, 249, 245))
        draw = ImageDraw.Draw(img)
        for i, text in enumerate(texts):
            draw.text((margin, margin + int(i * size_px * spacing)), text, font=font, fill=(20, 20, 20))
        return PageItem(f"uniform_{n_lines}_lines", np.asarray(img), tuple(texts), "uniform")
