"""Grow a trained CRNN wider without changing what it computes (Net2Net-style, zero links).

Why: on the 2-core CPU the s125069 model read training-font lines worse (4.3 % CER) than
held-out ones (3.3 %), and its held-out curve had been flat for 40k steps: it underfits, so it
needs capacity, and training a wider model from scratch costs the ~2 M lines it has seen. A
grown model starts exactly where the trained one stands and trains on from there.

Every old unit keeps its weights, and its weights from new units are zero: new conv channels,
new LSTM units and the columns they add to the next layer. So the old units compute what they
did, and since the next layer reads new units through zero weights, the output is unchanged.
The new units' own weights start from torch's default init; the zero links get gradient from
the first step (the new units are not silent), so training grows them. Works for BatchNorm in
train and eval mode (a new channel's statistics reach nothing until its links grow).

    python -m model.grow --ckpt model/ckpt/crnn_last.pt --out model/runs/ckpt.pt \\
        --widths 32 64 96 128 224 224 320 --hidden 192
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from model.crnn import CRNN

GATES = 4  # torch LSTM rows: input, forget, cell, output gates, each ``hidden`` rows


def _grow_rows(old: torch.Tensor, new: torch.Tensor, blocks: int) -> None:
    """Copy ``old`` into the leading rows of each of ``blocks`` equal row blocks of ``new`` and zero
    the old rows' links to new inputs (the extra columns); new rows keep their init."""
    old_n, new_n = old.shape[0] // blocks, new.shape[0] // blocks
    for b in range(blocks):
        rows = slice(b * new_n, b * new_n + old_n)
        if old.dim() == 1:
            new[rows] = old[b * old_n:(b + 1) * old_n]
            continue
        new[rows] = 0
        new[rows, :old.shape[1]] = old[b * old_n:(b + 1) * old_n]


def grow_state(old: dict[str, torch.Tensor], old_model: CRNN, new_model: CRNN) -> dict[str, torch.Tensor]:
    """The state dict of ``new_model`` that computes what ``old`` (for ``old_model``) computes."""
    hidden_old, hidden_new = old_model.config["hidden"], new_model.config["hidden"]
    grown = {k: v.clone() for k, v in new_model.state_dict().items()}
    for key, new in grown.items():
        src = old[key]
        if src.shape == new.shape:
            new.copy_(src)
        elif key.startswith("rnn."):  # gate rows; weight_hh's extra columns are the new units' state
            _grow_rows(src, new, GATES)
        elif key == "head.weight":  # columns: [forward hidden | backward hidden]
            new.zero_()
            new[:, :hidden_old] = src[:, :hidden_old]
            new[:, hidden_new:hidden_new + hidden_old] = src[:, hidden_old:]
        elif key.startswith("cnn.") and src.dim() == 4:  # conv (out, in, kh, kw)
            _grow_rows(src, new, 1)
        elif key.startswith("cnn."):  # BatchNorm vectors: new channels keep gamma 1, beta 0, mean 0, var 1
            new[:src.shape[0]] = src
        else:
            raise ValueError(f"do not know how to grow {key} from {tuple(src.shape)} to {tuple(new.shape)}")
    return grown


def grow_model(old_model: CRNN, widths: tuple[int, ...], hidden: int, seed: int = 0) -> CRNN:
    """A wider CRNN (every width >= the old one) that computes what ``old_model`` computes."""
    cfg = old_model.config
    if len(widths) != len(cfg["widths"]) or any(n < o for n, o in zip(widths, cfg["widths"])) \
            or hidden < cfg["hidden"]:
        raise ValueError(f"can only widen: {cfg['widths']}/{cfg['hidden']} -> {list(widths)}/{hidden}")
    torch.manual_seed(seed)
    new_model = CRNN(cfg["num_classes"], widths=tuple(widths), hidden=hidden)
    new_model.load_state_dict(grow_state(old_model.state_dict(), old_model, new_model))
    return new_model


def grow_checkpoint(src: Path, dst: Path, widths: tuple[int, ...], hidden: int) -> dict:
    """Grow a training checkpoint's weights and weight average; drops the optimizer moments (their
    shapes no longer fit) and records the growth."""
    state = torch.load(src, map_location="cpu", weights_only=False)
    old_model = CRNN(**state["config"])
    out = {k: v for k, v in state.items() if k not in ("optimizer", "model", "ema")}
    for part in ("model", "ema"):
        if part in state:
            old_model.load_state_dict(state[part])
            grown = grow_model(old_model, widths, hidden)
            out[part] = grown.state_dict()
    out["config"] = grown.config
    out["grown"] = [*state.get("grown", []), {"step": state["step"], "from": state["config"]}]
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(out, dst)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--widths", type=int, nargs=7, required=True)
    parser.add_argument("--hidden", type=int, required=True)
    args = parser.parse_args(argv)
    state = grow_checkpoint(args.ckpt, args.out, tuple(args.widths), args.hidden)
    print(f"grew {args.ckpt} -> {args.out}: {state['grown'][-1]['from']} -> {state['config']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
