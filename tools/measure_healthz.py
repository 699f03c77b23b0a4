"""Does /healthz stay responsive while a worker runs a long inference?

Boots `gunicorn -c gunicorn.conf.py` with one worker on a free port (once with the inference
threadpool off, once on), sends one OCR request of many long text lines, polls /healthz every
``--interval-ms`` until the OCR response arrives, and prints one JSON line per setting:

    python -m tools.measure_healthz [--lines 40] [--interval-ms 50]

The numbers are recorded in gunicorn.conf.py's docstring; tests/api/test_gunicorn_e2e.py uses
``measure`` to keep the threadpool-on behaviour from regressing.
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tools.serving import gunicorn_server

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TEXT = "The quick brown fox jumps over the lazy dog 0123456789 - invoice total 42.50 USD"


@dataclass(frozen=True)
class Measurement:
    threadpool: bool
    ocr_s: float
    ocr_status: int
    healthz_polls: int
    healthz_p50_ms: float
    healthz_p95_ms: float
    healthz_max_ms: float


def long_page_png(n_lines: int) -> bytes:
    """A white page of ``n_lines`` long text lines (~1800 px each at model height)."""
    font = ImageFont.truetype(str(FONT), 28) if FONT.exists() else ImageFont.load_default(size=28)
    image = Image.new("L", (1400, 30 + n_lines * 48), 255)
    draw = ImageDraw.Draw(image)
    for i in range(n_lines):
        draw.text((20, 20 + i * 48), f"{i:03d} {TEXT}", font=font, fill=0)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def post_image(url: str, data: bytes, fields: Mapping[str, str], timeout_s: float) -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="page.png"\r\n'
                 f"Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(url, data=b"".join(parts), method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def measure(threadpool: bool, page: bytes, log_path: Path, interval_ms: float = 50.0) -> Measurement:
    env = {"WEB_CONCURRENCY": "1", "OCR_INFERENCE_THREADPOOL": "1" if threadpool else "0", "OCR_ORT_THREADS": "1"}
    with gunicorn_server(env, log_path) as url:
        outcome: dict[str, object] = {}

        def run_ocr() -> None:
            started = time.perf_counter()
            outcome["status"], _ = post_image(f"{url}/ocr", page, {"mode": "page"}, timeout_s=300)
            outcome["seconds"] = time.perf_counter() - started

        ocr = threading.Thread(target=run_ocr)
        ocr.start()
        time.sleep(0.5)  # let the upload land and inference start
        latencies_ms: list[float] = []
        while ocr.is_alive():
            started = time.perf_counter()
            with urllib.request.urlopen(f"{url}/healthz", timeout=300) as response:
                response.read()
            latencies_ms.append((time.perf_counter() - started) * 1000)
            time.sleep(interval_ms / 1000)
        ocr.join()
    latencies_ms.sort()
    return Measurement(
        threadpool=threadpool, ocr_s=round(float(outcome["seconds"]), 2), ocr_status=int(outcome["status"]),
        healthz_polls=len(latencies_ms),
        healthz_p50_ms=round(statistics.median(latencies_ms), 1) if latencies_ms else 0.0,
        healthz_p95_ms=round(latencies_ms[int(0.95 * (len(latencies_ms) - 1))], 1) if latencies_ms else 0.0,
        healthz_max_ms=round(latencies_ms[-1], 1) if latencies_ms else 0.0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=40, help="text lines in the OCR request")
    parser.add_argument("--interval-ms", type=float, default=50.0, help="pause between /healthz polls")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp"), help="where gunicorn logs go")
    args = parser.parse_args(argv)
    page = long_page_png(args.lines)
    for threadpool in (False, True):
        result = measure(threadpool, page, args.log_dir / f"measure_healthz_{int(threadpool)}.log",
                         args.interval_ms)
        print(json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
