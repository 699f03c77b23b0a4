"""Adapters that give every system the same interface and the same thread count.

``read_lines(images)``: one text per line image (``(H, W, 3) uint8 RGB`` as uploaded);
``read_page(image)``: the text lines of a multi-line image; ``fixed_shape_run()``: a callable
that runs the bare recognition model once on its canonical 320-px-wide input.

Threads: ours and both RapidOCR versions get ``intra_op_num_threads = threads`` and
``inter_op_num_threads = 1`` (RapidOCR's own config knobs, applied to det, cls and rec);
Tesseract gets ``OMP_THREAD_LIMIT = threads``.
"""
from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from model.recognizer import Recognizer
from preprocess import prepare_line
from preprocess.enhance import to_grayscale
from service.pipeline import OcrPipeline
from service.settings import Settings


class Reader(Protocol):
    """What every system offers the benchmark (``read_line``/``fixed_shape_run`` are optional)."""

    name: str

    def describe(self) -> dict[str, object]: ...

    def read_lines(self, images: Sequence[np.ndarray]) -> list[str]: ...

    def read_page(self, rgb: np.ndarray) -> list[str]: ...


class PeerUnavailableError(RuntimeError):
    """A peer cannot be measured here (not installed, or needs a download at run time)."""


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, :, ::-1])


def encode_png(rgb: np.ndarray) -> bytes:
    ok, enc = cv2.imencode(".png", _bgr(rgb))
    if not ok:
        raise ValueError("cannot encode PNG")
    return enc.tobytes()


