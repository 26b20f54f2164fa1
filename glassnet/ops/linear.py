"""Fused affine maps: ``linear`` (x @ W.T + b) and ``bilinear`` (x1^T W x2 + b) as single ops.

One Function each keeps the hot path of every MLP to one matrix product forward and at most
three backward, with no intermediate graph nodes. Leading batch dims are folded into one, so a
(batch, time, features) input costs the same as a 2-D one. A gradient nobody needs (the input of
the first layer, frozen weights) is not computed at all.

>>> import glassnet
>>> x = glassnet.ones(2, 3, requires_grad=True)
>>> w = glassnet.ones(4, 3, requires_grad=True)
>>> linear(x, w, glassnet.zeros(4)).sum().backward()
>>> x.grad
tensor([[4., 4., 4.],
        [4., 4., 4.]])
"""

from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.errors import DTypeError, ShapeError
from glassnet.ops._util import outer_aware_matmul
from glassnet.ops.low_precision import in_float32, is_bf16


def linear_array(x, weight, bias=None):
    """``x @ weight.T + bias`` on arrays: Linear's forward, and nn.Linear's path when no graph
    is recorded (inference), which needs no Function at all."""
    if x.ndim == 2:
        out = x @ weight.T
    else:
        out = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(x.shape[:-1] + weight.shape[:1])
    if bias is not None:
        out += bias
    return out


class Linear(Function):
    """y = x @ W.T (+ b) over the last dim of x; W is (out_features, in_features)."""

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        return linear_array(x, weight, bias)

    def backward(self, grad):
        x, weight = self.x, self.weight
        need_x, need_w, need_b = self._next
        g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
        gx = gw = gb = None
        if need_x is not None:
            gx = outer_aware_matmul(g2, weight)
            if x.ndim != 2:
                gx = gx.reshape(x.shape)
        if need_w is not None:
            gw = outer_aware_matmul(g2.T, x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
        if need_b is not None:
            gb = g2.sum(axis=0)
        return gx, gw, gb


class Bilinear(Function):
    """y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] (+ b[o]) over the last dims."""

    def forward(self, x1, x2, weight, bias=None):
        xp = get_array_module(x1)
        lead = x1.shape[:-1]
        a = x1.reshape(-1, x1.shape[-1])
        c = x2.reshape(-1, x2.shape[-1])
        o, i, j = weight.shape
        # (n, i) @ (i, o*j) -> (n, o, j), then contract j with x2: two GEMM-sized steps.
        t = (a @ weight.transpose(1, 0, 2).reshape(i, o * j)).reshape(-1, o, j)
        out = xp.matmul(t, c[:, :, None])[:, :, 0]
        if bias is not None:
            out += bias
        self.a, self.c, self.t, self.weight, self.lead = a, c, t, weight, lead
        return out.reshape(lead + (o,))

    def backward(self, grad):
        xp = get_array_module(grad)
        a, c, weight = self.a, self.c, self.weight
        o, i, j = weight.shape
        g = grad.reshape(-1, o)
        need = [n is not None for n in self._next]
        g1 = g2 = gw = gb = None
        if need[0]:
            # sum_o g[n,o] (W[o] @ x2[n]) = (g[:, o] x2[n, j]) contracted with W over (o, j)
            gc = (g[:, :, None] * c[:, None, :]).reshape(-1, o * j)
            g1 = (gc @ weight.transpose(0, 2, 1).reshape(o * j, i)).reshape(self.lead + (i,))
        if need[1]:
            g2 = xp.matmul(g[:, None, :], self.t)[:, 0, :].reshape(self.lead + (j,))
        if need[2]:
            gw = ((g[:, :, None] * a[:, None, :]).reshape(-1, o * i).T @ c).reshape(o, i, j)
        if need[3]:
            gb = g.sum(axis=0)
        return g1, g2, gw, gb


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` in one fused op (what ``nn.Linear`` computes).

    >>> import glassnet
    >>> linear(glassnet.ones(5, 3), glassnet.ones(2, 3)).shape
    glassnet.Size([5, 2])
    """
    if is_bf16(input, weight, bias):  # float32 accumulation, one rounding
        return in_float32(linear, input, weight, bias)
    x, w = input._data, weight._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {tuple(x.shape)} and weight of shape {tuple(w.shape)} do not "
            f"fit: the input's last dim must equal weight.shape[1]. The weight must be "
            "(out_features, in_features); reshape the input or transpose the weight."
        )
    if bias is not None and bias._data.shape not in ((w.shape[0],), ()):
        raise ShapeError(
            f"linear: bias of shape {tuple(bias._data.shape)} does not fit weight of shape "
            f"{tuple(w.shape)}; expected ({w.shape[0]},)."
        )
    _check_dtypes("linear", input, weight, bias)
    return Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """``y = x1^T W x2 + b`` per output feature, in one fused op (what ``nn.Bilinear`` computes).

    >>> import glassnet
    >>> bilinear(glassnet.ones(4, 2), glassnet.ones(4, 3), glassnet.ones(5, 2, 3)).shape
    glassnet.Size([4, 5])
    """
    x1, x2, w = input1._data, input2._data, weight._data
    if (
        w.ndim != 3
        or x1.ndim == 0
        or x1.shape[:-1] != x2.shape[:-1]
        or x1.shape[-1] != w.shape[1]
        or x2.shape[-1] != w.shape[2]
    ):
        want1, want2 = (w.shape[1], w.shape[2]) if w.ndim == 3 else ("in1", "in2")
        raise ShapeError(
            f"bilinear: inputs of shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not fit "
            f"weight of shape {tuple(w.shape)}: expected (..., {want1}) and (..., {want2}) with "
            "the same leading dims and a weight of shape (out_features, in1_features, "
            "in2_features)."
        )
    if bias is not None and bias._data.shape != (w.shape[0],):
        raise ShapeError(
            f"bilinear: bias of shape {tuple(bias._data.shape)} does not fit weight of shape "
            f"{tuple(w.shape)}; expected ({w.shape[0]},)."
        )
    _check_dtypes("bilinear", input1, input2, weight, bias)
    return Bilinear.apply(input1, input2, weight, bias)


def _check_dtypes(op, *tensors):
    first = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t is not None and t._data.dtype != first:
            raise DTypeError(
                f"{op}: expected all tensors to have the same dtype, got {first} and "
                f"{t._data.dtype}. Convert the input with .to(dtype) or the layer with "
                "module.to(dtype)."
            )


__all__ = []
