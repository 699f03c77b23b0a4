"""Prometheus metrics of one app: request counts and latency, stage timings, cache hits.

Each app owns a private ``CollectorRegistry`` (tests build many apps in one process). With one
process, ``/metrics`` renders that registry. With several gunicorn workers a scrape reaches one
worker at random, so gunicorn.conf.py turns on prometheus_client's multiprocess mode: it sets
``PROMETHEUS_MULTIPROC_DIR`` in the master before any worker imports prometheus_client, every
worker then writes its values to files there, and ``/metrics`` aggregates all workers' files.
"""
from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from service.request_id import HEADER, current_request_id
from service.results import OcrResult

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, multiproc_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.multiproc_dir = multiproc_dir
        self.requests = Counter("ocr_http_requests", "HTTP requests by endpoint, method and status",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("ocr_http_request_duration_seconds", "HTTP request latency",
                                 ["endpoint"], buckets=_LATENCY_BUCKETS_S, registry=self.registry)
        self.stage = Histogram("ocr_stage_duration_seconds", "Pipeline stage time of computed results",
                               ["stage"], buckets=_LATENCY_BUCKETS_S, registry=self.registry)
        self.cache = Counter("ocr_cache_lookups", "Result cache lookups by outcome (hit or miss)",
                             ["result"], registry=self.registry)
        self.lines = Counter("ocr_lines_recognized", "Text lines recognized in computed results",
                             registry=self.registry)

    def observe_result(self, result: OcrResult) -> None:
        if result.cached:
            self.cache.labels("hit").inc()
            return
        self.cache.labels("miss").inc()
        t = result.timings
        self.stage.labels("decode").observe(t.decode_ms / 1000)
        self.stage.labels("preprocess").observe(t.preprocess_ms / 1000)
        self.stage.labels("inference").observe(t.inference_ms / 1000)
        self.lines.inc(len(result.lines))

    def render(self) -> bytes:
        """Prometheus text exposition of this process, or of all workers in multiprocess mode."""
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(self.multiproc_dir))
        return generate_latest(registry)

    def instrument(self, app: Flask) -> None:
        """Time every request, count it by endpoint and status, and echo its request id."""

        @app.before_request
        def _start_timer() -> None:
            g.request_started = time.perf_counter()
            current_request_id()

        @app.after_request
        def _record(response: Response) -> Response:
            endpoint = request.endpoint or "unmatched"
            started = g.get("request_started")
            if started is not None:
                self.latency.labels(endpoint).observe(time.perf_counter() - started)
            self.requests.labels(endpoint, request.method, str(response.status_code)).inc()
            response.headers[HEADER] = current_request_id()
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response
