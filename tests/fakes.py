"""Test doubles and image builders shared by tests/unit and tests/api (no model, no files)."""
from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections.abc import Sequence

import numpy as np
from PIL import Image

from model.recognizer import ModelInfo, Recognition


class FakeRecognizer:
    """Stands in for ``model.recognizer.Recognizer``: counts calls, can be slow or fail.

    Line ``i`` of a call is read as ``"line{i} w{width}"`` so tests can check order and count.
    """

    def __init__(self, *, delay_s: float = 0.0, error: Exception | None = None,
                 version: str = "fake-1", empty: bool = False) -> None:
        self.info = ModelInfo(name="fake-crnn", version=version, quantized=True)
        self.delay_s = delay_s
        self.error = error
        self.empty = empty
        self.calls = 0
        self.lines_seen = 0
        self._lock = threading.Lock()

    def recognize(self, lines: Sequence[np.ndarray]) -> list[Recognition]:
        with self._lock:
            self.calls += 1
            self.lines_seen += len(lines)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return [Recognition("" if self.empty else f"line{i} w{line.shape[1]}", 0.9)
                for i, line in enumerate(lines)]

    def warm_up(self) -> float:
        return 0.0


def encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def bars_image(n_bars: int, *, width: int = 400, bar_h: int = 24, gap_h: int = 20) -> Image.Image:
    """White page with ``n_bars`` black text-like bars stacked top to bottom, each 60..90% wide."""
    height = gap_h + n_bars * (bar_h + gap_h)
    gray = np.full((height, width), 255, dtype=np.uint8)  # (H, W) uint8
    for i in range(n_bars):
        y0 = gap_h + i * (bar_h + gap_h)
        gray[y0:y0 + bar_h, 20:20 + int(width * (0.6 + 0.1 * (i % 4)))] = 0
    return Image.fromarray(gray, mode="L")


def blobs_image(rows: int, cols: int, *, blob_px: int = 6, row_gap_px: int = 4,
                col_gap_px: int = 10) -> Image.Image:
    """A grid of ``rows x cols`` tiny separate ink squares: thousands of would-be 'lines'.

    The defaults are the smallest blobs segmentation still keeps as separate boxes (bands of at
    least 6 px, split where the horizontal gap exceeds 1.5x the band height).
    """
    row_step, col_step = blob_px + row_gap_px, blob_px + col_gap_px
    gray = np.full((rows * row_step + row_gap_px, cols * col_step + col_gap_px), 255, dtype=np.uint8)
    for r in range(rows):
        for c in range(cols):
            y, x = row_gap_px + r * row_step, col_gap_px + c * col_step
            gray[y:y + blob_px, x:x + blob_px] = 0
    return Image.fromarray(gray, mode="L")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width x height`` (8-bit gray) followed by an empty image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"")) + _png_chunk(b"IEND", b""))


def bomb_png(side_px: int = 30_000) -> bytes:
    """A valid 1-bit ``side x side`` all-black PNG: ~110 KB on disk, 900 Mpx once decoded.

    Streamed through zlib row block by row block, so building it never holds the pixels.
    """
    row = b"\x00" + b"\x00" * ((side_px + 7) // 8)  # filter byte + packed 1-bit pixels
    compressor = zlib.compressobj(9)
    block = row * 1000
    parts = [compressor.compress(block) for _ in range(side_px // 1000)]
    parts.append(compressor.compress(row * (side_px % 1000)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side_px, side_px, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b""))
