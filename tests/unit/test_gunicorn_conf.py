"""gunicorn.conf.py: resolved values from the environment, validation, and its hooks."""
from __future__ import annotations

import json
import os
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from service import create_app
from service.pipeline import OcrPipeline
from service.settings import REPO_ROOT, Settings
from tests.fakes import FakeRecognizer

CONF = REPO_ROOT / "gunicorn.conf.py"
SERVER_VARS = ("OCR_BIND", "OCR_HOST", "PORT", "WEB_CONCURRENCY", "OCR_ORT_THREADS", "OCR_TIMEOUT_S",
               "OCR_LOG_LEVEL")


def load_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in SERVER_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:5000"]
    assert conf["wsgi_app"] == "service:create_app()"
    assert conf["worker_class"] == "gevent" and conf["preload_app"] is False
    assert conf["workers"] == max(1, len(os.sched_getaffinity(0)))
    assert conf["timeout"] == 120 and conf["graceful_timeout"] == 120
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["worker_tmp_dir"] == "/dev/shm"
    assert conf["accesslog"] == "-"
    access = conf["access_log_format"] % {"t": "[now]", "h": "1.2.3.4", "m": "GET", "U": "/healthz", "q": "",
                                          "s": "200", "B": "15", "M": "3", "{x-request-id}o": "abc",
                                          "a": "curl/8"}
    assert json.loads(access)["status"] == 200


@pytest.mark.parametrize(("env", "bind"), [
    ({"PORT": "8080"}, "127.0.0.1:8080"),
    ({"PORT": "8080", "OCR_HOST": "0.0.0.0"}, "0.0.0.0:8080"),
    ({"PORT": "8080", "OCR_BIND": "unix:/run/ocr.sock"}, "unix:/run/ocr.sock"),
])
def test_bind(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], bind: str) -> None:
    assert load_conf(monkeypatch, **env)["bind"] == [bind]


def test_workers_follow_web_concurrency_or_cpus_per_ort_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_conf(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3
    cpus = len(os.sched_getaffinity(0))
    assert load_conf(monkeypatch, OCR_ORT_THREADS="2")["workers"] == max(1, cpus // 2)
    assert load_conf(monkeypatch, OCR_ORT_THREADS="64")["workers"] == 1


@pytest.mark.parametrize(("name", "value"), [
    ("OCR_TIMEOUT_S", "abc"), ("OCR_TIMEOUT_S", "1"), ("WEB_CONCURRENCY", "0"), ("PORT", "70000"),
    ("OCR_ORT_THREADS", "-1"), ("OCR_LOG_LEVEL", "loud"),
])
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        load_conf(monkeypatch, **{name: value})


def test_when_ready_logs_the_resolved_values_as_one_json_line(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch, WEB_CONCURRENCY="2", OCR_TIMEOUT_S="90", PORT="5001")
    log = RecordingLog()
    conf["when_ready"](SimpleNamespace(log=log))
    assert len(log.lines) == 1
    resolved = json.loads(log.lines[0])
    assert resolved["event"] == "gunicorn_ready"
    assert (resolved["workers"], resolved["timeout_s"], resolved["bind"]) == (2, 90, ["127.0.0.1:5001"])
    assert resolved["worker_class"] == "gevent" and resolved["preload_app"] is False


def test_prometheus_directory_is_created_before_workers_and_removed_at_exit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # unset for the hook; restored afterwards
    conf["on_starting"](SimpleNamespace())
    created = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert created.is_dir() and not any(created.iterdir())
    conf["on_exit"](SimpleNamespace())
    assert not created.exists()


def test_post_worker_init_warms_the_model_up(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_conf(monkeypatch)
    settings = Settings(inference_threadpool=False)
    fake = FakeRecognizer()
    app = create_app(settings, pipeline=OcrPipeline(settings, fake))
    log = RecordingLog()
    conf["post_worker_init"](SimpleNamespace(wsgi=app, pid=123, log=log))
    ready = json.loads(log.lines[0])
    assert ready["event"] == "worker_ready" and ready["model_loaded"] is True
    assert ready["model"]["version"] == "fake-1" and ready["warm_up_ms"] == 0.0
