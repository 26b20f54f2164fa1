"""The op table of the array-call lowering: one small lowering per op family.

A recorded plan replays an op by calling its Function's ``forward``/``backward`` again: the
same readable formula, but with its Python around it (argument checks, attribute saves, the
dispatch on shapes) paid on every replay. A lowering here writes down instead the ufunc and
BLAS calls that formula makes for the recorded shapes, in the same order on the same operands,
so the numbers stay bit-identical to eager. ``glassnet.compile.array_calls`` then binds each
result to a preallocated buffer (``out=``) where nothing outside the plan can see it.

A lowering gets the recorded step and a ``Lowering`` context (the recorded arrays, the
forward call of a Function, new temporary slots), and returns a list of ``Call`` or None when
the case is not one it knows (another dtype, a keyword it does not mirror): the step is then
replayed as recorded. A Function is lowered with its backward or not at all, since the
backward reads what the forward saved on the Function object.

>>> from glassnet.ops.elementwise import Tanh
>>> Tanh in FORWARD and Tanh in BACKWARD
True
"""

from __future__ import annotations

import operator

import numpy as np

from glassnet.ops import arithmetic, elementwise, linalg, reduction
from glassnet.ops import linear as linear_ops
from glassnet.ops import loss as loss_ops

_T = operator.attrgetter("T")  # the transposed view, as ``b.T`` makes it


