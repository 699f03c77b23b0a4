"""model.average: the weighted mean of checkpoints' served weights, the last one's integer buffers kept."""
import pytest
import torch

from model.average import average_checkpoints, average_weights, main
from model.crnn import CRNN

WIDTHS = (4, 6, 8, 8, 10, 10, 12)


def _state(seed: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return CRNN(30, widths=WIDTHS, hidden=6).state_dict()


def test_floating_tensors_are_averaged_integers_kept() -> None:
    a, b, c = _state(0), _state(1), _state(2)
    c = {k: (v + 5 if not v.is_floating_point() else v) for k, v in c.items()}
    out = average_weights([a, b, c], [0.25, 0.25, 0.5])
    for key, value in out.items():
        if value.is_floating_point():
            assert torch.allclose(value, 0.25 * a[key] + 0.25 * b[key] + 0.5 * c[key], atol=1e-6)
        else:
            assert torch.equal(value, c[key])


def test_mismatched_models_are_refused() -> None:
    old = _state(0)
    other = CRNN(31, widths=WIDTHS, hidden=6).state_dict()
    with pytest.raises(ValueError, match="shapes"):
        average_weights([old, other], [0.5, 0.5])
    with pytest.raises(ValueError, match="different tensors"):
        average_weights([old, {k: v for k, v in old.items() if not k.startswith("rnn.")}], [0.5, 0.5])


@pytest.mark.parametrize("weights", [[0.5], [0.7, 0.7], [1.5, -0.5]])
def test_bad_weights_are_refused(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="weights"):
        average_weights([_state(0), _state(1)], weights)


def test_checkpoint_keeps_last_raw_weights_and_step(tmp_path) -> None:
    config = {"num_classes": 30, "widths": list(WIDTHS), "hidden": 6}
    old, new = _state(0), _state(1)
    torch.save({"model": old, "ema": old, "step": 1, "config": config}, tmp_path / "a.pt")
    torch.save({"model": new, "ema": new, "step": 2, "config": config, "optimizer": {}}, tmp_path / "b.pt")
    average_checkpoints([tmp_path / "a.pt", tmp_path / "b.pt"], tmp_path / "c.pt")
    out = torch.load(tmp_path / "c.pt", weights_only=False)
    assert out["step"] == 2 and "optimizer" not in out
    assert all(torch.equal(out["model"][k], new[k]) for k in new)
    key = next(k for k in new if k.endswith("weight"))
    assert torch.allclose(out["ema"][key], (old[key] + new[key]) / 2)


@pytest.mark.parametrize("argv, message", [
    (["a.pt", "--out", "c.pt"], "at least two"),
    (["a.pt", "b.pt", "--weights", "1", "--out", "c.pt"], "one weight per checkpoint"),
])
def test_cli_refuses_bad_arguments(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    assert message in capsys.readouterr().err
