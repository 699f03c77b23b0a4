"""Training throughput, float32 vs bfloat16 autocast, side by side in one run.

Times full training steps of the committed checkpoint's architecture (forward, CTC loss on
random targets, backward, AdamW step) on one fixed batch of random 32xW lines, alternating the
two precisions so drift on a shared VM hits both. This is what decides ``model.train --bf16``:
on CPUs with avx512_bf16/AMX bf16 is the faster, on AVX2-only CPUs it is emulated and far slower.

    python -m bench.train_speed --steps 4
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from model.crnn import CRNN, TIME_STRIDE
from model.export import load_checkpoint
from model.session import describe_cpu
from model.train import native_bf16

ROOT = Path(__file__).resolve().parent.parent


def step_seconds(model: CRNN, opt: torch.optim.Optimizer, batch: torch.Tensor, targets: torch.Tensor,
                 bf16: bool) -> float:
    """Wall seconds of one training step on ``batch``."""
    n, chars = targets.shape
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(batch)
    log_probs = logits.float().log_softmax(2).permute(1, 0, 2)
    loss = torch.nn.functional.ctc_loss(log_probs, targets, torch.full((n,), log_probs.shape[0]),
                                        torch.full((n,), chars), zero_infinity=True)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, default=ROOT / "model" / "ckpt" / "crnn_last.pt")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--steps", type=int, default=4, help="timed steps per precision (after one warm-up)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = load_checkpoint(args.ckpt)[0].train().to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
    batch = torch.rand(args.batch_size, 1, 32, args.width).contiguous(memory_format=torch.channels_last)
    targets = torch.randint(1, 100, (args.batch_size, args.width // TIME_STRIDE // 3))
    times: dict[bool, list[float]] = {False: [], True: []}
    for i in range(args.steps + 1):
        for bf16 in (False, True):
            seconds = step_seconds(model, opt, batch, targets, bf16)
            if i:  # the first round warms up oneDNN's kernels and AdamW's state for both
                times[bf16].append(seconds)
    fp32, bf16 = statistics.median(times[False]), statistics.median(times[True])
    print(f"{describe_cpu()}; native bf16: {native_bf16(torch.device('cpu'))}; "
          f"batch {args.batch_size}x32x{args.width}, {args.threads} threads, median of {args.steps}")
    print(f"float32: {fp32:.3f} s/step, {args.batch_size / fp32:.1f} samples/s")
    print(f"bf16:    {bf16:.3f} s/step, {args.batch_size / bf16:.1f} samples/s")
    print(f"bf16 / float32 samples/s: {fp32 / bf16:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
