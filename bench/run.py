"""Entry point: ``python -m bench.run [--quick] [--only accuracy,latency,pages,load,scaling]``.

Sections:
  accuracy  CER / exact lines on real-dev lines, held-out synthetic lines and pages
  latency   per line, rec only, at each --threads value (bare model and line API)
  pages     per page end to end: HTTP POST /ocr on our gunicorn vs peers' full pipelines;
            cold start and peak RSS per worker
  load      requests/s and p50/p95/p99 at concurrency 1, 4, 16, 64 (misses and hits)
  scaling   cost vs characters per line and vs lines per page
int8 vs fp32 is reported from the accuracy and latency sections.
Writes run-<utc>[-quick].json, latest.json and latest.md under --out, and the per-item
predictions under --out/raw/ (not committed).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import httpx
import onnxruntime

from bench import accuracy, latency, load, report
from bench.client import unique_png
from bench.data import PageItem, load_real_dev_lines, load_real_dev_pages, spread, synth_lines
from bench.pages import PageRenderer
from bench.peers import (OursReader, PeerUnavailableError, RapidV3Reader, RapidV4Reader, Reader,
                         TesseractReader)
from bench.server import GunicornServer, ServerStartError
from model.charset import Charset
from model.recognizer import ModelLoadError
from model.session import describe_cpu
from service.settings import Settings

log = logging.getLogger("bench")

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTIONS: tuple[str, ...] = ("accuracy", "latency", "pages", "load", "scaling")
OURS_INT8, OURS_FP32 = "ours int8", "ours fp32"
RAPID_V4, RAPID_V3, TESSERACT = "RapidOCR PP-OCRv4", "RapidOCR 3.x PP-OCRv6", "Tesseract"
SYNTH_SEED = 424242
# Failures of a peer or of our server inside one section: recorded in the report's notes.
SECTION_ERRORS: tuple[type[Exception], ...] = (latency.HttpError, httpx.HTTPError, subprocess.SubprocessError,
                                               PeerUnavailableError, RuntimeError)


@dataclass(frozen=True)
class Budget:
    """How much of everything one run measures (bounded so a full run stays under ~10 min)."""

    real_dev_per_lang: int | None
    synth_lines: int
    document_lines: int
    fixed_repeats: int
    line_latency_items: int
    line_latency_repeats: int
    page_repeats: int
    load_levels: tuple[int, ...]
    load_miss_requests: tuple[int, ...]
    load_hit_requests: tuple[int, ...]
    load_time_limit_s: float
    scaling_repeats: int
    budget_s_per_system: float
    char_counts: tuple[int, ...] = (5, 10, 20, 40, 80)
    line_counts: tuple[int, ...] = (5, 10, 20, 40)


QUICK = Budget(real_dev_per_lang=3, synth_lines=12, document_lines=20, fixed_repeats=20,
               line_latency_items=3, line_latency_repeats=2, page_repeats=2,
               load_levels=(1, 4, 16, 64), load_miss_requests=(4, 8, 16, 64),
               load_hit_requests=(20, 40, 64, 128), load_time_limit_s=20.0, scaling_repeats=2,
               budget_s_per_system=8.0)
FULL = Budget(real_dev_per_lang=None, synth_lines=200, document_lines=30, fixed_repeats=100,
              line_latency_items=12, line_latency_repeats=2, page_repeats=3,
              load_levels=(1, 4, 16, 64), load_miss_requests=(24, 48, 128, 256),
              load_hit_requests=(200, 400, 640, 1280), load_time_limit_s=45.0, scaling_repeats=6,
              budget_s_per_system=25.0)


def _sections(raw: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in raw.split(",") if s.strip())
    unknown = [s for s in names if s not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {','.join(SECTIONS)}; got {raw!r}")
    return names


def _threads(raw: str) -> tuple[int, ...]:
    try:
        values = tuple(int(s) for s in raw.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated integers expected, got {raw!r}") from None
    if not values or any(v < 1 or v > 64 for v in values):
        raise argparse.ArgumentTypeError(f"thread counts must be 1..64, got {raw!r}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few items and repeats (minutes, for development)")
    parser.add_argument("--only", type=_sections, default=SECTIONS, help=f"comma list of {','.join(SECTIONS)}")
    parser.add_argument("--real-dev", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "real-dev",
                        help="real-dev folder (labels.jsonl, pages.jsonl); skipped with a message if missing")
    parser.add_argument("--threads", type=_threads, default=(1, 2),
                        help="thread counts for per-line latency; the first one is used everywhere else")
    parser.add_argument("--model-dir", type=Path, default=REPO_ROOT / "model")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    return parser.parse_args(argv)


def build_readers(threads: int, model_dir: Path, skipped: dict[str, str]) -> dict[str, Reader]:
    """Every system at ``threads`` threads; peers that cannot run are recorded in ``skipped``."""
    charset = model_dir / "charset.txt"
    readers: dict[str, Reader] = {OURS_INT8: OursReader(model_dir / "crnn.int8.onnx", charset,
                                                        threads=threads, label=OURS_INT8)}
    fp32 = model_dir / "crnn.onnx"
    if fp32.exists():
        readers[OURS_FP32] = OursReader(fp32, charset, threads=threads, label=OURS_FP32)
    else:
        skipped[OURS_FP32] = f"{fp32} not found"
    factories: tuple[tuple[str, Callable[..., Reader]], ...] = (
        (RAPID_V4, RapidV4Reader), (RAPID_V3, RapidV3Reader), (TESSERACT, TesseractReader))
    for name, factory in factories:
        try:
            readers[name] = factory(threads=threads)
        except PeerUnavailableError as exc:
            skipped[name] = str(exc)
            log.warning("skipping %s: %s", name, exc)
    return readers


def machine_info(threads: tuple[int, ...]) -> dict[str, object]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    return {"cpu": describe_cpu(), "usable_cpus": len(os.sched_getaffinity(0)),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
            "git_commit": commit or None, "threads": list(threads),
            "opencv_threads_in_bench_process": threads[0]}


def run(args: argparse.Namespace, command: str) -> dict[str, object]:
    """Every selected section, in order; returns the results (with per-item predictions under "raw")."""
    budget = QUICK if args.quick else FULL
    skipped: dict[str, str] = {}
    notes: list[str] = []
    started = time.time()
    results: dict[str, object] = {
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "command": command, "quick": args.quick, "sections": list(args.only), "budget": asdict(budget),
        "machine": machine_info(args.threads), "skipped": skipped, "notes": notes,
    }
    base_threads = args.threads[0]
    # OpenCV's own thread pool (resizes, thresholds) follows the same thread count in this
    # process, for ours and the peers alike; the gunicorn workers keep the service's setting.
    cv2.setNumThreads(base_threads)
    readers = {t: build_readers(t, args.model_dir, skipped if t == base_threads else {}) for t in
               (args.threads if "latency" in args.only else (base_threads,))}
    base = readers[base_threads]
    results["systems"] = {name: r.describe() for name, r in base.items()}
    charset = Charset.load(args.model_dir / "charset.txt")
    renderer = PageRenderer(charset, seed=SYNTH_SEED)
    real_dev_ok = (args.real_dev / "labels.jsonl").exists()
    if not real_dev_ok:
        notes.append(f"real-dev not found at {args.real_dev}: real-dev sets skipped")
        log.warning("real-dev not found at %s; skipping the real-dev sets", args.real_dev)
    real_lines = load_real_dev_lines(args.real_dev, budget.real_dev_per_lang) if real_dev_ok else []
    pages: list[PageItem] = (load_real_dev_pages(args.real_dev) if real_dev_ok else []) + [
        renderer.document(budget.document_lines), renderer.screenshot(), renderer.receipt()]
    raw: dict[str, object] = {}

    def section(name: str, fn: Callable[[], None]) -> None:
        """Run one section; a peer or HTTP failure is recorded and the other sections still run."""
        try:
            fn()
        except SECTION_ERRORS as exc:
            notes.append(f"section {name} stopped: {type(exc).__name__}: {exc}")
            log.error("section %s stopped: %s", name, exc)

    def run_accuracy() -> None:
        acc: dict[str, object] = {}
        results["accuracy"] = acc
        if real_lines:
            acc["real_dev_lines"], raw["real_dev_lines"] = accuracy.line_accuracy(base, real_lines)
        synth = synth_lines(charset, budget.synth_lines, SYNTH_SEED)
        acc["synth_lines"], raw["synth_lines"] = accuracy.line_accuracy(base, synth)
        acc["pages"], raw["pages"] = accuracy.page_accuracy(base, pages)

    def run_latency() -> None:
        probe_lines = spread(real_lines, budget.line_latency_items) if real_lines else synth_lines(
            charset, budget.line_latency_items, SYNTH_SEED + 1)
        lat: dict[str, object] = {"per_line_items": [it.item_id for it in probe_lines]}
        results["latency"] = lat
        per_system_s = budget.budget_s_per_system
        lat["fixed_shape"] = {str(t): latency.rec_fixed_shape(r, repeats=budget.fixed_repeats, budget_s=per_system_s)
                              for t, r in readers.items()}
        lat["per_line"] = {str(t): latency.rec_per_line(r, probe_lines, repeats=budget.line_latency_repeats,
                                                        budget_s=per_system_s)
                           for t, r in readers.items()}
        lat["batch_size"] = latency.batch_sizes(
            args.model_dir / "crnn.int8.onnx", args.model_dir / "charset.txt",
            renderer.uniform_page(budget.document_lines), Settings().preprocess,
            sizes=(1, 4, 8, 32), threads=base_threads, repeats=max(2, budget.page_repeats))

    if "accuracy" in args.only:
        section("accuracy", run_accuracy)
    if "latency" in args.only:
        section("latency", run_latency)
    if {"pages", "load", "scaling"} & set(args.only):
        server = GunicornServer(args.out / "raw" / "gunicorn.log", threads=base_threads)
        probe = unique_png(renderer.line_of_chars(10).image, 1)
        try:
            results["cold_start"] = server.start(probe)
            results["gunicorn"] = {"url": server.url, "threads": base_threads, "config_line": server.config_line(),
                                   "workers": len(server.worker_pids())}

            def run_pages() -> None:
                peers = {n: r for n, r in base.items() if n not in (OURS_INT8, OURS_FP32)}
                results["pages"] = latency.pages_end_to_end(server.url, peers, pages, repeats=budget.page_repeats,
                                                            ours_label=f"{OURS_INT8} (HTTP)",
                                                            budget_s=budget.budget_s_per_system)
                server.sample_rss()

            def run_scaling() -> None:
                line_readers = {n: base[n] for n in (OURS_INT8, RAPID_V4) if n in base}
                results["scaling"] = latency.scaling(server.url, line_readers, renderer,
                                                     char_counts=budget.char_counts, line_counts=budget.line_counts,
                                                     repeats=budget.scaling_repeats)
                server.sample_rss()

            def run_load() -> None:
                load_page = renderer.uniform_page(5, chars_per_line=16)
                results["load"] = {"image_lines": len(load_page.lines), **load.run_load(
                    server.url, load_page.image, levels=budget.load_levels, miss_requests=budget.load_miss_requests,
                    hit_requests=budget.load_hit_requests, time_limit_s=budget.load_time_limit_s)}

            for name, fn in (("pages", run_pages), ("scaling", run_scaling), ("load", run_load)):
                if name in args.only:
                    section(name, fn)
            results["rss"] = server.rss_report()
        except ServerStartError as exc:
            notes.append(f"our gunicorn could not be started, HTTP sections skipped: {exc}")
            log.error("gunicorn did not start: %s", exc)
        finally:
            server.stop()
    results["wall_s"] = round(time.time() - started, 1)
    results["raw"] = raw
    return results


def write_results(results: dict[str, object], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    raw = results.pop("raw", {})
    stamp = str(results["started_utc"]).replace("-", "").replace(":", "")
    name = f"run-{stamp}{'-quick' if results['quick'] else ''}.json"
    text = json.dumps(results, ensure_ascii=False, indent=1, sort_keys=False)
    (out / name).write_text(text + "\n", encoding="utf-8")
    (out / "latest.json").write_text(text + "\n", encoding="utf-8")
    (out / "raw").mkdir(exist_ok=True)
    (out / "raw" / f"{stamp}-predictions.json").write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
    md_path = out / "latest.md"
    md_path.write_text(report.render(results), encoding="utf-8")
    return out / name, md_path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join(["python -m bench.run", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("httpx", "service"):  # one line per HTTP request / in-process page
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        results = run(args, command)
    except ModelLoadError as exc:
        print(f"bench: our model cannot be loaded: {exc}", file=sys.stderr)
        return 2
    json_path, md_path = write_results(results, args.out)
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
