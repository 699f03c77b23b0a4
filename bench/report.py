"""Markdown report of one bench run (the JSON written by bench.run is the input).

The formatting helpers are pure and unit-tested; ``render`` only arranges measured numbers,
computes ratios between systems measured in the same run, and prints goals beside them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

OURS = "ours int8"
OURS_FP32 = "ours fp32"
OURS_HTTP = "ours int8 (HTTP)"
PPOCR_V4 = "RapidOCR PP-OCRv4"
TESSERACT = "Tesseract"
SEED_MS_PER_IMAGE = 947.0
SEED_PYTORCH_MS_PER_IMAGE = 1680.0
SEED_NOTE = ("The seed's claims (article 001, NOT measured here): 947 ms per image with ONNX + int8 on a "
             "14-core Xeon E5-2680 v4, 1680 ms with PyTorch on CPU, int8 ~1.8x faster than fp32, "
             "93.5% F1 on 500 private images.")


def fmt(value: object, digits: int = 1) -> str:
    """Cell text: n/a for missing values, fixed decimals for floats."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; ``|`` inside cells is escaped, None prints as n/a."""
    def cell(v: object) -> str:
        return (v if isinstance(v, str) else fmt(v)).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, table has {len(headers)} columns")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def speedup(ours_ms: float | None, peer_ms: float | None) -> float | None:
    """peer time / our time: > 1 means ours is faster."""
    if not ours_ms or not peer_ms:
        return None
    return peer_ms / ours_ms


def ratio_text(ours_ms: float | None, peer_ms: float | None) -> str:
    """'ours/peer 0.31 (3.2x faster)' style text from two times."""
    s = speedup(ours_ms, peer_ms)
    if s is None or ours_ms is None or peer_ms is None:
        return "n/a"
    verdict = f"{s:.1f}x faster" if s >= 1 else f"{1 / s:.1f}x slower"
    return f"{ours_ms / peer_ms:.2f} ({verdict})"


def goal_status(value: float | None, goal: float, *, higher_is_better: bool = True) -> str:
    if value is None:
        return "n/a"
    met = value >= goal if higher_is_better else value <= goal
    return "met" if met else "NOT met"


def _get(d: object, *keys: object) -> object:
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


def _map(d: object) -> Mapping[str, object]:
    return d if isinstance(d, Mapping) else {}


def _p50(d: object, *keys: object) -> float | None:
    v = _get(d, *keys, "p50_ms")
    return float(v) if isinstance(v, (int, float)) else None


# --- sections -------------------------------------------------------------------------------
def _header(r: Mapping[str, object]) -> list[str]:
    m = r.get("machine", {})
    out = [f"# OCR benchmark ({'quick' if r.get('quick') else 'full'} run, {r.get('started_utc')})", "",
           f"Machine: {_get(m, 'cpu')}, {_get(m, 'usable_cpus')} usable CPUs, load average at start "
           f"{_get(m, 'load_average_at_start')}; Python {_get(m, 'python')}, onnxruntime {_get(m, 'onnxruntime')}; "
           f"commit {_get(m, 'git_commit')}; wall time {r.get('wall_s')} s. Command: `{r.get('command')}`.", "",
           "Every number below was measured in this run on this machine, systems one after another. "
           "Ratios are ours/peer times (below 1 = ours faster).", ""]
    systems = r.get("systems", {})
    if isinstance(systems, Mapping) and systems:
        rows = [[name, ", ".join(f"{k}={v}" for k, v in d.items() if k not in ("system", "threads")),
                 d.get("threads")] for name, d in systems.items()]
        out += ["Systems and threads (every system gets the same thread count):", "",
                md_table(["system", "details", "threads"], rows), ""]
    skipped = _map(r.get("skipped"))
    notes = r.get("notes")
    for name, why in skipped.items():
        out.append(f"- **{name} not measured**: {why}")
    for note in notes if isinstance(notes, list) else []:
        out.append(f"- Note: {note}")
    if skipped or r.get("notes"):
        out.append("")
    return out