class S:
    """A slot argument of a Call (anything else in ``args`` is a constant)."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


class Call:
    """One array call of a lowered step.

    ``kind``: "new" (``func(*args)`` makes the slot's array: it may get a buffer and then runs
    as ``func(*args, buffer)``, so ``func`` must take ``out`` as its last positional argument),
    "update" (``func(*args, env[out])``: in place into the slot's array, made by an earlier
    call), "view" (``func(*args)`` is a view of its first argument: never a buffer) or
    "alias" (the slot is the first argument's array itself: no call at all). ``fresh`` is the
    call used instead when the slot gets no buffer (default ``func(*args)``).
    """

    __slots__ = ("func", "args", "out", "kind", "name", "fresh", "pure")

    def __init__(self, func, args, out, kind="new", name=None, fresh=None, pure=True):
        self.func, self.args, self.out, self.kind = func, tuple(args), out, kind
        self.name = name or getattr(func, "__name__", "call")
        self.fresh = fresh
        self.pure = pure  # a function of its arguments only (else never folded)

    def slots(self):
        return [a.k for a in self.args if a.__class__ is S]


def _real_float(*arrays):
    """NumPy float32/float64 arrays only: the lowered formulas mirror those branches."""
    for a in arrays:
        if a.__class__ is not np.ndarray or a.dtype.kind != "f" or a.dtype.itemsize < 4:
            return False
    return True


def _slots_of(spec):
    """The slots of a recorded forward's arguments (None where one is a constant)."""
    return [v if kind is True else None for kind, v in spec]


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


_add_reduce = np.add.reduce


def rows_sum(src, out):
    """``g.sum(axis=0)``: a bias's gradient, the sum over the batch (ndarray.sum's reduce)."""
    return Call(_add_reduce, [S(src), 0], out, name="add.reduce[axis=0]")


def _reduce_call(src, axes, keepdims, out):
    """``a.sum(axis=axes, keepdims=keepdims)`` as the one reduce call it is."""
    name = f"add.reduce[axis={axes}{', keepdims' if keepdims else ''}]"
    if keepdims:
        return Call(_reducer(axes, keepdims), [S(src)], out, name=name)
    return Call(_add_reduce, [S(src), axes], out, name=name)


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


def _reducer(axes, keepdims):
    def reduce_(a, out=None):
        return np.add.reduce(a, axes, out=out, keepdims=keepdims)

    return reduce_


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


# ---- losses ---------------------------------------------------------------------------------
def mse_forward(ctx, fn, spec, kwspec, out):
    """MSE without a weight: d = x - t; loss d * d and slope 2 * d; summed, / size for mean."""
    if kwspec or len(spec) != 4 or spec[0][0] is not True or spec[1][0] is not True:
        return None
    if spec[2] != (False, None) or spec[3][1] not in ("mean", "sum") or spec[3][0] is not False:
        return None
    x, t = ctx.value(spec[0][1]), ctx.value(spec[1][1])
    if not _real_float(x, t):
        return None
    d_like = x - t
    d, raw, slope = ctx.temp(d_like), ctx.temp(d_like), ctx.temp(d_like)
    ctx.saved[id(fn)] = (slope, d_like.size)
    calls = [
        Call(np.subtract, [S(spec[0][1]), S(spec[1][1])], d),
        Call(np.multiply, [S(d), S(d)], raw),
        Call(np.multiply, [2, S(d)], slope),
        _reduce_call(raw, None, False, out),
    ]
    if spec[3][1] == "mean":
        calls.append(Call(np.true_divide, [S(out), d_like.size], out, "update"))
    return calls


def mse_backward(ctx, fn, g, pairs):
    """gd = slope * (grad / size for mean), and -gd for the target."""
    found = ctx.saved.get(id(fn))
    if found is None or ctx.value(g).ndim != 0 or any(i > 1 for i, _ in pairs):
        return None
    slope, size = found
    mean = ctx.forward_of(fn)[0][3][1] == "mean"
    scale = ctx.temp(ctx.value(g) / size if mean else ctx.value(g))
    gd = ctx.temp(ctx.value(slope))
    calls = [
        Call(np.true_divide, [S(g), size], scale) if mean else Call(None, [S(g)], scale, "alias"),
        Call(np.multiply, [S(slope), S(scale)], gd),
    ]
    for i, slot in pairs:
        calls.append(
            Call(None, [S(gd)], slot, "alias") if i == 0 else Call(np.negative, [S(gd)], slot)
        )
    return calls


def bce_logits_forward(ctx, fn, spec, kwspec, out):
    """BCEWithLogits without weight or pos_weight: softplus(-x) = max(-x, 0) + log1p(exp(-|x|))
    (kept for the backward), loss (1 - t) * x + softplus(-x), summed, / size for mean."""
    if kwspec or len(spec) != 5 or spec[0][0] is not True or spec[1][0] is not True:
        return None
    if spec[2] != (False, None) or spec[3] != (False, None) or spec[4][0] is not False:
        return None
    if spec[4][1] not in ("mean", "sum"):
        return None
    xs, ts = spec[0][1], spec[1][1]
    x, t = ctx.value(xs), ctx.value(ts)
    if not _real_float(x, t) or x.shape != t.shape or x.dtype != t.dtype:
        return None
    m, lg, sp, loss = ctx.temp(x), ctx.temp(x), ctx.temp(x), ctx.temp(x)
    ctx.saved[id(fn)] = (sp, x.size)
    calls = [
        Call(np.negative, [S(xs)], m),
        Call(np.maximum, [S(m), 0], m, "update"),  # max(-x, 0)
        Call(np.absolute, [S(xs)], lg),
        Call(np.negative, [S(lg)], lg, "update"),
        Call(np.exp, [S(lg)], lg, "update"),
        Call(np.log1p, [S(lg)], lg, "update"),  # log1p(exp(-|x|))
        Call(np.add, [S(m), S(lg)], sp),
        Call(np.subtract, [1, S(ts)], loss),
        Call(np.multiply, [S(loss), S(xs)], loss, "update"),  # (1 - t) * x
        Call(np.add, [S(loss), S(sp)], loss, "update"),
        _reduce_call(loss, None, False, out),
    ]
    if spec[4][1] == "mean":
        calls.append(Call(np.true_divide, [S(out), x.size], out, "update"))
    return calls


def bce_logits_backward(ctx, fn, g, pairs):
    """g = grad (/ size): g * ((1 - t) - exp(-x - softplus(-x))) and -g * x."""
    found = ctx.saved.get(id(fn))
    if found is None or ctx.value(g).ndim != 0 or any(i > 1 for i, _ in pairs):
        return None
    sp, size = found
    spec = ctx.forward_of(fn)[0]
    xs, ts = spec[0][1], spec[1][1]
    mean = spec[4][1] == "mean"
    scale = ctx.temp(np.asarray(ctx.value(g) / size if mean else ctx.value(g)))
    calls = [
        Call(np.true_divide, [S(g), size], scale) if mean else Call(None, [S(g)], scale, "alias")
    ]
    for i, slot in pairs:
        if i == 0:
            sig = ctx.temp(ctx.value(xs))
            calls += [
                Call(np.negative, [S(xs)], sig),
                Call(np.subtract, [S(sig), S(sp)], sig, "update"),
                Call(np.exp, [S(sig)], sig, "update"),  # sigmoid(-x)
                Call(np.subtract, [1, S(ts)], slot),
                Call(np.subtract, [S(slot), S(sig)], slot, "update"),
                Call(np.multiply, [S(scale), S(slot)], slot, "update"),
            ]
        else:
            minus = ctx.temp(np.asarray(ctx.value(scale)))
            calls += [
                Call(np.negative, [S(scale)], minus),
                Call(np.multiply, [S(minus), S(xs)], slot),  # -g * x
            ]
    return calls


def cross_entropy_forward(ctx, fn, spec, kwspec, out):
    """ClassLoss for (N, C) logits and class indices, without weight or smoothing: one
    ``CrossEntropy`` object makes the forward's and the backward's calls (below)."""
    if kwspec or len(spec) != 7 or spec[0][0] is not True or spec[1][0] is not True:
        return None
    consts = [v for kind, v in spec[2:] if kind is False]
    if len(consts) != 5:
        return None
    weight, reduction, ignore_index, smoothing, from_logits = consts
    x, target = ctx.value(spec[0][1]), ctx.value(spec[1][1])
    if weight is not None or smoothing != 0 or from_logits is not True or x.ndim != 2:
        return None
    if reduction not in ("mean", "sum") or not _real_float(x) or target.dtype.kind not in "iu":
        return None
    if target.shape != x.shape[:1]:
        return None
    pair = CrossEntropy(fn, x.shape, x.dtype, reduction, ignore_index)
    ctx.saved[id(fn)] = pair
    return [
        Call(
            pair.forward_into,
            [S(spec[0][1]), S(spec[1][1])],
            out,
            name=pair.name,
            fresh=pair,
            pure=False,
        )
    ]


def cross_entropy_backward(ctx, fn, g, pairs):
    pair = ctx.saved.get(id(fn))
    if pair is None or [i for i, _ in pairs] != [0] or ctx.value(g).ndim != 0:
        return None
    name = "cross_entropy_backward[e * (g / s), then -= g at the targets]"
    return [Call(pair.backward, [S(g)], pairs[0][1], name=name, pure=False)]


class CrossEntropy:
    """ClassLoss's forward and backward for its plain case, with ``exp(x - max)`` and its row
    sums in buffers kept by the plan: the same calls as ClassLoss makes, in the same order.
    Whether a target equals ``ignore_index`` depends on the values, so every replay checks:
    when one does, the recorded Function's own forward and backward run instead."""

    def __init__(self, fn, shape, dtype, reduction, ignore_index):
        n, c = shape
        self.fn, self.n, self.c = fn, n, c
        self.reduction, self.ignore_index = reduction, ignore_index
        self.scores = np.empty(shape, dtype)
        self.e = np.empty(shape, dtype)
        self.s = np.empty((n, 1), dtype)
        self.rows = np.arange(n)
        self.target = None
        self.recorded = False  # this replay runs the Function (an ignored target)
        self.name = f"cross_entropy[({n}, {c}): max, x - max, exp, row sums, log, pick]"

    def __call__(self, x, target):
        from glassnet.ops.loss import _warn_if_probabilities

        valid = target != self.ignore_index
        if int(valid.sum()) != valid.size:
            self.recorded = True
            args = (None, self.reduction, self.ignore_index, 0.0, True)
            return np.asarray(self.fn.forward(x, target, *args))
        self.recorded = False
        self.target = target
        peak = np.maximum.reduce(x, 1, keepdims=True)  # x.max(axis=1, keepdims=True)
        if self.c > 1 and peak.size and peak.max() <= 1:
            _warn_if_probabilities(np, x)
        scores = np.subtract(x, peak, out=self.scores)
        np.exp(scores, out=self.e)
        np.add.reduce(self.e, 1, keepdims=True, out=self.s)
        lse = np.log(self.s)[:, 0]
        loss = lse - scores[self.rows, target]
        total = loss.sum()
        return np.asarray(total / self.n if self.reduction == "mean" else total)

    def forward_into(self, x, target, out):
        np.copyto(out, self(x, target))
        return out

    def backward(self, grad, out=None):
        if self.recorded:
            gx = self.fn.backward(grad)[0]
            return gx if out is None else _copy_into(gx, out)
        g = grad / self.n if self.reduction == "mean" else grad
        coef = np.broadcast_to(g, (self.n, 1))
        gx = np.multiply(self.e, coef / self.s, out=out)  # softmax * g: e * (g / s)
        gx[self.rows, self.target] -= coef[:, 0]
        return gx


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
    loss_ops.MSE: mse_forward,
    loss_ops.BCEWithLogits: bce_logits_forward,
    loss_ops.ClassLoss: cross_entropy_forward,
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
    loss_ops.MSE: mse_backward,
    loss_ops.BCEWithLogits: bce_logits_backward,
    loss_ops.ClassLoss: cross_entropy_backward,
}


