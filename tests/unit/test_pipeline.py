"""OcrPipeline with a fake recognizer: real decoding and preprocessing, no model, no Flask."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import pytest
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state
from PIL import Image

from preprocess.errors import ImageDecodeError, ImageTooLargeError, TooManyLinesError
from service.cache import ResultCache
from service.errors import (InferenceError, MissingImageError, ModelUnavailableError, UnprocessableImageError,
                            UnsupportedMediaTypeError)
from service.options import OcrOptions
from service.pipeline import OcrPipeline
from service.settings import Settings
from tests.fakes import FakeRecognizer, bars_image, encode, png_header_only

T = TypeVar("T")
SETTINGS = Settings(max_pixels=4_000_000)
THREE_BARS = encode(bars_image(3))


def make(recognizer: FakeRecognizer | None = None, **kwargs: object) -> tuple[OcrPipeline, FakeRecognizer]:
    fake = recognizer or FakeRecognizer()
    return OcrPipeline(SETTINGS, fake, **kwargs), fake  # type: ignore[arg-type]


def test_lines_come_back_in_reading_order_with_boxes() -> None:
    pipeline, fake = make()
    result = pipeline.run(THREE_BARS, OcrOptions(mode="page"))
    assert fake.calls == 1 and fake.lines_seen == 3
    assert [line.index for line in result.lines] == [0, 1, 2]
    assert [line.text.split()[0] for line in result.lines] == ["line0", "line1", "line2"]
    tops = [line.box[1] for line in result.lines]
    assert tops == sorted(tops) and len(set(tops)) == 3
    assert result.text == "\n".join(line.text for line in result.lines)
    assert result.image_size == (400, 152) and result.cached is False
    t = result.timings
    assert min(t.decode_ms, t.preprocess_ms, t.inference_ms) >= 0
    assert t.total_ms >= t.decode_ms + t.preprocess_ms + t.inference_ms - 0.01


def test_line_mode_reads_the_whole_image_as_one_line() -> None:
    pipeline, fake = make()
    result = pipeline.run(THREE_BARS, OcrOptions(mode="line"))
    assert len(result.lines) == 1 and result.lines[0].box == (0, 0, 400, 152)


def test_blank_page_has_no_lines_and_skips_the_model() -> None:
    pipeline, fake = make()
    result = pipeline.run(encode(Image.new("L", (300, 80), 255)), OcrOptions(mode="page"))
    assert result.lines == () and fake.calls == 0


def test_lines_read_as_empty_text_are_dropped() -> None:
    pipeline, fake = make(FakeRecognizer(empty=True))
    assert pipeline.run(THREE_BARS, OcrOptions(mode="page")).lines == ()
    assert fake.calls == 1


def test_second_run_is_a_cache_hit_without_stage_timings() -> None:
    pipeline, fake = make()
    first = pipeline.run(THREE_BARS)
    second = pipeline.run(THREE_BARS)
    assert fake.calls == 1
    assert second.cached is True and second.lines == first.lines and second.md5 == first.md5
    assert (second.timings.decode_ms, second.timings.inference_ms) == (0.0, 0.0)
    assert second.timings.total_ms >= 0


@pytest.mark.parametrize("other", [OcrOptions(mode="page"), OcrOptions(mode="line"), OcrOptions(max_lines=5)])
def test_every_option_is_part_of_the_cache_key(other: OcrOptions) -> None:
    pipeline, fake = make()
    pipeline.run(THREE_BARS, OcrOptions())
    assert pipeline.run(THREE_BARS, other).cached is False
    assert fake.calls == 2


def test_another_model_version_never_gets_a_stale_result() -> None:
    shared: ResultCache = ResultCache(8)
    old, old_fake = make(FakeRecognizer(version="v1"), cache=shared)
    new, new_fake = make(FakeRecognizer(version="v2"), cache=shared)
    old.run(THREE_BARS)
    result = new.run(THREE_BARS)
    assert result.cached is False and result.model.version == "v2"
    assert (old_fake.calls, new_fake.calls) == (1, 1)


def test_another_preprocess_config_is_another_key() -> None:
    shared: ResultCache = ResultCache(8)
    fake = FakeRecognizer()
    OcrPipeline(SETTINGS, fake, cache=shared).run(THREE_BARS)
    changed = replace(SETTINGS, preprocess=replace(SETTINGS.preprocess, threshold_c=19))
    assert OcrPipeline(changed, fake, cache=shared).run(THREE_BARS).cached is False


def test_too_many_lines_is_refused_before_recognition() -> None:
    pipeline, fake = make()
    with pytest.raises(TooManyLinesError, match="limit is 2"):
        pipeline.run(THREE_BARS, OcrOptions(mode="page", max_lines=2))
    assert fake.calls == 0


def test_total_line_length_is_bounded_before_recognition() -> None:
    fake = FakeRecognizer()
    pipeline = OcrPipeline(replace(SETTINGS, max_total_line_px=2048), fake)
    wide = encode(bars_image(3, width=2000))  # three ~1500-px lines
    with pytest.raises(UnprocessableImageError, match="the limit is 2048 px"):
        pipeline.run(wide, OcrOptions(mode="page"))
    assert fake.calls == 0
    assert len(pipeline.run(THREE_BARS, OcrOptions(mode="page")).lines) == 3


@pytest.mark.parametrize(("data", "error", "fragment"), [
    (b"", MissingImageError, "empty"),
    (b"just some text\n", UnsupportedMediaTypeError, "plain text"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", UnsupportedMediaTypeError, "PDF document"),
    (encode(Image.new("RGBA", (16, 16)), "ICO"), UnsupportedMediaTypeError, "ICO images are not accepted"),
    (png_header_only(0, 0), UnsupportedMediaTypeError, "PNG file with a corrupt header"),
    (THREE_BARS[: len(THREE_BARS) // 2], ImageDecodeError, "truncated"),
    (encode(Image.new("L", (2100, 2000), 255)), ImageTooLargeError, "limit is 4000000"),
])
def test_bad_inputs_raise_specific_errors(data: bytes, error: type[Exception], fragment: str) -> None:
    pipeline, fake = make()
    with pytest.raises(error, match=fragment):
        pipeline.run(data)
    assert fake.calls == 0


def test_runtime_failure_becomes_inference_error_and_is_not_cached() -> None:
    pipeline, fake = make(FakeRecognizer(error=ort_state.Fail("node conv1: bad shape")))
    for _ in range(2):
        with pytest.raises(InferenceError) as excinfo:
            pipeline.run(THREE_BARS)
        assert "conv1" not in str(excinfo.value)  # internals go to the log, not the client
    assert fake.calls == 2


def test_missing_model_raises_model_unavailable() -> None:
    pipeline = OcrPipeline(SETTINGS, None)
    assert pipeline.ready is False and pipeline.model_info is None
    with pytest.raises(ModelUnavailableError):
        pipeline.run(THREE_BARS)
    with pytest.raises(ModelUnavailableError):
        pipeline.warm_up()


def test_inference_goes_through_the_runner() -> None:
    used: list[int] = []

    def runner(fn: Callable[[], T]) -> T:
        used.append(1)
        return fn()

    pipeline, fake = make(run_inference=runner)
    pipeline.run(THREE_BARS)
    assert used == [1] and fake.calls == 1


def test_logs_one_structured_line_per_run(caplog: pytest.LogCaptureFixture) -> None:
    pipeline, _ = make()
    with caplog.at_level(logging.INFO, logger="service.pipeline"):
        result = pipeline.run(THREE_BARS, OcrOptions(mode="page"))
        pipeline.run(THREE_BARS, OcrOptions(mode="page"))
    records = [r.getMessage() for r in caplog.records if r.name == "service.pipeline"]
    assert len(records) == 2
    assert f"md5={result.md5[:12]}" in records[0] and f"bytes={len(THREE_BARS)}" in records[0]
    assert "lines=3" in records[0] and "cache=miss" in records[0] and "inference_ms=" in records[0]
    assert "cache=hit" in records[1]
