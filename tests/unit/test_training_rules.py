"""Pure rules of the training side: the rotation bound of the data engine, the rate schedule,
when bfloat16 is used."""
from __future__ import annotations

import math

import pytest
import torch

from model.synth import max_rotation_deg
from model.train import cosine_rate, native_bf16


@pytest.mark.parametrize(("width", "height"), [(40, 40), (120, 40), (300, 40), (1000, 40), (3000, 48), (1, 1)])
def test_rotation_keeps_line_ends_inside_the_drift(width: int, height: int) -> None:
    angle = max_rotation_deg(width, height)
    assert 0 < angle <= 2.5
    # The end of the line moves by half the width times tan(angle) around the centre; the bound
    # is on the whole width, so the ends stay within 0.3 of the height of where they were.
    assert width * math.tan(math.radians(angle)) <= 0.3 * height + 1e-9


def test_short_lines_keep_the_full_turn() -> None:
    assert max_rotation_deg(100, 40) == 2.5
    assert max_rotation_deg(1000, 40) < 1.0


def test_cosine_rate_ends_and_middle() -> None:
    lr, end = 4e-4, 2e-5
    assert cosine_rate(0, 100, 1000, lr, end) == pytest.approx(lr)  # before the start: flat
    assert cosine_rate(100, 100, 1000, lr, end) == pytest.approx(lr)
    assert cosine_rate(600, 100, 1000, lr, end) == pytest.approx((lr + end) / 2)
    assert cosine_rate(1100, 100, 1000, lr, end) == pytest.approx(end)
    assert cosine_rate(10**6, 100, 1000, lr, end) == pytest.approx(end)  # after the end: flat


def test_cosine_rate_only_goes_down() -> None:
    rates = [cosine_rate(s, 0, 500, 1e-3, 1e-5) for s in range(0, 600, 7)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))


@pytest.mark.parametrize(("avx512_bf16", "amx", "native"),
                         [(False, False, False), (True, False, True), (False, True, True), (True, True, True)])
def test_bf16_only_where_the_cpu_has_it(monkeypatch: pytest.MonkeyPatch, avx512_bf16: bool, amx: bool,
                                        native: bool) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert native_bf16(torch.device("cpu")) is native


def test_bf16_on_cuda_asks_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert native_bf16(torch.device("cuda")) is False
