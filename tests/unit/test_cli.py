"""service.cli: plain and JSON output, per-image errors, exit codes (fake recognizer)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from service import cli
from service.pipeline import OcrPipeline
from service.settings import Settings
from tests.fakes import FakeRecognizer, bars_image, encode


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRecognizer:
    recognizer = FakeRecognizer()
    monkeypatch.setattr(cli, "build_pipeline", lambda settings: OcrPipeline(settings, recognizer))
    return recognizer


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.png"
    path.write_bytes(encode(bars_image(3)))
    return path


def test_plain_output_prints_the_lines(fake: FakeRecognizer, page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--mode", "page", str(page)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == ["line0", "line1", "line2"]


def test_a_bad_image_fails_the_run_but_not_the_others(
        fake: FakeRecognizer, page: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    assert cli.main([str(text), str(page), str(tmp_path / "missing.png")]) == 1
    captured = capsys.readouterr()
    assert f"==> {page} <==" in captured.out and "line0" in captured.out
    assert "plain text" in captured.err and "unsupported_media_type" in captured.err
    assert "missing.png" in captured.err and "io_error" in captured.err


def test_json_output_is_one_document_with_an_entry_per_image(
        fake: FakeRecognizer, page: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert cli.main(["--json", "--mode", "line", str(page), str(empty)]) == 1
    entries = json.loads(capsys.readouterr().out)
    assert [e["index"] for e in entries] == [0, 1]
    assert entries[0]["success"] is True and len(entries[0]["lines"]) == 1
    assert entries[1]["success"] is False and entries[1]["error"]["code"] == "bad_request"


def test_max_lines_is_enforced(fake: FakeRecognizer, page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--mode", "page", "--max-lines", "2", str(page)]) == 1
    assert "unprocessable_image" in capsys.readouterr().err and fake.calls == 0


def test_configuration_errors_exit_2(monkeypatch: pytest.MonkeyPatch, page: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OCR_BATCH_SIZE", "0")
    assert cli.main([str(page)]) == 2
    assert "OCR_BATCH_SIZE" in capsys.readouterr().err
    monkeypatch.delenv("OCR_BATCH_SIZE")
    assert cli.main(["--model", str(tmp_path / "nope.onnx"), str(page)]) == 2
    assert "nope.onnx" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--mode", "paragraph", "x.png"], ["--max-lines", "0", "x.png"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    assert excinfo.value.code == 2


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, page: Path) -> None:
    seen: list[Settings] = []

    def build(settings: Settings) -> OcrPipeline:
        seen.append(settings)
        return OcrPipeline(settings, FakeRecognizer())

    monkeypatch.setattr(cli, "build_pipeline", build)
    monkeypatch.setenv("OCR_MAX_LINES", "7")
    assert cli.main([str(page)]) == 0
    assert seen[0].max_lines == 7 and seen[0].inference_threadpool is False