def _probe_image() -> np.ndarray:
    """A small BGR image with printed text, for warm-up runs."""
    probe = np.full((48, 160, 3), 255, dtype=np.uint8)
    cv2.putText(probe, "OCR 42", (5, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    return probe


def _clean(lines: Sequence[str]) -> list[str]:
    return [t.strip() for t in lines if t and t.strip()]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError as exc:
        raise PeerUnavailableError(f"{dist} is not installed (pip install -r bench/requirements.txt)") from exc


class OursReader:
    """Our Recognizer on lines prepared by the serving code: ``prepare_line`` for line images,
    and the service's own ``OcrPipeline`` (decode, find lines, recognize, drop empty bands) for
    pages, with its cache disabled."""

    def __init__(self, model_path: Path, charset_path: Path, *, threads: int, label: str) -> None:
        self.name = label
        self.threads = threads
        self.model_path = model_path
        self.settings = Settings(model_path=model_path, charset_path=charset_path,
                                 ort_intra_threads=threads, cache_entries=0)
        self.cfg = self.settings.preprocess
        self.recognizer = Recognizer(model_path, charset_path, intra_threads=threads,
                                     batch_size=self.settings.batch_size)
        self.recognizer.warm_up()
        self.pipeline = OcrPipeline(self.settings, self.recognizer)

    def describe(self) -> dict[str, object]:
        return {"system": self.name, "model": self.model_path.name,
                "model_bytes": self.model_path.stat().st_size, **self.recognizer.info.to_dict(),
                "threads": f"onnxruntime intra_op={self.threads}, inter_op=1"}

    def prepare(self, rgb: np.ndarray) -> np.ndarray:
        return prepare_line(to_grayscale(rgb), self.cfg)  # (32, W) uint8

    def read_lines(self, images: Sequence[np.ndarray]) -> list[str]:
        return [r.text for r in self.recognizer.recognize([self.prepare(im) for im in images])]

    def read_page(self, rgb: np.ndarray) -> list[str]:
        return _clean([line.text for line in self.pipeline.run(encode_png(rgb)).lines])

    def fixed_shape_run(self) -> Callable[[], object]:
        session = self.recognizer.session
        batch = np.full((1, 1, 32, 320), 1.0, dtype=np.float32)  # (N, 1, 32, W)
        batch[:, :, 10:22, 20:300] = 0.0
        return lambda: session.run(None, {self.recognizer.input_name: batch})


class RapidV4Reader:
    """rapidocr_onnxruntime 1.x: PP-OCRv4 det + mobile v2 cls + PP-OCRv4 rec, shipped in the wheel."""

    dist = "rapidocr_onnxruntime"

    def __init__(self, *, threads: int) -> None:
        self.version = _version(self.dist)
        from rapidocr_onnxruntime import RapidOCR

        self.name = "RapidOCR PP-OCRv4"
        self.threads = threads
        self.engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        self.engine(_probe_image())  # warm-up: ORT's first run allocates, as ours does in warm_up()

    def describe(self) -> dict[str, object]:
        import rapidocr_onnxruntime

        models = sorted(p.name for p in (Path(rapidocr_onnxruntime.__file__).parent / "models").glob("*.onnx"))
        return {"system": self.name, "package": f"{self.dist}=={self.version}", "models": models,
                "threads": f"intra_op_num_threads={self.threads}, inter_op_num_threads=1 (det, cls, rec)"}

    def read_lines(self, images: Sequence[np.ndarray]) -> list[str]:
        results, _ = self.engine.text_rec([_bgr(im) for im in images])
        return [text for text, *_ in results]

    def read_page(self, rgb: np.ndarray) -> list[str]:
        result, _ = self.engine(_bgr(rgb))
        return _clean([row[1] for row in result or []])

    def rec_session(self) -> object:
        return self.engine.text_rec.session.session

    def fixed_shape_run(self) -> Callable[[], object]:
        session = self.rec_session()
        batch = np.zeros((1, 3, 48, 320), dtype=np.float32)  # (N, 3, 48, W), PP-OCR's rec input
        name = session.get_inputs()[0].name
        return lambda: session.run(None, {name: batch})


class RapidV3Reader:
    """rapidocr 3.x: its default PP-OCRv6 small det/rec (+ mobile cls) ONNX models, shipped in the
    wheel. Fails with PeerUnavailableError if the models would have to be downloaded."""

    dist = "rapidocr"

    def __init__(self, *, threads: int) -> None:
        self.version = _version(self.dist)
        from rapidocr import RapidOCR
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        self.name = "RapidOCR 3.x PP-OCRv6"
        self.threads = threads
        self._rec_input = TextRecInput
        try:
            self.engine = RapidOCR(params={
                "Global.log_level": "error",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
            self.engine(_probe_image())  # loads det/cls/rec lazily; a missing model would download here
        except Exception as exc:  # noqa: BLE001 - any failure means "cannot be measured offline"
            raise PeerUnavailableError(f"rapidocr {self.version} could not run offline: "
                                       f"{type(exc).__name__}: {exc}") from exc

    def describe(self) -> dict[str, object]:
        import rapidocr

        models = sorted(p.name for p in (Path(rapidocr.__file__).parent / "models").glob("*.onnx"))
        return {"system": self.name, "package": f"{self.dist}=={self.version}", "models": models,
                "offline": "models ship in the wheel; the warm-up ran with no network, so nothing was downloaded",
                "threads": f"EngineConfig.onnxruntime.intra_op_num_threads={self.threads}, inter_op=1"}

    def read_lines(self, images: Sequence[np.ndarray]) -> list[str]:
        out = self.engine.text_rec(self._rec_input(img=[_bgr(im) for im in images]))
        return list(out.txts or ("",) * len(images))

    def read_page(self, rgb: np.ndarray) -> list[str]:
        out = self.engine(_bgr(rgb))
        return _clean(list(getattr(out, "txts", None) or ()))

    def fixed_shape_run(self) -> Callable[[], object]:
        session = self.engine.text_rec.session.session
        batch = np.zeros((1, 3, 48, 320), dtype=np.float32)
        name = session.get_inputs()[0].name
        return lambda: session.run(None, {name: batch})


class TesseractReader:
    """Tesseract 5 CLI: ``--psm 7`` for lines, its default page segmentation for pages.

    ``preserve_interword_spaces=1`` keeps chi_sim from inserting a space between hanzi (a known
    chi_sim habit); CER without whitespace is reported as well, so this choice cannot hide errors.
    Each call is a new process, so line latency includes loading the traineddata; read_lines
    passes a list file to one process (the model loads once) for accuracy runs.
    """

    def __init__(self, *, threads: int, langs: str = "chi_sim+eng") -> None:
        self.binary = shutil.which("tesseract")
        if self.binary is None:
            raise PeerUnavailableError("tesseract not on PATH (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
        self.name = "Tesseract"
        self.threads = threads
        self.langs = langs
        # A minimal child environment: only the thread settings, nothing inherited by accident.
        # PASSIVE: OpenMP threads sleep instead of spinning while they wait; with 2 threads on 2
        # shared cores, libgomp's default spinning made single lines take 20 s or more.
        self.env = {"OMP_THREAD_LIMIT": str(threads), "OMP_WAIT_POLICY": "PASSIVE"}
        listed = subprocess.run([self.binary, "--list-langs"], capture_output=True, text=True, check=True).stdout
        missing = [lang for lang in langs.split("+") if lang not in listed.split()]
        if missing:
            raise PeerUnavailableError(f"tesseract lacks traineddata {missing}")
        first = subprocess.run([self.binary, "--version"], capture_output=True, text=True, check=True)
        self.version = (first.stdout or first.stderr).splitlines()[0]

    def describe(self) -> dict[str, object]:
        return {"system": self.name, "version": self.version, "langs": self.langs,
                "threads": f"OMP_THREAD_LIMIT={self.threads}, OMP_WAIT_POLICY=PASSIVE",
                "options": "--psm 7 (lines), default psm 3 (pages), -c preserve_interword_spaces=1"}

    def _run(self, png: bytes, psm: int | None) -> str:
        cmd = [self.binary, "stdin", "stdout", "-l", self.langs, "-c", "preserve_interword_spaces=1"]
        if psm is not None:
            cmd += ["--psm", str(psm)]
        done = subprocess.run(cmd, input=png, capture_output=True, env=self.env, check=True, timeout=120)
        return done.stdout.decode("utf-8", errors="replace")

    def read_line(self, rgb: np.ndarray) -> str:
        return " ".join(_clean(self._run(encode_png(rgb), psm=7).splitlines()))

    def read_lines(self, images: Sequence[np.ndarray]) -> list[str]:
        with tempfile.TemporaryDirectory(prefix="bench_tess_") as tmp:
            paths = []
            for i, im in enumerate(images):
                path = Path(tmp) / f"{i:05d}.png"
                path.write_bytes(encode_png(im))
                paths.append(str(path))
            listing = Path(tmp) / "list.txt"
            listing.write_text("\n".join(paths) + "\n")
            cmd = [self.binary, str(listing), "stdout", "-l", self.langs, "--psm", "7",
                   "-c", "preserve_interword_spaces=1"]
            out = subprocess.run(cmd, capture_output=True, env=self.env, check=True, timeout=1800).stdout
        pages = out.decode("utf-8", errors="replace").split("\f")
        texts = [" ".join(_clean(p.splitlines())) for p in pages[:len(images)]]
        if len(texts) != len(images):
            raise RuntimeError(f"tesseract returned {len(texts)} pages for {len(images)} images")
        return texts

    def read_page(self, rgb: np.ndarray) -> list[str]:
        return _clean(self._run(encode_png(rgb), psm=None).splitlines())
