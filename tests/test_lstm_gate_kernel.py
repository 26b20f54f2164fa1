"""The fused LSTM kernel's gate arithmetic at the edges: pre-activations large enough that exp
overflows to inf inside the sigmoid (the kernel negates and doubles the weights, so the overflow
happens on the other side of the sum from the textbook form), and the gate-major layout on
uneven packed batches, against PyTorch, forward and every gradient."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import nn
from glassnet.nn.utils import rnn as grnn


def _saturating_pair(scale, **kw):
    """The same 2-layer LSTM in glassnet and PyTorch, its weights scaled so most gates sit far
    in the sigmoid's and tanh's flat tails (pre-activations in the hundreds)."""
    torch.manual_seed(0)
    t = torch.nn.LSTM(5, 7, num_layers=2, **kw)
    with torch.no_grad():
        for p in t.parameters():
            p.mul_(scale)
    return nn.LSTM(5, 7, num_layers=2, **kw), t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_saturated_gates_match_torch(dtype, bidirectional, kernel_path):
    # Inputs in [-2, 2] and weights ~ +-0.38 * 300: pre-activations up to about +-1000, where
    # exp overflows (float32 beyond 88, float64 beyond 709) and the gates are exactly 0 or 1 in
    # both libraries. The input and weight gradients are sums of terms 300 times the size the
    # checker's default tolerances assume (weights of order 1), so their absolute part scales by
    # 300 (float32: 2e-5 * 300, still ~50 float32 ulps of the terms; float64: 1e-9 * 300).
    scale = 300.0
    g, t = _saturating_pair(scale, bidirectional=bidirectional)
    atol = (2e-5 if dtype == "float32" else 1e-9) * scale
    with np.errstate(over="ignore"):
        out = check_layer(g, t, [(6, 3, 5)], dtype=dtype, atol=atol)
    assert all(np.isfinite(o.detach().numpy()).all() for o in [out[0], *out[1]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gate_major_layout_on_uneven_packed_batches(dtype, kernel_path):
    """Steps with 4, 3, 2 and 1 running sequences: each step's gates are a different number of
    rows of the gate-major blocks, and the backward's per-step scratch is used partly."""
    lengths = [7, 4, 4, 2, 1]
    torch.manual_seed(0)
    t = torch.nn.LSTM(5, 7, num_layers=2, bidirectional=True, batch_first=True)
    g = nn.LSTM(5, 7, num_layers=2, bidirectional=True, batch_first=True)

    def forward(layer, x):
        lib = grnn if isinstance(layer, nn.Module) else torch.nn.utils.rnn
        seq = lib.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, state = layer(seq)
        return lib.pad_packed_sequence(out, batch_first=True, total_length=7)[0], state

    check_layer(g, t, [(len(lengths), 7, 5)], dtype=dtype, forward=forward)


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_float32_lstm_on_both_paths_matches_torch(bidirectional, packed, kernel_path, monkeypatch):
    """float32 LSTMs, padded and packed (uneven lengths: the reverse direction's first steps
    read initial states at non-contiguous rows and stay on the NumPy path), forward and every
    gradient against PyTorch, on the NumPy path and on the compiled step kernels
    (glassnet.kernels.lstm_cell), which the kernel case checks it really ran."""
    calls = []
    if kernel_path == "kernel":
        from glassnet.kernels import lstm_cell

        for name in ("lstm_step_forward", "lstm_step_backward"):
            real = getattr(lstm_cell, name)
            monkeypatch.setattr(
                lstm_cell, name, lambda *a, _real=real, _n=name: calls.append(_n) or _real(*a)
            )
    lengths = [9, 6, 6, 3, 1]
    torch.manual_seed(0)
    t = torch.nn.LSTM(5, 16, num_layers=2, bidirectional=bidirectional, batch_first=True)
    g = nn.LSTM(5, 16, num_layers=2, bidirectional=bidirectional, batch_first=True)

    def forward(layer, x):
        if not packed:
            return layer(x)
        lib = grnn if isinstance(layer, nn.Module) else torch.nn.utils.rnn
        seq = lib.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, state = layer(seq)
        return lib.pad_packed_sequence(out, batch_first=True, total_length=9)[0], state

    check_layer(g, t, [(len(lengths), 9, 5)], dtype="float32", forward=forward)
    if kernel_path == "kernel":
        assert "lstm_step_forward" in calls and "lstm_step_backward" in calls
