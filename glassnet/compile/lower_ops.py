"""The op table of the array-call lowering: one small lowering per op family (the losses'
are in lower_losses.py, the layers' inference kernels' in lower_kernels.py).

A recorded plan replays an op by calling its Function's ``forward``/``backward`` again: the
same readable formula, but with its Python around it (argument checks, attribute saves, the
dispatch on shapes) paid on every replay. A lowering here writes down instead the ufunc and
BLAS calls that formula makes for the recorded shapes, in the same order on the same operands,
so the numbers stay bit-identical to eager. ``glassnet.compile.array_calls`` then binds each
result to a preallocated buffer (``out=``) where nothing outside the plan can see it.

A lowering gets the recorded step and a ``Lowering`` context (the recorded arrays, the
forward call of a Function, new temporary slots), and returns a list of ``Call``
(glassnet/compile/calls.py) or None when
the case is not one it knows (another dtype, a keyword it does not mirror): the step is then
replayed as recorded. A Function is lowered with its backward or not at all, since the
backward reads what the forward saved on the Function object.

>>> from glassnet.ops.elementwise import Tanh
>>> Tanh in FORWARD and Tanh in BACKWARD
True
"""

from __future__ import annotations

import numpy as np

from glassnet.compile import lower_losses
from glassnet.compile.calls import (
    _T,
    Call,
    S,
    _real_float,
    _reduce_call,
    _slots_of,
    rows_sum,
)
from glassnet.ops import arithmetic, elementwise, linalg, reduction
from glassnet.ops import linear as linear_ops
from glassnet.ops import loss as loss_ops


# ---- elementwise arithmetic -----------------------------------------------------------------
def _binary(ufunc):
    def forward(ctx, fn, spec, kwspec, out):
        if kwspec or len(spec) != 2 or not _real_float(ctx.value(out)):
            return None
        args = [S(v) if kind is True else v for kind, v in spec]
        if any(a.__class__ is not S and not isinstance(a, (int, float)) for a in args):
            return None  # an array constant: leave it to the recorded call
        if all(a.__class__ is not S for a in args):
            return None
        return [Call(ufunc, args, out)]

    return forward


def add_backward(ctx, fn, g, pairs):
    # (the forward was lowered: two operands, alpha 1) grad passes through to both
    return [Call(None, [S(g)], slot, "alias") for _, slot in pairs]


def sub_backward(ctx, fn, g, pairs):
    # (alpha 1, as for Add) grad, and -grad where the subtrahend receives one
    return [
        Call(None, [S(g)], slot, "alias") if i == 0 else Call(np.negative, [S(g)], slot)
        for i, slot in pairs
    ]


def mul_backward(ctx, fn, g, pairs):
    # d(ab)/da = b: grad * self.b, grad * self.a (a number stays a number: x * 3)
    a, b = ((S(v) if kind is True else v) for kind, v in ctx.forward_of(fn)[0])
    other = {0: b, 1: a}
    return [Call(np.multiply, [S(g), other[i]], slot) for i, slot in pairs]


def pow_forward(ctx, fn, spec, kwspec, out):
    if kwspec or spec[0][0] is not True or spec[1] != (False, 2) or spec[1][1].__class__ is not int:
        return None
    if not _real_float(ctx.value(spec[0][1])):
        return None
    a = S(spec[0][1])
    return [Call(np.multiply, [a, a], out)]  # a * a: exact, as Pow.forward


def pow_backward(ctx, fn, g, pairs):
    a = ctx.forward_of(fn)[0][0][1]
    if [i for i, _ in pairs] != [0] or ctx.value(g).shape != ctx.value(a).shape:
        return None
    slot = pairs[0][1]
    # grad * (a + a), the sum written where the product goes
    return [
        Call(np.add, [S(a), S(a)], slot),
        Call(np.multiply, [S(g), S(slot)], slot, "update"),
    ]


# ---- activations ----------------------------------------------------------------------------
def _unary(ufunc):
    def forward(ctx, fn, spec, kwspec, out):
        if kwspec or len(spec) != 1 or spec[0][0] is not True:
            return None
        if not _real_float(ctx.value(spec[0][1]), ctx.value(out)):
            return None
        return [Call(ufunc, [S(spec[0][1])], out)]

    return forward


def tanh_backward(ctx, fn, g, pairs):
    out = ctx.forward_of(fn)[2]
    if ctx.value(out).ndim == 0 or ctx.value(g).shape != ctx.value(out).shape:
        return None
    d = pairs[0][1]  # d = out * out; d = 1 - d; d *= grad  (Tanh.backward, one buffer)
    return [
        Call(np.multiply, [S(out), S(out)], d),
        Call(np.subtract, [1, S(d)], d, "update"),
        Call(np.multiply, [S(d), S(g)], d, "update"),
    ]


