"""OCR web service: ``create_app()`` builds one Flask app per gunicorn worker (after fork).

WSGI entry point: ``service:create_app()``. Importing this package loads nothing heavy; the model
is loaded when ``create_app`` builds the pipeline.
"""
from __future__ import annotations

import logging
import time

from flask import Flask

from model.recognizer import ModelLoadError, Recognizer
from service import api, web
from service.errors import register_error_handlers
from service.inference import make_inference_runner
from service.metrics import Metrics
from service.pipeline import OcrPipeline
from service.settings import REPO_ROOT, Settings
from service.state import EXTENSION_KEY, ServiceState

log = logging.getLogger(__name__)


def build_pipeline(settings: Settings) -> OcrPipeline:
    """Load the recognizer and wrap it with a fresh cache.

    A load failure raises ``ModelLoadError`` (the worker fails to boot) unless
    ``settings.require_model`` is off; then the pipeline serves 503 ``model_unavailable``.
    """
    t0 = time.perf_counter()
    recognizer: Recognizer | None
    try:
        if not settings.model_path.is_file():  # onnxruntime's NoSuchFile is not a ModelLoadError
            raise ModelLoadError(f"model file {settings.model_path} does not exist")
        recognizer = Recognizer(settings.model_path, settings.charset_path,
                                intra_threads=settings.ort_intra_threads, batch_size=settings.batch_size)
    except ModelLoadError:
        if settings.require_model:
            raise
        log.exception("model not loaded; serving 503 model_unavailable (OCR_REQUIRE_MODEL is off)")
        recognizer = None
    else:
        log.info("model %s (%s) loaded in %.0f ms", settings.model_path.name, recognizer.info.version,
                 (time.perf_counter() - t0) * 1000)
    runner = make_inference_runner(settings.inference_threadpool)
    if runner is None:
        return OcrPipeline(settings, recognizer)
    return OcrPipeline(settings, recognizer, run_inference=runner)


def create_app(settings: Settings | None = None, *, pipeline: OcrPipeline | None = None) -> Flask:
    """The Flask app. ``settings`` default to ``Settings.from_env()``; tests inject ``pipeline``."""
    settings = settings if settings is not None else Settings.from_env()
    app = Flask(__name__, template_folder=str(REPO_ROOT / "templates"),
                static_folder=str(REPO_ROOT / "static"))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep success/text/time_ms first
    metrics = Metrics(settings.prometheus_multiproc_dir)
    app.extensions[EXTENSION_KEY] = ServiceState(
        settings=settings,
        pipeline=pipeline if pipeline is not None else build_pipeline(settings),
        metrics=metrics,
    )
    register_error_handlers(app)
    metrics.instrument(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(web.bp)
    return app


__all__ = ["build_pipeline", "create_app"]