def _targets(r: Mapping[str, object]) -> list[str]:
    rows: list[list[object]] = []
    for t, fixed in _map(_get(r, "latency", "fixed_shape")).items():
        s = speedup(_p50(fixed, OURS), _p50(fixed, PPOCR_V4))
        rows.append([f"per line, bare model, {t} thread(s): PP-OCRv4 rec time / ours int8", fmt(s, 2) + "x", ">= 3x",
                     goal_status(s, 3)])
        per_line = _get(r, "latency", "per_line", t)
        s = speedup(_p50(per_line, OURS), _p50(per_line, PPOCR_V4))
        rows.append([f"per line, line API incl. preprocessing, {t} thread(s): PP-OCRv4 / ours int8", fmt(s, 2) + "x",
                     ">= 3x", goal_status(s, 3)])
    overall = _get(r, "pages", "overall")
    if overall:
        ours = _p50(overall, OURS_HTTP)
        s = speedup(ours, _p50(overall, PPOCR_V4))
        rows.append(["per page via HTTP (p50 over all pages): RapidOCR v4 full pipeline / ours", fmt(s, 2) + "x", ">= 2x",
                     goal_status(s, 2)])
        s = speedup(ours, SEED_MS_PER_IMAGE)
        rows.append(["per page via HTTP vs the seed's claimed 947 ms (not measured here)", fmt(s, 1) + "x", ">= 10x",
                     goal_status(s, 10)])
    load = r.get("load")
    if isinstance(load, Mapping) and load.get("misses") and load.get("hits"):
        miss, hit = load["misses"][0], load["hits"][0]
        s = speedup(_p50(hit), _p50(miss))
        rows.append([f"cache hit vs miss, p50 at concurrency {miss['concurrency']}", fmt(s, 1) + "x", ">= 20x",
                     goal_status(s, 20)])
        top = max(load["misses"] + load["hits"], key=lambda x: x["concurrency"])["concurrency"]
        errs = sum(x["errors"] for x in load["misses"] + load["hits"] if x["concurrency"] == top)
        p99 = [x.get("p99_ms") for x in load["misses"] + load["hits"] if x["concurrency"] == top]
        rows.append([f"errors at concurrency {top} (p99 miss / hit ms: {' / '.join(fmt(p) for p in p99)})", errs, "0",
                     goal_status(float(errs), 0, higher_is_better=False)])
    acc = r.get("accuracy")
    if isinstance(acc, Mapping):
        worse, gaps = [], []
        for set_name in ("real_dev_lines", "synth_lines"):
            scores = acc.get(set_name)
            if not isinstance(scores, Mapping) or OURS not in scores:
                continue
            for subset, ours in scores[OURS].items():
                if not isinstance(ours, Mapping):
                    continue
                tess = _get(scores, TESSERACT, subset, "cer")
                if tess is not None and ours["cer"] >= tess:
                    worse.append(f"{set_name}/{subset}")
                v4 = _get(scores, PPOCR_V4, subset, "cer")
                if v4 is not None and subset == "all":
                    gaps.append(f"{set_name}: {100 * (ours['cer'] - v4):+.1f} pts")
        pages = _get(acc, "pages", "mean")
        if isinstance(pages, Mapping) and OURS in pages and TESSERACT in pages:
            if pages[OURS]["cer"] >= pages[TESSERACT]["cer"]:
                worse.append("pages")
        rows.append(["CER of ours int8 below Tesseract on every set",
                     "below on all" if not worse else "not below on: " + ", ".join(worse), "every set",
                     "met" if not worse else "NOT met"])
        rows.append(["CER gap ours int8 minus RapidOCR PP-OCRv4 (reported, no goal)", "; ".join(gaps) or "n/a", "-", "-"])
    if not rows:
        return []
    return ["## Targets (goals, not assertions)", "", md_table(["target", "measured", "goal", "status"], rows), ""]


