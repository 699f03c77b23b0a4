"""The service's one settings object, and the only place (besides gunicorn.conf.py) that reads the
environment.

``Settings`` is built once per process and passed down explicitly. Tests construct it directly;
``Settings.from_env()`` parses ``OCR_*`` variables. Every check lives in ``__post_init__`` so a
directly built object is validated too, and each message names the environment variable.
Server concerns (bind address, worker count, timeout, PORT, log level) are read by
gunicorn.conf.py only.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from preprocess.config import PreprocessConfig
from preprocess.decode import SUPPORTED_FORMATS

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

# Field name -> environment variable. OCR_ORT_THREADS is shared with gunicorn.conf.py, which
# divides the usable CPUs by it to size the worker count.
ENV_NAMES: dict[str, str] = {
    "model_path": "OCR_MODEL_PATH",
    "charset_path": "OCR_CHARSET_PATH",
    "require_model": "OCR_REQUIRE_MODEL",
    "ort_intra_threads": "OCR_ORT_THREADS",
    "batch_size": "OCR_BATCH_SIZE",
    "inference_threadpool": "OCR_INFERENCE_THREADPOOL",
    "max_upload_bytes": "OCR_MAX_UPLOAD_BYTES",
    "max_pixels": "OCR_MAX_PIXELS",
    "max_lines": "OCR_MAX_LINES",
    "max_total_line_px": "OCR_MAX_TOTAL_LINE_PX",
    "max_batch_files": "OCR_MAX_BATCH_FILES",
    "cache_entries": "OCR_CACHE_ENTRIES",
    "allowed_formats": "OCR_ALLOWED_FORMATS",
    "prometheus_multiproc_dir": "PROMETHEUS_MULTIPROC_DIR",
}

# Inclusive ranges of the integer fields.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "ort_intra_threads": (1, 64),
    "batch_size": (1, 256),
    "max_upload_bytes": (1024, 1024 * MIB),
    "max_pixels": (1, 500_000_000),
    "max_lines": (1, 10_000),
    "max_total_line_px": (1024, 100_000_000),
    "max_batch_files": (1, 256),
    "cache_entries": (0, 1_000_000),
}


@dataclass(frozen=True)
class Settings:
    """Typed, validated service configuration; units are in the field names.

    ``require_model``: when true (the default) a model that fails to load fails the worker's boot,
    loudly and early. When false the app still starts (useful while a model is being trained or
    for working on the web UI): ``/readyz`` and ``/ocr`` answer 503 ``model_unavailable``.
    ``inference_threadpool``: under gevent, run inference on a one-thread native pool so the
    worker's event loop keeps serving ``/healthz`` (see gunicorn.conf.py for the measurement).
    ``max_total_line_px``: bound on the summed width of an image's 32-px model-input lines.
    Inference time is linear in it (~0.12 ms per column with one busy thread, measured), so it
    bounds the worst-case request: 200 crafted lines of 4096 px would otherwise take ~100 s.
    400k covers a dense A4 page at 300 dpi (~100 lines x ~2000 px) and costs ~50 s at worst.
    ``allowed_formats``: Pillow format names accepted for upload; MPO is the multi-picture JPEG
    that many phone cameras write; GIF is read from its first frame. ``cache_entries=0`` disables storing results (identical
    concurrent uploads are still computed once).
    """

    model_path: Path = REPO_ROOT / "model" / "crnn.int8.onnx"
    charset_path: Path = REPO_ROOT / "model" / "charset.txt"
    require_model: bool = True
    ort_intra_threads: int = 1
    # Lines per session.run. 1 is fastest here: on a 20-40 line set of mixed widths, int8, 1 thread,
    # batch 1/4/8/32 cost 7.0/9.4/14.3/31.0 ms per line (padding and the LSTM's batched layout
    # cost more than the per-call overhead they save); see bench/ for the page-level effect.
    batch_size: int = 1
    inference_threadpool: bool = True
    max_upload_bytes: int = 20 * MIB
    max_pixels: int = 40_000_000
    max_lines: int = 200
    max_total_line_px: int = 400_000
    max_batch_files: int = 16
    cache_entries: int = 256
    allowed_formats: frozenset[str] = frozenset({"JPEG", "MPO", "PNG", "BMP", "WEBP", "TIFF", "GIF"})
    prometheus_multiproc_dir: Path | None = None
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)

    def __post_init__(self) -> None:
        for name, (lo, hi) in _INT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{ENV_NAMES[name]} must be an integer in {lo}..{hi}, got {value!r}")
        if not self.allowed_formats:
            raise ValueError(f"{ENV_NAMES['allowed_formats']} must name at least one format")
        unknown = sorted(set(self.allowed_formats) - SUPPORTED_FORMATS)
        if unknown:
            raise ValueError(f"{ENV_NAMES['allowed_formats']} has unsupported formats {unknown}; "
                             f"choose from {sorted(SUPPORTED_FORMATS)}")
        object.__setattr__(self, "model_path", Path(self.model_path))
        object.__setattr__(self, "charset_path", Path(self.charset_path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``OCR_*`` variables (``os.environ`` by default); unset means default."""
        env = os.environ if environ is None else environ
        parsers: dict[str, Callable[[str, str], object]] = {
            "model_path": _parse_path, "charset_path": _parse_path,
            "prometheus_multiproc_dir": _parse_path,
            "require_model": _parse_bool, "inference_threadpool": _parse_bool,
            "allowed_formats": _parse_formats,
            **{name: _parse_int for name in _INT_RANGES},
        }
        values: dict[str, object] = {}
        for f in fields(cls):
            env_name = ENV_NAMES.get(f.name)
            if env_name is None or env_name not in env:
                continue
            raw = env[env_name].strip()
            if raw == "":
                raise ValueError(f"{env_name} is set but empty")
            values[f.name] = parsers[f.name](env_name, raw)
        return cls(**values)


def _parse_int(env_name: str, raw: str) -> int:
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"{env_name} must be an integer, got {raw!r}") from None


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse_bool(env_name: str, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError(f"{env_name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def _parse_path(env_name: str, raw: str) -> Path:
    return Path(raw).expanduser()


def _parse_formats(env_name: str, raw: str) -> frozenset[str]:
    names = frozenset(part.strip().upper() for part in raw.split(",") if part.strip())
    aliases = {"JPG": "JPEG", "TIF": "TIFF"}
    return frozenset(aliases.get(n, n) for n in names)
