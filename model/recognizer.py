"""Line recognizer: ONNX Runtime session + charset + greedy CTC, order-preserving batches."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from model.charset import Charset
from model.ctc import ctc_greedy_decode
from model.session import build_session
from preprocess.resize import pad_batch

log = logging.getLogger(__name__)

INPUT_HEIGHT = 32


class ModelLoadError(RuntimeError):
    """The model file, its metadata and the charset do not agree, or the file cannot be loaded."""


@dataclass(frozen=True)
class Recognition:
    """Text of one line and the mean probability of its characters."""

    text: str
    confidence: float


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    quantized: bool

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "quantized": self.quantized}


class Recognizer:
    """Recognizes (32, W) uint8 line images with one ONNX Runtime session."""

    def __init__(self, model_path: str | Path, charset_path: str | Path, *, intra_threads: int = 1,
                 batch_size: int = 1) -> None:
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        try:
            self.charset = Charset.load(charset_path)
            self.session = build_session(self.model_path, intra_threads=intra_threads)
        except (OSError, ValueError, ort_state.Fail, ort_state.NoSuchFile, ort_state.InvalidProtobuf,
                ort_state.InvalidGraph) as exc:
            raise ModelLoadError(f"cannot load model {self.model_path}: {exc}") from exc
        meta = self.session.get_modelmeta().custom_metadata_map
        self._check(meta)
        self.time_stride = int(meta["time_stride"])
        self.input_name = self.session.get_inputs()[0].name
        self.info = ModelInfo(name=meta.get("name", "crnn"), version=meta.get("version", "unknown"),
                              quantized=meta.get("quantized", "false") == "true")

    def _check(self, meta: dict[str, str]) -> None:
        """Refuse to serve when file, metadata and charset disagree (loud and early)."""
        for key in ("charset", "num_classes", "time_stride", "input_height"):
            if key not in meta:
                raise ModelLoadError(f"model metadata lacks '{key}'")
        if meta["charset"] != self.charset.to_text():
            raise ModelLoadError("charset.txt differs from the charset stored in the model")
        if int(meta["num_classes"]) != self.charset.num_classes:
            raise ModelLoadError(f"model has {meta['num_classes']} classes, charset {self.charset.num_classes}")
        if int(meta["input_height"]) != INPUT_HEIGHT:
            raise ModelLoadError(f"model input height {meta['input_height']} != {INPUT_HEIGHT}")

    def recognize(self, lines: Sequence[np.ndarray]) -> list[Recognition]:
        """(32, W_i) uint8 lines -> one Recognition per line, in input order."""
        results: list[Recognition | None] = [None] * len(lines)
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1])
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            batch, widths = pad_batch([lines[i] for i in chunk])  # (N, 1, 32, W) float32
            best_index, best_prob = self.session.run(None, {self.input_name: batch})
            decoded = ctc_greedy_decode(best_index, best_prob, widths // self.time_stride, self.charset)
            for i, (text, conf) in zip(chunk, decoded):
                results[i] = Recognition(text, conf)
        return [r for r in results if r is not None]

    def warm_up(self) -> float:
        """Run one blank line through the session; returns the time taken in ms."""
        t0 = time.perf_counter()
        self.recognize([np.full((INPUT_HEIGHT, 128), 255, dtype=np.uint8)])
        ms = (time.perf_counter() - t0) * 1000
        log.info("model %s warm-up %.1f ms", self.model_path.name, ms)
        return ms