def _accuracy(r: Mapping[str, object]) -> list[str]:
    acc = r.get("accuracy")
    if not isinstance(acc, Mapping):
        return []
    out = ["## 1. Accuracy", "",
           "Cells: CER / CER without spaces / exact lines. CER = edits / reference characters after the "
           "shared normalisation (model.metrics.score); 'without spaces' removes all whitespace on both sides "
           "(real-dev's peer-comparable CER); exact = exact-line accuracy. ratio = ours int8 CER / system CER "
           "(all lines). ms/line = wall time of reading the whole set in one call (batched where the system "
           "batches; Tesseract: one process for the set).", ""]
    titles = {"real_dev_lines": "real-dev lines (real images)",
              "synth_lines": "synthetic lines in held-out fonts (raw images to peers, prepare_line to ours)"}
    for key, title in titles.items():
        scores = acc.get(key)
        if not isinstance(scores, Mapping):
            continue
        subsets = [s for s in ("all", "en", "zh", "mixed") if any(s in v for v in scores.values())]
        headers = ["system"]
        for s in subsets:
            n = next((v[s]["lines"] for v in scores.values() if s in v), 0)
            headers.append(f"{s} (n={n})")
        headers += ["ratio", "ms/line (batch)"]
        ours_cer = _get(scores, OURS, "all", "cer")
        rows = []
        for name, v in scores.items():
            row: list[object] = [name]
            for s in subsets:
                row.append(f"{fmt_pct(_get(v, s, 'cer'))} / {fmt_pct(_get(v, s, 'cer_nospace'))} / "
                           f"{fmt_pct(_get(v, s, 'line_accuracy'), 0)}")
            peer_cer = _get(v, "all", "cer")
            row += ["-" if name == OURS else (fmt(ours_cer / peer_cer, 2) if ours_cer is not None and peer_cer else "n/a"),
                    fmt(v.get("ms_per_line"))]
            rows.append(row)
        out += [f"### {title}", "", md_table(headers, rows), ""]
    pages = acc.get("pages")
    if isinstance(pages, Mapping):
        systems = list(pages.get("mean", {}).keys())
        rows = []
        for pid, row in pages["pages"].items():
            rows.append([pid, row["kind"], row["ref_lines"]] +
                        [f"F1 {fmt(_get(row, s, 'f1'), 2)} / CER {fmt_pct(_get(row, s, 'cer'))}" for s in systems])
        rows.append(["mean", "", ""] + [f"F1 {fmt(pages['mean'][s]['f1'], 2)} / CER {fmt_pct(pages['mean'][s]['cer'])}"
                                        for s in systems])
        out += ["### pages (bag-of-lines F1, CER of the concatenated text)", "",
                "F1 matches whole normalised lines, order ignored; the page CER joins lines in each system's "
                "reading order, so on sign-like layouts (no single reading order) it also counts order.", "",
                md_table(["page", "kind", "lines"] + systems, rows), ""]
    return out


def _latency(r: Mapping[str, object]) -> list[str]:
    lat = r.get("latency")
    if not isinstance(lat, Mapping):
        return []
    out = ["## 2. Latency per line (recognition only)", ""]
    for key, title in (("fixed_shape", "bare model on its 320-px input: ours (1,1,32,320), PP-OCR (1,3,48,320)"),
                       ("per_line", "line API on real lines, one line per call (preprocessing + model + decoding; "
                                    "Tesseract: one process per line, traineddata load included)")):
        rows = []
        for t, systems in lat.get(key, {}).items():
            ours = _p50(systems, OURS)
            for name, v in systems.items():
                rows.append([name, t, fmt(v["p50_ms"], 2), fmt(v["p95_ms"], 2), v["n"],
                             "-" if name == OURS else ratio_text(ours, v["p50_ms"])])
        out += [f"### {title}", "", md_table(["system", "threads", "p50 ms", "p95 ms", "n", "ours int8 / system (p50)"], rows), ""]
    bs = lat.get("batch_size")
    if isinstance(bs, Mapping):
        sizes = [k for k in bs if k not in ("page", "lines")]
        out += [f"### ours int8: Recognizer batch_size on one page ({bs['lines']} line crops of {bs['page']}, in-process)", "",
                md_table(["batch_size", "p50 ms (all lines)", "ms per line"],
                         [[k, fmt(bs[k]["p50_ms"]), fmt(bs[k]["ms_per_line"], 2)] for k in sizes]), ""]
    return out


