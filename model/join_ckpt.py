"""Split a training checkpoint into files under 16 MB, and join them back.

The device tool returns files of at most 16 MB; a checkpoint holds the weights and their
average (12 MB each) plus the AdamW moments (24 MB). ``--split`` writes ``ckpt_model.pt``
(weights, step, samples, config) and ``ckpt_ema.pt`` (the average) and leaves the moments out,
as committed checkpoints do; joining gives a checkpoint ``model.train`` resumes from.

    python -m model.join_ckpt --split /tmp/ckpt.pt OUT_DIR
    python -m model.join_ckpt OUT_DIR model/ckpt/crnn_last.pt
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

MODEL_PART, EMA_PART = "ckpt_model.pt", "ckpt_ema.pt"


def split(ckpt: Path, out: Path) -> None:
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    state.pop("optimizer", None)
    torch.save({"ema": state.pop("ema")}, out / EMA_PART)
    torch.save(state, out / MODEL_PART)


def join(parts: Path, ckpt: Path) -> None:
    state = torch.load(parts / MODEL_PART, map_location="cpu", weights_only=False)
    state.update(torch.load(parts / EMA_PART, map_location="cpu", weights_only=False))
    torch.save(state, ckpt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", action="store_true", help="SRC is a checkpoint, DEST a folder")
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if args.split:
        split(args.src, args.dest)
    else:
        join(args.src, args.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
