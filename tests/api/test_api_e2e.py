"""The API with the real int8 model (marker e2e): load, metadata, a rendered page end to end.

The model is still being trained, so no exact text is asserted here (tests/e2e checks accuracy);
this checks that the real Recognizer is wired in: it loads, runs, reports itself, and caches.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image, ImageDraw, ImageFont

from model.recognizer import Recognizer
from service import create_app
from service.settings import REPO_ROOT, Settings
from tests.fakes import encode

pytestmark = pytest.mark.e2e

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def real_settings() -> Settings:
    settings = replace(Settings(), inference_threadpool=False)
    if not settings.model_path.is_file():
        pytest.skip(f"{settings.model_path} does not exist yet (the model is exported by model/export.py "
                    "and quantize/run.py)")
    return settings


@pytest.fixture(scope="module")
def real_client(real_settings: Settings) -> FlaskClient:
    return create_app(real_settings).test_client()


def rendered_page() -> bytes:
    image = Image.new("RGB", (700, 170), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 40)
    draw.text((24, 16), "Invoice 2026-11-25", font=font, fill="black")
    draw.text((24, 100), "Total: 42.50 USD", font=font, fill="black")
    return encode(image, "JPEG", quality=92)


def test_ready_reports_the_model_metadata(real_client: FlaskClient, real_settings: Settings) -> None:
    body = real_client.get("/readyz").get_json()
    info = Recognizer(real_settings.model_path, real_settings.charset_path).info
    assert body == {"status": "ready", "model": info.to_dict()}
    assert info.quantized is True


def test_real_model_reads_a_rendered_page(real_client: FlaskClient) -> None:
    data = rendered_page()
    response = real_client.post("/ocr", data={"image": (io.BytesIO(data), "invoice.jpg"), "mode": "page"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is True and body["cached"] is False
    assert body["model"]["quantized"] is True
    assert body["timings"]["inference_ms"] > 0  # the session really ran on the two line crops
    assert len(body["lines"]) <= 2 and all(0 <= line["confidence"] <= 1 for line in body["lines"])
    again = real_client.post("/ocr", data={"image": (io.BytesIO(data), "again.jpg"), "mode": "page"}).get_json()
    assert again["cached"] is True and again["text"] == body["text"]


def test_real_model_batch_keeps_order_and_isolates_a_bad_file(real_client: FlaskClient) -> None:
    files = [(io.BytesIO(rendered_page()), "a.jpg"), (io.BytesIO(b"%PDF-1.7"), "b.jpg"),
             (io.BytesIO(encode(Image.new("L", (64, 32), 255))), "blank.png")]
    body = real_client.post("/ocr/batch", data={"images": files}).get_json()
    assert [r["status"] for r in body["results"]] == [200, 415, 200]
    assert body["results"][2]["lines"] == []  # a blank image: no text is a 200 with no lines


def test_cli_runs_the_real_model(real_settings: Settings, tmp_path: Path) -> None:
    image_path = tmp_path / "invoice.jpg"
    image_path.write_bytes(rendered_page())
    run = subprocess.run([sys.executable, "-m", "service.cli", "--json", str(image_path)], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    [entry] = json.loads(run.stdout)
    assert entry["success"] is True and entry["model"]["quantized"] is True
