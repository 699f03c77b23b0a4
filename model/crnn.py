"""CRNN: a VGG-style CNN over a 1x32xW line, a BiLSTM over time, a linear CTC head.

Time stride 4 (32x320 -> 80 steps): at height 32 an average Latin character is 12-16 px wide,
so it gets 3-4 steps, enough for CTC to separate double letters; hanzi get ~8.
Training-time only (torch); serving runs the ONNX export.
"""
from __future__ import annotations

import torch
from torch import nn

TIME_STRIDE = 4
INPUT_HEIGHT = 32


def _conv(cin: int, cout: int, kernel: tuple[int, int] = (3, 3), pad: tuple[int, int] = (1, 1)) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=pad, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class CRNN(nn.Module):
    """(N, 1, 32, W) float in [0, 1] (ink dark) -> logits (N, W // 4, num_classes)."""

    def __init__(self, num_classes: int, widths: tuple[int, ...] = (32, 64, 96, 96, 160, 160, 256),
                 hidden: int = 128) -> None:
        super().__init__()
        c1, c2, c3, c4, c5, c6, c7 = widths
        self.cnn = nn.Sequential(
            _conv(1, c1), nn.MaxPool2d(2, 2),                       # 16 x W/2
            _conv(c1, c2), nn.MaxPool2d(2, 2),                      # 8 x W/4
            _conv(c2, c3), _conv(c3, c4), nn.MaxPool2d((2, 1), (2, 1)),  # 4 x W/4
            _conv(c4, c5), _conv(c5, c6), nn.MaxPool2d((2, 1), (2, 1)),  # 2 x W/4
            _conv(c6, c7, kernel=(2, 3), pad=(0, 1)),                # 1 x W/4
        )
        self.rnn = nn.LSTM(c7, hidden, num_layers=1, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, num_classes)
        self.config = {"num_classes": num_classes, "widths": list(widths), "hidden": hidden}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.cnn(1.0 - x)            # ink -> high activation; padding (white) -> 0
        seq = feats.squeeze(2).transpose(1, 2)  # (N, T, C)
        seq, _ = self.rnn(seq)
        return self.head(seq)                # (N, T, num_classes)


class CRNNForExport(nn.Module):
    """Adds the greedy-decoding head used at serving time: per step argmax and its probability.

    Exporting (N, T) indices and probabilities instead of (N, T, C) softmax saves copying a
    6,981-wide tensor per step out of the runtime and a full softmax in numpy. The head is
    Softmax + TopK(1): onnxruntime's ReduceLogSumExp (the earlier exp(max - logsumexp)) took
    3.5 ms of an 8-9 ms int8 run on a 32x320 line and ArgMax + ReduceMax another 0.9 ms;
    Softmax + TopK take 0.9 ms together (ORT profiler, 1 thread, same weights).
    """

    def __init__(self, crnn: CRNN) -> None:
        super().__init__()
        self.crnn = crnn

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        best_prob, best_index = torch.softmax(self.crnn(x), dim=2).topk(1, dim=2)
        return best_index.squeeze(2), best_prob.squeeze(2)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
