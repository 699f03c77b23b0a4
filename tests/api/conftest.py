"""API fixtures: an app per test built from explicit Settings and a real pipeline around a fake
recognizer (real upload checks, decoding and preprocessing; no model file needed)."""
from __future__ import annotations

import functools

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.pipeline import OcrPipeline
from service.settings import MIB, Settings
from tests.fakes import FakeRecognizer, bomb_png

API_SETTINGS = Settings(max_upload_bytes=2 * MIB, max_batch_files=8, inference_threadpool=False)

# Built once per session (~0.3 s): a valid 30000x30000 1-bit PNG of ~110 KB.
bomb = functools.cache(bomb_png)


@pytest.fixture
def settings() -> Settings:
    return API_SETTINGS


@pytest.fixture
def recognizer() -> FakeRecognizer:
    return FakeRecognizer()


@pytest.fixture
def app(settings: Settings, recognizer: FakeRecognizer) -> Flask:
    return create_app(settings, pipeline=OcrPipeline(settings, recognizer))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
