"""Static int8 quantization (QDQ, per-channel weights) of model/crnn.onnx -> model/crnn.int8.onnx.

Choices, measured on this CPU (AVX2, no VNNI) with quantize/compare.py:
- u8 activations x s8 weights with ``reduce_range=True``: without VNNI, ORT's AVX2 int8 GEMM
  sums u8*s8 pairs into int16 (vpmaddubsw), which saturates with full 8-bit ranges; 7-bit
  weights avoid that.
- Conv and MatMul (the 6,981-way head) are quantized statically. Static QDQ leaves the LSTM in
  float (ORT has no static int8 LSTM kernel), so a second pass quantizes its weights
  dynamically (DynamicQuantizeLSTM). Measured on this CPU at 1 thread on a 32x320 line
  (early checkpoint, training paused): fp32 11.4 ms, static QDQ 6.7 ms (file 36 % of fp32),
  static QDQ + dynamic LSTM 6.2 ms (file 26 %). Dynamic quantization of the whole model was
  2.5x slower than fp32 (../shared/PERF_NOTES.md), so it is used for the LSTM only.
- Activation ranges: the 99.999th percentile of each tensor's histogram (onnxruntime's default
  ``CalibPercentile``) instead of its min/max. Measured with ``python -m model.evaluate
  model/crnn.onnx A.onnx B.onnx C.onnx --lines 600 --seed 5`` on s138323: fp32 2.91 %, int8
  min/max 3.07 %, percentile 2.96 %, entropy 2.98 %; real-dev 4.35 / 4.35 / 4.28 / 4.43 %. A few
  outlier activations stretch min/max scales (the usual reason), leaving typical values fewer int8
  steps.
  Histogram methods need one input shape: they calibrate on fixed 320-px windows of the lines
  set side by side (quantize.calibration.fixed_width_windows).

    python -m quantize.run [--fp32 model/crnn.onnx] [--out model/crnn.int8.onnx]
"""
from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import onnx
from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType, quantize_dynamic,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from model.charset import Charset
from quantize.calibration import LineCalibrationReader, calibration_lines, fixed_width_windows

log = logging.getLogger(__name__)
MODEL_DIR = Path(__file__).resolve().parent.parent / "model"


CALIBRATION = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
               "entropy": CalibrationMethod.Entropy}
CALIBRATION_WINDOW_PX = 320


def quantize(fp32: Path, out: Path, charset: Charset, *, n_lines: int, seed: int,
             op_types: tuple[str, ...] = ("Conv", "MatMul"), calibration: str = "percentile") -> None:
    meta = {p.key: p.value for p in onnx.load(str(fp32)).metadata_props}
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=False)
        lines = calibration_lines(charset, n_lines, seed)
        if calibration != "minmax":
            lines = fixed_width_windows(lines, CALIBRATION_WINDOW_PX)
        reader = LineCalibrationReader(lines)
        static = Path(tmp) / "static.onnx"
        quantize_static(
            str(pre), str(static), reader, quant_format=QuantFormat.QDQ, per_channel=True,
            reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            op_types_to_quantize=list(op_types), calibrate_method=CALIBRATION[calibration],
        )
        quantize_dynamic(str(static), str(out), op_types_to_quantize=["LSTM"], weight_type=QuantType.QInt8)
    proto = onnx.load(str(out))
    del proto.metadata_props[:]
    meta.update({"quantized": "true", "version": meta.get("version", "unknown") + "-int8",
                 "calibration_lines": str(n_lines), "calibration_seed": str(seed),
                 "calibration_method": calibration})
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fp32", type=Path, default=MODEL_DIR / "crnn.onnx")
    parser.add_argument("--out", type=Path, default=MODEL_DIR / "crnn.int8.onnx")
    parser.add_argument("--charset", type=Path, default=MODEL_DIR / "charset.txt")
    parser.add_argument("--lines", type=int, default=256, help="calibration sample size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calibration", choices=sorted(CALIBRATION), default="percentile",
                        help="how activation ranges are chosen from the calibration lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    quantize(args.fp32, args.out, Charset.load(args.charset), n_lines=args.lines, seed=args.seed,
             calibration=args.calibration)
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
