"""bench/scoring.py page scores and statistics, bench/report.py table formatting (pure)."""
from __future__ import annotations

import pytest

from bench.report import fmt, fmt_pct, goal_status, md_table, ratio_text, render, speedup
from bench.scoring import LinePair, bag_of_lines_f1, fit_line, percentile, score_lines, score_page


def test_bag_of_lines_perfect_and_order_free() -> None:
    assert bag_of_lines_f1(["b", "a"], ["a", "b"]) == (1.0, 1.0, 1.0)


def test_bag_of_lines_counts_duplicates_as_a_multiset() -> None:
    precision, recall, f1 = bag_of_lines_f1(["total 3", "total 3"], ["total 3", "cash 5"])
    assert (precision, recall) == (0.5, 0.5)
    assert f1 == pytest.approx(0.5)


def test_bag_of_lines_normalises_and_drops_empty_lines() -> None:
    # full-width comma and extra spaces normalise away; an empty prediction is not a line
    assert bag_of_lines_f1(["价格，  12", "  "], ["价格, 12"]) == (1.0, 1.0, 1.0)


def test_bag_of_lines_nothing_predicted() -> None:
    assert bag_of_lines_f1([], ["a"]) == (0.0, 0.0, 0.0)


def test_score_page_cer_of_concatenated_text() -> None:
    page = score_page(["hello", "world"], ["hello", "word"])
    assert page.f1 == pytest.approx(0.5)
    assert page.cer == pytest.approx(1 / len("hello word"))
    assert page.cer_nospace == pytest.approx(1 / len("helloword"))
    assert (page.pred_lines, page.ref_lines) == (2, 2)


def test_score_page_missing_line_costs_its_characters() -> None:
    page = score_page(["abc"], ["abc", "de"])
    assert page.recall == 0.5
    assert page.cer == pytest.approx(3 / 6)  # " de" deleted from "abc de"


def test_score_lines_applies_item_conventions() -> None:
    pairs = [LinePair("京AB123", "京A·B123", ignore_chars="·"),
             LinePair("University", "university", case_insensitive=True),
             LinePair("a b", "ab")]
    scores = score_lines(pairs)
    assert scores["lines"] == 3
    assert scores["line_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["line_accuracy_nospace"] == 1.0
    assert scores["cer"] == pytest.approx(1 / (6 + 10 + 2), abs=1e-4)


def test_percentile_interpolates() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5], 100) == 5
    with pytest.raises(ValueError):
        percentile([], 50)


def test_fit_line_recovers_slope_and_r2() -> None:
    fit = fit_line([5, 10, 20, 40], [12.0, 22.0, 42.0, 82.0])
    assert fit == {"slope": 2.0, "intercept": 2.0, "r2": 1.0}


def test_md_table_escapes_pipes_and_prints_missing_values() -> None:
    table = md_table(["a", "b"], [["x|y", None], [1.25, 3]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | n/a |", "| 1.2 | 3 |"]


def test_md_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError):
        md_table(["a", "b"], [["only one"]])


@pytest.mark.parametrize(("ours", "peer", "expected"), [
    (10.0, 30.0, "0.33 (3.0x faster)"),
    (20.0, 10.0, "2.00 (2.0x slower)"),
    (None, 10.0, "n/a"),
    (0.0, 10.0, "n/a"),
])
def test_ratio_text(ours: float | None, peer: float | None, expected: str) -> None:
    assert ratio_text(ours, peer) == expected


def test_speedup_and_goal_status() -> None:
    assert speedup(10.0, 35.0) == 3.5
    assert goal_status(3.5, 3) == "met"
    assert goal_status(2.9, 3) == "NOT met"
    assert goal_status(0.0, 0, higher_is_better=False) == "met"
    assert goal_status(None, 3) == "n/a"


def test_fmt_helpers() -> None:
    assert fmt(None) == "n/a"
    assert fmt(True) == "yes"
    assert fmt(2.345, 2) == "2.35"
    assert fmt_pct(0.1234) == "12.3%"
    assert fmt_pct(None) == "n/a"


def test_render_reports_speed_target_and_skipped_peer() -> None:
    fixed = {"ours int8": {"p50_ms": 8.0, "p95_ms": 9.0, "n": 10},
             "RapidOCR PP-OCRv4": {"p50_ms": 26.0, "p95_ms": 30.0, "n": 10}}
    results = {"quick": True, "started_utc": "2026-01-01T00:00:00Z", "machine": {}, "wall_s": 1.0,
               "skipped": {"RapidOCR 3.x PP-OCRv6": "needs a model download"}, "notes": [],
               "latency": {"fixed_shape": {"1": fixed}, "per_line": {"1": fixed}}}
    text = render(results)
    assert "**RapidOCR 3.x PP-OCRv6 not measured**: needs a model download" in text
    assert "| per line, bare model, 1 thread(s): PP-OCRv4 rec time / ours int8 | 3.25x | >= 3x | met |" in text
    assert "0.31 (3.2x faster)" in text


def test_spread_covers_every_lang_round_robin() -> None:
    import numpy as np

    from bench.data import LineItem, spread

    blank = np.zeros((1, 1, 3), dtype=np.uint8)
    items = [LineItem(f"en{i}", blank, "a", "en") for i in range(10)] + [
        LineItem("zh0", blank, "字", "zh"), LineItem("mx0", blank, "a字", "mixed")]
    picked = [it.item_id for it in spread(items, 4)]
    assert picked[:3] == ["en0", "zh0", "mx0"]
    assert len(picked) == 4 and picked[3].startswith("en")
    assert len(spread(items[:2], 5)) == 2
