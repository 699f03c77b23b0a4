"""fp32 vs int8, side by side in one run: file size, per-line latency at 1 and 2 threads, CER and
exact-line accuracy on synthetic lines in held-out fonts and on real-dev. Writes the table into
model/MODEL_CARD.md between the ``compare`` markers.

    python -m quantize.compare [--lines 300] [--real-dev ../shared/data/real-dev]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from model.charset import Charset
from model.evaluate import evaluate, held_out_lines, real_dev_lines, recognize_all
from model.recognizer import Recognizer
from model.session import describe_cpu

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "model"
START, END = "<!-- compare:start -->", "<!-- compare:end -->"


def latency_ms(rec: Recognizer, line: np.ndarray, repeats: int) -> tuple[float, float]:
    """(p50, p95) ms of recognising one line."""
    rec.recognize([line])
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        rec.recognize([line])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def latency_probe(line: np.ndarray, width_px: int = 320) -> np.ndarray:
    """``line`` cropped or right-padded with white to (32, width_px), the shape latency is quoted for."""
    probe = np.full((line.shape[0], width_px), 255, dtype=np.uint8)
    width = min(width_px, line.shape[1])
    probe[:, :width] = line[:, :width]
    return probe


def run(fp32: Path, int8: Path, charset_path: Path, n_lines: int, repeats: int, real_dev: Path | None) -> dict:
    charset = Charset.load(charset_path)
    synth = held_out_lines(charset, n_lines)
    real = real_dev_lines(real_dev) if real_dev and (real_dev / "labels.jsonl").exists() else []
    probe = latency_probe(synth[0][0])
    report: dict = {"machine": f"{platform.machine()}, {describe_cpu()}, {len(os.sched_getaffinity(0))} usable cores",
                    "held_out_lines": n_lines, "real_dev_lines": len(real), "models": {}}
    for name, path in (("fp32", fp32), ("int8", int8)):
        entry: dict = {"file_mb": round(path.stat().st_size / 1e6, 2)}
        for threads in (1, 2):
            rec = Recognizer(path, charset_path, intra_threads=threads)
            p50, p95 = latency_ms(rec, probe, repeats)
            entry[f"latency_{threads}t_p50_ms"] = round(p50, 2)
            entry[f"latency_{threads}t_p95_ms"] = round(p95, 2)
        entry.update(evaluate(path, charset_path, synth, real))
        # the held-out lines read again for the agreement ratio: 2 s that keep evaluate() simple
        entry["held_out_preds"] = recognize_all(Recognizer(path, charset_path, intra_threads=2),
                                                [ln for ln, _ in synth])
        report["models"][name] = entry
    f, q = report["models"]["fp32"], report["models"]["int8"]
    report["int8_vs_fp32"] = {
        "speedup_1t": round(f["latency_1t_p50_ms"] / q["latency_1t_p50_ms"], 2),
        "speedup_2t": round(f["latency_2t_p50_ms"] / q["latency_2t_p50_ms"], 2),
        "size_ratio": round(q["file_mb"] / f["file_mb"], 3),
        "cer_delta_points": round(100 * (q["held_out"]["cer"] - f["held_out"]["cer"]), 2),
        "agreement": round(sum(a == b for a, b in zip(f["held_out_preds"], q["held_out_preds"])) / max(1, n_lines), 4),
    }
    for entry in report["models"].values():
        del entry["held_out_preds"]
    return report


def to_markdown(report: dict) -> str:
    rows = ["| model | file MB | 1 thread p50 / p95 ms | 2 threads p50 / p95 ms | held-out CER | held-out exact | real-dev CER | real-dev exact |",
            "|---|---|---|---|---|---|---|---|"]
    for name, e in report["models"].items():
        rd = e.get("real_dev", {})
        rows.append(f"| {name} | {e['file_mb']} | {e['latency_1t_p50_ms']} / {e['latency_1t_p95_ms']} | "
                    f"{e['latency_2t_p50_ms']} / {e['latency_2t_p95_ms']} | {e['held_out']['cer']:.2%} | "
                    f"{e['held_out']['line_accuracy']:.2%} | {rd.get('cer', float('nan')):.2%} | "
                    f"{rd.get('line_accuracy', float('nan')):.2%} |")
    r = report["int8_vs_fp32"]
    rows.append("")
    rows.append(f"int8 vs fp32: {r['speedup_1t']}x faster at 1 thread, {r['speedup_2t']}x at 2 threads, "
                f"file {r['size_ratio']:.1%} of fp32, CER {r['cer_delta_points']:+.2f} points, "
                f"same text on {r['agreement']:.1%} of held-out lines.")
    rows.append(f"Latency: one 32x320 line. Held-out: {report['held_out_lines']} synthetic lines in fonts never "
                f"used in training; real-dev: {report['real_dev_lines']} real line images. Machine: {report['machine']}.")
    return "\n".join(rows)


def write_card(card: Path, table: str) -> None:
    text = card.read_text(encoding="utf-8") if card.exists() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    card.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fp32", type=Path, default=MODEL_DIR / "crnn.onnx")
    parser.add_argument("--int8", type=Path, default=MODEL_DIR / "crnn.int8.onnx")
    parser.add_argument("--charset", type=Path, default=MODEL_DIR / "charset.txt")
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--real-dev", type=Path, default=ROOT.parent / "shared" / "data" / "real-dev")
    parser.add_argument("--card", type=Path, default=MODEL_DIR / "MODEL_CARD.md")
    parser.add_argument("--json", type=Path, help="also write the raw report here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    report = run(args.fp32, args.int8, args.charset, args.lines, args.repeats, args.real_dev)
    table = to_markdown(report)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    write_card(args.card, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
