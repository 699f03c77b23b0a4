"""model/evaluate.py's side-by-side table (pure formatting)."""
from __future__ import annotations

from model.evaluate import to_markdown


def _s(cer: float, exact: float) -> dict:
    return {"cer": cer, "line_accuracy": exact}


def test_table_has_a_row_per_model_and_only_sets_every_model_has() -> None:
    results = {"a.onnx": {"held_out": _s(0.0325, 0.693), "real_dev": _s(0.045, 0.51), "real_dev_zh": _s(0.1, 0.5)},
               "b.onnx": {"held_out": _s(0.03, 0.7), "real_dev": _s(0.04, 0.55)}}
    lines = to_markdown(results).splitlines()
    assert lines[0] == "| model | held_out CER / exact | real_dev CER / exact |"
    assert lines[2] == "| a.onnx | 3.25% / 69.3% | 4.50% / 51.0% |"
    assert lines[3] == "| b.onnx | 3.00% / 70.0% | 4.00% / 55.0% |"
    assert len(lines) == 4
