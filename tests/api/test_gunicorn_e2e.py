"""The service under real gunicorn (marker e2e): gevent loop responsiveness during inference,
and /metrics aggregated over several workers (prometheus multiprocess mode)."""
from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path

import pytest

from service.settings import Settings
from tests.fakes import bars_image, encode
from tools.measure_healthz import long_page_png, measure, post_image
from tools.serving import gunicorn_server

pytestmark = pytest.mark.e2e

if not Settings().model_path.is_file():
    pytest.skip(f"{Settings().model_path} does not exist yet", allow_module_level=True)


def test_healthz_stays_responsive_during_a_long_inference(tmp_path: Path) -> None:
    result = measure(threadpool=True, page=long_page_png(100), log_path=tmp_path / "gunicorn.log")
    assert result.ocr_status == 200
    assert result.healthz_polls >= 3, result  # the OCR request really overlapped the polling
    # Inline inference blocks the loop for the whole OCR request, so one poll waits about ocr_s.
    # With the threadpool polls take a few ms; a single poll can still stall on a busy 2-core VM
    # (813 ms once, in a 7 s request), hence a bound of a quarter of the request, not a fixed one.
    assert result.healthz_p95_ms < 100, result
    assert result.healthz_max_ms < 250 * result.ocr_s, result


def test_metrics_add_up_over_two_workers(tmp_path: Path) -> None:
    log_path = tmp_path / "gunicorn.log"
    with gunicorn_server({"WEB_CONCURRENCY": "2"}, log_path) as url:
        for i in range(6):
            status, _ = post_image(f"{url}/ocr", encode(bars_image(1 + i % 3)), {}, timeout_s=60)
            assert status == 200
        totals = set()
        for _ in range(4):  # whichever worker answers, it reports both workers' counts
            with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
                text = response.read().decode()
            match = re.search(r'ocr_http_requests_total\{endpoint="api.ocr",method="POST",status="200"\} (\S+)', text)
            assert match, text[:2000]
            totals.add(float(match.group(1)))
        assert totals == {6.0}
    log = log_path.read_text()
    assert log.count('"event": "worker_ready"') >= 2 and '"workers": 2' in log


def test_concurrent_identical_uploads_compute_once_per_worker(tmp_path: Path) -> None:
    """Single flight under gevent: waiters block on the in-flight future cooperatively while the
    first request's inference runs on the worker's thread pool."""
    page = long_page_png(40)  # ~1.2 s of inference at batch 1, so the 20 requests overlap it
    statuses: list[int] = []
    with gunicorn_server({"WEB_CONCURRENCY": "2"}, tmp_path / "gunicorn.log") as url:
        def upload() -> None:
            statuses.append(post_image(f"{url}/ocr", page, {"mode": "page"}, timeout_s=120)[0])

        threads = [threading.Thread(target=upload) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            text = response.read().decode()
    assert statuses == [200] * 20
    misses = float(re.search(r'ocr_cache_lookups_total\{result="miss"\} (\S+)', text).group(1))
    hits = float(re.search(r'ocr_cache_lookups_total\{result="hit"\} (\S+)', text).group(1))
    assert misses <= 2 and misses + hits == 20  # at most one computation per worker