def sigmoid_forward(ctx, fn, spec, kwspec, out):
    if kwspec or len(spec) != 1 or spec[0][0] is not True:
        return None
    if not _real_float(ctx.value(spec[0][1])) or ctx.value(out).ndim == 0:
        return None
    # sigmoid_array: e = exp(-a) (overflow to inf is its right limit: the replay runs with
    # NumPy's warnings off), e += 1, reciprocal in place
    a = S(spec[0][1])
    return [
        Call(np.negative, [a], out),
        Call(np.exp, [S(out)], out, "update"),
        Call(np.add, [S(out), 1], out, "update"),
        Call(np.reciprocal, [S(out)], out, "update"),
    ]


def sigmoid_backward(ctx, fn, g, pairs):
    out = ctx.forward_of(fn)[2]
    if ctx.value(g).shape != ctx.value(out).shape:
        return None
    slot = pairs[0][1]
    one_minus = ctx.temp(ctx.value(out))
    # grad * out * (1 - out), left to right as Sigmoid.backward
    return [
        Call(np.multiply, [S(g), S(out)], slot),
        Call(np.subtract, [1, S(out)], one_minus),
        Call(np.multiply, [S(slot), S(one_minus)], slot, "update"),
    ]


def relu_forward(ctx, fn, spec, kwspec, out):
    if kwspec or len(spec) != 1 or spec[0][0] is not True:
        return None
    a = ctx.value(spec[0][1])
    if not _real_float(a):
        return None
    return [Call(np.maximum, [S(spec[0][1]), a.dtype.type(0)], out)]  # relu_array


def relu_backward(ctx, fn, g, pairs):
    out = ctx.forward_of(fn)[2]
    slot = pairs[0][1]
    positive = ctx.temp(ctx.value(out) > 0)
    return [
        Call(np.greater, [S(out), 0], positive),  # grad * (out > 0)
        Call(np.multiply, [S(g), S(positive)], slot),
    ]


# ---- matrix products ------------------------------------------------------------------------
def _outer_aware(ctx, a, b, out, a_shape):
    """outer_aware_matmul(a, b): an inner dim of 1 is a broadcast multiply."""
    if a_shape[1] == 1:
        return Call(np.multiply, [a, b], out)
    return Call(np.matmul, [a, b], out)


def matmul2d_forward(ctx, fn, spec, kwspec, out):
    if kwspec or len(spec) != 2 or spec[0][0] is not True or spec[1][0] is not True:
        return None
    if not _real_float(ctx.value(spec[0][1]), ctx.value(spec[1][1])):
        return None
    return [Call(np.matmul, [S(spec[0][1]), S(spec[1][1])], out)]


def matmul2d_backward(ctx, fn, g, pairs):
    a, b = _slots_of(ctx.forward_of(fn)[0])
    grad = ctx.value(g)
    calls = []
    for i, slot in pairs:
        if i == 0:  # grad @ b.T
            bt = ctx.temp(ctx.value(b).T)
            calls.append(Call(_T, [S(b)], bt, "view", "T"))
            calls.append(_outer_aware(ctx, S(g), S(bt), slot, grad.shape))
        else:  # a.T @ grad
            at = ctx.temp(ctx.value(a).T)
            calls.append(Call(_T, [S(a)], at, "view", "T"))
            calls.append(_outer_aware(ctx, S(at), S(g), slot, ctx.value(a).T.shape))
    return calls


def _linear_calls(ctx, x, w, bias, out):
    """linear_array(x, w, bias) for a 2-D x: x @ w.T, then += bias in place."""
    if not _real_float(ctx.value(x), ctx.value(w), ctx.value(out)) or ctx.value(x).ndim != 2:
        return None
    wt = ctx.temp(ctx.value(w).T)
    calls = [Call(_T, [S(w)], wt, "view", "T"), Call(np.matmul, [S(x), S(wt)], out)]
    if bias is not None:
        calls.append(Call(np.add, [S(out), S(bias)], out, "update"))
    return calls


def linear_forward(ctx, fn, spec, kwspec, out):
    if kwspec or len(spec) not in (2, 3) or spec[0][0] is not True or spec[1][0] is not True:
        return None
    bias = None
    if len(spec) == 3:
        if spec[2] == (False, None):
            bias = None
        elif spec[2][0] is True:
            bias = spec[2][1]
        else:
            return None
    return _linear_calls(ctx, spec[0][1], spec[1][1], bias, out)


