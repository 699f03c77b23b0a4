"""What a lent training machine gets: subset fonts at the same paths, a corpus snapshot, and a
checkpoint split into files the device tool returns (each under 16 MB) and joined back."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from fontTools.ttLib import TTFont

from model.bundle import subset_fonts
from model.charset import Charset
from model.corpus import load_word_lists, save_word_lists
from model.crnn import CRNN
from model.fonts import FONT_ROOT, FontSpec, available_fonts, load_font
from model.join_ckpt import join, split
from model.synth import font_covers

CHARSET_PATH = Path(__file__).resolve().parents[2] / "model" / "charset.txt"


def _draw(font_path: str, text: str) -> np.ndarray:
    font = load_font(FontSpec(font_path, 0, "DejaVu Sans", False), 30)
    img = Image.new("L", (400, 50), 255)
    ImageDraw.Draw(img).text((4, 4), text, font=font, fill=0)
    return np.asarray(img)


def test_subset_fonts_keep_paths_glyphs_and_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    latin = [f for f in available_fonts() if f.path.endswith("DejaVuSans.ttf")]
    if not latin:
        pytest.skip("fonts-dejavu not installed")
    monkeypatch.setattr("model.bundle.available_fonts", lambda: latin)
    (written,) = subset_fonts(tmp_path, "Hello, 123 ")
    assert written == tmp_path / Path(latin[0].path).relative_to(FONT_ROOT)
    cmap = TTFont(written)["cmap"].getBestCmap()
    assert {chr(c) for c in cmap} == set("Helo, 123 ")
    assert written.stat().st_size < Path(latin[0].path).stat().st_size / 10
    assert np.array_equal(_draw(str(written), "Hello, 123"), _draw(latin[0].path, "Hello, 123"))
    # a character left out draws the .notdef box, which synth.font_covers recognises
    subset_spec = FontSpec(str(written), 0, "DejaVu Sans", False)
    assert font_covers(subset_spec, "Hello") and not font_covers(subset_spec, "Zed")
    assert available_fonts(tmp_path)[0].path == str(written)


def test_corpus_snapshot_round_trip(tmp_path: Path) -> None:
    charset = Charset.load(CHARSET_PATH)
    live = load_word_lists(charset)
    save_word_lists(charset, tmp_path / "corpus.npz")
    snap = load_word_lists(charset, tmp_path / "corpus.npz")
    assert snap[0] == live[0] and snap[2] == live[2]
    assert np.array_equal(snap[1], live[1]) and np.array_equal(snap[3], live[3])


def test_checkpoint_split_and_join(tmp_path: Path) -> None:
    model = CRNN(50)
    state = {"model": model.state_dict(), "ema": {k: v + 1 for k, v in model.state_dict().items()},
             "optimizer": {"state": {}}, "step": 7, "samples": 99, "config": model.config}
    torch.save(state, tmp_path / "ckpt.pt")
    parts = tmp_path / "parts"
    parts.mkdir()
    split(tmp_path / "ckpt.pt", parts)
    join(parts, tmp_path / "joined.pt")
    joined = torch.load(tmp_path / "joined.pt", weights_only=False)
    assert "optimizer" not in joined and (joined["step"], joined["samples"]) == (7, 99)
    assert all(torch.equal(joined["ema"][k], state["ema"][k]) for k in state["ema"])
    assert all(torch.equal(joined["model"][k], state["model"][k]) for k in state["model"])
