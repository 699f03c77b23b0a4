"""Train the CRNN with CTC on synthetic lines rendered on the fly.

Resumable: ``--ckpt`` is loaded when it exists and rewritten every ``--save-every-s`` seconds and
at exit (also on SIGTERM). Logs one JSON line per log interval (loss, samples/s) and per
evaluation (held-out-font CER, line accuracy, space error rate) to ``--log``. Same code on CPU
and CUDA; fixed seeds (the data seed advances with the step so a resumed run sees new lines).

The checkpoint also keeps an exponential moving average of the weights (torch's AveragedModel,
``--ema-decay``); export uses it. With small batches at a constant learning rate the raw weights
jitter from step to step, and the average is the better model (both are evaluated and logged).

``--bf16`` runs the forward pass under bfloat16 autocast (weights, optimizer and CTC loss stay
float32). On this 2-core CPU, which has avx512_bf16, it trained 1.9x the samples/s of float32
(s138323, batch 16, 2 threads: 27.6 vs 50.4 samples/s on pre-rendered batches, same loss). It is
a flag, not the default, because CPUs without native bf16 emulate it: on an AMD EPYC with AVX2
only (session 17) a batch-16 step took 14.8-15.1 s under bf16 against 0.82-0.90 s in float32,
16-18x slower (two runs of ``python -m bench.train_speed``, which times both side by side).
So where the CPU has neither avx512_bf16 nor AMX, ``--bf16`` trains in float32 and says so in the
log, and one resume command serves whichever machine a session gets.

    python -m model.train --ckpt model/ckpt/crnn_last.pt --log model/runs/train.log
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from model.charset import Charset
from model.crnn import CRNN, TIME_STRIDE, count_parameters
from model.metrics import score
from model.synth import LineSynthesizer
from preprocess.resize import pad_batch

log = logging.getLogger("train")
MODEL_DIR = Path(__file__).resolve().parent


class SyntheticBatches(IterableDataset):
    """Endless width-bucketed batches: draws ``pool`` batches' worth of lines, sorts by width."""

    def __init__(self, charset: Charset, batch_size: int, seed: int, max_width_px: int, *,
                 max_chars: int = 48, long_line_share: float = 0.06, pool: int = 8) -> None:
        self.charset = charset
        self.max_chars = max_chars
        self.long_line_share = long_line_share
        self.batch_size = batch_size
        self.seed = seed
        self.max_width_px = max_width_px
        self.pool = pool

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        info = get_worker_info()
        seed = self.seed * 1000 + (info.id if info else 0)
        synth = LineSynthesizer(self.charset, seed=seed, max_chars=self.max_chars,
                                long_line_share=self.long_line_share)
        rng = random.Random(seed)
        while True:
            items = []
            while len(items) < self.batch_size * self.pool:
                line, text = synth.sample()
                if line.shape[1] <= self.max_width_px and len(text) * TIME_STRIDE <= line.shape[1]:
                    items.append((line, text))
            items.sort(key=lambda it: it[0].shape[1])
            batches = [items[i:i + self.batch_size] for i in range(0, len(items), self.batch_size)]
            rng.shuffle(batches)
            for b in batches:
                yield collate([it[0] for it in b], [it[1] for it in b], self.charset)