# ---- the layers' inference kernels (no graph: a layer calls an array kernel directly) -------
def _kernel_slot(entry):
    kind, v = entry
    return v if kind in ("array", "tensor") else None


def linear_kernel(ctx, spec, out):
    """linear_array(x, w, b): Linear's gradient-free path."""
    if len(spec) not in (2, 3) or out is None:
        return None
    x, w = _kernel_slot(spec[0]), _kernel_slot(spec[1])
    bias = _kernel_slot(spec[2]) if len(spec) == 3 else None
    if x is None or w is None or (len(spec) == 3 and bias is None and spec[2][1] is not None):
        return None
    return _linear_calls(ctx, x, w, bias, out)


def relu_kernel(ctx, spec, out):
    """relu_array(a): max(a, 0) with a zero of a's dtype."""
    a = _kernel_slot(spec[0]) if len(spec) == 1 else None
    if a is None or out is None or not _real_float(ctx.value(a)):
        return None
    return [Call(np.maximum, [S(a), ctx.value(a).dtype.type(0)], out)]


def relu_in_place_kernel(ctx, spec, out):
    """ReLU._apply_in_place(module, a): max(a, 0) written into a (Sequential's path)."""
    if len(spec) != 2 or out is not None or _kernel_slot(spec[1]) is None:
        return None
    a = spec[1][1]
    if not _real_float(ctx.value(a)):
        return None
    return [Call(np.maximum, [S(a), ctx.value(a).dtype.type(0)], a, "update")]


