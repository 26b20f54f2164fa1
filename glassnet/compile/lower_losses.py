"""Lowerings of the fused losses: MSE and BCE-with-logits without weights, and cross entropy
of (N, C) logits and class indices (ClassLoss's plain case), forward and backward.

Each mirrors its Function in glassnet/ops/loss.py call for call (the table is in lower_ops.py).

>>> from glassnet.compile.lower_ops import FORWARD
>>> from glassnet.ops.loss import ClassLoss
>>> FORWARD[ClassLoss] is cross_entropy_forward
True
"""

from __future__ import annotations

import numpy as np

from glassnet.compile.calls import (
    Call,
    S,
    _copy_into,
    _real_float,
    _reduce_call,
)


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


def _scaled_loss_grad(ctx, fn, g, pairs, reduction_at):
    """The start of a lowered loss backward: (what its forward saved, the forward's spec, the
    slot of the incoming gradient divided by the size for a mean, the call that fills it);
    None where the case is not lowered (a non-scalar gradient, an input past the second)."""
    found = ctx.saved.get(id(fn))
    if found is None or ctx.value(g).ndim != 0 or any(i > 1 for i, _ in pairs):
        return None
    saved, size = found
    spec = ctx.forward_of(fn)[0]
    mean = spec[reduction_at][1] == "mean"
    scale = ctx.temp(np.asarray(ctx.value(g) / size if mean else ctx.value(g)))
    fill = Call(np.true_divide, [S(g), size], scale) if mean else Call(None, [S(g)], scale, "alias")
    return saved, spec, scale, [fill]


def mse_backward(ctx, fn, g, pairs):
    """gd = slope * (grad / size for mean), and -gd for the target."""
    start = _scaled_loss_grad(ctx, fn, g, pairs, reduction_at=3)
    if start is None:
        return None
    slope, _, scale, calls = start
    gd = ctx.temp(ctx.value(slope))
    calls.append(Call(np.multiply, [S(slope), S(scale)], gd))
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
    start = _scaled_loss_grad(ctx, fn, g, pairs, reduction_at=4)
    if start is None:
        return None
    sp, spec, scale, calls = start
    xs, ts = spec[0][1], spec[1][1]
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
