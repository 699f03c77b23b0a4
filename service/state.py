"""What one app holds for its whole life, reachable from views via ``current_app``."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from service.metrics import Metrics
from service.pipeline import OcrPipeline
from service.settings import Settings

EXTENSION_KEY = "ocr"


@dataclass(frozen=True)
class ServiceState:
    """Settings, the per-worker pipeline (recognizer + cache) and the metrics of one app."""

    settings: Settings
    pipeline: OcrPipeline
    metrics: Metrics


def get_state() -> ServiceState:
    return current_app.extensions[EXTENSION_KEY]


def get_pipeline() -> OcrPipeline:
    return get_state().pipeline
