"""The trainer as a program: starts forked data workers, trains, saves, and resumes.

Catches the hang that stopped a GPU run: forked workers that reconfigure OpenCV's thread pool
after the trainer had used it never yield a batch (the subprocess timeout turns that into a
failure instead of a stuck suite). The resumed half runs with ``--bf16``, so the autocast path
trains from a float32 checkpoint and logs a finite CTC loss.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _train(ckpt: Path, log: Path, max_steps: int, *extra: str) -> None:
    subprocess.run([sys.executable, "-m", "model.train", "--ckpt", str(ckpt), "--log", str(log),
                    "--max-steps", str(max_steps), "--workers", "2", "--batch-size", "4",
                    "--max-chars", "12", "--long-line-share", "0", "--eval-lines", "8",
                    "--eval-every", "2", "--log-every", "1", *extra],
                   cwd=ROOT, check=True, timeout=240, capture_output=True)


def test_trains_with_forked_workers_saves_and_resumes(tmp_path: Path) -> None:
    ckpt, log = tmp_path / "ckpt.pt", tmp_path / "train.log"
    _train(ckpt, log, 2)
    assert ckpt.exists()
    _train(ckpt, log, 4, "--bf16")  # resumes at step 2, forward pass under bfloat16 autocast
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3, 4]
    assert [r["samples"] for r in records if "loss" in r] == [4, 8, 12, 16]
    assert all(0 <= r["eval_held_out_fonts_ema"]["cer"] for r in records if "eval_held_out_fonts" in r)
    assert all(math.isfinite(r["loss"]) and r["loss"] > 0 for r in records if "loss" in r)
