"""HTTP helpers for POST /ocr: cache-busting uploads and timed requests."""
from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import numpy as np

from bench.peers import encode_png

NONCE_PIXELS = 6  # 16**6 distinct uploads of one image


def unique_png(rgb: np.ndarray, nonce: int) -> bytes:
    """PNG of ``rgb  # (H, W, 3) uint8`` whose md5 differs for every ``nonce``.

    The nonce is written as hex digits into the first pixels of the top row, each lowered by at
    most 15 grey levels (the paper margin stays paper: no new ink for the line finder).
    """
    img = rgb.copy()
    width = img.shape[1]
    for i in range(min(NONCE_PIXELS, width)):
        digit = (nonce >> (4 * i)) & 0xF
        img[0, i] = np.clip(img[0, i].astype(np.int16) - 1 - digit, 0, 255).astype(np.uint8)
    return encode_png(img)


@dataclass(frozen=True)
class OcrReply:
    status: int
    client_ms: float
    lines: tuple[str, ...]
    server_ms: float | None
    cached: bool | None
    timings: dict[str, float]


def post_ocr(client: httpx.Client, url: str, png: bytes) -> OcrReply:
    """One POST /ocr; the wall time includes upload, server work and JSON download."""
    t0 = time.perf_counter()
    resp = client.post(f"{url}/ocr", files={"image": ("page.png", png, "image/png")})
    ms = (time.perf_counter() - t0) * 1000
    if resp.status_code != 200:
        return OcrReply(resp.status_code, ms, (), None, None, {})
    body = resp.json()
    lines = tuple(str(t) for t in body.get("text", []))
    timings = {k: float(v) for k, v in (body.get("timings") or {}).items() if isinstance(v, (int, float))}
    return OcrReply(200, ms, lines, body.get("time_ms"), body.get("cached"), timings)
