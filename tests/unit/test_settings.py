"""Settings: defaults run locally, the environment is parsed in one place, bad values are named."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from service.settings import MIB, REPO_ROOT, Settings


def test_defaults_point_at_the_repository_model_and_are_valid() -> None:
    s = Settings()
    assert s.model_path == REPO_ROOT / "model" / "crnn.int8.onnx"
    assert s.charset_path == REPO_ROOT / "model" / "charset.txt"
    assert (s.ort_intra_threads, s.batch_size, s.max_lines, s.cache_entries) == (1, 1, 200, 256)
    assert s.max_upload_bytes == 20 * MIB
    assert s.require_model is True
    assert {"JPEG", "PNG", "BMP", "WEBP", "TIFF", "GIF"} <= s.allowed_formats


def test_from_env_without_variables_gives_defaults() -> None:
    assert Settings.from_env({}) == Settings()


def test_from_env_parses_every_variable(tmp_path: Path) -> None:
    env = {
        "OCR_MODEL_PATH": str(tmp_path / "m.onnx"), "OCR_CHARSET_PATH": str(tmp_path / "c.txt"),
        "OCR_REQUIRE_MODEL": "false", "OCR_ORT_THREADS": "2", "OCR_BATCH_SIZE": "8",
        "OCR_INFERENCE_THREADPOOL": "off", "OCR_MAX_UPLOAD_BYTES": "1_048_576",
        "OCR_MAX_PIXELS": "1000000", "OCR_MAX_LINES": "50", "OCR_MAX_TOTAL_LINE_PX": "5000", "OCR_MAX_BATCH_FILES": "4",
        "OCR_CACHE_ENTRIES": "0", "OCR_ALLOWED_FORMATS": "jpg, png,tif",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "UNRELATED": "x",
    }
    s = Settings.from_env(env)
    assert s.model_path == tmp_path / "m.onnx" and s.charset_path == tmp_path / "c.txt"
    assert s.require_model is False and s.inference_threadpool is False
    assert (s.ort_intra_threads, s.batch_size, s.max_upload_bytes) == (2, 8, 1_048_576)
    assert (s.max_pixels, s.max_lines, s.max_batch_files, s.cache_entries) == (1_000_000, 50, 4, 0)
    assert s.max_total_line_px == 5000
    assert s.allowed_formats == frozenset({"JPEG", "PNG", "TIFF"})
    assert s.prometheus_multiproc_dir == tmp_path


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("OCR_BATCH_SIZE", "0", "1..256, got 0"),
    ("OCR_BATCH_SIZE", "257", "1..256, got 257"),
    ("OCR_BATCH_SIZE", "abc", "must be an integer, got 'abc'"),
    ("OCR_BATCH_SIZE", "3.5", "must be an integer"),
    ("OCR_ORT_THREADS", "0", "1..64"),
    ("OCR_MAX_UPLOAD_BYTES", "-1", "got -1"),
    ("OCR_MAX_LINES", "0", "1..10000"),
    ("OCR_CACHE_ENTRIES", "-5", "got -5"),
    ("OCR_MAX_TOTAL_LINE_PX", "100", "1024..100000000"),
    ("OCR_MAX_BATCH_FILES", "1000", "1..256"),
    ("OCR_REQUIRE_MODEL", "maybe", "got 'maybe'"),
    ("OCR_INFERENCE_THREADPOOL", "2", "got '2'"),
    ("OCR_ALLOWED_FORMATS", "PNG,PDF", "['PDF']"),
    ("OCR_ALLOWED_FORMATS", " , ", "at least one format"),
    ("OCR_MAX_PIXELS", "", "is set but empty"),
])
def test_from_env_rejects_bad_values_naming_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        Settings.from_env({name: value})
    message = str(excinfo.value)
    assert name in message and fragment in message


def test_direct_construction_is_validated_and_frozen() -> None:
    with pytest.raises(ValueError, match="OCR_BATCH_SIZE"):
        Settings(batch_size=0)
    with pytest.raises(ValueError, match="OCR_MAX_LINES"):
        Settings(max_lines=True)  # a bool is not an integer setting
    s = Settings(model_path="relative/m.onnx")  # type: ignore[arg-type]
    assert s.model_path == Path("relative/m.onnx")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.batch_size = 4  # type: ignore[misc]
