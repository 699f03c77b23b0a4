"""Throughput under load: a bounded asyncio client (httpx) against our gunicorn on 127.0.0.1.

Each concurrency level sends a fixed number of requests and stops launching new ones when its
time budget is spent, so a run always ends by itself. Cache misses use a distinct upload per
request (unique_png); cache hits repeat one upload that every worker has already cached (each
gunicorn worker has its own cache, so the hit image is sent until all answers say cached).
The client shares the machine's CPUs with the server: its own cost is inside every number.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence

import httpx
import numpy as np

from bench.client import unique_png
from bench.scoring import summarize_ms

log = logging.getLogger(__name__)


async def _drive(url: str, payloads: Sequence[bytes], concurrency: int, time_limit_s: float) -> dict[str, object]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    cached: Counter[str] = Counter()
    next_index = 0
    deadline = time.monotonic() + time_limit_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index
        while next_index < len(payloads) and time.monotonic() < deadline:
            data = payloads[next_index]
            next_index += 1
            t0 = time.perf_counter()
            try:
                resp = await client.post(f"{url}/ocr", files={"image": ("load.png", data, "image/png")})
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            if resp.status_code != 200:
                errors[f"http_{resp.status_code}"] += 1
            else:
                cached[str(resp.json().get("cached"))] += 1

    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0)) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall_s = time.perf_counter() - t0
    done = len(latencies)
    return {"concurrency": concurrency, "requests": done, "planned": len(payloads),
            "stopped_by_time_limit": done + sum(errors.values()) < len(payloads),
            "wall_s": round(wall_s, 3), "rps": round(done / wall_s, 2) if wall_s else 0.0,
            "errors": sum(errors.values()), "error_kinds": dict(errors), "cached_flags": dict(cached),
            **(summarize_ms(latencies) if latencies else {})}


def _warm_hit(url: str, payload: bytes, tries: int) -> int:
    """Send ``payload`` until ``tries`` answers in a row say cached (every worker has it).

    A new connection per request (no keep-alive), so the requests spread over the workers."""
    in_a_row = sent = 0
    with httpx.Client(timeout=120.0, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        while in_a_row < tries and sent < 20 * tries:
            body = client.post(f"{url}/ocr", files={"image": ("load.png", payload, "image/png")}).json()
            sent += 1
            in_a_row = in_a_row + 1 if body.get("cached") else 0
    return sent


def run_load(url: str, image: np.ndarray, *, levels: Sequence[int], miss_requests: Sequence[int],
             hit_requests: Sequence[int], time_limit_s: float) -> dict[str, object]:
    """Per concurrency level: misses (unique uploads) then hits (one cached upload)."""
    nonce = 20_000_000
    hit_payload = unique_png(image, nonce)
    warm_sent = _warm_hit(url, hit_payload, tries=8)
    misses: list[dict[str, object]] = []
    hits: list[dict[str, object]] = []
    for level, n_miss, n_hit in zip(levels, miss_requests, hit_requests, strict=True):
        payloads = []
        for _ in range(n_miss):
            nonce += 1
            payloads.append(unique_png(image, nonce))
        miss = asyncio.run(_drive(url, payloads, level, time_limit_s))
        hit = asyncio.run(_drive(url, [hit_payload] * n_hit, level, time_limit_s))
        log.info("load c=%d: miss %.1f rps p50 %.1f ms, hit %.1f rps p50 %.1f ms, errors %d/%d", level,
                 miss["rps"], miss.get("p50_ms", float("nan")), hit["rps"], hit.get("p50_ms", float("nan")),
                 miss["errors"], hit["errors"])
        misses.append(miss)
        hits.append(hit)
    return {"image_size": [int(image.shape[1]), int(image.shape[0])], "hit_warmup_requests": warm_sent,
            "time_limit_s_per_level": time_limit_s, "misses": misses, "hits": hits}