def max_pool_kernel(ctx, spec, out):
    """_MaxPoolNd._infer(module, x) for 2-D pools without padding: the first window offset
    copied, then one ``maximum`` in place per other offset (_running_max)."""
    module, x = spec[0][1], _kernel_slot(spec[1]) if len(spec) == 2 else None
    cached = getattr(module, "_plan", None)
    if x is None or out is None or cached is None or not _real_float(ctx.value(x)):
        return None
    plan, value = cached[1], ctx.value(x)
    w = plan.w
    if plan.nd != 2 or plan.unbatched or value.shape != plan.x4_shape or w.ph or w.pw:
        return None
    if (w.Hb, w.Wb) != (w.H, w.W):
        return None  # ceil_mode's padded buffer: leave it to the recorded call
    h_end, w_end = w.sh * (w.Ho - 1) + 1, w.sw * (w.Wo - 1) + 1
    calls = []
    for i in range(w.kh):
        for j in range(w.kw):
            y0, x0 = i * w.dh, j * w.dw
            index = (slice(None), slice(None), slice(y0, y0 + h_end, w.sh))
            index += (slice(x0, x0 + w_end, w.sw),)
            view = ctx.temp(value[index])
            name = f"window[:, :, {y0}::{w.sh}, {x0}::{w.sw}]"
            calls.append(Call(operator.itemgetter(index), [S(x)], view, "view", name))
            if not i and not j:
                calls.append(Call(_copy_into, [S(view)], out, name="copy", fresh=np.copy))
            else:
                calls.append(Call(np.maximum, [S(out), S(view)], out, "update"))
    return calls


def _copy_into(a, out):
    np.copyto(out, a)
    return out


def conv_kernel(ctx, spec, out):
    """_Conv._infer(module, x, w, b) for one image, one group, a kernel taller than 1: the
    im2col gathers of ``image_columns`` into buffers kept by the plan, then ``w @ cols`` and
    ``+= bias`` (conv_forward's batch-1 path)."""
    from glassnet.ops.convolution import is_depthwise

    if len(spec) != 4 or out is None:
        return None
    module, x, w = spec[0][1], _kernel_slot(spec[1]), _kernel_slot(spec[2])
    bias = _kernel_slot(spec[3])
    cached = getattr(module, "_plan", None)
    if x is None or w is None or cached is None or (bias is None and spec[3][1] is not None):
        return None
    plan, xv, wv = cached[1], ctx.value(x), ctx.value(w)
    g = plan.g
    if not _real_float(xv, wv, ctx.value(out)) or xv.shape != plan.x4_shape or wv.ndim != 4:
        return None
    if g.N != 1 or g.G != 1 or g.kh == 1 or is_depthwise(plan.x4_shape, plan.w4_shape, g.G):
        return None
    if xv.dtype != wv.dtype or tuple(ctx.value(out).shape) != (1, g.O, g.Ho, g.Wo):
        return None
    kernel = ImageConv(g, xv.dtype)
    args = [S(x), S(w)] + ([S(bias)] if bias is not None else [])
    return [Call(kernel, args, out, name=kernel.name, fresh=kernel.fresh)]


