"""What RNN, LSTM and GRU share: ``RNNBase``, the stacked weights, argument checks and the call
of the fused op; kept apart from the three thin layer classes in ``glassnet.nn.recurrent``.

>>> import glassnet
>>> from glassnet import nn
>>> [w.shape for w in nn.GRU(2, 3).all_weights[0]]
[glassnet.Size([9, 2]), glassnet.Size([9, 3]), glassnet.Size([9]), glassnet.Size([9])]
"""

from __future__ import annotations

import math
import numbers
import warnings

from glassnet.backend import get_array_module
from glassnet.errors import ShapeError
from glassnet.nn import _arguments as arg
from glassnet.nn import init
from glassnet.nn import module as _module
from glassnet.nn.functional.dropout import keep_mask
from glassnet.nn.module import Module
from glassnet.nn.recurrent_cell import _check_dtype, _param, initial_state
from glassnet.nn.utils.rnn import PackedSequence
from glassnet.ops.recurrent import GRUSequence, LSTMSequence, RNNSequence, Unpack

__all__ = ["RNNBase"]

_OPS = {"RNN_TANH": RNNSequence, "RNN_RELU": RNNSequence, "LSTM": LSTMSequence, "GRU": GRUSequence}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: the stacked weights, argument checks and the fused call."""

    def __init__(
        self,
        mode,
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
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                f"{name}: dropout must be a number in range [0, 1] (the probability of an "
                f"element being zeroed), got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        # PyTorch's classes: TypeError for a non-int, ValueError for a size below 1
        for what, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            arg.check_size(name, what, value, positive=True, error=ValueError)
        arg.check_size(name, "proj_size", proj_size, error=ValueError)
        if proj_size and proj_size >= hidden_size:
            raise ValueError(
                f"{name}: proj_size has to be smaller than hidden_size ({hidden_size}), got "
                f"{proj_size}"
            )
        if proj_size and mode != "LSTM":
            raise ValueError(
                f"{name}: proj_size must be 0 (projections exist for LSTM only), got {proj_size}"
            )
        if proj_size != 0:
            raise NotImplementedError(
                "LSTM proj_size is not supported in glassnet; use proj_size=0 and, if needed, a "
                "Linear layer on the output."
            )
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        gate = _GATES[mode] * hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                suffix = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (gate, layer_in)), ("weight_hh", (gate, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, _param(shape, device, dtype))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: every weight and bias uniform in +-1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    @property
    def _flat_weights(self):
        return [self._parameters[n] for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as PyTorch's ``all_weights``."""
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self):
        """A no-op kept for PyTorch compatibility (the weights are never fragmented here)."""

    def forward(self, input, hx=None):
        return self._run(input, hx)

    def forward_from_embedding(self, embedding, tokens, hx=None):
        """``self(embedding(tokens), hx)``: the same outputs and gradients. When the table has
        fewer rows than ``tokens`` has entries (a character-level model, say), the first layer
        projects the table's rows once and picks the projected rows, rather than projecting
        every looked-up row, and its gradients are summed per token before the matmuls.

        >>> import glassnet
        >>> from glassnet import nn
        >>> emb, lstm = nn.Embedding(5, 4), nn.LSTM(4, 3, batch_first=True)
        >>> out, _ = lstm.forward_from_embedding(emb, glassnet.randint(0, 5, (2, 7)))
        >>> out.shape
        glassnet.Size([2, 7, 3])
        """
        if not _table_is_smaller(embedding, tokens, self):
            return self(embedding(tokens), hx)
        return self._run(embedding.weight, hx, tokens)

    def _run(self, input, hx, tokens=None):
        L, H = self.num_layers, self.hidden_size
        D = 2 if self.bidirectional else 1
        weights = self._flat_weights
        packed = tokens is None and isinstance(input, PackedSequence)
        if packed:
            x = input.data
            sizes = tuple(input.batch_sizes.tolist())
            B, bf, out_shape = sizes[0], False, None
            if x._data.ndim != 2:
                raise ShapeError(
                    f"expected packed data of shape (rows, {self.input_size}), got {tuple(x.shape)}"
                )
            if sum(sizes) != x._data.shape[0]:
                raise ShapeError(
                    f"packed data has {x._data.shape[0]} rows but batch_sizes sum "
                    f"to {sum(sizes)}; build it with pack_padded_sequence"
                )
            out_shape, h_shape = (x._data.shape[0], D * H), (L * D, B, H)
        else:
            x = input
            shape = tuple(x._data.shape) if tokens is None else (*tokens.shape, x.shape[-1])
            if len(shape) not in (2, 3) or 0 in shape[:-1]:
                layout = "(batch, seq, features)" if self.batch_first else "(seq, batch, features)"
                raise ShapeError(
                    f"expected a non-empty 3D input {layout} or 2D unbatched input (seq, "
                    f"features), got shape {shape}"
                )
            if len(shape) == 2:
                T, B, bf = shape[0], 1, False
                out_shape, h_shape = (T, D * H), (L * D, H)
            else:
                bf = self.batch_first
                (B, T) = shape[:2] if bf else shape[1::-1]
                out_shape, h_shape = (T, B, D * H), (L * D, B, H)
            sizes = (B,) * T
        if x._data.shape[-1] != self.input_size:
            raise ShapeError(
                f"expected input with last dimension {self.input_size} (input_size), got shape "
                f"{tuple(x.shape)}; make the layer with input_size={x._data.shape[-1]} or fix "
                "the features of the input."
            )
        _check_dtype(x, weights[0])
        h0, c0 = initial_state(
            hx,
            self.mode == "LSTM",
            "LSTM",
            h_shape,
            x._data.dtype,
            "num_layers * num_directions, batch, hidden_size; no batch dim for unbatched input",
            ". Pass one initial state per layer and direction, or hx=None for zeros.",
        )
        masks = None
        if self.training and self.dropout > 0 and L > 1:
            masks = [keep_mask((sum(sizes), D * H), self.dropout, x._data) for _ in range(L - 1)]
        order = input.sorted_indices if packed else None
        flat = _OPS[self.mode].apply(
            x,
            h0,
            c0,
            *weights,
            sizes=sizes,
            num_layers=L,
            bidirectional=self.bidirectional,
            batch_first=bf,
            dropout_masks=masks,
            nonlinearity=getattr(self, "nonlinearity", None),
            sorted_indices=None if order is None else order._data,
            tokens=None if tokens is None else tokens._data,
        )
        N = sum(sizes)
        n_ext, n_state = (B + N) * D * H, L * D * B * H
        output = Unpack.apply(flat, B * D * H, n_ext, out_shape, bf)
        state = Unpack.apply(flat, n_ext, n_ext + n_state, h_shape)
        if self.mode == "LSTM":
            state = (state, Unpack.apply(flat, n_ext + n_state, n_ext + 2 * n_state, h_shape))
        if packed:
            output = PackedSequence(
                output, input.batch_sizes, input.sorted_indices, input.unsorted_indices
            )
        return output, state

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _table_is_smaller(embedding, tokens, layer):
    """Whether ``forward_from_embedding`` may fold the lookup into the first layer: a plain
    lookup (no padding_idx, max_norm, frequency scaling, sparse gradient or hooks) of valid,
    batched ids into a table with fewer rows than there are ids and no more rows than columns
    (so the per-token sums of the backward cost less than the matmuls they replace)."""
    if (
        embedding.padding_idx is not None
        or embedding.max_norm is not None
        or embedding.scale_grad_by_freq
        or embedding.sparse
        or tokens.ndim != 2
        or tokens._data.dtype.kind not in "iu"
        or embedding.weight._data.dtype != layer._flat_weights[0]._data.dtype
        or get_array_module(tokens._data) is not get_array_module(embedding.weight._data)
    ):
        return False
    if _module._hooks_registered and any(
        m._forward_pre_hooks or m._forward_hooks or m._backward_hooks for m in (embedding, layer)
    ):
        return False
    rows = embedding.num_embeddings
    if not (rows < tokens.numel() and rows <= embedding.embedding_dim):
        return False
    ids = tokens._data
    return ids.size > 0 and int(ids.min()) >= 0 and int(ids.max()) < rows
