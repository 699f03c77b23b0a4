"""model.grow: a grown CRNN computes what the trained one computed, and then can learn."""
import pytest
import torch

from model.crnn import CRNN
from model.grow import grow_checkpoint, grow_model

SMALL = (4, 6, 8, 8, 10, 10, 12)
WIDER = (4, 8, 8, 12, 14, 10, 16)


def _trained_like(seed: int = 0) -> CRNN:
    """A small CRNN with non-trivial weights and BatchNorm statistics."""
    torch.manual_seed(seed)
    model = CRNN(30, widths=SMALL, hidden=6)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return model


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_grown_model_computes_the_same(mode: str) -> None:
    old = _trained_like()
    new = grow_model(old, WIDER, 9)
    assert new.config["widths"] == list(WIDER) and new.config["hidden"] == 9
    assert sum(p.numel() for p in new.parameters()) > sum(p.numel() for p in old.parameters())
    getattr(old, mode)(), getattr(new, mode)()
    x = torch.rand(3, 1, 32, 96)
    with torch.no_grad():
        torch.testing.assert_close(new(x), old(x), rtol=1e-5, atol=1e-5)


def test_new_units_learn() -> None:
    """The zero links into the next layer get gradient at once, so the growth is not inert."""
    new = grow_model(_trained_like(), WIDER, 9)
    new(torch.rand(2, 1, 32, 64)).square().sum().backward()
    assert new.head.weight.grad[:, 6:9].abs().sum() > 0          # forward new units -> head
    assert new.rnn.weight_ih_l0.grad[:, 12:].abs().sum() > 0      # new conv channels -> LSTM


@pytest.mark.parametrize("widths, hidden", [(SMALL[:-1] + (8,), 6), (SMALL, 4), (SMALL[:-1], 6)])
def test_refuses_to_shrink(widths: tuple[int, ...], hidden: int) -> None:
    with pytest.raises(ValueError, match="can only widen"):
        grow_model(_trained_like(), widths, hidden)


def test_checkpoint_growth_keeps_progress(tmp_path) -> None:
    old = _trained_like()
    ema = _trained_like(seed=1)
    src, dst = tmp_path / "a.pt", tmp_path / "b.pt"
    torch.save({"model": old.state_dict(), "ema": ema.state_dict(), "optimizer": {"x": 1}, "step": 70,
                "samples": 1120, "config": old.config}, src)
    state = grow_checkpoint(src, dst, WIDER, 9)
    loaded = torch.load(dst, weights_only=False)
    assert loaded["step"] == 70 and loaded["samples"] == 1120 and "optimizer" not in loaded
    assert loaded["grown"] == [{"step": 70, "from": old.config}] and state["config"]["hidden"] == 9
    grown_ema = CRNN(**loaded["config"])
    grown_ema.load_state_dict(loaded["ema"])
    x = torch.rand(1, 1, 32, 64)
    with torch.no_grad():
        torch.testing.assert_close(grown_ema.eval()(x), ema.eval()(x), rtol=1e-5, atol=1e-5)