def _pages(r: Mapping[str, object]) -> list[str]:
    pages = r.get("pages")
    out: list[str] = []
    if isinstance(pages, Mapping):
        systems = list(pages["overall"].keys())
        rows = []
        for pid, row in pages["pages"].items():
            ours = _p50(row, OURS_HTTP)
            cells: list[object] = [pid, row["lines"], f"{row['size'][0]}x{row['size'][1]}"]
            for s in systems:
                cells.append(f"{fmt(_p50(row, s), 0)} / {fmt(_get(row, s, 'p95_ms'), 0)}")
            cells.append("; ".join(f"{s}: {ratio_text(ours, _p50(row, s))}" for s in systems if s != OURS_HTTP))
            rows.append(cells)
        overall = pages["overall"]
        ours = _p50(overall, OURS_HTTP)
        rows.append(["all pages", "", ""] + [f"{fmt(_p50(overall, s), 0)} / {fmt(_get(overall, s, 'p95_ms'), 0)}"
                                              for s in systems] +
                    ["; ".join(f"{s}: {ratio_text(ours, _p50(overall, s))}" for s in systems if s != OURS_HTTP)])
        for label, ms in (("ONNX int8", SEED_MS_PER_IMAGE), ("PyTorch CPU", SEED_PYTORCH_MS_PER_IMAGE)):
            rows.append([f"seed's claim, {label} (NOT measured here)", "", "", f"{ms:.0f} (14-core Xeon)"] +
                        ["" for _ in systems[1:]] + [f"ours/seed {ratio_text(ours, ms)}"])
        out += ["## Per page, end to end", "",
                f"Ours: HTTP POST /ocr to gunicorn on 127.0.0.1 (a cache miss every request: one pixel changed). "
                f"Peers: their full pipeline in-process on the decoded image. Cells: p50 / p95 ms.", "",
                md_table(["page", "lines", "size"] + systems + ["ours/peer (p50)"], rows), "", SEED_NOTE, ""]
        breakdown = [[pid] + [fmt(_get(row, OURS_HTTP, "server_timings_p50_ms", k)) for k in
                              ("decode_ms", "preprocess_ms", "inference_ms", "total_ms")] + [fmt(_p50(row, OURS_HTTP), 1)]
                     for pid, row in pages["pages"].items()]
        out += ["Where our time goes (the service's own JSON timings, p50 ms; client = HTTP round trip):", "",
                md_table(["page", "decode", "preprocess", "inference", "server total", "client"], breakdown), ""]
    cold, rss, gun = r.get("cold_start"), r.get("rss"), r.get("gunicorn")
    if isinstance(cold, Mapping):
        out += [f"Cold start (gunicorn process start to first OCR answer): {fmt(cold['first_answer_ms'], 0)} ms "
                f"(port accepting connections after {fmt(cold['listening_ms'], 0)} ms); workers: {_get(gun, 'workers')}, "
                f"ORT threads per worker: {_get(gun, 'threads')}.", ""]
    if isinstance(rss, Mapping):
        out += [f"Peak RSS per worker (VmHWM): {rss['peak_rss_mib_per_worker']} MiB (max "
                f"{rss['max_worker_peak_rss_mib']} MiB); master {rss['master_peak_rss_mib']} MiB.", ""]
    return out


