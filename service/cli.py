"""Command-line OCR through the same pipeline as the server, without a server.

    python -m service.cli [--json] [--mode auto|line|page] [--max-lines N] IMAGE...

Plain output prints each image's lines (with a ``==> name <==`` header when there are several);
``--json`` prints one JSON document: a list with one entry per image, shaped like the API's
``/ocr/batch`` entries. The exit status is 0 when every image succeeded, 1 when any failed, 2 on
usage or configuration errors. Settings come from the same ``OCR_*`` variables as the server.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from model.recognizer import ModelLoadError
from preprocess import MODES
from service import build_pipeline
from service.errors import describe_error
from service.options import OcrOptions
from service.settings import Settings

log = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service.cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    parser.add_argument("--json", action="store_true", help="print JSON instead of plain text")
    parser.add_argument("--mode", choices=MODES, default="auto", help="line segmentation mode")
    parser.add_argument("--max-lines", type=_positive_int, default=None,
                        help="fail images with more lines than this (default: OCR_MAX_LINES)")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: OCR_MODEL_PATH)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log timings to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.from_env()
        if args.model is not None:
            settings = replace(settings, model_path=args.model)
        pipeline = build_pipeline(replace(settings, inference_threadpool=False))
    except (ValueError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = OcrOptions(mode=args.mode, max_lines=args.max_lines or settings.max_lines)
    entries: list[dict[str, object]] = []
    for index, path in enumerate(args.images):
        entry: dict[str, object] = {"index": index, "filename": str(path)}
        lines: list[str] = []
        error: dict[str, str] | None = None
        try:
            result = pipeline.run(path.read_bytes(), options)
        except OSError as exc:
            error = {"code": "io_error", "message": exc.strerror or str(exc)}
        except Exception as exc:  # expected input errors are reported per image; others propagate
            info = describe_error(exc)
            if info is None:
                raise
            error = {"code": info.code, "message": info.message}
        else:
            lines = [line.text for line in result.lines]
            entry.update(result.to_dict())
        if error is not None:
            entry.update(success=False, error=error)
        entries.append(entry)
        if not args.json:
            if len(args.images) > 1:
                print(f"==> {path} <==")
            if error is not None:
                print(f"error: {path}: {error['message']} ({error['code']})", file=sys.stderr)
            for text in lines:
                print(text)
    if args.json:
        json.dump(entries, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 1 if any(e["success"] is False for e in entries) else 0


if __name__ == "__main__":
    sys.exit(main())
