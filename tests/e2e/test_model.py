"""The committed model, end to end: lines rendered now in held-out fonts, through the serving
preprocessing, read by the int8 and fp32 ONNX models; ONNX agrees with the torch checkpoint."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model.charset import Charset
from model.fonts import HELD_OUT_FAMILIES, available_fonts, load_font
from model.metrics import normalize_for_scoring, score
from model.recognizer import Recognizer
from preprocess import PreprocessConfig, prepare_line
from preprocess.enhance import to_grayscale

pytestmark = pytest.mark.e2e

MODEL_DIR = Path(__file__).resolve().parents[2] / "model"
CHARSET = MODEL_DIR / "charset.txt"

# Clean lines in held-out fonts. Measured with checkpoints s125069, s113791, s97925 and s84164:
# int8 and fp32 CER 0.00 % each (℃ is read as °C, the same after NFKC); s69147: 0.67 % each
# ("invoice" for "Invoice", "worid").
# The bounds leave room for FreeType rasterisation differences between machines, and still
# fail on any real regression of model or preprocessing.
MAX_INT8_CER = 0.05
MAX_INT8_VS_FP32_CER = 0.03

LINES = [
    "今天天气很好", "人民币汇率中间价", "北京市朝阳区建国路88号", "欢迎使用文字识别服务",
    "上海证券交易所", "请在此处签名", "中华人民共和国", "会议将于下午三点开始",
    "The quick brown fox", "jumps over the lazy dog", "Invoice number 20231125",
    "Total: 128.50", "Hello world", "Please keep this receipt", "OCR service ready",
    "2026-11-25 14:30", "Tel: 010-8888 6666", "www.example.com", "价格 ¥99.00",
    "第3章 数据与方法", "iPhone 15 发布会", "温度 25℃", "No.00123", "共计 12 件商品",
]


def _held_out_font(cjk: bool):
    specs = [f for f in available_fonts() if f.family in HELD_OUT_FAMILIES and f.cjk == cjk]
    assert specs, "held-out fonts missing: install fonts-wqy-zenhei and fonts-liberation2"
    return specs[0]


def render(text: str, size_px: int = 40) -> np.ndarray:
    """Dark text on white in a held-out font (CJK face when needed) -> (H, W) uint8 gray."""
    font = load_font(_held_out_font(cjk=not text.isascii()), size_px)
    width = int(font.getlength(text)) + size_px
    ascent, descent = font.getmetrics()
    img = Image.new("RGB", (width, ascent + descent + size_px // 2), "white")
    ImageDraw.Draw(img).text((size_px // 2, size_px // 4 + ascent), text, font=font, fill="black", anchor="ls")
    return to_grayscale(np.asarray(img))


@pytest.fixture(scope="module")
def lines() -> list[np.ndarray]:
    cfg = PreprocessConfig()
    return [prepare_line(render(t), cfg) for t in LINES]


@pytest.fixture(scope="module")
def int8() -> Recognizer:
    return Recognizer(MODEL_DIR / "crnn.int8.onnx", CHARSET, intra_threads=2)


@pytest.fixture(scope="module")
def fp32() -> Recognizer:
    return Recognizer(MODEL_DIR / "crnn.onnx", CHARSET, intra_threads=2)


def test_int8_reads_held_out_font_lines(int8: Recognizer, lines: list[np.ndarray]) -> None:
    preds = [r.text for r in int8.recognize(lines)]
    result = score(zip(preds, LINES))
    assert result.cer <= MAX_INT8_CER, list(zip(preds, LINES))


def test_int8_agrees_with_fp32(int8: Recognizer, fp32: Recognizer, lines: list[np.ndarray]) -> None:
    q = [r.text for r in int8.recognize(lines)]
    f = [r.text for r in fp32.recognize(lines)]
    assert score(zip(q, f)).cer <= MAX_INT8_VS_FP32_CER, list(zip(q, f))


def test_models_are_what_they_claim(int8: Recognizer, fp32: Recognizer) -> None:
    assert int8.info.quantized and not fp32.info.quantized
    assert int8.info.version.startswith(fp32.info.version)
    assert (MODEL_DIR / "crnn.int8.onnx").stat().st_size <= 0.35 * (MODEL_DIR / "crnn.onnx").stat().st_size


def test_batching_keeps_order_and_count(int8: Recognizer, lines: list[np.ndarray]) -> None:
    one_by_one = [int8.recognize([ln])[0].text for ln in lines[:6]]
    batched = [r.text for r in int8.recognize(lines[:6][::-1])][::-1]
    assert len(batched) == 6
    assert score(zip(batched, one_by_one)).cer <= 0.05
    assert int8.recognize([]) == []


def test_onnx_matches_torch_checkpoint(lines: list[np.ndarray]) -> None:
    torch = pytest.importorskip("torch", reason="torch is a training dependency (model/requirements-train.txt)")
    from model.crnn import CRNNForExport
    from model.export import load_checkpoint
    from preprocess.resize import pad_batch

    model, state = load_checkpoint(MODEL_DIR / "ckpt" / "crnn_last.pt")
    fp32 = Recognizer(MODEL_DIR / "crnn.onnx", CHARSET)
    assert fp32.session.get_modelmeta().custom_metadata_map["train_step"] == str(state["step"]), \
        "crnn.onnx was not exported from the committed checkpoint"
    batch, _ = pad_batch(lines[:8])
    with torch.no_grad():
        t_index, t_prob = CRNNForExport(model).eval()(torch.from_numpy(batch))
    o_index, o_prob = fp32.session.run(None, {"image": batch})
    assert (o_index == t_index.numpy()).mean() >= 0.995
    np.testing.assert_allclose(o_prob, t_prob.numpy(), atol=2e-3)


def test_normalisation_used_for_scoring_is_symmetric() -> None:
    assert normalize_for_scoring("ＡＢ，  c") == normalize_for_scoring("AB, c")
    assert Charset.load(CHARSET).covers("".join(LINES))
