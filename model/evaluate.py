"""Score ONNX models side by side on the same lines: synthetic lines in the held-out fonts (a
given count and seed) and real-dev, overall and per language. The command behind the model
card's checkpoint-to-checkpoint numbers, so each of them can be re-run:

    python -m model.evaluate model/crnn.int8.onnx /tmp/new.int8.onnx --lines 600 --seed 5

Every model reads the very same preprocessed lines (rendered once, through the serving
``prepare_line``), so differences between the columns are the models' alone.

``--ablate`` also renders those held-out lines with each degradation of the data engine switched
off in turn, and with none, the same texts in the same fonts (``synth.DEGRADATIONS``), and tells
where the remaining errors come from:

    python -m model.evaluate model/crnn.int8.onnx --lines 600 --seed 5 --real-dev '' --ablate
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from model.charset import Charset
from model.metrics import score
from model.recognizer import Recognizer
from model.synth import DEGRADATIONS, LineSynthesizer
from preprocess import PreprocessConfig, prepare_line
from preprocess.enhance import to_grayscale

ROOT = Path(__file__).resolve().parent.parent
REAL_DEV = ROOT.parent / "shared" / "data" / "real-dev"
LANGS = ("en", "zh", "mixed")


def held_out_lines(charset: Charset, n: int, seed: int = 424242,
                   skip: frozenset[str] = frozenset()) -> list[tuple[np.ndarray, str]]:
    """``n`` (model input, text) pairs rendered in the held-out fonts only, without the
    degradations named in ``skip`` (the same texts and fonts whatever is skipped)."""
    synth = LineSynthesizer(charset, held_out=True, seed=seed, skip_degradations=skip)
    return [synth.sample() for _ in range(n)]


def ablation_sets(charset: Charset, n: int, seed: int) -> dict[str, list[tuple[np.ndarray, str]]]:
    """``held_out_lines(charset, n, seed)`` without each degradation in turn, and without any."""
    sets = {}
    for name in DEGRADATIONS:
        sets[f"without {name}"] = held_out_lines(charset, n, seed, frozenset({name}))
    sets["no degradation"] = held_out_lines(charset, n, seed, frozenset(DEGRADATIONS))
    return sets


def ablate(model: Path, charset_path: Path, sets: dict[str, list[tuple[np.ndarray, str]]],
           threads: int = 2) -> dict[str, dict]:
    """Scores of one model on each set of ``ablation_sets``."""
    rec = Recognizer(model, charset_path, intra_threads=threads)
    return {name: score_lines(rec, lines) for name, lines in sets.items()}


def real_dev_lines(root: Path) -> list[tuple[np.ndarray, str, str]]:
    """(line, label, lang) for every real-dev line image, through the serving preprocessing."""
    cfg = PreprocessConfig()
    out = []
    for row in map(json.loads, (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()):
        gray = to_grayscale(np.asarray(Image.open(root / row["file"]).convert("RGB")))
        out.append((prepare_line(gray, cfg), row["text"], row["lang"]))
    return out


def recognize_all(rec: Recognizer, lines: list[np.ndarray]) -> list[str]:
    return [r.text for r in rec.recognize(lines)]


def score_lines(rec: Recognizer, lines: list[tuple[np.ndarray, str]]) -> dict:
    """Score of ``rec`` on (model input, text) pairs."""
    return score(zip(recognize_all(rec, [ln for ln, _ in lines]), [t for _, t in lines])).to_dict()


def evaluate(model: Path, charset_path: Path, synth: list[tuple[np.ndarray, str]],
             real: list[tuple[np.ndarray, str, str]], threads: int = 2) -> dict[str, dict]:
    """Scores of one model: ``held_out``, ``real_dev`` and ``real_dev_<lang>`` (where present)."""
    rec = Recognizer(model, charset_path, intra_threads=threads)
    out = {"held_out": score_lines(rec, synth)}
    if real:
        preds = recognize_all(rec, [ln for ln, _, _ in real])
        out["real_dev"] = score(zip(preds, [t for _, t, _ in real])).to_dict()
        for lang in LANGS:
            pairs = [(p, t) for p, (_, t, lg) in zip(preds, real) if lg == lang]
            if pairs:
                out[f"real_dev_{lang}"] = score(pairs).to_dict()
    return out


def to_markdown(results: dict[str, dict[str, dict]]) -> str:
    sets = [s for s in ("held_out", "real_dev", *(f"real_dev_{lg}" for lg in LANGS))
            if all(s in r for r in results.values())]
    rows = ["| model | " + " | ".join(f"{s} CER / exact" for s in sets) + " |",
            "|---|" + "---|" * len(sets)]
    for name, r in results.items():
        rows.append(f"| {name} | " + " | ".join(f"{r[s]['cer']:.2%} / {r[s]['line_accuracy']:.1%}" for s in sets) + " |")
    return "\n".join(rows)


def ablation_markdown(results: dict[str, dict[str, dict]]) -> str:
    """One row per ablation set, one column per model: CER / exact lines."""
    models = list(results)
    rows = ["| held-out lines | " + " | ".join(f"{m} CER / exact" for m in models) + " |",
            "|---|" + "---|" * len(models)]
    for name in next(iter(results.values())):
        rows.append(f"| {name} | " + " | ".join(
            f"{results[m][name]['cer']:.2%} / {results[m][name]['line_accuracy']:.1%}" for m in models) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", type=Path, nargs="+", help="ONNX files (fp32 or int8)")
    parser.add_argument("--charset", type=Path, default=ROOT / "model" / "charset.txt")
    parser.add_argument("--lines", type=int, default=600, help="held-out synthetic lines")
    parser.add_argument("--seed", type=int, default=5, help="seed of the held-out lines")
    parser.add_argument("--real-dev", type=Path, default=REAL_DEV, help="'' to skip")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ablate", action="store_true",
                        help="also score the held-out lines without each degradation in turn")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)
    charset = Charset.load(args.charset)
    synth = held_out_lines(charset, args.lines, args.seed)
    real = real_dev_lines(args.real_dev) if (args.real_dev / "labels.jsonl").is_file() else []
    results = {str(m): evaluate(m, args.charset, synth, real, args.threads) for m in args.models}
    print(f"{args.lines} held-out lines (seed {args.seed}), {len(real)} real-dev lines")
    print(to_markdown(results))
    if args.ablate:
        sets = ablation_sets(charset, args.lines, args.seed)  # the full set is scored above already
        ablations = {str(m): {"all degradations": results[str(m)]["held_out"],
                              **ablate(m, args.charset, sets, args.threads)} for m in args.models}
        print(ablation_markdown(ablations))
        for name, r in results.items():
            r["ablation"] = ablations[name]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
