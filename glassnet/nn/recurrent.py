"""Recurrent layers: RNN, LSTM and GRU over whole sequences, and their one-step cells.

Weights, their names (``weight_ih_l0``, ``bias_hh_l1_reverse``), gate order (i, f, g, o for the
LSTM; r, z, n for the GRU) and initialisation (uniform in +-1/sqrt(hidden_size)) are PyTorch's,
so state dicts move both ways. A whole stack of layers and directions runs as one fused op
(``glassnet.ops.recurrent``); inputs may be padded batches (time first, or ``batch_first``),
single unbatched sequences, or PackedSequences whose sequences keep their own lengths.

>>> import glassnet
>>> from glassnet import nn
>>> lstm = nn.LSTM(4, 8, num_layers=2, batch_first=True)
>>> out, (h, c) = lstm(glassnet.ones(3, 5, 4))         # batch 3, 5 steps, 4 features
>>> out.shape, h.shape
(glassnet.Size([3, 5, 8]), glassnet.Size([2, 3, 8]))
"""

from __future__ import annotations

from glassnet.nn import _arguments as arg
from glassnet.nn.recurrent_base import _GATES, _OPS, RNNBase, _table_is_smaller  # noqa: F401
from glassnet.nn.recurrent_cell import (  # noqa: F401 - re-exported
    GRUCell,
    LSTMCell,
    RNNCell,
    RNNCellBase,
    _check_dtype,
    _param,
    initial_state,
)

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked
    ``num_layers`` deep. Returns ``(output, h_n)``.

    >>> import glassnet
    >>> out, h = RNN(3, 5, nonlinearity="relu")(glassnet.ones(7, 2, 3))
    >>> out.shape, h.shape
    (glassnet.Size([7, 2, 5]), glassnet.Size([1, 2, 5]))
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        arg.check_choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device=device,
            dtype=dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; ``c_t = f*c_{t-1} + i*g``,
    ``h_t = o*tanh(c_t)``. Returns ``(output, (h_n, c_n))``.

    >>> import glassnet
    >>> out, (h, c) = LSTM(3, 5, bidirectional=True)(glassnet.ones(7, 3))   # unbatched
    >>> out.shape, h.shape, c.shape
    (glassnet.Size([7, 10]), glassnet.Size([2, 5]), glassnet.Size([2, 5]))
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n; ``h_t = (1 - z)*n + z*h_{t-1}``. Returns
    ``(output, h_n)``.

    >>> import glassnet
    >>> out, h = GRU(3, 5, num_layers=2)(glassnet.ones(7, 2, 3))
    >>> h.shape
    glassnet.Size([2, 2, 5])
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,  # refused (PyTorch has it for LSTM only)
        device=None,
        dtype=None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device=device,
            dtype=dtype,
        )
