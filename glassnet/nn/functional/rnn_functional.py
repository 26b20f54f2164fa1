"""PyTorch's functional recurrent entry points: ``torch.lstm_cell``, ``gru_cell``,
``rnn_tanh_cell``, ``rnn_relu_cell`` (one step) and ``torch.lstm``, ``gru``, ``rnn_tanh``,
``rnn_relu`` (whole sequences, with the flat weight list ``nn.LSTM`` keeps: per layer and
direction ``w_ih, w_hh[, b_ih, b_hh]``). Composed of matrix products and pointwise ops, so the
backward comes from those. Installed as ``glassnet.<name>``.

>>> import glassnet
>>> x, h = glassnet.ones(2, 3), glassnet.zeros(2, 4)
>>> glassnet.rnn_tanh_cell(x, h, glassnet.zeros(4, 3), glassnet.zeros(4, 4)).shape
glassnet.Size([2, 4])
"""

from __future__ import annotations

import importlib

from glassnet.errors import ShapeError

__all__: list = []  # installed into glassnet by torch_level

_dropout = importlib.import_module("glassnet.nn.functional.dropout")


def _affine(x, w, b):
    # one linear, as PyTorch's cells: under autocast the bias joins the low-precision product
    from glassnet.ops.linear import linear

    return linear(x, w, b)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    return (_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh)).relu()


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``hx`` is ``(h, c)``; gates in PyTorch's order i, f, g, o. Returns
    ``(h', c')``."""
    h, c = hx
    gates = _affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, dim=-1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gates r, z, n; the reset gate multiplies ``h W_hn^T + b_hn``)."""
    xr, xz, xn = _affine(input, w_ih, b_ih).chunk(3, dim=-1)
    hr, hz, hn = _affine(hx, w_hh, b_hh).chunk(3, dim=-1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * hx


def _check_flat(name, params, has_biases, num_layers, bidirectional):
    per = 4 if has_biases else 2
    want = per * num_layers * (2 if bidirectional else 1)
    if len(params) != want:
        raise ShapeError(
            f"torch.{name}: expected {want} weight tensors ({per} per layer and direction for "
            f"num_layers={num_layers}, bidirectional={bidirectional}, has_biases={has_biases}), "
            f"got {len(params)}."
        )
    return per


def _run(
    name,
    cell,
    input,
    states,
    params,
    has_biases,
    num_layers,
    dropout,
    train,
    bidirectional,
    batch_first,
):
    """states: a list of (layers * directions, B, H) tensors (h, or h and c)."""
    from glassnet.ops.shape_join import cat, stack

    if input.ndim != 3:
        raise ShapeError(
            f"torch.{name}: expected a 3-D (T, B, features) input (B first with batch_first), "
            f"got shape {tuple(input.shape)}; nn.{name.split('_')[0].upper()} takes unbatched "
            "input, the functional form does not (as PyTorch)."
        )
    per = _check_flat(name, params, has_biases, num_layers, bidirectional)
    x = input.transpose(0, 1) if batch_first else input
    dirs = 2 if bidirectional else 1
    finals = [[] for _ in states]
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w = params[k * per : (k + 1) * per]
            weights = (w[0], w[1], w[2], w[3]) if has_biases else (w[0], w[1], None, None)
            state = [s[k] for s in states]
            steps = range(x.shape[0]) if d == 0 else range(x.shape[0] - 1, -1, -1)
            seq = [None] * x.shape[0]
            for t in steps:
                if len(state) == 2:
                    state = list(cell(x[t], tuple(state), *weights))
                else:
                    state = [cell(x[t], state[0], *weights)]
                seq[t] = state[0]
            outs.append(stack(seq))
            for i, s in enumerate(state):
                finals[i].append(s)
        x = outs[0] if dirs == 1 else cat(outs, dim=-1)
        if dropout and train and layer < num_layers - 1:
            x = _dropout.dropout(x, dropout, True)
    out = x.transpose(0, 1) if batch_first else x
    return (out, *[stack(f) for f in finals])


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """``torch.lstm``: returns ``(output, h_n, c_n)``; ``hx`` is ``(h_0, c_0)``."""
    return _run(
        "lstm",
        lstm_cell,
        input,
        list(hx),
        params,
        has_biases,
        num_layers,
        dropout,
        train,
        bidirectional,
        batch_first,
    )


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """``torch.gru``: returns ``(output, h_n)``."""
    return _run(
        "gru",
        gru_cell,
        input,
        [hx],
        params,
        has_biases,
        num_layers,
        dropout,
        train,
        bidirectional,
        batch_first,
    )


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """``torch.rnn_tanh``: returns ``(output, h_n)``."""
    return _run(
        "rnn_tanh",
        rnn_tanh_cell,
        input,
        [hx],
        params,
        has_biases,
        num_layers,
        dropout,
        train,
        bidirectional,
        batch_first,
    )


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """``torch.rnn_relu``: returns ``(output, h_n)``."""
    return _run(
        "rnn_relu",
        rnn_relu_cell,
        input,
        [hx],
        params,
        has_biases,
        num_layers,
        dropout,
        train,
        bidirectional,
        batch_first,
    )


FUNCTIONS = {
    "rnn_tanh_cell": rnn_tanh_cell,
    "rnn_relu_cell": rnn_relu_cell,
    "lstm_cell": lstm_cell,
    "gru_cell": gru_cell,
    "lstm": lstm,
    "gru": gru,
    "rnn_tanh": rnn_tanh,
    "rnn_relu": rnn_relu,
}
