"""torch.lstm_cell/gru_cell/rnn_tanh_cell/rnn_relu_cell and torch.lstm/gru/rnn_tanh/rnn_relu
(flat weights) against PyTorch, forward and gradients."""

import numpy as np
import pytest
import torch

import glassnet
from tests.helpers import check_op

B, IN, H = 3, 4, 5


@pytest.mark.parametrize(
    "name, gates", [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("gru_cell", 3)]
)
@pytest.mark.parametrize("bias", [True, False])
def test_single_state_cells_match_torch(name, gates, bias):
    shapes = [(B, IN), (B, H), (gates * H, IN), (gates * H, H)] + (
        [(gates * H,)] * 2 if bias else []
    )
    check_op(shapes, getattr(glassnet, name), getattr(torch, name))


def test_lstm_cell_matches_torch():
    check_op(
        [(B, IN), (B, H), (B, H), (4 * H, IN), (4 * H, H), (4 * H,), (4 * H,)],
        lambda x, h, c, *w: glassnet.lstm_cell(x, (h, c), *w),
        lambda x, h, c, *w: torch.lstm_cell(x, (h, c), *w),
    )


def _flat(gates, layers, dirs, bias, seed=0):
    r = np.random.default_rng(seed)
    out = []
    for layer in range(layers):
        inp = IN if layer == 0 else H * dirs
        for _ in range(dirs):
            out += [
                r.uniform(-0.5, 0.5, size=(gates * H, inp)),
                r.uniform(-0.5, 0.5, size=(gates * H, H)),
            ]
            if bias:
                out += [r.uniform(-0.5, 0.5, size=(gates * H,)) for _ in range(2)]
    return out


@pytest.mark.parametrize("name, gates", [("lstm", 4), ("gru", 3), ("rnn_tanh", 1), ("rnn_relu", 1)])
@pytest.mark.parametrize(
    "layers, bidirectional, bias, batch_first, unbatched",
    [(1, False, True, False, False), (2, True, True, True, False), (2, False, False, False, False)],
)
def test_sequence_functions_match_torch(
    name, gates, layers, bidirectional, bias, batch_first, unbatched
):
    dirs = 2 if bidirectional else 1
    T = 4
    r = np.random.default_rng(5)
    x = r.normal(size=(T, IN) if unbatched else ((B, T, IN) if batch_first else (T, B, IN)))
    states = [
        r.normal(size=(layers * dirs, H) if unbatched else (layers * dirs, B, H))
        for _ in range(2 if name == "lstm" else 1)
    ]
    weights = _flat(gates, layers, dirs, bias)
    n_state = len(states)

    def run(lib):
        def f(x, *rest):
            st, w = rest[:n_state], list(rest[n_state:])
            hx = tuple(st) if name == "lstm" else st[0]
            return getattr(lib, name)(
                x, hx, w, bias, layers, 0.0, False, bidirectional, batch_first
            )

        return f

    check_op([], run(glassnet), run(torch), inputs=[x, *states, *weights], finite_diff=False)
