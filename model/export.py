"""Export a training checkpoint to model/crnn.onnx (dynamic batch and width, charset in metadata).

    python -m model.export --ckpt model/ckpt/crnn_last.pt --out model/crnn.onnx
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import onnx
import torch

from model.charset import Charset
from model.crnn import CRNN, INPUT_HEIGHT, TIME_STRIDE, CRNNForExport

MODEL_DIR = Path(__file__).resolve().parent


def served_weights(state: dict) -> dict[str, torch.Tensor]:
    """The weights a checkpoint serves: its weight average (``ema``) when it has one, else the raw
    weights (checkpoints from before the average was kept)."""
    return state["ema"] if "ema" in state else state["model"]


def load_checkpoint(path: Path) -> tuple[CRNN, dict]:
    """The model a checkpoint serves (``served_weights``), in eval mode, and the checkpoint."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = CRNN(**state["config"])
    model.load_state_dict(served_weights(state))
    return model.eval(), state


def set_metadata(model_proto: onnx.ModelProto, meta: dict[str, str]) -> None:
    del model_proto.metadata_props[:]
    for key, value in meta.items():
        entry = model_proto.metadata_props.add()
        entry.key, entry.value = key, value


def export(ckpt: Path, out: Path, charset: Charset, opset: int = 17) -> dict[str, str]:
    model, state = load_checkpoint(ckpt)
    if model.config["num_classes"] != charset.num_classes:
        raise ValueError(f"checkpoint has {model.config['num_classes']} classes, charset {charset.num_classes}")
    wrapper = CRNNForExport(model).eval()
    dummy = torch.rand(2, 1, INPUT_HEIGHT, 160)
    torch.onnx.export(
        wrapper, (dummy,), str(out), input_names=["image"], output_names=["best_index", "best_prob"],
        dynamic_axes={"image": {0: "batch", 3: "width"}, "best_index": {0: "batch", 1: "steps"},
                      "best_prob": {0: "batch", 1: "steps"}},
        opset_version=opset, dynamo=False,
    )
    proto = onnx.load(str(out))
    digest = hashlib.sha256(proto.SerializeToString()).hexdigest()[:12]
    meta = {"name": "crnn-ctc-zh-en", "version": f"s{state['step']}-{digest}", "charset": charset.to_text(),
            "num_classes": str(charset.num_classes), "time_stride": str(TIME_STRIDE),
            "input_height": str(INPUT_HEIGHT), "quantized": "false", "train_step": str(state["step"]),
            "train_samples": str(state["samples"])}
    set_metadata(proto, meta)
    onnx.save(proto, str(out))
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, default=MODEL_DIR / "ckpt" / "crnn_last.pt")
    parser.add_argument("--out", type=Path, default=MODEL_DIR / "crnn.onnx")
    parser.add_argument("--charset", type=Path, default=MODEL_DIR / "charset.txt")
    args = parser.parse_args(argv)
    meta = export(args.ckpt, args.out, Charset.load(args.charset))
    print(f"wrote {args.out} version {meta['version']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