def _int8_vs_fp32(r: Mapping[str, object]) -> list[str]:
    systems = r.get("systems", {})
    if not isinstance(systems, Mapping) or OURS_FP32 not in systems:
        return []
    rows = []
    for name in (OURS, OURS_FP32):
        row: list[object] = [name, fmt(systems[name]["model_bytes"] / 1e6, 2)]
        for t in (_get(r, "latency", "fixed_shape") or {}):
            row += [fmt(_p50(r["latency"]["fixed_shape"][t], name), 2), fmt(_p50(r["latency"]["per_line"][t], name), 2)]
        for key in ("real_dev_lines", "synth_lines"):
            row.append(fmt_pct(_get(r, "accuracy", key, name, "all", "cer")))
        rows.append(row)
    headers = ["model", "MB"]
    for t in (_get(r, "latency", "fixed_shape") or {}):
        headers += [f"bare p50 ms ({t}t)", f"line API p50 ms ({t}t)"]
    headers += ["real-dev CER", "synth CER"]
    out = ["## 3. int8 vs fp32 (ours)", "", md_table(headers, rows), ""]
    for t, fixed in _map(_get(r, "latency", "fixed_shape")).items():
        s = speedup(_p50(fixed, OURS), _p50(fixed, OURS_FP32))
        out.append(f"- {t} thread(s): int8 is {fmt(s, 2)}x the speed of fp32 (bare model); the seed claimed 1.8x.")
    return out + [""]


def _load(r: Mapping[str, object]) -> list[str]:
    load = r.get("load")
    if not isinstance(load, Mapping):
        return []
    rows = []
    for kind in ("misses", "hits"):
        for x in load[kind]:
            rows.append([kind[:-2] if kind == "misses" else "hit", x["concurrency"], f"{x['requests']}/{x['planned']}",
                         fmt(x["rps"]), fmt(x.get("p50_ms")), fmt(x.get("p95_ms")), fmt(x.get("p99_ms")),
                         x["errors"], ", ".join(f"{k}:{v}" for k, v in x["cached_flags"].items())])
    return ["## 4. Throughput under load (our gunicorn, 127.0.0.1)", "",
            f"Image {load['image_size'][0]}x{load['image_size'][1]} px, {load.get('image_lines')} lines; time limit "
            f"{load['time_limit_s_per_level']} s per level; the client runs on the same CPUs.", "",
            md_table(["cache", "concurrency", "done/planned", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
                      "cached flags"], rows), ""]


def _scaling(r: Mapping[str, object]) -> list[str]:
    sc = r.get("scaling")
    if not isinstance(sc, Mapping):
        return []
    out = ["## 5. Scaling", ""]
    width = sc.get("line_width", {})
    if width:
        systems = list(width.keys())
        counts = list(next(iter(width.values()))["p50_ms_by_chars"].keys())
        rows = [[n, sc["line_width_px"][n]] + [fmt(width[s]["p50_ms_by_chars"][n], 2) for s in systems] for n in counts]
        rows.append(["fit: ms per char (R^2)", ""] + [f"{width[s]['fit']['slope']:.3f} (R^2 {width[s]['fit']['r2']:.3f})"
                                                      for s in systems])
        out += ["Latency vs characters per line (one line, rec only, p50 ms):", "",
                md_table(["chars", "width px"] + systems, rows), ""]
    pl = sc.get("page_lines")
    if isinstance(pl, Mapping):
        rows = [[n, fmt(v, 1)] for n, v in pl["p50_ms_by_lines"].items()]
        rows.append(["fit: ms per line (R^2)", f"{pl['fit']['slope']:.2f} (R^2 {pl['fit']['r2']:.3f}), "
                                               f"intercept {pl['fit']['intercept']:.1f} ms"])
        out += ["Latency vs lines per page (ours via HTTP, 24 hanzi per line, p50 ms):", "",
                md_table(["lines", "ours int8 (HTTP) p50 ms"], rows), ""]
    return out


def render(results: Mapping[str, object]) -> str:
    parts = (_header(results) + _targets(results) + _accuracy(results) + _latency(results) + _pages(results)
             + _int8_vs_fp32(results) + _load(results) + _scaling(results))
    return "\n".join(parts).rstrip() + "\n"