class ImageConv:
    """A batch-1 convolution with its im2col scratch buffers made once: pad (a copy into a
    zero border that stays), the horizontal shifts (one copy), whole rows of them (one copy
    into the column matrix), then ``w.reshape(O, -1) @ cols`` and ``+= bias``: the calls of
    ``conv_forward`` for one image, on the same arrays, so the same numbers."""

    def __init__(self, g, dtype):
        self.g, self.dtype = g, dtype
        padded = (g.pt, g.pb, g.pl, g.pr) != (0, 0, 0, 0)
        self.xb = np.zeros((1, g.C, g.Hb, g.Wb), dtype) if padded else None
        self.interior = (
            None if self.xb is None else self.xb[:, :, g.pt : g.pt + g.H, g.pl : g.pl + g.W]
        )
        self.shifted = np.empty((g.C, g.kw, g.Hb, g.Wo), dtype)
        t0, t1 = self.shifted.strides[:2]
        isz = dtype.itemsize
        rows = np.ndarray(
            (g.C, g.kh, g.kw, g.Ho, g.Wo),
            dtype,
            self.shifted,
            0,
            (t0, g.dh * g.Wo * isz, t1, g.sh * g.Wo * isz, isz),
        )
        self.rows = rows
        self.cols = np.empty((g.C * g.kh * g.kw, g.Ho * g.Wo), dtype)
        self.cols5 = self.cols.reshape(rows.shape)
        # views of the last arrays seen: (padded) input and its shifts, weight, bias
        self._views = [None] * 6
        self.name = (
            f"conv2d_one_image[{'pad copy, ' if padded else ''}shift copy, row copy into "
            f"cols{self.cols.shape}, matmul(w.reshape({g.O}, -1), cols), += bias]"
        )

    def __call__(self, x, w, bias=None, out=None):
        g = self.g
        if self.xb is not None:
            np.copyto(self.interior, x)
            xb = self.xb
        else:
            xb = x if x.flags.c_contiguous else np.ascontiguousarray(x)
        views = self._views
        if xb is not views[0]:  # the shifted view of the (padded) input, remade for a new array
            _, sc, sy, sx = xb.strides
            shape, strides = (g.C, g.kw, g.Hb, g.Wo), (sc, g.dw * sx, sy, g.sw * sx)
            views[0], views[1] = xb, np.ndarray(shape, xb.dtype, xb, 0, strides)
        np.copyto(self.shifted, views[1])
        np.copyto(self.cols5, self.rows)
        if w is not views[2]:
            views[2], views[3] = w, w.reshape(g.O, -1)
        y = out.reshape(g.O, g.Ho * g.Wo)
        np.matmul(views[3], self.cols, out=y)
        if bias is not None:
            if bias is not views[4]:
                views[4], views[5] = bias, bias.reshape(-1, 1)
            np.add(y, views[5], out=y)
        return out

    def fresh(self, x, w, bias=None):
        g = self.g
        return self(x, w, bias, np.empty((1, g.O, g.Ho, g.Wo), self.dtype))


def _kernels():
    from glassnet.nn.activation import ReLU
    from glassnet.nn.conv import _Conv
    from glassnet.nn.pooling import _MaxPoolNd

    return {
        linear_ops.linear_array: linear_kernel,
        elementwise.relu_array: relu_kernel,
        ReLU.__dict__["_apply_in_place"]: relu_in_place_kernel,
        _MaxPoolNd.__dict__["_infer"]: max_pool_kernel,
        _Conv.__dict__["_infer"]: conv_kernel,
    }


KERNELS = {}  # filled on first use: glassnet.nn imports the compile package's callers


def kernel_lowering(func):
    if not KERNELS:
        KERNELS.update(_kernels())
    return KERNELS.get(func)