def collate(lines: list[np.ndarray], texts: list[str], charset: Charset, width_step_px: int = 32) -> dict[str, torch.Tensor]:
    """Pad a batch with the serving code's ``pad_batch`` to a multiple of ``width_step_px``:
    oneDNN builds a convolution primitive per input shape, and with every batch a new width that
    build dominated a training step (measured 10 vs 54 samples/s on 2 cores); 20 distinct widths
    stay in its primitive cache."""
    batch, widths = pad_batch(lines, width_multiple=width_step_px)
    targets = [charset.encode(t) for t in texts]
    return {
        "images": torch.from_numpy(batch),
        "input_lengths": torch.from_numpy(widths // TIME_STRIDE),
        "targets": torch.tensor([i for t in targets for i in t], dtype=torch.long),
        "target_lengths": torch.tensor([len(t) for t in targets], dtype=torch.long),
    }


def greedy_texts(logits: torch.Tensor, input_lengths: torch.Tensor, charset: Charset) -> list[str]:
    best = logits.argmax(dim=2).cpu().numpy()
    out = []
    for row, n in zip(best, input_lengths.tolist()):
        row = row[:n]
        keep = row != 0
        keep[1:] &= row[1:] != row[:-1]
        out.append(charset.decode(row[keep].tolist()))
    return out


def make_eval_set(charset: Charset, n: int, seed: int = 20261125) -> list[tuple[np.ndarray, str]]:
    """Fixed lines in held-out fonts (never used for training)."""
    synth = LineSynthesizer(charset, held_out=True, seed=seed)
    return [synth.sample() for _ in range(n)]


@torch.no_grad()
def evaluate(model: CRNN, eval_set: list[tuple[np.ndarray, str]], charset: Charset, device: torch.device) -> dict:
    model.eval()
    pairs = []
    order = sorted(range(len(eval_set)), key=lambda i: eval_set[i][0].shape[1])
    for start in range(0, len(order), 32):
        chunk = [eval_set[i] for i in order[start:start + 32]]
        b = collate([c[0] for c in chunk], [c[1] for c in chunk], charset)
        logits = model(b["images"].to(device))
        preds = greedy_texts(logits, b["input_lengths"], charset)
        pairs.extend(zip(preds, [c[1] for c in chunk]))
    model.train()
    return score(pairs).to_dict()


def _init_worker(_worker_id: int) -> None:
    """Data workers ignore SIGTERM/SIGINT: ``pkill -f model.train`` reaches them too, and a
    worker that dies first makes the trainer fail before it can save; the trainer stops them.
    Each renders on one core: OpenCV's own thread pool would start a thread per core in every
    worker (15 workers x 16 threads on a 16-core GPU machine) for images of a few kB. ``main``
    sets one thread before its first OpenCV call: a forked worker that reconfigures a pool its
    parent had started hangs in ``setNumThreads``: a run on a GPU machine logged no step, and
    here every forked worker's stack stood in that call."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(1)


def cosine_rate(step: float, start: float, steps: float, lr: float, lr_end: float) -> float:
    """Half-cosine from ``lr`` at absolute step ``start`` to ``lr_end`` at ``start + steps``, then
    flat. Absolute steps, so a run restarted mid-way (e.g. after a data-engine change) with the
    same ``--decay-start`` continues the same curve. (With ``--decay-over-run`` the "steps" are
    seconds of this run.)"""
    t = min(1.0, max(0.0, (step - start) / max(1, steps)))
    return lr_end + (lr - lr_end) * 0.5 * (1.0 + math.cos(math.pi * t))


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 natively rather than emulating it."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    # torch has no public query for this; these are the checks its own CPU code paths use.
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, default=MODEL_DIR / "ckpt" / "crnn_last.pt")
    parser.add_argument("--log", type=Path, default=MODEL_DIR / "runs" / "train.log")
    parser.add_argument("--charset", type=Path, default=MODEL_DIR / "charset.txt")
    parser.add_argument("--max-steps", type=int, default=10**9)
    parser.add_argument("--max-minutes", type=float, default=1e9)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--lr-end", type=float, default=None,
                        help="cosine-decay the rate to this value (default: constant rate)")
    parser.add_argument("--decay-start", type=int, default=None,
                        help="absolute step where the decay starts (default: the resumed step)")
    parser.add_argument("--decay-steps", type=int, default=10_000)
    parser.add_argument("--decay-over-run", action="store_true",
                        help="decay over this run's --max-minutes instead of steps: for a fixed-time "
                             "run on a lent GPU, whose step rate is not known ahead")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--worker-start", choices=("fork", "spawn", "forkserver"), default="fork",
                        help="how data workers start (spawn: nothing of the trainer's CUDA or thread "
                             "pools is inherited; each worker imports anew, a few seconds)")
    parser.add_argument("--max-width", type=int, default=800)
    parser.add_argument("--max-chars", type=int, default=48, help="longest ordinary line (curriculum)")
    parser.add_argument("--long-line-share", type=float, default=0.06, help="share of 50-110 char English lines")
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--eval-lines", type=int, default=300)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--save-every-s", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--ema-decay", type=float, default=0.999, help="weight EMA per step")
    parser.add_argument("--bf16", action="store_true",
                        help="run the forward pass under bfloat16 autocast (CTC loss stays float32); "
                             "1.9x samples/s on a CPU with avx512_bf16/AMX; ignored (float32, with "
                             "a warning) on one without, where emulation is 16-18x slower")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)  # before any OpenCV call: see _init_worker
    torch.set_flush_denormal(True)  # denormal floats in late LSTM/conv gradients are slow on x86
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    bf16 = args.bf16 and native_bf16(device)
    if args.bf16 and not bf16:
        log.warning("--bf16 ignored: this %s has no native bfloat16 (emulated it is 16-18x slower); "
                    "training in float32", device.type)
    charset = Charset.load(args.charset)
    model = CRNN(charset.num_classes).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    step, samples, warm_from = 0, 0, 0
    state: dict = {}
    if args.ckpt.exists():
        state = torch.load(args.ckpt, map_location=device, weights_only=False)
        model = CRNN(**state["config"]).to(device)
        model.load_state_dict(state["model"])
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        step, samples = state["step"], state["samples"]
        if "optimizer" in state:
            opt.load_state_dict(state["optimizer"])
        else:  # committed checkpoints omit the AdamW moments: warm the rate up again from here
            warm_from = step
        log.info("resumed from %s at step %d (%d samples)", args.ckpt, step, samples)
    # channels_last lets oneDNN pick its fast NHWC convolutions: +15% samples/s measured on the
    # 2-core CPU (batch 32, width 256); CUDA picks its own layout.
    memory_format = torch.channels_last if device.type == "cpu" else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema_decay), use_buffers=True)
    if "ema" in state:
        ema.module.load_state_dict(state["ema"])
        ema.n_averaged.fill_(1)  # else the first update would overwrite the average with the model
    log.info("parameters: %d, device %s", count_parameters(model), device)

    def save() -> None:
        args.ckpt.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.ckpt.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "ema": ema.module.state_dict(),
                    "optimizer": opt.state_dict(), "step": step,
                    "samples": samples, "config": model.config, "charset_size": charset.num_classes}, tmp)
        tmp.replace(args.ckpt)

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))
    args.log.parent.mkdir(parents=True, exist_ok=True)
    logf = args.log.open("a", encoding="utf-8")
    eval_set = make_eval_set(charset, args.eval_lines)
    data = DataLoader(SyntheticBatches(charset, args.batch_size, args.seed + step, args.max_width,
                                       max_chars=args.max_chars, long_line_share=args.long_line_share),
                      batch_size=None, num_workers=args.workers, prefetch_factor=4 if args.workers else None,
                      persistent_workers=False, worker_init_fn=_init_worker,
                      multiprocessing_context=args.worker_start if args.workers else None)
    ctc = torch.nn.CTCLoss(blank=charset.blank_index, zero_infinity=True)
    model.train()
    t_start = t_log = last_save = time.time()
    loss_sum, loss_n, samples_log = 0.0, 0, 0
    decay_start = step if args.decay_start is None else args.decay_start
    for batch in data:
        lr = args.lr * min(1.0, (step - warm_from + 1) / args.warmup_steps)
        if args.lr_end is not None and args.decay_over_run:
            lr = min(lr, cosine_rate(time.time() - t_start, 0, args.max_minutes * 60, args.lr, args.lr_end))
        elif args.lr_end is not None:
            lr = min(lr, cosine_rate(step, decay_start, args.decay_steps, args.lr, args.lr_end))
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(batch["images"].to(device).contiguous(memory_format=memory_format))
        log_probs = logits.float().log_softmax(2).permute(1, 0, 2)
        loss = ctc(log_probs, batch["targets"].to(device), batch["input_lengths"].to(device),
                   batch["target_lengths"].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        ema.update_parameters(model)
        step += 1
        n = batch["images"].shape[0]
        samples += n
        samples_log += n
        if math.isfinite(loss.item()):
            loss_sum += loss.item()
            loss_n += 1
        if step % args.log_every == 0:
            now = time.time()
            rec = {"step": step, "samples": samples, "loss": round(loss_sum / max(1, loss_n), 4),
                   "lr": lr, "samples_per_s": round(samples_log / (now - t_log), 1)}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            log.info(json.dumps(rec))
            loss_sum, loss_n, samples_log, t_log = 0.0, 0, 0, now
        if step % args.eval_every == 0:
            rec = {"step": step, "samples": samples, "eval_held_out_fonts": evaluate(model, eval_set, charset, device),
                   "eval_held_out_fonts_ema": evaluate(ema.module, eval_set, charset, device)}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            log.info(json.dumps(rec))
        if time.time() - last_save > args.save_every_s:
            save()
            last_save = time.time()
        if stop["now"] or step >= args.max_steps or (time.time() - t_start) / 60 > args.max_minutes:
            break
    save()
    log.info("saved %s at step %d", args.ckpt, step)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