def linear_backward(ctx, fn, g, pairs):
    spec = ctx.forward_of(fn)[0]
    x, w = spec[0][1], spec[1][1]
    grad = ctx.value(g)
    if grad.ndim != 2:
        return None
    calls = []
    for i, slot in pairs:
        if i == 0:  # outer_aware_matmul(g2, weight)
            calls.append(_outer_aware(ctx, S(g), S(w), slot, grad.shape))
        elif i == 1:  # outer_aware_matmul(g2.T, x)
            gt = ctx.temp(grad.T)
            calls.append(Call(_T, [S(g)], gt, "view", "T"))
            calls.append(_outer_aware(ctx, S(gt), S(x), slot, grad.T.shape))
        else:  # g2.sum(axis=0)
            calls.append(rows_sum(g, slot))
    return calls


# ---- reductions -----------------------------------------------------------------------------
def mean_forward(ctx, fn, spec, kwspec, out):
    if kwspec or spec[0][0] is not True or spec[1][0] is not False or spec[2][0] is not False:
        return None
    a, axes, keepdims = ctx.value(spec[0][1]), spec[1][1], spec[2][1]
    n = reduction._count(a.shape, axes)
    if not n or not _real_float(a):
        return None
    # Mean.forward: add.reduce(a, None) / n, or a.sum(axes, keepdims) / n
    return [
        _reduce_call(spec[0][1], axes, keepdims, out),
        Call(np.true_divide, [S(out), n], out, "update"),
    ]


def mean_backward(ctx, fn, g, pairs):
    spec, _, out = ctx.forward_of(fn)
    a, axes, keepdims = ctx.value(spec[0][1]), spec[1][1], spec[2][1]
    n = reduction._count(a.shape, axes)
    return _expand_calls(ctx, g, pairs, a, axes, keepdims, n) if n else None


def sum_forward(ctx, fn, spec, kwspec, out):
    if kwspec or len(spec) != 3 or spec[0][0] is not True:
        return None
    if spec[1][0] is not False or spec[2][0] is not False or not _real_float(ctx.value(out)):
        return None
    return [_reduce_call(spec[0][1], spec[1][1], spec[2][1], out)]


def sum_backward(ctx, fn, g, pairs):
    spec = ctx.forward_of(fn)[0]
    a, axes, keepdims = ctx.value(spec[0][1]), spec[1][1], spec[2][1]
    return _expand_calls(ctx, g, pairs, a, axes, keepdims, None)


def _expand_calls(ctx, g, pairs, a, axes, keepdims, n):
    """The gradient (divided by ``n`` for a mean) broadcast back to the input's shape: the
    values _expand writes out; large shapes (a read-only view in eager) stay recorded."""
    if [i for i, _ in pairs] != [0] or a.size > 65536 or not _real_float(ctx.value(g)):
        return None
    shape, dtype = a.shape, ctx.value(g).dtype
    if axes is None or keepdims:
        kept = (1,) * a.ndim if axes is None else None
    else:
        kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
    slot = pairs[0][1]

    def fill(grad, out):
        if kept is not None:
            grad = grad.reshape(kept)
        if n is None:
            np.copyto(out, grad)  # out[...] = grad
            return out
        return np.true_divide(grad, n, out=out)  # grad / n, written out over the input's shape

    def fresh(grad):
        return fill(grad, np.empty(shape, dtype))

    name = f"copyto[broadcast to {shape}]" if n is None else f"true_divide[by {n}, to {shape}]"
    return [Call(fill, [S(g)], slot, name=name, fresh=fresh)]


# ---- the table ------------------------------------------------------------------------------
FORWARD = {
    arithmetic.Add: _binary(np.add),
    arithmetic.Sub: _binary(np.subtract),
    arithmetic.Mul: _binary(np.multiply),
    arithmetic.Pow: pow_forward,
    elementwise.Tanh: _unary(np.tanh),
    elementwise.Sigmoid: sigmoid_forward,
    elementwise.Relu: relu_forward,
    linalg.MatMul2D: matmul2d_forward,
    linear_ops.Linear: linear_forward,
    reduction.Mean: mean_forward,
    reduction.Sum: sum_forward,
    loss_ops.MSE: lower_losses.mse_forward,
    loss_ops.BCEWithLogits: lower_losses.bce_logits_forward,
    loss_ops.ClassLoss: lower_losses.cross_entropy_forward,
}

BACKWARD = {
    arithmetic.Add: add_backward,
    arithmetic.Sub: sub_backward,
    arithmetic.Mul: mul_backward,
    arithmetic.Pow: pow_backward,
    elementwise.Tanh: tanh_backward,
    elementwise.Sigmoid: sigmoid_backward,
    elementwise.Relu: relu_backward,
    linalg.MatMul2D: matmul2d_backward,
    linear_ops.Linear: linear_backward,
    reduction.Mean: mean_backward,
    reduction.Sum: sum_backward,
    loss_ops.MSE: lower_losses.mse_backward,
    loss_ops.BCEWithLogits: lower_losses.bce_logits_backward,
    loss_ops.ClassLoss: lower_losses.cross_entropy_backward,
}
