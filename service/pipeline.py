"""The only glue between the packages: bytes -> cache -> decode -> lines -> recognizer -> result."""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

import numpy as np
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from model.recognizer import ModelInfo, Recognition
from preprocess import prepare_lines
from preprocess.config import PreprocessConfig
from preprocess.decode import decode_image
from service.cache import ResultCache
from service.errors import (InferenceError, MissingImageError, ModelUnavailableError,
                            UnprocessableImageError)
from service.media import identify_image_format
from service.options import OcrOptions
from service.results import LineText, OcrResult, Timings
from service.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
InferenceRunner = Callable[[Callable[[], T]], T]

# What onnxruntime raises from InferenceSession.run (its exceptions derive from Exception only).
_ORT_RUN_ERRORS: tuple[type[Exception], ...] = (
    ort_state.Fail, ort_state.InvalidArgument, ort_state.RuntimeException,
    ort_state.NotImplemented, ort_state.EPFail,
)


class LineRecognizer(Protocol):
    """What the pipeline needs from ``model.recognizer.Recognizer`` (tests pass a fake)."""

    info: ModelInfo

    def recognize(self, lines: Sequence[np.ndarray]) -> list[Recognition]: ...

    def warm_up(self) -> float: ...


@dataclass(frozen=True)
class CacheKey:
    """Everything that determines a result: the bytes, the options, the preprocessing, the model."""

    md5: str
    options: OcrOptions
    preprocess: PreprocessConfig
    model: ModelInfo


def _call_directly(fn: Callable[[], T]) -> T:
    return fn()


class OcrPipeline:
    """Runs OCR on uploaded bytes; one instance per worker, shared by all its requests.

    ``recognizer=None`` means the model failed to load (with ``Settings.require_model`` off):
    ``run`` then raises ``ModelUnavailableError``. ``run_inference`` decides where the
    recognizer runs (directly, or on a native thread pool under gevent; see service/inference.py).
    """

    def __init__(self, settings: Settings, recognizer: LineRecognizer | None, *,
                 cache: ResultCache[OcrResult] | None = None,
                 run_inference: InferenceRunner = _call_directly) -> None:
        self.settings = settings
        self.recognizer = recognizer
        self.cache: ResultCache[OcrResult] = cache if cache is not None else ResultCache(settings.cache_entries)
        self._run_inference = run_inference

    @property
    def ready(self) -> bool:
        return self.recognizer is not None

    @property
    def model_info(self) -> ModelInfo | None:
        return self.recognizer.info if self.recognizer is not None else None

    def warm_up(self) -> float:
        """One blank line through the model (after fork, before serving); returns ms."""
        if self.recognizer is None:
            raise ModelUnavailableError("the OCR model is not loaded in this worker")
        return self.recognizer.warm_up()

    def run(self, data: bytes, options: OcrOptions | None = None) -> OcrResult:
        """OCR of one uploaded file. Raises the service's and preprocess's errors on bad input."""
        t0 = time.perf_counter()
        opts = options if options is not None else OcrOptions(max_lines=self.settings.max_lines)
        if not data:
            raise MissingImageError("the uploaded file is empty")
        recognizer = self.recognizer
        if recognizer is None:
            raise ModelUnavailableError("the OCR model is not loaded in this worker; retry later")
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        key = CacheKey(md5, opts, self.settings.preprocess, recognizer.info)
        result, outcome = self.cache.get_or_compute(
            key, lambda: self._compute(data, md5, opts, recognizer, t0))
        if outcome != "miss":
            total_ms = (time.perf_counter() - t0) * 1000
            result = replace(result, cached=True, timings=Timings(0.0, 0.0, 0.0, total_ms))
        t = result.timings
        log.info("ocr md5=%s bytes=%d mode=%s lines=%d cache=%s decode_ms=%.1f preprocess_ms=%.1f "
                 "inference_ms=%.1f total_ms=%.1f", md5[:12], len(data), opts.mode, len(result.lines),
                 outcome, t.decode_ms, t.preprocess_ms, t.inference_ms, t.total_ms)
        return result

    def _compute(self, data: bytes, md5: str, opts: OcrOptions, recognizer: LineRecognizer,
                 t0: float) -> OcrResult:
        identify_image_format(data, self.settings.allowed_formats)
        image = decode_image(data, max_pixels=self.settings.max_pixels)  # (H, W) or (H, W, 3) uint8
        t_decoded = time.perf_counter()
        crops = prepare_lines(image, self.settings.preprocess, mode=opts.mode, max_lines=opts.max_lines)
        t_prepared = time.perf_counter()
        total_px = sum(c.image.shape[1] for c in crops)
        if total_px > self.settings.max_total_line_px:
            raise UnprocessableImageError(
                f"the image's {len(crops)} text lines are {total_px} px long at model height; "
                f"the limit is {self.settings.max_total_line_px} px")
        recognitions: list[Recognition] = []
        if crops:
            try:
                recognitions = self._run_inference(lambda: recognizer.recognize([c.image for c in crops]))
            except _ORT_RUN_ERRORS as exc:
                raise InferenceError("the model failed to run on this image") from exc
        t_done = time.perf_counter()
        # A band the model reads as nothing is not a text line (speck, rule, picture edge).
        found = [(c, r) for c, r in zip(crops, recognitions, strict=True) if r.text.strip()]
        lines = tuple(LineText(i, r.text, r.confidence, c.box) for i, (c, r) in enumerate(found))
        height, width = image.shape[:2]
        return OcrResult(
            lines=lines, md5=md5, model=recognizer.info, image_size=(width, height),
            timings=Timings(decode_ms=(t_decoded - t0) * 1000, preprocess_ms=(t_prepared - t_decoded) * 1000,
                            inference_ms=(t_done - t_prepared) * 1000, total_ms=(t_done - t0) * 1000),
        )
