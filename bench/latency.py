"""Latency: per line (rec only), per page end to end, and cost vs line width / line count.

Timings are wall-clock ms from ``time.perf_counter``; each measured call is preceded by warm-up
calls that are not recorded. Systems run one after another, never concurrently.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx
import numpy as np

from bench.client import OcrReply, post_ocr, unique_png
from bench.data import LineItem, PageItem
from bench.pages import PageRenderer
from bench.peers import Reader
from bench.scoring import fit_line, percentile, score_page, summarize_ms
from model.recognizer import Recognizer
from preprocess import PreprocessConfig, prepare_lines

log = logging.getLogger(__name__)


class HttpError(RuntimeError):
    """Our server answered a benchmark request with a non-200 status."""


def time_calls(fn: Callable[[], object], *, repeats: int, warmup: int = 2,
               budget_s: float | None = None) -> list[float]:
    """ms of ``repeats`` calls after ``warmup`` unrecorded ones; with ``budget_s``, stops early
    once that much wall time is spent (at least one call is always measured)."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    for _ in range(warmup):
        fn()
    out: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if deadline is not None and time.monotonic() > deadline:
            break
    return out


def rec_fixed_shape(readers: Mapping[str, Reader], *, repeats: int, budget_s: float) -> dict[str, dict[str, object]]:
    """The bare recognition model on its canonical 320-px input: ours (1, 1, 32, 320) float32,
    PP-OCR (1, 3, 48, 320) float32. No preprocessing, no decoding."""
    out: dict[str, dict[str, object]] = {}
    for name, reader in readers.items():
        runner = getattr(reader, "fixed_shape_run", None)
        if runner is None:
            continue
        out[name] = summarize_ms(time_calls(runner(), repeats=repeats, warmup=5, budget_s=budget_s))
        log.info("bare model %s: p50 %.2f ms", name, out[name]["p50_ms"])
    return out


def rec_per_line(readers: Mapping[str, Reader], lines: Sequence[LineItem], *,
                 repeats: int, budget_s: float) -> dict[str, dict[str, object]]:
    """One line image per call through each system's line API (preprocessing, model and CTC
    decoding included; for Tesseract a whole process per line, traineddata load included).
    Each system stops taking new lines after ``budget_s`` (n in the summary says how many)."""
    out: dict[str, dict[str, object]] = {}
    for name, reader in readers.items():
        single = getattr(reader, "read_line", None)
        timings: list[float] = []
        deadline = time.monotonic() + budget_s
        for item in lines:
            if time.monotonic() > deadline:
                break

            def call(image: np.ndarray = item.image) -> object:
                return single(image) if single is not None else reader.read_lines([image])
            timings += time_calls(call, repeats=repeats, warmup=1, budget_s=max(0.0, deadline - time.monotonic()))
        out[name] = summarize_ms(timings)
        log.info("line API %s: p50 %.2f ms", name, out[name]["p50_ms"])
    return out


def batch_sizes(model_path: Path, charset_path: Path, page: PageItem, cfg: PreprocessConfig, *,
                sizes: Sequence[int], threads: int, repeats: int) -> dict[str, object]:
    """Our recognizer on one page's line crops at several ``batch_size`` values (in-process):
    ms per line, to check the service's default (padding to the widest line and larger tensors
    can cost more than the per-call overhead batching saves)."""
    crops = [c.image for c in prepare_lines(page.image, cfg)]
    out: dict[str, object] = {"page": page.item_id, "lines": len(crops)}
    for size in sizes:
        rec = Recognizer(model_path, charset_path, intra_threads=threads, batch_size=size)
        p50 = summarize_ms(time_calls(lambda r=rec: r.recognize(crops), repeats=repeats, warmup=1))["p50_ms"]
        out[str(size)] = {"p50_ms": p50, "ms_per_line": round(p50 / max(1, len(crops)), 2)}
    return out


def _http_page(client: httpx.Client, url: str, page: PageItem, nonce: int) -> OcrReply:
    reply = post_ocr(client, url, unique_png(page.image, nonce))
    if reply.status != 200:
        raise HttpError(f"POST /ocr answered {reply.status} for {page.item_id}")
    return reply


def pages_end_to_end(url: str, peers: Mapping[str, Reader], pages: Sequence[PageItem], *,
                     repeats: int, ours_label: str, budget_s: float) -> dict[str, object]:
    """Per page: our HTTP POST /ocr (a cache miss every time) vs each peer's full pipeline
    in-process (detection + classification + recognition; Tesseract's default page mode).
    A peer stops repeating a page after ``budget_s``."""
    per_page: dict[str, dict[str, object]] = {}
    overall: dict[str, list[float]] = {ours_label: [], **{n: [] for n in peers}}
    nonce = 1
    with httpx.Client(timeout=120.0) as client:
        for page in pages:
            row: dict[str, object] = {"kind": page.kind, "lines": len(page.lines),
                                      "size": [int(page.image.shape[1]), int(page.image.shape[0])]}
            _http_page(client, url, page, nonce)  # warm-up on this image size
            nonce += 1
            replies = []
            for _ in range(repeats):
                replies.append(_http_page(client, url, page, nonce))
                nonce += 1
            client_ms = [r.client_ms for r in replies]
            # The server's own breakdown (JSON "timings"), p50 of each part.
            parts = sorted({k for r in replies for k in r.timings})
            ours = summarize_ms(client_ms)
            row[ours_label] = {**ours,
                               "server_timings_p50_ms": {k: round(percentile([r.timings[k] for r in replies
                                                                              if k in r.timings], 50), 1)
                                                         for k in parts},
                               "page_score": score_page(list(replies[-1].lines), page.lines).to_dict()}
            overall[ours_label] += client_ms
            for name, reader in peers.items():
                timings = time_calls(lambda r=reader, im=page.image: r.read_page(im), repeats=repeats, warmup=1,
                                     budget_s=budget_s)
                row[name] = summarize_ms(timings)
                overall[name] += timings
            per_page[page.item_id] = row
            log.info("page %s: ours HTTP p50 %.0f ms", page.item_id, ours["p50_ms"])
    return {"pages": per_page, "overall": {n: summarize_ms(v) for n, v in overall.items() if v}}


def scaling(url: str | None, line_readers: Mapping[str, Reader], renderer: PageRenderer, *,
            char_counts: Sequence[int], line_counts: Sequence[int], repeats: int) -> dict[str, object]:
    """Cost vs characters per line (rec only, in-process) and vs lines per page (HTTP)."""
    probes = {n: renderer.line_of_chars(n) for n in char_counts}
    width: dict[str, object] = {}
    for name, reader in line_readers.items():
        points = {n: summarize_ms(time_calls(lambda r=reader, p=p: r.read_lines([p.image]), repeats=repeats))["p50_ms"]
                  for n, p in probes.items()}
        width[name] = {"p50_ms_by_chars": points, "fit": fit_line(points.keys(), points.values())}
    result: dict[str, object] = {"line_width": width,
                                 "line_width_px": {n: int(p.image.shape[1]) for n, p in probes.items()}}
    if url is not None:
        pages = {n: renderer.uniform_page(n) for n in line_counts}
        points = {}
        nonce = 10_000_000
        with httpx.Client(timeout=120.0) as client:
            for n, page in pages.items():
                _http_page(client, url, page, nonce)
                timings = []
                for _ in range(repeats):
                    nonce += 1
                    timings.append(_http_page(client, url, page, nonce).client_ms)
                points[n] = summarize_ms(timings)["p50_ms"]
        result["page_lines"] = {"p50_ms_by_lines": points, "fit": fit_line(points.keys(), points.values())}
    return result
