"""Gunicorn configuration: `gunicorn -c gunicorn.conf.py` (the Dockerfile's CMD).

Reads only server concerns from the environment, each with a default:
  OCR_BIND           address to bind; default  ${OCR_HOST:-127.0.0.1}:${PORT:-5000}
  WEB_CONCURRENCY    worker processes; default  max(1, usable CPUs // OCR_ORT_THREADS)
  OCR_ORT_THREADS    onnxruntime intra-op threads per worker (also read by service.settings)
  OCR_TIMEOUT_S      worker timeout; default 120 (see "timeout" below)
  OCR_LOG_LEVEL      debug|info|warning|error; default info
The service's own settings (model path, limits, cache) are OCR_* variables read by
service/settings.py when each worker builds its app.

How inference meets the gevent loop
-----------------------------------
A gevent worker multiplexes many connections on one event loop, so slow uploads are cheap.
Recognition is CPU-bound, though: run inline, it holds the loop for the whole inference, and
/healthz, /metrics and gunicorn's heartbeat on that worker wait behind it. onnxruntime releases
the GIL in InferenceSession.run, so the service runs recognition on a one-thread gevent
ThreadPool per worker (service/inference.py; OCR_INFERENCE_THREADPOOL=1, the default): the loop
stays free and inference stays serialised within the worker. Measured with
tools/measure_healthz.py (1 worker, OCR_ORT_THREADS=1, one request of 40 long lines taking
2.6-3.5 s, /healthz polled every 50 ms; 2-core machine shared with a training job; 2-3 runs each):
  threadpool off:  the first /healthz during inference waited 2.4-3.1 s (until inference ended)
  threadpool on:   /healthz p50 5-10 ms, p95 14-22 ms, max 40-42 ms; the OCR request itself
                   took the same time as without the pool (2.7-3.5 s vs 2.9-3.6 s)
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from typing import Any


def _env_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in {lo}..{hi}, got {value}")
    return value


def _usable_cpus() -> int:
    """CPUs this process may run on (affinity/cpuset aware; a --cpus quota is not visible here,
    so set WEB_CONCURRENCY explicitly under a CFS quota)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_log_level = os.environ.get("OCR_LOG_LEVEL", "info").strip().lower()
if _log_level not in _LOG_LEVELS:
    raise ValueError(f"OCR_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, got {_log_level!r}")

_port = _env_int("PORT", 5000, 1, 65535)
_ort_threads = _env_int("OCR_ORT_THREADS", 1, 1, 64)
_cpus = _usable_cpus()

wsgi_app = "service:create_app()"
bind = [os.environ.get("OCR_BIND", "").strip() or f"{os.environ.get('OCR_HOST', '127.0.0.1').strip()}:{_port}"]
worker_class = "gevent"
workers = _env_int("WEB_CONCURRENCY", max(1, _cpus // _ort_threads), 1, 256)
worker_connections = 200

# preload_app stays False: each worker imports the app and builds its own onnxruntime session
# after fork. A session created in the master would be shared copy-on-write by forked children:
# its thread pool does not survive fork(), and ORT's arena pages would be duplicated anyway on
# first use. Loading per worker is also what makes a bad model fail the worker's boot, loudly.
preload_app = False

# timeout: with the threadpool on, the event loop keeps notifying the arbiter during inference, so
# this only kills workers whose loop is really stuck; with it off (OCR_INFERENCE_THREADPOOL=0) it
# must exceed the worst-case request. That worst case is bounded by the service's limits
# (max_lines=200, max_total_line_px=400k => ~50 s with one busy thread at ~0.12 ms per column,
# measured on this 2-core machine under a training load); 120 s leaves a margin.
timeout = _env_int("OCR_TIMEOUT_S", 120, 10, 3600)
graceful_timeout = timeout  # let an in-flight worst-case request finish on SIGTERM
keepalive = 5

# Recycle workers to bound slow growth (allocator fragmentation); jitter avoids all workers
# restarting (and reloading the model) at the same moment.
max_requests = 2000
max_requests_jitter = 200

# Heartbeat files on tmpfs: a disk-backed /tmp can stall the heartbeat under I/O load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

loglevel = _log_level
accesslog = "-"
# One JSON object per request (gunicorn escapes double quotes inside values).
access_log_format = (
    '{"ts": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "query": "%(q)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, '
    '"request_id": "%({x-request-id}o)s", "user_agent": "%(a)s"}'
)
# The app's module loggers (one structured line per OCR request) go to stderr with the server's.
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": _log_level.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": _log_level.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "text", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "bare", "stream": "ext://sys.stdout"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"},
        "bare": {"format": "%(message)s"},
    },
}

_PROMETHEUS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
_created_prometheus_dir: str | None = None


def resolved_settings() -> dict[str, Any]:
    """The server settings actually in force (logged at when_ready; asserted on by tests)."""
    return {
        "event": "gunicorn_ready", "bind": bind, "workers": workers, "worker_class": worker_class,
        "worker_connections": worker_connections, "timeout_s": timeout,
        "graceful_timeout_s": graceful_timeout, "ort_threads": _ort_threads, "usable_cpus": _cpus,
        "preload_app": preload_app, "max_requests": max_requests,
        "max_requests_jitter": max_requests_jitter, "worker_tmp_dir": worker_tmp_dir,
        "log_level": loglevel, "prometheus_multiproc_dir": os.environ.get(_PROMETHEUS_DIR_ENV),
    }


def on_starting(server: Any) -> None:
    """Before any worker exists: give prometheus_client a fresh multiprocess directory, so /metrics
    in any worker reports all workers (the variable must be set before workers import it)."""
    global _created_prometheus_dir
    if not os.environ.get(_PROMETHEUS_DIR_ENV):
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        _created_prometheus_dir = tempfile.mkdtemp(prefix="ocr-prometheus-", dir=base)
        os.environ[_PROMETHEUS_DIR_ENV] = _created_prometheus_dir


def when_ready(server: Any) -> None:
    server.log.info(json.dumps(resolved_settings()))


def post_worker_init(worker: Any) -> None:
    """After the worker built its app (and loaded its model): one warm-up inference, so the first
    real request does not pay for ORT's lazy initialisation."""
    started = time.perf_counter()
    pipeline = worker.wsgi.extensions["ocr"].pipeline
    warm_up_ms = pipeline.warm_up() if pipeline.ready else None
    worker.log.info(json.dumps({
        "event": "worker_ready", "pid": worker.pid, "model_loaded": pipeline.ready,
        "model": pipeline.model_info.to_dict() if pipeline.model_info else None,
        "warm_up_ms": round(warm_up_ms, 1) if warm_up_ms is not None else None,
        "post_init_ms": round((time.perf_counter() - started) * 1000, 1),
    }))


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get(_PROMETHEUS_DIR_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _created_prometheus_dir is not None:
        shutil.rmtree(_created_prometheus_dir, ignore_errors=True)
