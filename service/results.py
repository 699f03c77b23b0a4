"""Values the pipeline returns; ``to_dict()`` is called only at the HTTP/CLI edge."""
from __future__ import annotations

from dataclasses import dataclass

from model.recognizer import ModelInfo


@dataclass(frozen=True)
class LineText:
    """One recognized line: its position in reading order, text, confidence and page box."""

    index: int
    text: str
    confidence: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the upright image's pixels

    def to_dict(self, *, include_box: bool = True) -> dict[str, object]:
        out: dict[str, object] = {"text": self.text, "confidence": round(self.confidence, 4)}
        if include_box:
            out["box"] = list(self.box)
        return out


@dataclass(frozen=True)
class Timings:
    """Stage durations of the work done for one response (all zero but total on a cache hit)."""

    decode_ms: float
    preprocess_ms: float
    inference_ms: float
    total_ms: float

    def to_dict(self) -> dict[str, float]:
        return {"decode_ms": round(self.decode_ms, 2), "preprocess_ms": round(self.preprocess_ms, 2),
                "inference_ms": round(self.inference_ms, 2), "total_ms": round(self.total_ms, 2)}


@dataclass(frozen=True)
class OcrResult:
    """Recognized lines of one image, with what produced them and how long it took."""

    lines: tuple[LineText, ...]
    md5: str
    model: ModelInfo
    timings: Timings
    image_size: tuple[int, int]  # width, height after EXIF orientation
    cached: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self, *, include_boxes: bool = True) -> dict[str, object]:
        """The response body: a superset of the seed's ``{success, text: [...], time_ms}``."""
        return {
            "success": True,
            "text": [line.text for line in self.lines],
            "time_ms": int(round(self.timings.total_ms)),
            "lines": [line.to_dict(include_box=include_boxes) for line in self.lines],
            "md5": self.md5,
            "cached": self.cached,
            "model": self.model.to_dict(),
            "timings": self.timings.to_dict(),
            "image": {"width": self.image_size[0], "height": self.image_size[1]},
        }
